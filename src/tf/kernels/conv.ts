// Native (C++ im2col + sgemm) overrides of tfjs's cpu kernels for the convolution and matmul
// families. Every override handles NHWC float32 (and, for the matmuls, equal or single-sided batch
// shapes) and returns null for anything else, so the original kernel runs.
//
// The fused kernels add the bias and apply the activation in JS over the native result (linear,
// relu, relu6, elu, leakyrelu, sigmoid, prelu), for a bias/prelu weight that is a scalar or one
// value per output channel; other broadcasts fall back.
import * as tf from '@tensorflow/tfjs';
import { native } from '../../native.js';
import { convOverrides, type ConvFamily } from './conv-family.js';
import { f32, outputArray, sameShape, size, type CpuBackend, type KernelArgs, type Override, type Shape } from './cpu.js';
import { biasActivation, canFuse } from './fusion.js';

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

const CONV: ConvFamily = {
  info: convInfo,
  geometry: (info) => geometry(info),
  backpropDilations: () => 1,
  outChannels: (filterShape) => filterShape[3]!,
  kernels: { forward: 'conv2dForward', backpropInput: 'conv2dBackpropInput', backpropFilter: 'conv2dBackpropFilter' },
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
  const c = outputArray(batch * m * n);
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
  ...convOverrides(CONV, { forward: 'Conv2D', backpropInput: 'Conv2DBackpropInput', backpropFilter: 'Conv2DBackpropFilter', fused: 'FusedConv2D' }),
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
};
