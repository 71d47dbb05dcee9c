// The native tfjs cpu kernels (src/tf/native-kernels.ts) against tfjs's own JS kernels: same
// results within float32 tolerance on random shapes, strides, paddings and dilations, the same
// gradients through tf.grad, fallback for what they do not handle, reversible registration, and
// typed errors at the native boundary.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import { expectAllClose, expectClose, rand, errorKind as code } from './support/tf-compare.js';
import { CONV_CASES, convLabel, expectConvGradientsLikeTfjs, expectConvLikeTfjs } from './support/conv-cases.js';
import {
  NATIVE_KERNEL_NAMES,
  nativeKernelsRegistered,
  originalKernel,
  registerNativeKernels,
  unregisterNativeKernels,
} from '../src/tf/native-kernels.js';

tf.enableProdMode();

beforeAll(() => registerNativeKernels());
afterAll(() => unregisterNativeKernels());

describe('native conv kernels equal tfjs', () => {
  it.each(CONV_CASES.map((c) => [convLabel(c), c] as const))('Conv2D %s', (_, c) => expectConvLikeTfjs(c));
  it.each(CONV_CASES.filter((c) => !c.d).map((c) => [convLabel(c), c] as const))('gradients (BackpropInput/Filter) %s', (_, c) =>
    expectConvGradientsLikeTfjs(c));

  it('FusedConv2D with bias and every activation', () => {
    const x = rand([2, 8, 8, 3], 6) as tf.Tensor4D, f = rand([3, 3, 3, 16], 7) as tf.Tensor4D;
    const bias = rand([16], 8).mul(4), alpha = rand([16], 9);
    for (const activation of ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'] as const) {
      expectAllClose(() => tf.fused.conv2d({ x, filter: f, strides: 2, pad: 'same', bias, activation,
        preluActivationWeights: activation === 'prelu' ? alpha : undefined, leakyreluAlpha: 0.3 }).mul(10));
    }
    expectAllClose(() => tf.fused.conv2d({ x, filter: f, strides: 1, pad: 'valid' }));
    expectAllClose(() => tf.fused.conv2d({ x, filter: f, strides: 1, pad: 'valid', bias: tf.scalar(0.5), activation: 'relu' }));
    // prelu weights shaped [1, 1, C] (PReLU with shared spatial axes) and a fused-conv gradient
    expectAllClose(() => tf.fused.conv2d({ x, filter: f, strides: 1, pad: 'same', bias, activation: 'prelu',
      preluActivationWeights: alpha.reshape([1, 1, 16]) }));
    expectAllClose(() => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.square(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: 'same', bias: c }))))([x, f, bias]));
  });

  it('falls back for what it does not handle (NCHW, wide bias broadcast)', () => {
    const x = rand([1, 3, 6, 6], 10) as tf.Tensor4D, f = rand([3, 3, 3, 2], 11) as tf.Tensor4D;
    expectAllClose(() => tf.conv2d(x, f, 1, 'same', 'NCHW'));
    const xh = rand([1, 6, 6, 3], 12) as tf.Tensor4D;
    expectAllClose(() => tf.fused.conv2d({ x: xh, filter: f, strides: 1, pad: 'same', bias: rand([6, 6, 2], 13) }));
  });
});

describe('native matmul kernels equal tfjs', () => {
  const shapes: Array<[number[], number[], boolean, boolean]> = [
    [[5, 7], [7, 3], false, false],
    [[7, 5], [7, 3], true, false],
    [[5, 7], [3, 7], false, true],
    [[7, 5], [3, 7], true, true],
    [[4, 6, 9], [4, 9, 5], false, false],
    [[2, 3, 9, 6], [2, 3, 5, 9], true, true],
    [[1, 6, 9], [3, 9, 5], false, false],  // broadcast a
    [[3, 6, 9], [9, 5], false, false],  // broadcast b (rank 2)
    [[64, 70], [70, 80], false, false],
  ];
  it.each(shapes.map((s) => [`${s[0]}${s[2] ? 'ᵀ' : ''} × ${s[1]}${s[3] ? 'ᵀ' : ''}`, s] as const))('BatchMatMul %s', (_, [sa, sb, ta, tb]) => {
    const a = rand(sa, 20), b = rand(sb, 21);
    expectAllClose(() => tf.matMul(a, b, ta, tb));
    // (tfjs's own matMul gradient rejects broadcast batch shapes, so only same-batch cases here)
    if (sa.length === sb.length && sa.slice(0, -2).every((d, i) => d === sb[i]))
      expectAllClose(() => tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p, q, ta, tb))))([a, b]));
  });

  it('_FusedMatMul with bias and activations', () => {
    const a = rand([6, 9], 22), b = rand([9, 5], 23), bias = rand([5], 24), alpha = rand([5], 25);
    for (const activation of ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'] as const) {
      expectAllClose(() => tf.fused.matMul({ a, b, bias, activation, leakyreluAlpha: 0.1,
        preluActivationWeights: activation === 'prelu' ? alpha : undefined }));
    }
    expectAllClose(() => tf.fused.matMul({ a, b: b.transpose(), transposeB: true, bias, activation: 'relu' }));
    expectAllClose(() => tf.fused.matMul({ a, b, bias: rand([6, 5], 26) }));  // falls back
    expectAllClose(() => tf.grads((p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.square(tf.fused.matMul({ a: p as tf.Tensor2D, b: q as tf.Tensor2D, bias: c, activation: 'relu' }))))([a, b, bias]));
  });

  it('a small layers model trains to the same weights', async () => {
    const build = () => {
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', useBias: true,
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
      m.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
      return m;
    };
    const xs = rand([4, 8, 8, 3], 30), ys = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
    const weights = async () => {
      const m = build();
      for (let i = 0; i < 3; i++) await m.trainOnBatch(xs, ys);
      const w = m.getWeights().map((t) => Float32Array.from(t.dataSync()));
      m.dispose();
      return w;
    };
    unregisterNativeKernels();
    const ref = await weights();
    registerNativeKernels();
    const got = await weights();
    ref.forEach((r, i) => expectClose(r, got[i], 1e-3));
  });
});

