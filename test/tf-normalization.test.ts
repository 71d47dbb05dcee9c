// The fused batch-norm / PReLU kernels and the native Slice / PadV2 / Transpose against tfjs's own code: the
// same outputs, gradients and moving statistics within float32 tolerance, fallbacks for what they
// do not handle, reversible registration, and typed errors at the native boundary.
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
import { both, expectAllClose, expectClose, rand, errorKind as code } from './support/tf-compare.js';

tf.enableProdMode();
beforeAll(() => registerNativeKernels());
afterAll(() => unregisterNativeKernels());

/** One training-mode BN layer applied twice: output, dL/dx, dL/dγ, dL/dβ and the moving statistics. */
function batchNormRun(shape: number[], seed: number, offset: number, spread: number): () => tf.Tensor[] {
  return () => {
    const c = shape[shape.length - 1]!;
    const layer = batchNormalization({ epsilon: 1e-5, momentum: 0.9,
      gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed }),
      betaInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: seed + 1 }) });
    const x = tf.add(tf.mul(rand(shape, seed + 2), spread), offset);
    const w = rand(shape, seed + 3);  // a random upstream gradient
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
    const { ref, got } = both(batchNormRun(shape, 40, offset, spread));
    // output, dx, dγ, dβ, moving mean, moving variance
    ref.forEach((r, i) => expectClose(r, got[i]!, i === 0 || i >= 4 ? 1e-4 : 2e-3));
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
  it('updateMovingStatistics is bitwise tfjs-layers\' tensor-op update', () => {
    const layer = batchNormalization({ momentum: 0.9 });
    layer.apply(rand([2, 7], 70));  // builds the weights
    const [moving, value] = [rand([7], 71), rand([7], 72)];
    layer.setWeights([...layer.getWeights().slice(0, 2), moving, tf.add(moving, 1)]);
    updateMovingStatistics(layer, value.dataSync() as Float32Array, tf.add(value, 2).dataSync() as Float32Array);
    // tfjs-layers' doMovingAverage: v − (v − value)·(1 − momentum), with tfjs's own kernels.
    unregisterNativeKernels();
    const expected = [[moving, value], [tf.add(moving, 1), tf.add(value, 2)]].map(([v, x]) => tf.sub(v!, tf.mul(tf.sub(v!, x!), 1 - 0.9)).dataSync());
    registerNativeKernels();
    const [mean, variance] = layer.getWeights().slice(2).map((t) => t.dataSync());
    expect(mean).toEqual(expected[0]);
    expect(variance).toEqual(expected[1]);
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
    const run = (f: typeof byOps) => {
      const out = f(x, gamma, beta, alpha);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, cc: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(f(a, b, cc, d).y, w)))([x, gamma, beta, alpha]);
      return [out.y, out.mean, out.variance, ...grads].map((t) => t.dataSync() as Float32Array);
    };
    unregisterNativeKernels();
    const ref = run(byOps);
    registerNativeKernels();
    expect(batchNormTrainingAvailable(x)).toBe(true);
    const got = run(fused);
    // Reductions over the rows (statistics, dγ, dβ, dα, dx through the statistics): two float32
    // evaluations differ by a few ulps per term, relative to the largest value; 64·u·rows bounds it.
    const rel = 64 * 2 ** -24 * rows + 2 ** -20;
    ref.forEach((r, i) => expectClose(r, got[i]!, rel));
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
    const alpha = rand([...alphaShape], 61);
    expectAllClose(() => tf.prelu(x, alpha));
    expectAllClose(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.prelu(a, b), rand(x.shape, 62))))([x, alpha]));
  });

  it('x = 0 takes the α branch, as tfjs', () => {
    const z = tf.tensor([0, -0, 1, -1, 0, 2], [3, 2]), alpha = tf.tensor([0.25, 0.5]);
    expectAllClose(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.prelu(a, b), 3)))([z, alpha]));
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
    expectAllClose(() => tf.slice(x4, [1, 1, 2, 0], [2, 3, 3, -1]));
    expectAllClose(() => tf.slice(x4, [0, 0, 0, 1], [-1, -1, -1, 2]));
    expectAllClose(() => tf.slice(x4, [1, 0, 0, 0], [1, -1, -1, -1]));  // contiguous
    expectAllClose(() => tf.slice(rand([9], 71), [2], [5]));
    expectAllClose(() => tf.slice(rand([7, 8], 72), [1, 3], [4, 4]));
    expectAllClose(() => tf.slice(rand([2, 3, 4, 5, 6], 73), [1, 1, 1, 1, 1], [1, 2, 2, 3, 4]));
    expectAllClose(() => tf.slice(x4, [1, 1, 1, 1], [0, 2, 2, 2]));  // empty
  });

  it('PadV2: zero and non-zero constants, and its gradient (a Slice)', () => {
    const x = rand([2, 5, 6, 3], 74);
    expectAllClose(() => tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]));
    expectAllClose(() => tf.pad(x, [[1, 0], [0, 2], [3, 1], [1, 1]], 2.5));
    expectAllClose(() => tf.pad(rand([4], 75), [[2, 3]], -1));
    expectAllClose(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.pad(a, [[0, 0], [1, 1], [1, 1], [0, 0]]), rand([2, 7, 8, 3], 76))))(x));
  });
});

