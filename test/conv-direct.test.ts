// The direct convolution kernels (native/core/conv_kernel.h) on every case they can take:
// TOPOFR_CONV=direct runs them wherever the channel count is a multiple of the SIMD width (by
// default only for few channels), against tfjs's own JS kernels. The variable is read when the
// addon first picks a path, after this module's body has run.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { registerNativeKernels, unregisterNativeKernels } from '../src/tf/native-kernels.js';
import { CONV_CASES, convLabel, explicit, expectConvGradientsLikeTfjs, expectConvLikeTfjs, type ConvCase } from './support/conv-cases.js';

process.env.TOPOFR_CONV = 'direct';
tf.enableProdMode();
beforeAll(() => registerNativeKernels());
afterAll(() => unregisterNativeKernels());

const MORE: ConvCase[] = [
  { x: [2, 12, 26, 32], f: [3, 3, 32, 64], s: [1, 1], pad: 'same' },    // 2 + 2 vectors of 16, tiles of 12
  { x: [1, 6, 50, 48], f: [3, 3, 48, 16], s: [1, 1], pad: 'same' },     // rows of 50: two full tiles and a partial one
  { x: [2, 9, 9, 16], f: [3, 3, 16, 16], s: [2, 2], pad: explicit(1, 1, 1, 1) },  // IResNet's strided conv
  { x: [2, 5, 5, 64], f: [3, 3, 64, 32], s: [1, 1], pad: explicit(2, 0, 0, 2) },  // pad = k − 1
  { x: [3, 3, 3, 16], f: [3, 3, 16, 16], s: [1, 1], pad: 'same' },     // a whole image inside one tile
  { x: [2, 3, 14, 16], f: [3, 3, 16, 16], s: [1, 1], pad: 'same' },    // a row of 14: the two-thirds tile
  { x: [2, 6, 9, 4], f: [3, 3, 4, 16], s: [1, 1], pad: 'same' },       // 36 patch rows: 24 + a two-thirds filter tile
];

describe('direct convolution kernels equal tfjs', () => {
  const cases = [...CONV_CASES, ...MORE];
  it.each(cases.map((c) => [convLabel(c), c] as const))('Conv2D %s', (_, c) => expectConvLikeTfjs(c));
  it.each(cases.filter((c) => !c.d).map((c) => [convLabel(c), c] as const))('gradients %s', (_, c) => expectConvGradientsLikeTfjs(c));
});
