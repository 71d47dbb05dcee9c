// Native (C++ im2col + sgemm) overrides of tfjs's cpu kernels for the convolution and matmul
// families. Every override handles NHWC float32 (and, for the matmuls, equal or single-sided batch
// shapes) and returns null for anything else, so the original kernel runs.
//
// The fused kernels add the bias and apply the activation in JS over the native result (linear,
// relu, relu6, elu, leakyrelu, sigmoid, prelu), for a bias/prelu weight that is a scalar or one
// value per output channel; other broadcasts fall back.
import * as tf from '@tensorflow/tfjs';
import { native } from '../../native.js';
import { f32, perChannelLength, sameShape, size, type CpuBackend, type KernelArgs, type Override, type Shape } from './cpu.js';

const isNHWC = (dataFormat: unknown): boolean => dataFormat === undefined || dataFormat === 'NHWC';

function geometry(c: tf.backend_util.Conv2DInfo): number[] | null {
  const { top, left } = c.padInfo;
  if (!(top >= 0 && left >= 0) || c.dataFormat !== 'channelsLast') return null;
  return [c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.outChannels, c.filterHeight,
    c.filterWidth, c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth, top, left];
}

type ConvPad = Parameters<typeof tf.backend_util.computeConv2DInfo>[4];
type Rounding = Parameters<typeof tf.backend_util.computeConv2DInfo>[5];
type Pair = number | [number, number];

function convInfo(xShape: Shape, filterShape: Shape, attrs: Record<string, unknown>, dilations: unknown):
  tf.backend_util.Conv2DInfo | null {
  if (xShape.length !== 4 || filterShape.length !== 4 || !isNHWC(attrs.dataFormat)) return null;
  if (xShape[3] !== filterShape[2]) return null;
  try {
    return tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number],
      filterShape as [number, number, number, number], attrs.strides as Pair, (dilations ?? 1) as Pair,
      attrs.pad as ConvPad, attrs.dimRoundingMode as Rounding, false, 'channelsLast');
  } catch {
    return null;  // the original kernel reports the problem its own way
  }
}

function convForward(args: KernelArgs, backend: CpuBackend): { info: tf.backend_util.Conv2DInfo; y: Float32Array } | null {
  const { x, filter } = args.inputs;
  const attrs = args.attrs ?? {};
  const xv = f32(backend, x), fv = f32(backend, filter);
  if (!xv || !fv) return null;
  const info = convInfo(x!.shape, filter!.shape, attrs, attrs.dilations);
  const geom = info && geometry(info);
  if (!info || !geom) return null;
  const y = new Float32Array(size(info.outShape));
  native().conv2dForward(xv, fv, y, ...geom);
  return { info, y };
}

const conv2D: Override = (args, backend) => {
  const r = convForward(args, backend);
  return r && backend.makeTensorInfo(r.info.outShape, 'float32', r.y);
};

const conv2DBackpropInput: Override = (args, backend) => {
  const { dy, filter } = args.inputs;
  const attrs = args.attrs ?? {};
  const dyv = f32(backend, dy), fv = f32(backend, filter);
  const inputShape = attrs.inputShape as Shape | undefined;
  if (!dyv || !fv || !Array.isArray(inputShape)) return null;
  const info = convInfo(inputShape, filter!.shape, attrs, 1);
  const geom = info && geometry(info);
  if (!info || !geom || !sameShape(info.outShape, dy!.shape)) return null;
  const dx = new Float32Array(size(inputShape));
  native().conv2dBackpropInput(dyv, fv, dx, ...geom);
  return backend.makeTensorInfo(inputShape, 'float32', dx);
};

const conv2DBackpropFilter: Override = (args, backend) => {
  const { x, dy } = args.inputs;
  const attrs = args.attrs ?? {};
  const xv = f32(backend, x), dyv = f32(backend, dy);
  const filterShape = attrs.filterShape as Shape | undefined;
  if (!xv || !dyv || !Array.isArray(filterShape)) return null;
  const info = convInfo(x!.shape, filterShape, attrs, 1);
  const geom = info && geometry(info);
  if (!info || !geom || !sameShape(info.outShape, dy!.shape)) return null;
  const dw = new Float32Array(size(filterShape));
  native().conv2dBackpropFilter(xv, dyv, dw, ...geom);
  return backend.makeTensorInfo(filterShape, 'float32', dw);
};

/** A bias or prelu weight usable here: a scalar or one value per last-axis entry, no wider broadcast. */
function perChannel(backend: CpuBackend, t: tf.TensorInfo | undefined, outShape: Shape): Float32Array | null {
  const v = f32(backend, t);
  return v && t && perChannelLength(t.shape, outShape) !== null ? v : null;
}

const ACTIVATIONS = new Set(['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu']);

/** The bias and prelu weights when this fusion is handled here, null when it is not. */
export function canFuse(args: KernelArgs, backend: CpuBackend, outShape: Shape):
  { bias: Float32Array | null; alpha: Float32Array | null } | null {
  const attrs = args.attrs ?? {};
  const activation = (attrs.activation ?? 'linear') as string;
  if (!ACTIVATIONS.has(activation)) return null;
  const { bias, preluActivationWeights } = args.inputs;
  const b = bias ? perChannel(backend, bias, outShape) : null;
  if (bias && !b) return null;
  const alpha = activation === 'prelu' ? perChannel(backend, preluActivationWeights, outShape) : null;
  if (activation === 'prelu' && !alpha) return null;
  return { bias: b, alpha };
}

