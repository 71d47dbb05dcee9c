// PyTorch state_dicts of the IResNet family (insightface arcface_torch and the official TopoFR
// `backbones/iresnet.py`) ↔ this package's tfjs IResNet (src/model/iresnet.ts), whose layer names
// are the PyTorch module paths. Per layer:
//
//   PyTorch                                   tfjs
//   <conv>.weight       [O, I, kh, kw] OIHW   <conv>/kernel          [kh, kw, I, O] HWIO
//   <bn>.weight / .bias                       <bn>/gamma / beta
//   <bn>.running_mean / .running_var          <bn>/moving_mean / moving_variance
//   <bn>.num_batches_tracked                  (none: only used by momentum=None BN, ignored)
//   <prelu>.weight      [C]                   <prelu>/alpha          [1, 1, C]
//   fc.weight           [out, in]             fc/kernel              [in, out]; no row shuffle: the
//                                             model flattens NCHW, as PyTorch (Permute before Flatten)
//   fc.bias                                   fc/bias
//   weight              [classes, d]          TopoFR's class centres (kept outside the backbone here)
//
// The architecture is read off the state_dict: depth from the blocks per stage, the width
// multiplier from conv1's 64·w filters (every stage must then be 64/128/256/512·w), the embedding
// size from fc, the last feature map's side s from fc's inputs (input size 16·s by default, 112
// for s = 7). Unknown or missing entries and shape mismatches are refused by name.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { TopofrRangeError } from '../errors.js';
import { float32Values, readTorchCheckpoint, torchStateDict, type TorchTensor } from '../io/torch-checkpoint.js';
import { IRESNET_LAYERS, iresnet, iresnetFeatureSize, iresnetWidths, type IResNetDepth } from './iresnet.js';

/** Row-major values and shape of one tensor in PyTorch's layout. */
export interface TorchLayoutTensor {
  shape: number[];
  values: Float32Array;
}

export interface ImportedIResNet {
  model: tf.LayersModel;
  /** TopoFR's class-centre matrix `weight` ([classes, embeddingSize], row-major), when the state_dict has one. */
  centres?: TorchLayoutTensor;
  depth: IResNetDepth;
  widthMultiplier: number;
  embeddingSize: number;
  inputSize: number;
}

export interface IResNetImportOptions {
  /** Input side; must give the state_dict's last feature map (default 16·s, i.e. 112 for s = 7). */
  inputSize?: number;
  /** Freeze the embedding BN's γ (arcface_torch); default false (TopoFR trains it). */
  freezeEmbeddingScale?: boolean;
  /** Names the state_dict in errors. */
  source?: string;
}

/** The official name of TopoFR's class-centre matrix inside its backbone. */
export const TORCH_CENTRES = 'weight';