describe('registration', () => {
  it('is idempotent and reversible', () => {
    unregisterNativeKernels();
    const stock = NATIVE_KERNEL_NAMES.map((n) => tf.getKernel(n, 'cpu'));
    unregisterNativeKernels();
    expect(NATIVE_KERNEL_NAMES.map((n) => tf.getKernel(n, 'cpu'))).toEqual(stock);
    expect(nativeKernelsRegistered()).toBe(false);
    registerNativeKernels();
    const ours = NATIVE_KERNEL_NAMES.map((n) => tf.getKernel(n, 'cpu')!.kernelFunc);
    registerNativeKernels();
    expect(NATIVE_KERNEL_NAMES.map((n) => tf.getKernel(n, 'cpu')!.kernelFunc)).toEqual(ours);
    expect(nativeKernelsRegistered()).toBe(true);
    ours.forEach((k, i) => expect(k).not.toBe(stock[i]!.kernelFunc));
    NATIVE_KERNEL_NAMES.forEach((n, i) => expect(originalKernel(n)!.kernelFunc).toBe(stock[i]!.kernelFunc));
    unregisterNativeKernels();
    NATIVE_KERNEL_NAMES.forEach((n, i) => expect(tf.getKernel(n, 'cpu')!.kernelFunc).toBe(stock[i]!.kernelFunc));
    registerNativeKernels();
    // other backends' kernels are untouched
    expect(tf.getKernel('Conv2D', 'webgl')?.kernelFunc).not.toBe(tf.getKernel('Conv2D', 'cpu')!.kernelFunc);
  });
});

describe('native conv/matmul bindings check their input', () => {
  const geom = [1, 4, 4, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1];
  const x = new Float32Array(32), f = new Float32Array(54), y = new Float32Array(48);
  it('accepts a good call and rejects bad ones with typed errors', () => {
    expect(code(() => native().conv2dForward(x, f, y, ...geom))).toEqual(['none', undefined]);
    expect(code(() => native().conv2dForward(x, f, new Float32Array(47), ...geom))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(code(() => native().conv2dBackpropInput(y, f, new Float32Array(31), ...geom))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(code(() => native().conv2dBackpropFilter(x, y, new Float32Array(53), ...geom))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(code(() => native().conv2dForward(x, f, y, ...geom.slice(0, 14)))).toEqual(['TypeError', 'ERR_TOPOFR_INVALID_TYPE']);
    expect(code(() => native().conv2dForward(new Float64Array(32) as never, f, y, ...geom))).toEqual(['TypeError', 'ERR_TOPOFR_INVALID_TYPE']);
    expect(code(() => native().conv2dForward(x, f, y, ...geom.map((v, i) => (i === 9 ? 0 : v))))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_VALUE']);
    expect(code(() => native().conv2dForward(x, f, y, ...geom.map((v, i) => (i === 13 ? -1 : v))))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_VALUE']);
    const huge = [2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
    expect(code(() => native().conv2dForward(x, f, y, ...huge))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(code(() => native().batchMatMul(new Float32Array(6), new Float32Array(6), new Float32Array(4), 1, 2, 2, 3, false, false, false, false))).toEqual(['none', undefined]);
    expect(code(() => native().batchMatMul(new Float32Array(6), new Float32Array(6), new Float32Array(8), 2, 2, 2, 3, false, false, false, false))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(code(() => native().batchMatMul(new Float32Array(6), new Float32Array(12), new Float32Array(8), 2, 2, 2, 3, false, false, true, false))).toEqual(['none', undefined]);
  });
});
