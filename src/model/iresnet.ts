// IResNet ("ResNet as modified in ArcFace"), built with standard tfjs layers only, so that the
// model serialises to the plain `model.json` + `weights.bin` format and loads in browsers.
//
// Layer-for-layer the official arcface_torch `backbones/iresnet.py` (TOPOFR.md §1.8):
//   stem     conv3×3(3→64, s1, no bias) → BN → PReLU
//   stages   widths 64/128/256/512, first block of each stage stride 2
//   block    BN → conv3×3(s1) → BN → PReLU → conv3×3(s) → BN  (+ conv1×1(s) → BN shortcut when
//            the shape changes), residual add
//   head     BN2d → flatten → Dropout → Dense(embeddingSize) → BN1d ('features', γ trainable)
//
// Faithfulness details:
// * Padding: PyTorch pads a 3×3 conv by 1 on every side. For stride 1 that is tfjs 'same'; for
//   stride 2 tfjs 'same' would pad only bottom/right (a half-pixel shift), so the strided conv is
//   ZeroPadding2D(1) + 'valid' conv, exactly PyTorch's sampling grid.
// * Flatten: PyTorch flattens NCHW, i.e. in (C, H, W) order. A Permute([3, 1, 2]) before the
//   Flatten reproduces that order, so the Dense kernel is the transpose of the official `fc.weight`
//   with no row shuffling (official checkpoints map 1:1).
// * BatchNorm: eps 1e-5, PyTorch momentum 0.1 ⇒ tfjs momentum 0.9. The embedding BN1d's γ
//   (`features.weight`) is trainable, as in TopoFR's backbones/iresnet.py (its
//   `requires_grad = False` line is commented out, TOPOFR.md §1.8); insightface arcface_torch
//   freezes it at 1, which `freezeEmbeddingScale: true` (or the function of that name) reproduces.
//   tfjs' `scale: false` cannot express the frozen γ: in tfjs-layers 4.22
//   BatchNormalization.call reads `this.gamma` unconditionally in training mode and throws. So
//   `features` always keeps γ (which also keeps the weight list 1:1 with the PyTorch state_dict)
//   and freezing marks it non-trainable. A LayerVariable's trainable flag is not serialised: after
//   `tf.loadLayersModel`, freeze again if the model was trained that way (`loadIResNet` can).
// * Init (official `_init_`-free code path in iresnet.py): conv kernels ~ N(0, 0.1); BN γ = 1,
//   β = 0; PReLU α = 0.25 (PyTorch default; tfjs' default would be 0); Linear is PyTorch's default,
//   weight and bias ~ U(±1/√fan_in). Every initialiser gets its own seed derived from `seed`.
// * Layer names follow the PyTorch state_dict keys with '.' (conv1, bn1, prelu, layer1.0.bn1,
//   layer1.0.downsample.0, …, bn2, dropout, fc, features).
import * as tf from '@tensorflow/tfjs';
import { TopofrError, TopofrRangeError } from '../errors.js';
import { batchNormalization } from '../tf/batch-norm-layer.js';
import { describeValue, optionsArg } from '../util/check.js';
import { printable } from '../util/printable.js';
import { IResNetModel } from './iresnet-training.js';

export type IResNetDepth = 18 | 34 | 50 | 100 | 200;

/** Bounds that keep a model buildable (a 4096² input is already 200 MB per image). */
export const MAX_INPUT_SIZE = 4096;
export const MAX_EMBEDDING_SIZE = 65536;

export interface IResNetOptions {
  depth: IResNetDepth;
  /** Square input side in pixels (NHWC input [inputSize, inputSize, 3]); 112 in the paper. */
  inputSize?: number;
  /** Multiplies the stem and stage widths (64/128/256/512); 1 is the official net. */
  widthMultiplier?: number;
  /** Output embedding dimension; 512 in the paper. */
  embeddingSize?: number;
  /** Dropout rate before the Dense layer; 0 in every official config. */
  dropout?: number;
  /** Accepted for config compatibility; tfjs trains in float32, so it is ignored (the training step
   *  emulates AMP's effect where it matters: src/train/amp.ts). */
  fp16?: boolean;
  /** Freeze the embedding BN's γ at its value (1 at init), as insightface arcface_torch does.
   *  Default false: trainable, as in the official TopoFR code. */
  freezeEmbeddingScale?: boolean;
  /** Seed for every initialiser (deterministic weights for the same seed). */
  seed?: number;
  /** Model name. */
  name?: string;
}

