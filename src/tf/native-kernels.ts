// Native (C++ im2col + sgemm) overrides of tfjs's cpu kernels for the convolution and matmul
// families. registerNativeKernels() swaps them in for the 'cpu' backend, unregisterNativeKernels()
// puts the originals back; both are idempotent. Every override handles NHWC float32 (and, for the
// matmuls, equal or single-sided batch shapes) and hands anything else to the original kernel.
//
// Overridden: Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter, FusedConv2D, BatchMatMul,
// _FusedMatMul. The fused kernels add the bias and apply the activation in JS over the native
// result (linear, relu, relu6, elu, leakyrelu, sigmoid, prelu), for a bias/prelu weight that is a
// scalar or one value per output channel; other broadcasts fall back.
import * as tf from '@tensorflow/tfjs';
import { native } from '../native.js';

type Shape = number[];
interface CpuBackend {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: Shape, dtype: 'float32', values: Float32Array): tf.TensorInfo;
}
interface KernelArgs {
  inputs: Record<string, tf.TensorInfo | undefined>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}
type Override = (args: KernelArgs, backend: CpuBackend) => tf.TensorInfo | null;

export const NATIVE_KERNEL_NAMES = [
  'Conv2D',
  'Conv2DBackpropInput',
  'Conv2DBackpropFilter',
  'FusedConv2D',
  'BatchMatMul',
  '_FusedMatMul',
] as const;

const BACKEND = 'cpu';
const originals = new Map<string, tf.KernelConfig>();

const size = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

/** The float32 backing store of a cpu tensor, or null when it is anything else. */
function f32(backend: CpuBackend, t: tf.TensorInfo | undefined): Float32Array | null {
  if (!t || t.dtype !== 'float32') return null;
  const values = backend.data.get(t.dataId)?.values;
  return values instanceof Float32Array && values.length === size(t.shape) ? values : null;
}

const isNHWC = (dataFormat: unknown): boolean => dataFormat === undefined || dataFormat === 'NHWC';
const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

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
  if (!v || !t) return null;
  const channels = outShape[outShape.length - 1];
  if (t.shape.length > outShape.length) return null;
  if (t.shape.slice(0, -1).some((d) => d !== 1)) return null;
  return v.length === 1 || v.length === channels ? v : null;
}

const ACTIVATIONS = new Set(['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu']);

/** The bias and prelu weights when this fusion is handled here, null when it is not. */
function canFuse(args: KernelArgs, backend: CpuBackend, outShape: Shape):
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

function biasActivation(out: Float32Array, channels: number, bias: Float32Array | null, activation: string,
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

const OVERRIDES: Record<(typeof NATIVE_KERNEL_NAMES)[number], Override> = {
  Conv2D: conv2D,
  Conv2DBackpropInput: conv2DBackpropInput,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  FusedConv2D: fusedConv2D,
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
};

/** Whether the native overrides are in place. */
export function nativeKernelsRegistered(): boolean {
  return originals.size > 0;
}

/**
 * Replaces the cpu backend's conv/matmul kernels by the native ones (idempotent). Loads the addon
 * first, so a missing addon throws here (ERR_TOPOFR_NO_NATIVE) and leaves tfjs untouched.
 */
export function registerNativeKernels(): void {
  if (originals.size > 0) return;
  native();
  for (const name of NATIVE_KERNEL_NAMES) {
    const original = tf.getKernel(name, BACKEND);
    if (!original) continue;
    const override = OVERRIDES[name];
    const kernelFunc = ((args: KernelArgs) =>
      override(args, args.backend as CpuBackend) ?? original.kernelFunc(args as never)) as tf.KernelFunc;
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel({ ...original, kernelFunc });
    originals.set(name, original);
  }
}

/** Puts tfjs's own kernels back (idempotent). */
export function unregisterNativeKernels(): void {
  for (const [name, original] of originals) {
    if (tf.getKernel(name, BACKEND)) tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(original);
  }
  originals.clear();
}

/** tfjs's own kernel function, whether or not the native ones are registered (tests, benchmarks). */
export function originalKernel(name: (typeof NATIVE_KERNEL_NAMES)[number]): tf.KernelConfig | undefined {
  return originals.get(name) ?? tf.getKernel(name, BACKEND);
}