describe('a small IResNet trains the same with and without the native kernels', () => {
  it('3 SGD steps: same losses and weights', async () => {
    const { iresnet } = await import('../src/model/iresnet.js');
    const x = rand([4, 16, 16, 3], 80);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
    const run = () => {
      const model = iresnet({ depth: 18, inputSize: 16, widthMultiplier: 0.125, embeddingSize: 8, seed: 3 });
      const head = tf.variable(rand([8, 3], 81), true);
      const opt = tf.train.sgd(0.05);
      const losses: number[] = [];
      for (let s = 0; s < 3; s++) {
        const cost = opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, tf.matMul(model.apply(x, { training: true }) as tf.Tensor2D, head)) as tf.Scalar, true)!;
        losses.push(cost.dataSync()[0]!);
        cost.dispose();
      }
      const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
      model.dispose();
      head.dispose();
      return { losses, weights };
    };
    unregisterNativeKernels();
    const ref = run();
    registerNativeKernels();
    const got = run();
    got.losses.forEach((l, i) => expect(Math.abs(l - ref.losses[i]!)).toBeLessThan(1e-4 * Math.abs(ref.losses[i]!) + 1e-5));
    ref.weights.forEach((w, i) => expectClose(w, got.weights[i]!, 1e-3));
  });

  it('its gradient matches central finite differences (native kernels)', async () => {
    const { iresnet } = await import('../src/model/iresnet.js');
    const model = iresnet({ depth: 18, inputSize: 16, widthMultiplier: 0.125, embeddingSize: 8, seed: 5 });
    const x = rand([4, 16, 16, 3], 90), target = rand([4, 8], 91);
    const loss = () => tf.tidy(() => tf.sum(tf.square(tf.sub(model.apply(x, { training: true }) as tf.Tensor, target))) as tf.Scalar);
    const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
    const { grads } = tf.variableGrads(loss, vars);
    // Directional derivative along a random direction v (unit norm over all weights) vs the
    // central difference of the loss. The loss is strongly curved (PReLU kinks, batch statistics):
    // the difference converges as the step shrinks (measured: 10 % off at 1e-1, 0.2 % at 1e-3), and
    // float32 rounding of the loss (≈ 30) costs ≈ 0.1 % at 1e-3, hence the 2 % tolerance.
    const dirs = vars.map((v, i) => rand(v.shape, 100 + i));
    const norm = Math.sqrt(dirs.reduce((s, d) => s + tf.sum(tf.square(d)).dataSync()[0]!, 0));
    const analytic = vars.reduce((s, v, i) => s + tf.sum(tf.mul(grads[v.name]!, dirs[i]!)).dataSync()[0]!, 0) / norm;
    const eps = 1e-3;
    const at = (t: number) => {
      const saved = vars.map((v) => v.clone());
      vars.forEach((v, i) => v.assign(tf.add(v, tf.mul(dirs[i]!, t / norm))));
      const value = loss().dataSync()[0]!;
      vars.forEach((v, i) => v.assign(saved[i]!));
      saved.forEach((s) => s.dispose());
      return value;
    };
    const numeric = (at(eps) - at(-eps)) / (2 * eps);
    expect(Math.abs(analytic)).toBeGreaterThan(1e-3);
    expect(Math.abs(numeric - analytic)).toBeLessThan(0.02 * Math.abs(analytic));
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
    expectAllClose(() => tf.transpose(x4, [0, 3, 1, 2]));
    expectAllClose(() => tf.transpose(x4, [3, 2, 1, 0]));
    expectAllClose(() => tf.transpose(x4, [0, 1, 2, 3]));
    expectAllClose(() => tf.transpose(rand([7, 9], 111)));
    expectAllClose(() => tf.transpose(rand([2, 3, 4, 5, 6], 112), [4, 0, 3, 1, 2]));
    expectAllClose(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.transpose(a, [0, 3, 1, 2]), rand([3, 4, 5, 6], 113))))(x4));
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