/** Blocks per stage of the official configurations. */
export const IRESNET_LAYERS: Readonly<Record<IResNetDepth, readonly [number, number, number, number]>> = {
  18: [2, 2, 2, 2],
  34: [3, 4, 6, 3],
  50: [3, 4, 14, 3],
  100: [3, 13, 30, 3],
  200: [6, 26, 60, 6],
};

export const IRESNET_BN_EPSILON = 1e-5;
/** tfjs momentum for the moving statistics = 1 − PyTorch's momentum 0.1. */
export const IRESNET_BN_MOMENTUM = 0.9;
export const IRESNET_CONV_STD = 0.1;
export const IRESNET_PRELU_ALPHA = 0.25;

/** Spatial side after one stride-2 3×3 conv with padding 1 (PyTorch arithmetic). */
function strided(size: number): number {
  return Math.floor((size + 2 - 3) / 2) + 1;
}

/** The spatial side of the last feature map: inputSize/16 for multiples of 16 (7 at 112). */
export function iresnetFeatureSize(inputSize: number): number {
  let s = inputSize;
  for (let i = 0; i < 4; i++) s = strided(s);
  return s;
}

/** Channel widths [stem, stage1..stage4] for a width multiplier. */
export function iresnetWidths(widthMultiplier = 1): [number, number, number, number, number] {
  const w = (c: number) => Math.max(1, Math.round(c * widthMultiplier));
  return [w(64), w(64), w(128), w(256), w(512)];
}

export function iresnet(given: IResNetOptions): tf.LayersModel {
  const options = optionsArg<IResNetOptions>(given, 'iresnet');
  const depth = options.depth as IResNetDepth;
  const stages = typeof depth === 'number' && Object.prototype.hasOwnProperty.call(IRESNET_LAYERS, depth) ? IRESNET_LAYERS[depth] : undefined;
  if (stages === undefined) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `iresnet: unsupported depth ${describeValue(depth)} (18|34|50|100|200)`);
  const inputSize = options.inputSize ?? 112;
  const widthMultiplier = options.widthMultiplier ?? 1;
  const embeddingSize = options.embeddingSize ?? 512;
  const dropout = options.dropout ?? 0;
  const baseSeed = options.seed ?? 2048;
  if (!Number.isInteger(baseSeed)) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `iresnet: seed must be an integer, got ${describeValue(baseSeed)}`);
  if (!Number.isInteger(inputSize) || inputSize < 1 || inputSize > MAX_INPUT_SIZE) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `iresnet: inputSize must be an integer in [1, ${MAX_INPUT_SIZE}], got ${describeValue(inputSize)}`);
  if (!(typeof widthMultiplier === 'number' && widthMultiplier > 0 && widthMultiplier <= 64)) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `iresnet: widthMultiplier must be in (0, 64], got ${describeValue(widthMultiplier)}`);
  if (!Number.isInteger(embeddingSize) || embeddingSize < 1 || embeddingSize > MAX_EMBEDDING_SIZE) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `iresnet: embeddingSize must be an integer in [1, ${MAX_EMBEDDING_SIZE}], got ${describeValue(embeddingSize)}`);
  if (!(typeof dropout === 'number' && dropout >= 0 && dropout < 1)) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `iresnet: dropout must be in [0, 1), got ${describeValue(dropout)}`);

  let seedCounter = 0;
  const nextSeed = () => (baseSeed * 1_000_003 + ++seedCounter * 7919) % 2_147_483_647;

  const convInit = () => tf.initializers.randomNormal({ mean: 0, stddev: IRESNET_CONV_STD, seed: nextSeed() });

  const conv = (x: tf.SymbolicTensor, name: string, filters: number, kernel: 1 | 3, stride: 1 | 2) => {
    let input = x;
    let padding: 'same' | 'valid' = kernel === 3 ? 'same' : 'valid';
    if (kernel === 3 && stride === 2) {
      input = tf.layers.zeroPadding2d({ padding: 1, name: `${name}.pad` }).apply(x) as tf.SymbolicTensor;
      padding = 'valid';
    }
    return tf.layers
      .conv2d({ filters, kernelSize: kernel, strides: stride, padding, useBias: false, kernelInitializer: convInit(), name })
      .apply(input) as tf.SymbolicTensor;
  };
  const bn = (x: tf.SymbolicTensor, name: string, scale = true) =>
    batchNormalization({ axis: -1, epsilon: IRESNET_BN_EPSILON, momentum: IRESNET_BN_MOMENTUM, scale, center: true, name })
      .apply(x) as tf.SymbolicTensor;
  const prelu = (x: tf.SymbolicTensor, name: string) =>
    tf.layers
      .prelu({ sharedAxes: [1, 2], alphaInitializer: tf.initializers.constant({ value: IRESNET_PRELU_ALPHA }), name })
      .apply(x) as tf.SymbolicTensor;

  const [stemWidth, ...stageWidths] = iresnetWidths(widthMultiplier);
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input' });
  let x = conv(input, 'conv1', stemWidth, 3, 1);
  x = bn(x, 'bn1');
  x = prelu(x, 'prelu');

  let inplanes = stemWidth;
  for (let stage = 0; stage < 4; stage++) {
    const planes = stageWidths[stage]!;
    for (let b = 0; b < stages[stage]!; b++) {
      const stride: 1 | 2 = b === 0 ? 2 : 1;
      const p = `layer${stage + 1}.${b}`;
      let identity = x;
      let out = bn(x, `${p}.bn1`);
      out = conv(out, `${p}.conv1`, planes, 3, 1);
      out = bn(out, `${p}.bn2`);
      out = prelu(out, `${p}.prelu`);
      out = conv(out, `${p}.conv2`, planes, 3, stride);
      out = bn(out, `${p}.bn3`);
      if (stride !== 1 || inplanes !== planes) {
        identity = conv(x, `${p}.downsample.0`, planes, 1, stride);
        identity = bn(identity, `${p}.downsample.1`);
      }
      x = tf.layers.add({ name: `${p}.add` }).apply([out, identity]) as tf.SymbolicTensor;
      inplanes = planes;
    }
  }

  x = bn(x, 'bn2');
  x = tf.layers.permute({ dims: [3, 1, 2], name: 'to_nchw' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: dropout, name: 'dropout' }).apply(x) as tf.SymbolicTensor;
  const fanIn = inplanes * iresnetFeatureSize(inputSize) ** 2;
  const bound = 1 / Math.sqrt(fanIn);
  x = tf.layers
    .dense({
      units: embeddingSize,
      useBias: true,
      kernelInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: nextSeed() }),
      biasInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: nextSeed() }),
      name: 'fc',
    })
    .apply(x) as tf.SymbolicTensor;
  x = bn(x, 'features');

  // A tf.LayersModel in all but the training forward, which fuses each residual block (iresnet-training.ts).
  const model = new IResNetModel({ inputs: input, outputs: x, name: options.name ?? `iresnet${depth}` });
  if (options.freezeEmbeddingScale === true) freezeEmbeddingScale(model);
  return model;
}