export function biasActivation(out: Float32Array, channels: number, bias: Float32Array | null, activation: string,
  alpha: Float32Array | null, leakyAlpha: number): void {
  const n = out.length;
  if (bias) {
    if (bias.length === 1) { const b0 = bias[0]; for (let i = 0; i < n; i++) out[i] += b0; }
    else for (let i = 0; i < n; i += channels) for (let c = 0; c < channels; c++) out[i + c] += bias[c];
  }
  switch (activation) {
    case 'relu':
      for (let i = 0; i < n; i++) if (out[i] < 0) out[i] = 0;
      break;
    case 'relu6':
      for (let i = 0; i < n; i++) out[i] = Math.min(Math.max(0, out[i]), 6);
      break;
    case 'elu':
      for (let i = 0; i < n; i++) if (!(out[i] >= 0)) out[i] = Math.exp(out[i]) - 1;
      break;
    case 'leakyrelu':
      for (let i = 0; i < n; i++) if (out[i] < 0) out[i] *= leakyAlpha;
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-out[i]));
      break;
    case 'prelu':
      if (alpha!.length === 1) { const a0 = alpha![0]; for (let i = 0; i < n; i++) if (out[i] < 0) out[i] *= a0; }
      else for (let i = 0; i < n; i += channels) for (let c = 0; c < channels; c++) if (out[i + c] < 0) out[i + c] *= alpha![c];
      break;
    default:  // linear
  }
}

const fusedConv2D: Override = (args, backend) => {
  const attrs = args.attrs ?? {};
  const { x, filter } = args.inputs;
  if (!x || !filter || x.shape.length !== 4 || filter.shape.length !== 4) return null;
  // The output is [batch, outH, outW, outC]: only its rank and last axis matter to the fusion checks.
  const fuse = canFuse(args, backend, [1, 1, 1, filter.shape[3]]);
  if (!fuse) return null;
  const r = convForward(args, backend);
  if (!r) return null;
  biasActivation(r.y, r.info.outChannels, fuse.bias, (attrs.activation ?? 'linear') as string, fuse.alpha,
    (attrs.leakyreluAlpha ?? 0.2) as number);
  return backend.makeTensorInfo(r.info.outShape, 'float32', r.y);
};

function matmul(args: KernelArgs, backend: CpuBackend): { shape: Shape; c: Float32Array } | null {
  const { a, b } = args.inputs;
  const attrs = args.attrs ?? {};
  const ta = attrs.transposeA === true, tb = attrs.transposeB === true;
  const av = f32(backend, a), bv = f32(backend, b);
  if (!av || !bv || a!.shape.length < 2 || b!.shape.length < 2) return null;
  const ra = a!.shape.length, rb = b!.shape.length;
  const m = ta ? a!.shape[ra - 1] : a!.shape[ra - 2], ka = ta ? a!.shape[ra - 2] : a!.shape[ra - 1];
  const kb = tb ? b!.shape[rb - 1] : b!.shape[rb - 2], n = tb ? b!.shape[rb - 2] : b!.shape[rb - 1];
  if (ka !== kb) return null;
  const outerA = a!.shape.slice(0, -2), outerB = b!.shape.slice(0, -2);
  const batchA = size(outerA), batchB = size(outerB);
  let outer: Shape;
  if (sameShape(outerA, outerB)) outer = outerA;
  else if (batchA === 1 || batchB === 1) {
    try { outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB); } catch { return null; }
  } else return null;
  const batch = Math.max(batchA, batchB);
  const c = new Float32Array(batch * m * n);
  native().batchMatMul(av, bv, c, batch, m, n, ka, ta, tb, batchA === 1 && batch > 1, batchB === 1 && batch > 1);
  return { shape: [...outer, m, n], c };
}

const batchMatMul: Override = (args, backend) => {
  const r = matmul(args, backend);
  return r && backend.makeTensorInfo(r.shape, 'float32', r.c);
};

const fusedMatMul: Override = (args, backend) => {
  const attrs = args.attrs ?? {};
  const { a, b } = args.inputs;
  if (!a || !b || b.shape.length < 2) return null;
  const n = attrs.transposeB === true ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  const rank = Math.max(a.shape.length, b.shape.length);
  const fuse = canFuse(args, backend, [...new Array<number>(rank - 1).fill(1), n]);
  if (!fuse) return null;
  const r = matmul(args, backend);
  if (!r) return null;
  biasActivation(r.c, n, fuse.bias, (attrs.activation ?? 'linear') as string, fuse.alpha,
    (attrs.leakyreluAlpha ?? 0.2) as number);
  return backend.makeTensorInfo(r.shape, 'float32', r.c);
};

export const CONV_OVERRIDES: Record<string, Override> = {
  Conv2D: conv2D,
  Conv2DBackpropInput: conv2DBackpropInput,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  FusedConv2D: fusedConv2D,
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
};