const invalid = (source: string, message: string) => new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${source}: ${message}`);

/** OIHW → HWIO (PyTorch conv weight → tfjs conv kernel) and back. */
function convToTfjs(v: Float32Array, [o, i, kh, kw]: number[]): Float32Array {
  const out = new Float32Array(v.length);
  for (let a = 0; a < o!; a++) for (let b = 0; b < i!; b++) for (let y = 0; y < kh!; y++) for (let x = 0; x < kw!; x++)
    out[((y * kw! + x) * i! + b) * o! + a] = v[((a * i! + b) * kh! + y) * kw! + x]!;
  return out;
}
function convToTorch(v: Float32Array, [kh, kw, i, o]: number[]): Float32Array {
  const out = new Float32Array(v.length);
  for (let a = 0; a < o!; a++) for (let b = 0; b < i!; b++) for (let y = 0; y < kh!; y++) for (let x = 0; x < kw!; x++)
    out[((a * i! + b) * kh! + y) * kw! + x] = v[((y * kw! + x) * i! + b) * o! + a]!;
  return out;
}
function transpose2d(v: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = v[r * cols + c]!;
  return out;
}

const BN_NAMES: Record<string, string> = { gamma: 'weight', beta: 'bias', moving_mean: 'running_mean', moving_variance: 'running_var' };

/** The PyTorch name of a tfjs layer weight and the conversions between the two layouts. */
function correspondence(layerClass: string, layer: string, weight: string, tfShape: number[]) {
  const same = (v: Float32Array) => v;
  switch (layerClass) {
    case 'Conv2D': {
      const [kh, kw, i, o] = tfShape;
      return { name: `${layer}.weight`, torchShape: [o!, i!, kh!, kw!], toTfjs: (v: Float32Array) => convToTfjs(v, [o!, i!, kh!, kw!]), toTorch: (v: Float32Array) => convToTorch(v, tfShape) };
    }
    case 'BatchNormalization':
      return { name: `${layer}.${BN_NAMES[weight]}`, torchShape: tfShape, toTfjs: same, toTorch: same };
    case 'PReLU':
      return { name: `${layer}.weight`, torchShape: [tfShape[tfShape.length - 1]!], toTfjs: same, toTorch: same };
    case 'Dense': {
      const [inputs, units] = tfShape;
      if (weight === 'bias') return { name: `${layer}.bias`, torchShape: tfShape, toTfjs: same, toTorch: same };
      return { name: `${layer}.weight`, torchShape: [units!, inputs!], toTfjs: (v: Float32Array) => transpose2d(v, units!, inputs!), toTorch: (v: Float32Array) => transpose2d(v, inputs!, units!) };
    }
    default:
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `iresnet-torch: layer ${layer} (${layerClass}) has no PyTorch counterpart`);
  }
}

/** Every weight of the model with its PyTorch name and conversions. */
function weightMap(model: tf.LayersModel) {
  return model.layers.flatMap((layer) => layer.weights.map((w) => {
    const short = w.originalName.split('/').pop()!.replace(/_\d+$/, '');
    return { variable: w, ...correspondence(layer.getClassName(), layer.name, short, w.shape as number[]) };
  }));
}

function shapeOf(state: Map<string, TorchTensor>, name: string, source: string): number[] {
  const t = state.get(name);
  if (t === undefined) throw invalid(source, `missing '${name}' (not an IResNet state_dict?)`);
  return t.shape;
}

/** The architecture a state_dict describes. */
function architecture(state: Map<string, TorchTensor>, source: string, inputSize?: number) {
  const blocks = [1, 2, 3, 4].map((s) => {
    let b = 0;
    while (state.has(`layer${s}.${b}.conv1.weight`)) b++;
    return b;
  });
  const depth = (Object.keys(IRESNET_LAYERS).map(Number) as IResNetDepth[]).find((d) => IRESNET_LAYERS[d].every((n, i) => n === blocks[i]));
  if (depth === undefined) throw invalid(source, `blocks per stage [${blocks.join(', ')}] match no IResNet (18/34/50/100/200)`);
  const stem = shapeOf(state, 'conv1.weight', source)[0]!;
  const widthMultiplier = stem / 64;
  const widths = [stem, ...[1, 2, 3, 4].map((s) => shapeOf(state, `layer${s}.0.conv1.weight`, source)[0]!)];
  if (widths.some((w, i) => w !== iresnetWidths(widthMultiplier)[i]))
    throw invalid(source, `channel widths [${widths.join(', ')}] are not 64/64/128/256/512 × ${widthMultiplier}`);
  const [embeddingSize, fcInputs] = shapeOf(state, 'fc.weight', source) as [number, number];
  const side = Math.round(Math.sqrt(fcInputs / widths[4]!));
  if (side * side * widths[4]! !== fcInputs) throw invalid(source, `fc takes ${fcInputs} inputs, not ${widths[4]}·s² for a square feature map`);
  const size = inputSize ?? 16 * side;
  if (iresnetFeatureSize(size) !== side)
    throw invalid(source, `input size ${size} gives a ${iresnetFeatureSize(size)}×${iresnetFeatureSize(size)} feature map, the state_dict's fc needs ${side}×${side}`);
  return { depth, widthMultiplier, embeddingSize, inputSize: size };
}