/** Name of the embedding BatchNorm1d (the official `features`). */
export const IRESNET_EMBEDDING_BN = 'features';

/**
 * Marks γ of the embedding BN (`features`) non-trainable, as insightface arcface_torch does
 * (`features.weight.requires_grad = False`; TopoFR trains it). Call before training; the flag does
 * not survive save/load. Returns whether such a layer was found.
 */
export function freezeEmbeddingScale(model: tf.LayersModel): boolean {
  const layer = model.layers.find((l) => l.name === IRESNET_EMBEDDING_BN);
  if (layer === undefined || layer.getClassName() !== 'BatchNormalization') return false;
  for (const w of layer.weights) {
    if (w.originalName.endsWith('/gamma') || w.name.endsWith('/gamma')) w.trainable = false;
  }
  return true;
}

/** `tf.loadLayersModel`; with `freezeEmbeddingScale: true`, γ of `features` is frozen again (a model
 *  trained the arcface_torch way). By default every weight is trainable, as TopoFR trains it. A
 *  topology or weights tfjs cannot build a model from is a TopofrError ERR_TOPOFR_PARSE. */
export async function loadIResNet(handler: tf.io.IOHandler | string, options: { freezeEmbeddingScale?: boolean } = {}): Promise<tf.LayersModel> {
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(handler);
  } catch (err) {
    if (err instanceof TopofrError) throw err;
    throw new TopofrError('ERR_TOPOFR_PARSE', `not a loadable tfjs layers model: ${printable(String((err as Error)?.message ?? err)).slice(0, 300)}`);
  }
  if (options.freezeEmbeddingScale === true) freezeEmbeddingScale(model);
  return model;
}
