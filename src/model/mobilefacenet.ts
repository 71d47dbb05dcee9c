// MobileFaceNet as in the official arcface_torch `backbones/mobilefacenet.py` (`get_mbf`: blocks
// (1, 4, 6, 2), scale 2, the "MobileFaceNet-0.45G" of TopoFR Table 5; `get_mbf_large`: blocks
// (2, 8, 12, 4), scale 4), built from standard tfjs layers only.
//
//   layers.0   ConvBlock(3 → 64s, 3×3, stride 2, pad 1)
//   layers.1   blocks[0] == 1 ? ConvBlock(64s → 64s, 3×3, groups 64) : Residual(64s, blocks[0], groups 128)
//   layers.2   DepthWise(64s → 64s, stride 2, groups 128)
//   layers.3   Residual(64s, blocks[1], groups 128)
//   layers.4   DepthWise(64s → 128s, stride 2, groups 256)
//   layers.5   Residual(128s, blocks[2], groups 256)
//   layers.6   DepthWise(128s → 128s, stride 2, groups 512)
//   layers.7   Residual(128s, blocks[3], groups 256)
//   conv_sep   ConvBlock(128s → 512, 1×1)
//   features   GDC: LinearBlock(512, depthwise k×k, no pad) → flatten → Linear(512 → E, no bias) → BN1d
// ConvBlock = conv(no bias) → BN → PReLU(per channel); LinearBlock = conv → BN;
// DepthWise(in → out, groups g) = ConvBlock(in → g, 1×1) → ConvBlock(g → g, 3×3, groups g) →
// LinearBlock(g → out, 1×1), plus the input when residual.
//
// Notes:
// * Strided 3×3 convs are ZeroPadding2D(1) + 'valid' (PyTorch's symmetric padding), as in iresnet.ts.
// * A depthwise conv (groups == channels) is a DepthwiseConv2D. The one truly grouped conv
//   (layers.1 when blocks[0] == 1: 64s channels in 64 groups) has no tfjs layer: it is a
//   DepthwiseConv2D with depthMultiplier n = channels/groups (the trainable weights, exactly as many
//   as PyTorch's) followed by a frozen 1×1 Conv2D whose 0/1 kernel sums the n products of each group
//   (`.groupsum`, set after building and kept in weights.bin). Mapping to PyTorch's weight
//   W[out, in/groups, kh, kw]: depthwise[kh, kw, i, j] = W[g·n + j, i − g·n, kh, kw], g = ⌊i/n⌋.
// * The GDC kernel is the last feature map's side (7 at 112, the official hard-coded value).
// * BN: eps 1e-5, PyTorch momentum 0.1 ⇒ tfjs 0.9; γ = 1, β = 0. Conv and Linear weights:
//   kaiming_normal(fan_out, relu), std = √(2 / fan_out), fan_out = out_channels·kh·kw (PyTorch's
//   definition, also for grouped convs); PReLU α = 0.25. Seeded per layer.
import * as tf from '@tensorflow/tfjs';
import { TopofrRangeError } from '../errors.js';
import { batchNormalization } from '../tf/batch-norm-layer.js';
import { describeValue, optionsArg } from '../util/check.js';
import { MAX_EMBEDDING_SIZE, MAX_INPUT_SIZE } from './iresnet.js';

export interface MobileFaceNetOptions {
  /** Blocks per residual stage; (1, 4, 6, 2) is `get_mbf`, (2, 8, 12, 4) `get_mbf_large`. */
  blocks?: readonly [number, number, number, number];
  /** Channel scale; 2 for `get_mbf`, 4 for `get_mbf_large`. */
  scale?: number;
  embeddingSize?: number;
  inputSize?: number;
  fp16?: boolean;
  seed?: number;
  name?: string;
}

export const MBF_BN_EPSILON = 1e-5;
export const MBF_BN_MOMENTUM = 0.9;

function strided(size: number): number {
  return Math.floor((size + 2 - 3) / 2) + 1;
}

export function mobileFaceNetFeatureSize(inputSize: number): number {
  let s = inputSize;
  for (let i = 0; i < 4; i++) s = strided(s);
  return s;
}

