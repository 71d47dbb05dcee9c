// The fused batch-norm / PReLU kernels and the native Slice / PadV2 / Transpose against tfjs's own code: the
// same outputs, gradients and moving statistics within the float32 error bound of each computation
// (bitwise for copies and single roundings), fallbacks for what they do not handle, reversible
// registration, and typed errors at the native boundary.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import { batchNormPrelu, batchNormTrainingAvailable } from '../src/tf/kernels/normalization.js';
import { FusedBatchNormalization, TfjsBatchNormalization, batchNormalization, updateMovingStatistics } from '../src/tf/batch-norm-layer.js';
import {
  TOPOFR_KERNEL_NAMES,
  nativeKernelsRegistered,
  originalGradient,
  registerNativeKernels,
  unregisterNativeKernels,
} from '../src/tf/native-kernels.js';
import { expectBitwise, expectPolynomialClose, expectWithinResponse, rand, stock, errorKind as code } from './support/tf-compare.js';
import { U } from './support/float32.js';
import { expectSameTraining } from './support/training-compare.js';

tf.enableProdMode();
beforeAll(() => registerNativeKernels());
afterAll(() => unregisterNativeKernels());

/** One training-mode BN layer applied twice to x (w: an upstream gradient): output, dL/dx, dL/dγ,
 *  dL/dβ and the moving statistics. */
function batchNormRun(seed: number): (x: tf.Tensor, w: tf.Tensor) => tf.Tensor[] {
  return (x, w) => {
    const c = x.shape[x.shape.length - 1]!;
    const layer = batchNormalization({ epsilon: 1e-5, momentum: 0.9,
      gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed }),
      betaInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: seed + 1 }) });
    const loss = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, w)) as tf.Scalar;
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const dx = tf.grad(loss)(x);
    const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => loss(x), vars);
    expect(vars.map((v) => grads[v.name]!.shape)).toEqual([[c], [c]]);
    return [y, dx, ...vars.map((v) => grads[v.name]!), ...layer.getWeights().slice(2)];
  };
}

describe('fused training-mode batch norm equals tfjs-layers', () => {
  const cases: Array<[number[], number, number]> = [
    [[6, 5], 0, 1],  // BatchNorm1d (the embedding BN)
    [[2, 5, 7, 3], 0, 1],
    [[3, 4, 4, 16], 0.5, 2],
    [[4, 3, 3, 1], 0, 1],  // one channel
    [[2, 6, 6, 8], 1000, 3],  // |mean| ≫ std: the shifted sums keep the variance
  ];
  it.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', (_, [shape, offset, spread]) => {
    const x = tf.add(tf.mul(rand(shape, 42), spread), offset), w = rand(shape, 43);
    // not a polynomial (a square root, a division): bounded by its response to its data; the
    // reductions sum over all rows (batch·H·W terms)
    expectWithinResponse(batchNormRun(40), [x, w], shape.slice(0, -1).reduce((a, b) => a * b, 1));
  });

  it('takes the fused path only in training, on cpu with the native kernels, features last', async () => {
    const layer = batchNormalization({ axis: -1 });
    expect(layer).toBeInstanceOf(FusedBatchNormalization);
    expect(layer.getClassName()).toBe('BatchNormalization');
    const x = rand([2, 3, 3, 4], 50);
    const kernels = async (f: () => tf.Tensor) => (await tf.profile(() => f())).kernelNames;
    expect(await kernels(() => layer.apply(x, { training: true }) as tf.Tensor)).toContain('TopofrBatchNormTraining');
    expect(await kernels(() => layer.apply(x, { training: false }) as tf.Tensor)).not.toContain('TopofrBatchNormTraining');
    expect(await kernels(() => batchNormalization({ axis: 1 }).apply(x, { training: true }) as tf.Tensor)).not.toContain('TopofrBatchNormTraining');
    unregisterNativeKernels();
    expect(await kernels(() => layer.apply(x, { training: true }) as tf.Tensor)).not.toContain('TopofrBatchNormTraining');
    registerNativeKernels();
  });

  it('a model saved with it loads as a plain BatchNormalization, and the fused class is registered while the kernels are', () => {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    expect(map.BatchNormalization![0]).toBe(FusedBatchNormalization);
    unregisterNativeKernels();
    expect(map.BatchNormalization![0]).toBe(TfjsBatchNormalization);
    registerNativeKernels();
    const m = tf.sequential({ layers: [batchNormalization({ inputShape: [4] })] });
    expect(JSON.stringify(m.toJSON(null, false))).toContain('"class_name":"BatchNormalization"');
  });
});

