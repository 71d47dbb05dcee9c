// The direct convolution kernels (native/core/conv_kernel.h) on every case they can take, against
// tfjs's own JS kernels: TOPOFR_CONV=direct runs them wherever the channel count is a multiple of the
// SIMD width (by default only for few channels), TOPOFR_CONV_ISA=sse2|avx2 caps the instruction set.
// Both are read when the addon first picks a path: a test file sets them before its tests run (one
// file per instruction set, each in its own process).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { registerNativeKernels, unregisterNativeKernels } from '../../src/tf/native-kernels.js';
import { CONV_CASES, convLabel, explicit, expectConvGradientsLikeTfjs, expectConvLikeTfjs, type ConvCase } from './conv-cases.js';

const MORE: ConvCase[] = [
  { x: [2, 12, 26, 32], f: [3, 3, 32, 64], s: [1, 1], pad: 'same' },    // 2 + 2 vectors of 16, tiles of 12
  { x: [1, 6, 50, 48], f: [3, 3, 48, 16], s: [1, 1], pad: 'same' },     // rows of 50: two full tiles and a partial one
  { x: [2, 9, 9, 16], f: [3, 3, 16, 16], s: [2, 2], pad: explicit(1, 1, 1, 1) },  // IResNet's strided conv
  { x: [2, 5, 5, 64], f: [3, 3, 64, 32], s: [1, 1], pad: explicit(2, 0, 0, 2) },  // pad = k − 1
  { x: [3, 3, 3, 16], f: [3, 3, 16, 16], s: [1, 1], pad: 'same' },     // a whole image inside one tile
  { x: [2, 3, 14, 16], f: [3, 3, 16, 16], s: [1, 1], pad: 'same' },    // a row of 14: the two-thirds tile
  { x: [2, 6, 9, 4], f: [3, 3, 4, 16], s: [1, 1], pad: 'same' },       // 36 patch rows: 24 + a two-thirds filter tile
];

/** The tests, with the kernels capped at `isa` ('native': the widest this CPU runs). */
export function directConvTests(isa: 'native' | 'avx2' | 'sse2'): void {
  process.env.TOPOFR_CONV = 'direct';
  if (isa !== 'native') process.env.TOPOFR_CONV_ISA = isa;
  tf.enableProdMode();
  beforeAll(() => registerNativeKernels());
  afterAll(() => unregisterNativeKernels());
  describe(`direct convolution kernels (${isa}) equal tfjs`, () => {
    const cases = [...CONV_CASES, ...MORE];
    it.each(cases.map((c) => [convLabel(c), c] as const))('Conv2D %s', (_, c) => expectConvLikeTfjs(c));
    it.each(cases.filter((c) => !c.d).map((c) => [convLabel(c), c] as const))('gradients %s', (_, c) => expectConvGradientsLikeTfjs(c));
  });
}
