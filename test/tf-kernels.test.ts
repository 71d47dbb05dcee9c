// The native tfjs cpu kernels (src/tf/native-kernels.ts) against tfjs's own JS kernels: same
// results within the float32 error bound of each computation (support/float32.ts) on random shapes,
// strides, paddings and dilations, the same gradients through tf.grad, fallback for what they do not
// handle, reversible registration, and typed errors at the native boundary.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import { expectBitwise, expectPolynomialClose, rand, errorKind as code } from './support/tf-compare.js';
import { expectSameTraining } from './support/training-compare.js';
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
    const x = rand([2, 8, 8, 3], 6), f = rand([3, 3, 3, 16], 7);
    const bias = rand([16], 8).mul(4), alpha = rand([16], 9);
    const fused = (strides: number, pad: 'same' | 'valid', activation: tf.fused.Activation = 'linear') =>
      (a: tf.Tensor, b: tf.Tensor, c?: tf.Tensor, p?: tf.Tensor) => tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D,
        strides, pad, bias: c, activation, preluActivationWeights: p, leakyreluAlpha: 0.3 });
    // 27 products, the bias, ×10; each activation is 1-Lipschitz here (|α| ≤ 0.5) and rounds once more on either side
    for (const activation of ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'] as const) {
      const inputs = [x, f, bias, ...(activation === 'prelu' ? [alpha] : [])];
      expectPolynomialClose((...t) => fused(2, 'same', activation)(...(t as [tf.Tensor, tf.Tensor])).mul(10), inputs, 27 + 2,
        { magnitudes: (a, b, c) => fused(2, 'same')(a!, b!, c).mul(10), tail: 3 });
    }
    expectPolynomialClose(fused(1, 'valid'), [x, f], 27);
    expectPolynomialClose(fused(1, 'valid', 'relu'), [x, f, tf.scalar(0.5)], 28, { magnitudes: fused(1, 'valid') });
    // prelu weights shaped [1, 1, C] (PReLU with shared spatial axes) and a fused-conv gradient
    expectPolynomialClose(fused(1, 'same', 'prelu'), [x, f, bias, alpha.reshape([1, 1, 16])], 28,
      { magnitudes: (a, b, c) => fused(1, 'same')(a!, b!, c), tail: 2 });
    // y = conv + bias (28 roundings), y², its gradient 2y (1), then backprop: at most max(3·3·16, 2·8·8) terms
    expectPolynomialClose((...t) => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.square(fused(1, 'same')(a, b, c))))(t),
      [x, f, bias], 28 + 1 + 144);
  });

  it('falls back for what it does not handle (NCHW, wide bias broadcast)', () => {
    const x = rand([1, 3, 6, 6], 10) as tf.Tensor4D, f = rand([3, 3, 3, 2], 11) as tf.Tensor4D;
    expectBitwise(() => tf.conv2d(x, f, 1, 'same', 'NCHW'));
    const xh = rand([1, 6, 6, 3], 12) as tf.Tensor4D;
    expectBitwise(() => tf.fused.conv2d({ x: xh, filter: f, strides: 1, pad: 'same', bias: rand([6, 6, 2], 13) }));
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
    const [m, k] = ta ? [sa.at(-1)!, sa.at(-2)!] : [sa.at(-2)!, sa.at(-1)!], n = tb ? sb.at(-2)! : sb.at(-1)!;
    expectPolynomialClose((p, q) => tf.matMul(p!, q!, ta, tb), [a, b], k);
    // (tfjs's own matMul gradient rejects broadcast batch shapes, so only same-batch cases here)
    // y = a·b (k), y², its gradient 2y (1), then dy·bᵀ (n terms) or aᵀ·dy (m terms)
    if (sa.length === sb.length && sa.slice(0, -2).every((d, i) => d === sb[i]))
      expectPolynomialClose((...t) => tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p, q, ta, tb))))(t), [a, b],
        k + 1 + Math.max(m, n));
  });

  it('_FusedMatMul with bias and activations', () => {
    const a = rand([6, 9], 22), b = rand([9, 5], 23), bias = rand([5], 24), alpha = rand([5], 25);
    const fused = (activation: tf.fused.Activation, transposeB = false) => (p: tf.Tensor, q: tf.Tensor, c?: tf.Tensor, w?: tf.Tensor) =>
      tf.fused.matMul({ a: p as tf.Tensor2D, b: q as tf.Tensor2D, transposeB, bias: c, activation, leakyreluAlpha: 0.1, preluActivationWeights: w });
    // 9 products and the bias; each activation is 1-Lipschitz here and rounds once more on either side
    for (const activation of ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'] as const) {
      expectPolynomialClose((...t) => fused(activation)(t[0]!, t[1]!, t[2], t[3]), [a, b, bias, ...(activation === 'prelu' ? [alpha] : [])], 10,
        { magnitudes: (p, q, c) => fused('linear')(p!, q!, c), tail: 2 });
    }
    expectPolynomialClose((p, q, c) => fused('relu', true)(p!, q!, c), [a, b.transpose(), bias], 10,
      { magnitudes: (p, q, c) => fused('linear', true)(p!, q!, c) });
    expectBitwise(() => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: rand([6, 5], 26) }));  // falls back
    // y = relu(a·b + bias) (10), y², 2y (1), the relu mask (exact), then backprop: at most 9 terms (dy·bᵀ, aᵀ·dy: 6, Σ dy: 6)
    expectPolynomialClose((...t) => tf.grads((p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) => tf.sum(tf.square(fused('relu')(p, q, c))))(t),
      [a, b, bias], 10 + 1 + 9, { magnitudes: (...t) => tf.grads((p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) => tf.sum(tf.square(fused('linear')(p, q, c))))(t) });
  });

  it('a small layers model trains the same, step by step', () => {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', useBias: true,
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
    const xs = rand([4, 8, 8, 3], 30), ys = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
    // longest reduction: the filter gradient and the dense layer, 4·4·4 = 64 terms
    expectSameTraining({ variables: m.trainableWeights.map((w) => w.read() as tf.Variable), inputs: [xs], K: 64, learningRate: 0.1, steps: 3,
      loss: ([x]) => tf.mean(tf.metrics.categoricalCrossentropy(ys, m.apply(x!) as tf.Tensor)) as tf.Scalar });
    m.dispose();
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