describe('moving statistics', () => {
  it.each([1, 37])('updateMovingStatistics (%i values per channel) is bitwise the tensor-op update with the unbiased variance', (count) => {
    const layer = batchNormalization({ momentum: 0.9 });
    layer.apply(rand([2, 7], 70));  // builds the weights
    const [moving, value] = [rand([7], 71), rand([7], 72)];
    layer.setWeights([...layer.getWeights().slice(0, 2), moving, tf.add(moving, 1)]);
    updateMovingStatistics(layer, value.dataSync() as Float32Array, tf.add(value, 2).dataSync() as Float32Array, count);
    // tfjs-layers' doMovingAverage, v − (v − value)·(1 − momentum), with tfjs's own kernels, on
    // PyTorch's unbiased variance (× count/(count − 1); a single value has no correction).
    unregisterNativeKernels();
    const variance = count > 1 ? tf.mul(tf.add(value, 2), count / (count - 1)) : tf.add(value, 2);
    const expected = [[moving, value], [tf.add(moving, 1), variance]].map(([v, x]) => tf.sub(v!, tf.mul(tf.sub(v!, x!), 1 - 0.9)).dataSync());
    registerNativeKernels();
    const [mean, movingVariance] = layer.getWeights().slice(2).map((t) => t.dataSync());
    expect(mean).toEqual(expected[0]);
    expect(movingVariance).toEqual(expected[1]);
    expect(mean).not.toEqual(moving.dataSync());
  });
});

describe('fused batch norm + PReLU equals the tfjs composition', () => {
  it.each([[[6, 5]], [[2, 5, 7, 3]], [[3, 4, 4, 16]]])('%j: output, statistics, dx, dγ, dβ, dα', (shape) => {
    const c = shape[shape.length - 1]!, rows = shape.reduce((a, b) => a * b, 1) / c;
    const x = tf.add(tf.mul(rand(shape, 90), 2), 0.5), w = rand(shape, 91);
    const gamma = tf.add(rand([c], 92), 1), beta = rand([c], 93), alpha = tf.mul(tf.add(rand([c], 94), 1), 0.25);
    const axes = shape.slice(0, -1).map((_, i) => i);
    const byOps = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor, a: tf.Tensor) => {
      const m = tf.moments(xx, axes);
      return { y: tf.prelu(tf.batchNorm(xx, m.mean, m.variance, b, g, 1e-5), a), mean: m.mean, variance: m.variance };
    };
    const fused = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor, a: tf.Tensor) => {
      const [y, stats] = batchNormPrelu(xx, g as tf.Tensor1D, b as tf.Tensor1D, a, 1e-5);
      return { y, mean: stats.slice([0, 0], [1, c]).reshape([c]), variance: stats.slice([1, 0], [1, c]).reshape([c]) };
    };
    // The fused kernel where the native kernels are registered, the tfjs composition where not.
    const outputs = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor, a: tf.Tensor, dy: tf.Tensor) => {
      const f = batchNormTrainingAvailable(xx) ? fused : byOps;
      const out = f(xx, g, b, a);
      const grads = tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor, t: tf.Tensor) => tf.sum(tf.mul(f(p, q, r, t).y, dy)))([xx, g, b, a]);
      return [out.y, out.mean, out.variance, ...grads];
    };
    expect(batchNormTrainingAvailable(x)).toBe(true);
    // not a polynomial: bounded by its response to its data (the reductions sum over all rows)
    expectWithinResponse(outputs, [x, gamma, beta, alpha, w], rows);
  });
});

