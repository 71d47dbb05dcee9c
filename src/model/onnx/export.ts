// Exports a tfjs IResNet to ONNX the way arcface_torch's torch2onnx.py exports the PyTorch one:
// opset 11, one input `data` (float, NCHW 1×3×112×112 with the batch dimension named 'None', i.e.
// dynamic), the raw embedding (the BatchNorm1d output, not normalised) as the one output, and the
// graph PyTorch's eval-mode exporter produces: every Conv+BatchNorm pair folded into a Conv with a
// bias, the remaining BatchNorms as BatchNormalization, PRelu, Add, Flatten, Gemm (transB = 1).
// The fold is computed in float64 and rounded once to float32:
//   W'[o] = W[o] · γ[o] / sqrt(var[o] + ε),   b'[o] = β[o] − mean[o] · γ[o] / sqrt(var[o] + ε).
import type * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { encodeOnnxModel, floatTensor, ONNX_FLOAT, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-proto.js';
import { iresnetPlan, layerWeight, stagesOf, type ConvBn } from './iresnet-graph.js';

export const ONNX_OPSET = 11;
/** ONNX IR version 6 (what PyTorch writes for opset 11). */
const IR_VERSION = 6;
export const ONNX_INPUT = 'data';
export const ONNX_OUTPUT = 'embedding';

const values = (v: tf.LayerVariable) => v.read().dataSync() as Float32Array;

/** Builds the ONNX model (in memory) of a tfjs IResNet made by `iresnet()` or loaded from its model.json. */
export function iresnetToOnnx(model: tf.LayersModel): OnnxModel {
  const plan = iresnetPlan(stagesOf(model));
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const node = (opType: string, inputs: string[], output: string, attributes: OnnxNode['attributes'] = []) => {
    nodes.push({ opType, name: `${opType}_${nodes.length}`, inputs, outputs: [output], attributes });
    return output;
  };
  const param = (name: string, dims: number[], data: Float32Array) => {
    initializers.push(floatTensor(name, dims, data));
    return name;
  };
  const bnEpsilon = (layer: string) => (model.getLayer(layer).getConfig().epsilon as number);

  const convBn = (x: string, { conv, bn, stride }: ConvBn): string => {
    const kernel = values(layerWeight(model, conv, 'kernel'));
    const [kh, kw, cin, cout] = layerWeight(model, conv, 'kernel').shape as number[];
    const gamma = values(layerWeight(model, bn, 'gamma'));
    const beta = values(layerWeight(model, bn, 'beta'));
    const mean = values(layerWeight(model, bn, 'moving_mean'));
    const variance = values(layerWeight(model, bn, 'moving_variance'));
    const eps = bnEpsilon(bn);
    const w = new Float32Array(cout * cin * kh! * kw!);
    const b = new Float32Array(cout);
    for (let o = 0; o < cout!; o++) {
      const scale = gamma[o]! / Math.sqrt(variance[o]! + eps);
      b[o] = beta[o]! - mean[o]! * scale;
      for (let i = 0; i < cin!; i++)
        for (let y = 0; y < kh!; y++)
          for (let z = 0; z < kw!; z++) w[((o * cin! + i) * kh! + y) * kw! + z] = kernel[((y * kw! + z) * cin! + i) * cout! + o]! * scale;
    }
    const pad = (kh! - 1) / 2;
    return node('Conv', [x, param(`${conv}.weight`, [cout!, cin!, kh!, kw!], w), param(`${conv}.bias`, [cout!], b)], `${conv}.out`, [
      { name: 'dilations', ints: [1, 1] },
      { name: 'group', i: 1 },
      { name: 'kernel_shape', ints: [kh!, kw!] },
      { name: 'pads', ints: [pad, pad, pad, pad] },
      { name: 'strides', ints: [stride, stride] },
    ]);
  };
  const batchNorm = (x: string, layer: string, output = `${layer}.out`): string => {
    const c = layerWeight(model, layer, 'gamma').shape[0]!;
    const inputs = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w, k) =>
      param(`${layer}.${['weight', 'bias', 'running_mean', 'running_var'][k]}`, [c], values(layerWeight(model, layer, w))));
    return node('BatchNormalization', [x, ...inputs], output, [{ name: 'epsilon', f: bnEpsilon(layer) }, { name: 'momentum', f: 0.9 }]);
  };
  const prelu = (x: string, layer: string): string => {
    const alpha = values(layerWeight(model, layer, 'alpha'));
    return node('PRelu', [x, param(`${layer}.weight`, [alpha.length, 1, 1], alpha)], `${layer}.out`);
  };

  let x = prelu(convBn(ONNX_INPUT, plan.stem), plan.stemPrelu);
  for (const block of plan.blocks) {
    let out = batchNorm(x, block.bn);
    out = prelu(convBn(out, block.conv1), block.prelu);
    out = convBn(out, block.conv2);
    const identity = block.downsample ? convBn(x, block.downsample) : x;
    x = node('Add', [out, identity], `${block.bn.replace(/\.bn1$/, '')}.out`);
  }
  x = node('Flatten', [batchNorm(x, plan.bn2)], 'flatten.out', [{ name: 'axis', i: 1 }]);
  const kernel = layerWeight(model, plan.fc, 'kernel');
  const [fin, fout] = kernel.shape as number[];
  const k = values(kernel);
  const transposed = new Float32Array(fin! * fout!);
  for (let i = 0; i < fin!; i++) for (let o = 0; o < fout!; o++) transposed[o * fin! + i] = k[i * fout! + o]!;
  x = node('Gemm', [x, param('fc.weight', [fout!, fin!], transposed), param('fc.bias', [fout!], values(layerWeight(model, plan.fc, 'bias')))], 'fc.out',
    [{ name: 'alpha', f: 1 }, { name: 'beta', f: 1 }, { name: 'transB', i: 1 }]);
  batchNorm(x, plan.features, ONNX_OUTPUT);

  const size = model.inputs[0]!.shape[1] as number;
  return {
    irVersion: IR_VERSION,
    producerName: 'topofr',
    producerVersion: '',
    opsetImports: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name: model.name,
      nodes,
      initializers,
      inputs: [{ name: ONNX_INPUT, elemType: ONNX_FLOAT, shape: ['None', 3, size, size] }],
      outputs: [{ name: ONNX_OUTPUT, elemType: ONNX_FLOAT, shape: ['None', fout!] }],
    },
  };
}

/** The ONNX file bytes of a tfjs IResNet. */
export function encodeIResNetOnnx(model: tf.LayersModel): Uint8Array {
  return encodeOnnxModel(iresnetToOnnx(model));
}

/** Writes the ONNX file atomically. */
export function exportOnnx(model: tf.LayersModel, path: string): void {
  writeFileAtomic(path, encodeIResNetOnnx(model));
}
