// Convolution cases shared by the native kernel tests (tf-kernels.test.ts, conv-direct.test.ts):
// shapes, strides, paddings and dilations, each checked against tfjs's own JS kernels within the
// float32 error bound of the sums they compute.
import * as tf from '@tensorflow/tfjs';
import { expectPolynomialClose, rand } from './tf-compare.js';

export type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
export interface ConvCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  s: [number, number];
  pad: Pad;
  d?: [number, number];
}
export const explicit = (t: number, b: number, l: number, r: number): Pad => [[0, 0], [t, b], [l, r], [0, 0]];

export const CONV_CASES: ConvCase[] = [
  { x: [1, 7, 7, 1], f: [3, 3, 1, 4], s: [1, 1], pad: 'same' },
  { x: [2, 8, 9, 3], f: [3, 3, 3, 16], s: [2, 2], pad: 'same' },
  { x: [3, 9, 8, 16], f: [3, 2, 16, 3], s: [1, 2], pad: 'valid' },
  { x: [2, 6, 7, 3], f: [3, 3, 3, 5], s: [2, 1], pad: explicit(1, 2, 0, 1) },
  { x: [2, 10, 10, 3], f: [3, 3, 3, 4], s: [1, 1], pad: 'same', d: [2, 2] },
  { x: [1, 9, 11, 16], f: [2, 3, 16, 16], s: [1, 1], pad: 'valid', d: [2, 1] },
  { x: [2, 5, 6, 16], f: [1, 1, 16, 8], s: [1, 1], pad: 'valid' },  // pointwise fast path
  { x: [2, 7, 7, 3], f: [1, 1, 3, 4], s: [2, 2], pad: 'same' },
  { x: [1, 4, 4, 2], f: [5, 5, 2, 3], s: [1, 1], pad: 'same' },  // filter larger than the input
  // Channel counts the direct kernels take (multiples of 16: some passes by default, every pass
  // under TOPOFR_CONV=direct): rows wider than a register tile, two- and one-vector channel blocks,
  // the input gradient as a flipped convolution.
  { x: [2, 7, 30, 16], f: [3, 3, 16, 48], s: [1, 1], pad: 'same' },
  { x: [2, 9, 8, 32], f: [3, 3, 32, 16], s: [1, 1], pad: explicit(0, 2, 1, 0) },
  { x: [3, 11, 13, 16], f: [3, 3, 16, 32], s: [2, 2], pad: explicit(1, 1, 1, 1) },
  { x: [1, 8, 27, 64], f: [1, 3, 64, 64], s: [1, 3], pad: 'valid', d: [1, 1] },
];
export const convLabel = (c: ConvCase) => `x${c.x} f${c.f} s${c.s} ${JSON.stringify(c.pad)} d${c.d ?? [1, 1]}`;

const conv = (c: ConvCase) => (x: tf.Tensor, f: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad, 'NHWC', c.d ?? 1);

/** Terms per output: of the forward (kh·kw·inC), of backprop-input (at most kh·kw·outC) and of
 *  backprop-filter (batch·outH·outW). */
function convTerms(c: ConvCase): { forward: number; backprop: number } {
  const [kh, kw, inC, outC] = c.f, [batch, outH, outW] = conv(c)(tf.zeros(c.x), tf.zeros(c.f)).shape;
  return { forward: kh * kw * inC, backprop: Math.max(kh * kw * outC, batch! * outH! * outW!) };
}

/** Conv2D with the kernels registered now against tfjs's own, within the float32 bound of a sum of
 *  forward-terms products (expectPolynomialClose). */
export function expectConvLikeTfjs(c: ConvCase): void {
  expectPolynomialClose(conv(c), [rand(c.x, 1), rand(c.f, 2)], convTerms(c).forward);
}

/** Its gradients with respect to the input and the filter (BackpropInput, BackpropFilter), against a
 *  random upstream gradient dy. */
export function expectConvGradientsLikeTfjs(c: ConvCase): void {
  const x = rand(c.x, 3), f = rand(c.f, 4);
  const w = rand(conv(c)(x, f).shape, 5);
  expectPolynomialClose((a, b, dy) => tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(conv(c)(p, q), dy!)))([a!, b!]),
    [x, f, w], convTerms(c).backprop);
}