describe('PReLU kernel and gradient equal tfjs', () => {
  const x = rand([2, 5, 6, 8], 60);
  it.each([
    ['per channel [C]', [8]],
    ['shared axes [1, 1, C]', [1, 1, 8]],
    ['scalar', []],
    ['falls back: [H, W, C]', [5, 6, 8]],
  ] as const)('%s', (_, alphaShape) => {
    const alpha = rand([...alphaShape], 61), dy = rand(x.shape, 62);
    expectBitwise(() => tf.prelu(x, alpha));  // x or α·x: one rounding
    // dx = dy or α·dy (one rounding), dα = Σ dy·x over the rows where x < 0 (at most 2·5·6 terms); the
    // magnitudes of both come from dy·x·(α + 1) on absolute values, which keeps every branch's terms
    expectPolynomialClose((...t) => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.prelu(a, b), t[2]!)))([t[0]!, t[1]!]),
      [x, alpha, dy], 2 * 5 * 6,
      { magnitudes: (...t) => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.mul(a, tf.add(b, 1)), t[2]!)))([t[0]!, t[1]!]) });
  });

  it('x = 0 takes the α branch, as tfjs', () => {
    const z = tf.tensor([0, -0, 1, -1, 0, 2], [3, 2]), alpha = tf.tensor([0.25, 0.5]);
    expectBitwise(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.prelu(a, b), 3)))([z, alpha]));
  });

  it('the stock gradient is back after unregistering', () => {
    const ours = tf.getGradient('Prelu')!.gradFunc;
    unregisterNativeKernels();
    expect(tf.getGradient('Prelu')!.gradFunc).not.toBe(ours);
    expect(tf.getGradient('Prelu')!.gradFunc).toBe(originalGradient('Prelu')!.gradFunc);
    registerNativeKernels();
  });
});

describe('native Slice and PadV2 equal tfjs', () => {
  it('Slice: strided boxes of rank 1 to 5 (contiguous ones stay with tfjs)', () => {
    const x4 = rand([3, 5, 6, 4], 70);
    expectBitwise(() => tf.slice(x4, [1, 1, 2, 0], [2, 3, 3, -1]));
    expectBitwise(() => tf.slice(x4, [0, 0, 0, 1], [-1, -1, -1, 2]));
    expectBitwise(() => tf.slice(x4, [1, 0, 0, 0], [1, -1, -1, -1]));  // contiguous
    expectBitwise(() => tf.slice(rand([9], 71), [2], [5]));
    expectBitwise(() => tf.slice(rand([7, 8], 72), [1, 3], [4, 4]));
    expectBitwise(() => tf.slice(rand([2, 3, 4, 5, 6], 73), [1, 1, 1, 1, 1], [1, 2, 2, 3, 4]));
    expectBitwise(() => tf.slice(x4, [1, 1, 1, 1], [0, 2, 2, 2]));  // empty
  });

  it('PadV2: zero and non-zero constants, and its gradient (a Slice)', () => {
    const x = rand([2, 5, 6, 3], 74);
    expectBitwise(() => tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]));
    expectBitwise(() => tf.pad(x, [[1, 0], [0, 2], [3, 1], [1, 1]], 2.5));
    expectBitwise(() => tf.pad(rand([4], 75), [[2, 3]], -1));
    expectBitwise(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.pad(a, [[0, 0], [1, 1], [1, 1], [0, 0]]), rand([2, 7, 8, 3], 76))))(x));
  });
});

