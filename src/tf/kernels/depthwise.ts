// Native (C++ direct-loop) overrides of tfjs's cpu kernels for depthwise convolution: forward, both
// backprops and the fused forward (bias + activation applied in JS over the native result, as
// FusedConv2D does in kernels/conv.ts). Every override handles NHWC float32 with any channel
// multiplier, stride, dilation and same/valid/explicit padding, and returns null for anything else
// (NCHW, strides and dilations both above 1, wider bias broadcasts), so the original kernel runs.
//
// One difference from tfjs's JS kernels: with dilations above 1 the two backprop kernels here
// compute the true gradient of the dilated forward, where tfjs's JS ones ignore the dilation in
// their loops. tfjs's own gradient never asks for that case (it rejects dilated depthwise
// gradients), so only direct runKernel calls can see it.
import * as tf from '@tensorflow/tfjs';
import { native } from '../../native.js';
import { biasActivation, canFuse } from './conv.js';
import { f32, sameShape, size, type CpuBackend, type KernelArgs, type Override, type Shape } from './cpu.js';

type ConvPad = Parameters<typeof tf.backend_util.computeConv2DInfo>[4];
type Rounding = Parameters<typeof tf.backend_util.computeConv2DInfo>[5];
type Pair = number | [number, number];

const pair = (v: unknown): [number, number] | null => {
  const p = (v ?? 1) as Pair;
  if (typeof p === 'number') return [p, p];
  return Array.isArray(p) && p.length === 2 ? [p[0], p[1]] : null;
};

/** The depthwise geometry of an NHWC call, or null when the original kernel should handle it. */
function depthwiseInfo(xShape: Shape, filterShape: Shape, attrs: Record<string, unknown>): tf.backend_util.Conv2DInfo | null {
  if (xShape.length !== 4 || filterShape.length !== 4 || xShape[3] !== filterShape[2]) return null;
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') return null;
  const strides = pair(attrs.strides), dilations = pair(attrs.dilations);
  if (!strides || !dilations) return null;
  if (Math.max(...strides) > 1 && Math.max(...dilations) > 1) return null;  // tfjs rejects it
  try {
    return tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number],
      filterShape as [number, number, number, number], strides, dilations, attrs.pad as ConvPad,
      attrs.dimRoundingMode as Rounding, true, 'channelsLast');
  } catch {
    return null;  // the original kernel reports the problem its own way
  }
}

/** The 15 geometry integers of native/addon/depthwise_binding.cc, or null for what it cannot express. */
function geometry(c: tf.backend_util.Conv2DInfo, multiplier: number): number[] | null {
  const g = [c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, multiplier, c.filterHeight,
    c.filterWidth, c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth, c.padInfo.top, c.padInfo.left];
  return g.every((v) => Number.isInteger(v) && v >= 0) ? g : null;
}

function forward(args: KernelArgs, backend: CpuBackend): { info: tf.backend_util.Conv2DInfo; y: Float32Array } | null {
  const { x, filter } = args.inputs;
  const xv = f32(backend, x), fv = f32(backend, filter);
  if (!xv || !fv) return null;
  const info = depthwiseInfo(x!.shape, filter!.shape, args.attrs ?? {});
  const geom = info && geometry(info, filter!.shape[3]);
  if (!info || !geom) return null;
  const y = new Float32Array(size(info.outShape));
  native().depthwiseConv2dForward(xv, fv, y, ...geom);
  return { info, y };
}

const depthwiseConv2dNative: Override = (args, backend) => {
  const r = forward(args, backend);
  return r && backend.makeTensorInfo(r.info.outShape, 'float32', r.y);
};

const depthwiseConv2dNativeBackpropInput: Override = (args, backend) => {
  const { dy, filter } = args.inputs;
  const attrs = args.attrs ?? {};
  const dyv = f32(backend, dy), fv = f32(backend, filter);
  const inputShape = attrs.inputShape as Shape | undefined;
  if (!dyv || !fv || !Array.isArray(inputShape)) return null;
  const info = depthwiseInfo(inputShape, filter!.shape, attrs);
  const geom = info && geometry(info, filter!.shape[3]);
  if (!info || !geom || !sameShape(info.outShape, dy!.shape)) return null;
  const dx = new Float32Array(size(inputShape));
  native().depthwiseConv2dBackpropInput(dyv, fv, dx, ...geom);
  return backend.makeTensorInfo(inputShape, 'float32', dx);
};

const depthwiseConv2dNativeBackpropFilter: Override = (args, backend) => {
  const { x, dy } = args.inputs;
  const attrs = args.attrs ?? {};
  const xv = f32(backend, x), dyv = f32(backend, dy);
  const filterShape = attrs.filterShape as Shape | undefined;
  if (!xv || !dyv || !Array.isArray(filterShape)) return null;
  const info = depthwiseInfo(x!.shape, filterShape, attrs);
  const geom = info && geometry(info, filterShape[3]);
  if (!info || !geom || !sameShape(info.outShape, dy!.shape)) return null;
  const dw = new Float32Array(size(filterShape));
  native().depthwiseConv2dBackpropFilter(xv, dyv, dw, ...geom);
  return backend.makeTensorInfo(filterShape, 'float32', dw);
};

const fusedDepthwiseConv2D: Override = (args, backend) => {
  const attrs = args.attrs ?? {};
  const { x, filter } = args.inputs;
  if (!x || !filter || x.shape.length !== 4 || filter.shape.length !== 4) return null;
  // The output is [batch, outH, outW, inC·multiplier]: only its rank and last axis matter to the fusion checks.
  const fuse = canFuse(args, backend, [1, 1, 1, filter.shape[2] * filter.shape[3]]);
  if (!fuse) return null;
  const r = forward(args, backend);
  if (!r) return null;
  biasActivation(r.y, r.info.outChannels, fuse.bias, (attrs.activation ?? 'linear') as string, fuse.alpha,
    (attrs.leakyreluAlpha ?? 0.2) as number);
  return backend.makeTensorInfo(r.info.outShape, 'float32', r.y);
};

export const DEPTHWISE_OVERRIDES: Record<string, Override> = {
  DepthwiseConv2dNative: depthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropInput: depthwiseConv2dNativeBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseConv2dNativeBackpropFilter,
  FusedDepthwiseConv2D: fusedDepthwiseConv2D,
};
