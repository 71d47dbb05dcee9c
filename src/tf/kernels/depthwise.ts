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
import { convOverrides, type ConvFamily } from './conv-family.js';
import type { Override, Shape } from './cpu.js';

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

const DEPTHWISE: ConvFamily = {
  info: (xShape, filterShape, attrs, dilations) => depthwiseInfo(xShape, filterShape, { ...attrs, dilations }),
  geometry: (info, filterShape) => geometry(info, filterShape[3]!),
  backpropDilations: (attrs) => attrs.dilations,
  outChannels: (filterShape) => filterShape[2]! * filterShape[3]!,
  kernels: { forward: 'depthwiseConv2dForward', backpropInput: 'depthwiseConv2dBackpropInput', backpropFilter: 'depthwiseConv2dBackpropFilter' },
};

export const DEPTHWISE_OVERRIDES: Record<string, Override> = convOverrides(DEPTHWISE, {
  forward: 'DepthwiseConv2dNative',
  backpropInput: 'DepthwiseConv2dNativeBackpropInput',
  backpropFilter: 'DepthwiseConv2dNativeBackpropFilter',
  fused: 'FusedDepthwiseConv2D',
});