export function mobileFaceNet(given: MobileFaceNetOptions = {}): tf.LayersModel {
  const options = optionsArg<MobileFaceNetOptions>(given, 'mobileFaceNet');
  const blocks: unknown = options.blocks ?? [1, 4, 6, 2];
  const scale = options.scale ?? 2;
  const embeddingSize = options.embeddingSize ?? 512;
  const inputSize = options.inputSize ?? 112;
  const baseSeed = options.seed ?? 2048;
  if (!Number.isInteger(baseSeed)) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `mobileFaceNet: seed must be an integer, got ${describeValue(baseSeed)}`);
  if (!Number.isInteger(scale) || scale < 1 || scale > 64) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `mobileFaceNet: scale must be an integer in [1, 64], got ${describeValue(scale)}`);
  if (!Array.isArray(blocks) || blocks.length !== 4 || blocks.some((b) => !Number.isInteger(b) || b < 1 || b > 64))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `mobileFaceNet: blocks must be 4 integers in [1, 64], got ${describeValue(blocks)}`);
  if (!Number.isInteger(embeddingSize) || embeddingSize < 1 || embeddingSize > MAX_EMBEDDING_SIZE) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `mobileFaceNet: embeddingSize must be a positive integer, got ${describeValue(embeddingSize)}`);
  if (!Number.isInteger(inputSize) || inputSize < 1 || inputSize > MAX_INPUT_SIZE) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `mobileFaceNet: inputSize must be a positive integer, got ${describeValue(inputSize)}`);

  let seedCounter = 0;
  const nextSeed = () => (baseSeed * 1_000_003 + ++seedCounter * 7919) % 2_147_483_647;
  const kaiming = (fanOut: number) => tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / fanOut), seed: nextSeed() });
  const groupSums: Array<{ name: string; inC: number; n: number }> = [];

  type T = tf.SymbolicTensor;
  const channels = (x: T) => x.shape[x.shape.length - 1] as number;

  const conv = (x: T, name: string, outC: number, kernel: number, stride: 1 | 2, pad: 0 | 1, groups: number): T => {
    const inC = channels(x);
    let input = x;
    let padding: 'same' | 'valid' = 'valid';
    if (pad === 1) {
      if (stride === 1 && kernel === 3) padding = 'same';
      else input = tf.layers.zeroPadding2d({ padding: pad, name: `${name}.pad` }).apply(x) as T;
    }
    const fanOut = outC * kernel * kernel;
    if (groups === 1) {
      return tf.layers
        .conv2d({ filters: outC, kernelSize: kernel, strides: stride, padding, useBias: false, kernelInitializer: kaiming(fanOut), name })
        .apply(input) as T;
    }
    if (inC % groups !== 0 || outC % groups !== 0) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `mobileFaceNet: ${name}: channels not divisible by groups`);
    if (groups === inC && outC === inC) {
      return tf.layers
        .depthwiseConv2d({ kernelSize: kernel, strides: stride, padding, depthMultiplier: 1, useBias: false, depthwiseInitializer: kaiming(fanOut), name })
        .apply(input) as T;
    }
    if (outC !== inC) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `mobileFaceNet: ${name}: grouped conv with out != in is not supported`);
    const n = inC / groups;
    const dw = tf.layers
      .depthwiseConv2d({ kernelSize: kernel, strides: stride, padding, depthMultiplier: n, useBias: false, depthwiseInitializer: kaiming(fanOut), name })
      .apply(input) as T;
    groupSums.push({ name: `${name}.groupsum`, inC, n });
    return tf.layers
      .conv2d({ filters: outC, kernelSize: 1, useBias: false, trainable: false, kernelInitializer: 'zeros', name: `${name}.groupsum` })
      .apply(dw) as T;
  };
  const bn = (x: T, name: string) =>
    batchNormalization({ axis: -1, epsilon: MBF_BN_EPSILON, momentum: MBF_BN_MOMENTUM, name }).apply(x) as T;
  const prelu = (x: T, name: string) =>
    tf.layers
      .prelu({ sharedAxes: [1, 2], alphaInitializer: tf.initializers.constant({ value: 0.25 }), name })
      .apply(x) as T;

  const convBlock = (x: T, p: string, outC: number, kernel: number, stride: 1 | 2, pad: 0 | 1, groups = 1) =>
    prelu(bn(conv(x, `${p}.layers.0`, outC, kernel, stride, pad, groups), `${p}.layers.1`), `${p}.layers.2`);
  const linearBlock = (x: T, p: string, outC: number, kernel: number, groups = 1) =>
    bn(conv(x, `${p}.layers.0`, outC, kernel, 1, 0, groups), `${p}.layers.1`);
  const depthWise = (x: T, p: string, outC: number, residual: boolean, stride: 1 | 2, groups: number): T => {
    let h = convBlock(x, `${p}.layers.0`, groups, 1, 1, 0);
    h = convBlock(h, `${p}.layers.1`, groups, 3, stride, 1, groups);
    h = linearBlock(h, `${p}.layers.2`, outC, 1);
    return residual ? (tf.layers.add({ name: `${p}.add` }).apply([x, h]) as T) : h;
  };
  const residual = (x: T, p: string, numBlock: number, groups: number): T => {
    let h = x;
    for (let b = 0; b < numBlock; b++) h = depthWise(h, `${p}.layers.${b}`, channels(h), true, 1, groups);
    return h;
  };

  const c64 = 64 * scale;
  const c128 = 128 * scale;
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input' });
  let x = convBlock(input, 'layers.0', c64, 3, 2, 1);
  x = blocks[0] === 1 ? convBlock(x, 'layers.1', c64, 3, 1, 1, 64) : residual(x, 'layers.1', blocks[0], 128);
  x = depthWise(x, 'layers.2', c64, false, 2, 128);
  x = residual(x, 'layers.3', blocks[1], 128);
  x = depthWise(x, 'layers.4', c128, false, 2, 256);
  x = residual(x, 'layers.5', blocks[2], 256);
  x = depthWise(x, 'layers.6', c128, false, 2, 512);
  x = residual(x, 'layers.7', blocks[3], 256);
  x = convBlock(x, 'conv_sep', 512, 1, 1, 0);
  const k = mobileFaceNetFeatureSize(inputSize);
  x = linearBlock(x, 'features.layers.0', 512, k, 512);
  x = tf.layers.flatten({ name: 'features.layers.1' }).apply(x) as T;
  x = tf.layers
    .dense({ units: embeddingSize, useBias: false, kernelInitializer: kaiming(embeddingSize), name: 'features.layers.2' })
    .apply(x) as T;
  x = bn(x, 'features.layers.3');

  const model = tf.model({ inputs: input, outputs: x, name: options.name ?? 'mobilefacenet' });
  for (const { name, inC, n } of groupSums) {
    const kernel = new Float32Array(inC * n * inC);
    for (let i = 0; i < inC; i++) {
      for (let j = 0; j < n; j++) kernel[(i * n + j) * inC + Math.floor(i / n) * n + j] = 1;
    }
    model.getLayer(name).setWeights([tf.tensor4d(kernel, [1, 1, inC * n, inC])]);
  }
  return model;
}