/** A tfjs IResNet holding a PyTorch IResNet state_dict's weights (and TopoFR's centres, if present). */
export function iresnetFromStateDict(state: Map<string, TorchTensor>, options: IResNetImportOptions = {}): ImportedIResNet {
  const source = options.source ?? 'state_dict';
  const arch = architecture(state, source, options.inputSize);
  const model = iresnet({ ...arch, freezeEmbeddingScale: options.freezeEmbeddingScale });
  const used = new Set<string>();
  try {
    for (const w of weightMap(model)) {
      const t = state.get(w.name);
      if (t === undefined) throw invalid(source, `missing '${w.name}' (for tfjs ${w.variable.originalName})`);
      if (t.shape.length !== w.torchShape.length || t.shape.some((d, i) => d !== w.torchShape[i]))
        throw invalid(source, `'${w.name}' has shape [${t.shape.join(', ')}], the model needs [${w.torchShape.join(', ')}]`);
      w.variable.write(tf.tensor(w.toTfjs(float32Values(t)), w.variable.shape as number[], 'float32'));
      used.add(w.name);
    }
  } catch (err) {
    model.dispose();
    throw err;
  }
  let centres: TorchLayoutTensor | undefined;
  const c = state.get(TORCH_CENTRES);
  if (c !== undefined) {
    if (c.shape.length !== 2 || c.shape[1] !== arch.embeddingSize) {
      model.dispose();
      throw invalid(source, `'${TORCH_CENTRES}' (the class centres) has shape [${c.shape.join(', ')}], expected [classes, ${arch.embeddingSize}]`);
    }
    centres = { shape: [...c.shape], values: float32Values(c) };
    used.add(TORCH_CENTRES);
  }
  const unknown = [...state.keys()].filter((k) => !used.has(k) && !k.endsWith('.num_batches_tracked'));
  if (unknown.length > 0) {
    model.dispose();
    throw invalid(source, `entries with no place in an IResNet: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? `, … (${unknown.length})` : ''}`);
  }
  return { model, centres, ...arch };
}

/** Reads a torch.save file (a state_dict, or a checkpoint dict with the state_dict under `key`). */
export function loadTorchIResNet(path: string, options: IResNetImportOptions & { key?: string } = {}): ImportedIResNet {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${path}: ${(err as Error).message}`);
  }
  const state = torchStateDict(readTorchCheckpoint(bytes, path), path, options.key);
  return iresnetFromStateDict(state, { ...options, source: options.source ?? path });
}

/** Tensors shaped like the model's weights (by `originalName`, tfjs layouts: e.g. the weights
 *  after a step, or their momentum buffers) under PyTorch names, in PyTorch layouts. */
export function torchLayout(model: tf.LayersModel, tensors: ReadonlyMap<string, Float32Array>): Map<string, TorchLayoutTensor> {
  const out = new Map<string, TorchLayoutTensor>();
  for (const w of weightMap(model)) {
    const values = tensors.get(w.variable.originalName);
    if (values !== undefined) out.set(w.name, { shape: w.torchShape, values: w.toTorch(values) });
  }
  return out;
}

/** The model's weights (and optional class centres [classes, d]) under PyTorch names, in PyTorch layouts. */
export function iresnetStateDict(model: tf.LayersModel, centres?: tf.Tensor | TorchLayoutTensor): Map<string, TorchLayoutTensor> {
  const out = torchLayout(model, new Map(model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array])));
  if (centres !== undefined) {
    out.set(TORCH_CENTRES, centres instanceof tf.Tensor
      ? { shape: [...centres.shape], values: Float32Array.from(centres.dataSync()) }
      : { shape: [...centres.shape], values: centres.values.slice() });
  }
  return out;
}
