// The native Add/Sub/Multiply/RealDiv against tfjs's own kernels, bit for bit (each is one correctly
// rounded IEEE operation on either side), over every broadcast they handle
// (equal shapes, scalar, last-axis vector, on either side), the fallbacks (other broadcasts,
// int32, small tensors), and typed errors at the native boundary.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import { MIN_NATIVE_ELEMENTS } from '../src/tf/kernels/elementwise.js';
import { registerNativeKernels, unregisterNativeKernels } from '../src/tf/native-kernels.js';
import { both, expectBitwise, rand, errorKind as code } from './support/tf-compare.js';

tf.enableProdMode();
beforeAll(() => registerNativeKernels());
afterAll(() => unregisterNativeKernels());

const OPS: Array<[string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor]> = [
  ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div],
];
const big = [3, 40, 7, 16];  // 13 440 elements: above MIN_NATIVE_ELEMENTS

describe('native binary ops equal tfjs', () => {
  it('the test shapes exercise the native path', () => expect(big.reduce((a, b) => a * b)).toBeGreaterThan(MIN_NATIVE_ELEMENTS));

  const pairs: Array<[string, number[], number[]]> = [
    ['equal shapes', big, big],
    ['scalar right', big, []],
    ['scalar left', [], big],
    ['[1]-shaped scalar', big, [1, 1]],
    ['last-axis vector right', big, [16]],
    ['last-axis vector left, rank-4 [1,1,1,C]', [1, 1, 1, 16], big],
    ['column broadcast left (one value per row)', [3, 40, 7, 1], big],
    ['column broadcast right', big, [3, 40, 7, 1]],
    ['falls back: [7, 1] across leading axes', big, [7, 1]],
    ['small column broadcast (softmax\'s [8, 1])', [8, 1000], [8, 1]],
    ['falls back: middle axis', big, [40, 1, 1]],
    ['small (JS loop)', [5, 3], [3]],
  ];
  for (const [name, op] of OPS) {
    it.each(pairs)(`${name}: %s`, (_, sa, sb) => {
      const a = rand(sa, 1), b = tf.add(rand(sb, 2), name === 'div' ? 2 : 0);  // keep divisors away from 0
      expectBitwise(() => op(a, b));
    });
  }

  it('gradients through add/mul/div with a per-channel operand', () => {
    // (the per-channel sums are tfjs's own Sum on both sides, over the same native products)
    const a = rand(big, 3), c = tf.add(rand([16], 4), 2);
    expectBitwise(() => tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.div(tf.mul(tf.add(p, q), q), q)))([a, c]));
  });

  it('int32 and exact edge values are as tfjs', () => {
    const ints = tf.range(0, 5000, 1, 'int32');
    const { ref, got } = both(() => tf.add(ints, ints));
    expect(Array.from(got[0]!)).toEqual(Array.from(ref[0]!));
    const special = tf.tensor(Array.from({ length: 6000 }, (_, i) => [0, -0, Infinity, -Infinity, NaN, 1e-40][i % 6]!));
    const r = both(() => tf.div(special, tf.scalar(0)));
    expect(Array.from(r.got[0]!).map(String)).toEqual(Array.from(r.ref[0]!).map(String));
  });
});

describe('binaryOp binding checks its input', () => {
  const f = (n: number) => new Float32Array(n);
  it('rejects bad ops, kinds and lengths', () => {
    const n = native();
    expect(code(() => n.binaryOp('add', f(6), 'full', f(3), 'row', f(6), 2, 3))).toEqual(['none', undefined]);
    expect(code(() => n.binaryOp('pow' as never, f(6), 'full', f(3), 'row', f(6), 2, 3))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_VALUE']);
    expect(code(() => n.binaryOp('add', f(6), 'diagonal' as never, f(3), 'row', f(6), 2, 3))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_VALUE']);
    expect(code(() => n.binaryOp('add', f(2), 'column', f(3), 'row', f(6), 2, 3))).toEqual(['none', undefined]);
    expect(code(() => n.binaryOp('add', f(3), 'column', f(3), 'row', f(6), 2, 3))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(code(() => n.binaryOp('add', f(6), 'full', f(2), 'row', f(6), 2, 3))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(code(() => n.binaryOp('add', f(6), 'full', f(2), 'scalar', f(6), 2, 3))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(code(() => n.binaryOp('add', f(6), 'full', f(1), 'scalar', f(5), 2, 3))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(code(() => n.binaryOp('add', f(6), 'full', f(1), 'scalar', f(6), 2, 0))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_VALUE']);
    expect(code(() => (n.binaryOp as (...a: unknown[]) => void)('add', f(6), 'full', f(1), 'scalar', f(6), 2))).toEqual(['TypeError', 'ERR_TOPOFR_INVALID_TYPE']);
  });
  it('retainFreedMemory applies on glibc', () => {
    const glibc = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime;
    expect(native().retainFreedMemory(true)).toBe(glibc !== undefined);
  });
});