describe('a small IResNet trains the same with and without the native kernels', () => {
  it('3 SGD steps: the same losses and updates, step by step', async () => {
    const { iresnet } = await import('../src/model/iresnet.js');
    const x = rand([4, 16, 16, 3], 80);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
    const model = iresnet({ depth: 18, inputSize: 16, widthMultiplier: 0.125, embeddingSize: 8, seed: 3 });
    const head = tf.variable(rand([8, 3], 81), true);
    // the longest reductions: the first conv's filter gradient and the first BN, over batch·16·16 rows
    expectSameTraining({ variables: [...model.trainableWeights.map((v) => v.read() as tf.Variable), head], inputs: [x], K: 4 * 16 * 16,
      learningRate: 0.05, steps: 3,
      loss: ([input]) => tf.losses.softmaxCrossEntropy(labels, tf.matMul(model.apply(input!, { training: true }) as tf.Tensor2D, head)) as tf.Scalar });
    model.dispose();
    head.dispose();
  });

  it('its gradient matches central finite differences (native kernels)', async () => {
    const { iresnet } = await import('../src/model/iresnet.js');
    const model = iresnet({ depth: 18, inputSize: 16, widthMultiplier: 0.125, embeddingSize: 8, seed: 5 });
    const x = rand([4, 16, 16, 3], 90), target = rand([4, 8], 91);
    const loss = () => tf.tidy(() => tf.sum(tf.square(tf.sub(model.apply(x, { training: true }) as tf.Tensor, target))) as tf.Scalar);
    const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
    const { grads } = tf.variableGrads(loss, vars);
    // Directional derivative along a random direction v (unit norm over all weights) vs the
    // central difference D(h) of the loss. Its error is truncation, c·h² (the loss is smooth here
    // between PReLU kinks and batch statistics), plus the float32 error δ of the four loss values:
    // |D(h) − f'| ≤ c·h² + δ/h. Richardson bounds the first from D(2h): D(2h) − D(h) = 3c·h² up to
    // 1.5·δ/h, so |D(h) − f'| ≤ |D(2h) − D(h)|/3 + 1.5·δ/h. δ is measured against tfjs's kernels
    // (float64 sums: accurate to a rounding or two of the value), at the same points.
    const dirs = vars.map((v, i) => rand(v.shape, 100 + i));
    const norm = Math.sqrt(dirs.reduce((s, d) => s + tf.sum(tf.square(d)).dataSync()[0]!, 0));
    const analytic = vars.reduce((s, v, i) => s + tf.sum(tf.mul(grads[v.name]!, dirs[i]!)).dataSync()[0]!, 0) / norm;
    const h = 1e-3;
    const at = (t: number) => {
      const saved = vars.map((v) => v.clone());
      vars.forEach((v, i) => v.assign(tf.add(v, tf.mul(dirs[i]!, t / norm))));
      const value = loss().dataSync()[0]!;
      const accurate = stock(() => loss().dataSync()[0]!);
      vars.forEach((v, i) => v.assign(saved[i]!));
      saved.forEach((s) => s.dispose());
      return { value, error: Math.abs(value - accurate) + 2 * U * Math.abs(accurate) };
    };
    const [plus, minus, plus2, minus2] = [h, -h, 2 * h, -2 * h].map(at) as [ReturnType<typeof at>, ReturnType<typeof at>, ReturnType<typeof at>, ReturnType<typeof at>];
    const numeric = (plus.value - minus.value) / (2 * h), numeric2 = (plus2.value - minus2.value) / (4 * h);
    const delta = Math.max(plus.error, minus.error, plus2.error, minus2.error);
    expect(Math.abs(analytic)).toBeGreaterThan(1e-3);
    expect(Math.abs(numeric - analytic)).toBeLessThanOrEqual(Math.abs(numeric2 - numeric) / 3 + (1.5 * delta) / h);
    model.dispose();
  });
});

describe('registration of the fused kernels', () => {
  it('adds topofr kernels only while registered', () => {
    expect(nativeKernelsRegistered()).toBe(true);
    TOPOFR_KERNEL_NAMES.forEach((n) => expect(tf.getKernel(n, 'cpu')).toBeDefined());
    unregisterNativeKernels();
    TOPOFR_KERNEL_NAMES.forEach((n) => expect(tf.getKernel(n, 'cpu')).toBeUndefined());
    expect(tf.getGradient('TopofrBatchNormTraining')).toBeUndefined();
    registerNativeKernels();
    TOPOFR_KERNEL_NAMES.forEach((n) => expect(tf.getKernel(n, 'webgl')).toBeUndefined());
  });
});

describe('native normalization and copy bindings check their input', () => {
  const f = (n: number) => new Float32Array(n);
  it('batch norm and PReLU', () => {
    const n = native();
    expect(code(() => n.batchNormTrainingForward(f(12), f(3), f(3), 1e-5, f(12), f(3), f(3), 4, 3))).toEqual(['none', undefined]);
    expect(code(() => n.batchNormTrainingForward(f(12), null, null, 1e-5, f(12), f(3), f(3), 4, 3))).toEqual(['none', undefined]);
    expect(code(() => n.batchNormTrainingForward(f(11), f(3), f(3), 1e-5, f(12), f(3), f(3), 4, 3))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(code(() => n.batchNormTrainingForward(f(12), f(2), f(3), 1e-5, f(12), f(3), f(3), 4, 3))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(code(() => n.batchNormTrainingForward(f(12), f(3), f(3), 1e-5, f(12), f(3), f(3), 4, 0))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_VALUE']);
    expect(code(() => n.batchNormTrainingBackward(f(12), f(3), f(3), f(3), 1e-5, f(12), f(12), f(3), f(2), 4, 3))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(code(() => n.preluForward(f(12), f(3), f(12), 4, 3))).toEqual(['none', undefined]);
    expect(code(() => n.preluForward(f(12), f(3), f(12), 2 ** 40, 2 ** 40))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(code(() => (n.preluBackward as (...a: unknown[]) => void)(f(12), f(3), f(12), f(12), f(3), 4))).toEqual(['TypeError', 'ERR_TOPOFR_INVALID_TYPE']);
    expect(code(() => n.preluBackward(f(12), f(3), new Int32Array(12) as never, f(12), f(3), 4, 3))).toEqual(['TypeError', 'ERR_TOPOFR_INVALID_TYPE']);
  });
  it('copyBox and fill', () => {
    const n = native();
    expect(code(() => n.copyBox(f(24), [2, 3, 4], [0, 1, 1], f(8), [2, 2, 2], [0, 0, 0], [2, 2, 2]))).toEqual(['none', undefined]);
    expect(code(() => n.copyBox(f(24), [2, 3, 4], [0, 2, 1], f(8), [2, 2, 2], [0, 0, 0], [2, 2, 2]))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(code(() => n.copyBox(f(24), [2, 3, 4], [0, 1], f(8), [2, 2, 2], [0, 0, 0], [2, 2, 2]))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(code(() => n.copyBox(f(23), [2, 3, 4], [0, 0, 0], f(8), [2, 2, 2], [0, 0, 0], [2, 2, 2]))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(code(() => n.copyBox(f(24), [2, 3, -4], [0, 0, 0], f(8), [2, 2, 2], [0, 0, 0], [2, 2, 2]))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_VALUE']);
    expect(code(() => n.copyBox(f(24), 'x' as never, [0, 0, 0], f(8), [2, 2, 2], [0, 0, 0], [2, 2, 2]))).toEqual(['TypeError', 'ERR_TOPOFR_INVALID_TYPE']);
    const out = f(5);
    n.fill(out, 2.5);
    expect(Array.from(out)).toEqual([2.5, 2.5, 2.5, 2.5, 2.5]);
  });
});

describe('native Transpose equals tfjs', () => {
  it('permutations of rank 2 to 5, and its gradient', () => {
    const x4 = rand([3, 5, 6, 4], 110);
    expectBitwise(() => tf.transpose(x4, [0, 3, 1, 2]));
    expectBitwise(() => tf.transpose(x4, [3, 2, 1, 0]));
    expectBitwise(() => tf.transpose(x4, [0, 1, 2, 3]));
    expectBitwise(() => tf.transpose(rand([7, 9], 111)));
    expectBitwise(() => tf.transpose(rand([2, 3, 4, 5, 6], 112), [4, 0, 3, 1, 2]));
    expectBitwise(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.transpose(a, [0, 3, 1, 2]), rand([3, 4, 5, 6], 113))))(x4));
  });
  it('permute binding checks its input', () => {
    const f = (n: number) => new Float32Array(n);
    expect(() => native().permute(f(6), [2, 3], [1, 1], f(6))).toThrow(expect.objectContaining({ code: 'ERR_TOPOFR_INVALID_SHAPE' }));
    expect(() => native().permute(f(6), [2, 3], [1], f(6))).toThrow(expect.objectContaining({ code: 'ERR_TOPOFR_INVALID_SHAPE' }));
    expect(() => native().permute(f(6), [2, 3], [1, 0], f(5))).toThrow(expect.objectContaining({ code: 'ERR_TOPOFR_INVALID_SHAPE' }));
    const out = f(6);
    native().permute(Float32Array.from([0, 1, 2, 3, 4, 5]), [2, 3], [1, 0], out);
    expect(Array.from(out)).toEqual([0, 3, 1, 4, 2, 5]);
  });
});
