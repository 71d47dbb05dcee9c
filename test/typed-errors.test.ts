// Issue 15, defects 10 and 11 in the JS API: refusals that had no code (options: null, a Proxy
// around a Float32Array, bad colour-jitter parameters, structureAlignment(null, …)) and values
// marginLogits accepted (labels out of range, negative or fractional; margin NaN). Every public
// function is swept with hostile values by the fuzz harness (test/fuzz/targets/api.mjs).
import { describe, expect, it } from 'vitest';
import { colorJitter, cosines, marginLogits, pairwiseDistances, randomErasing, ripsPersistenceSync, structureAlignment, tf, TopofrRangeError, TopofrTypeError } from '../src/index.js';
import { describeValue } from '../src/util/check.js';

function refusal(call: () => unknown): { type: string; code?: string; message: string } {
  try {
    call();
  } catch (e) {
    return { type: (e as Error).constructor.name, code: (e as { code?: string }).code, message: (e as Error).message };
  }
  throw new Error('no error');
}

describe('marginLogits checks its labels and head', () => {
  const f = tf.tensor2d([[1, 0], [0, 1]]);
  const w = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
  it.each([
    [[0, 3], /labels\[1\] = 3 is not a class index in \[0, 3\)/],
    [[-1, 0], /labels\[0\] = -1/],
    [[0.5, 1], /labels\[0\] = 0.5/],
  ])('labels %j are refused', (labels, message) => {
    expect(refusal(() => marginLogits(f, w, tf.tensor1d(labels, 'float32')))).toMatchObject({ type: 'TopofrRangeError', code: 'ERR_TOPOFR_INVALID_VALUE', message: expect.stringMatching(message) });
  });
  it.each([
    [{ kind: 'arcface', margin: NaN }, /head.margin/],
    [{ kind: 'arcface', scale: 0 }, /head.scale/],
    [{ kind: 'cosface', margin: Infinity }, /head.margin/],
    [{ kind: 'combined', m1: 1, m2: 0.5 }, /head.m3/],
    [{ kind: 'magface' }, /head.kind/],
  ])('head %j is refused', (head, message) => {
    expect(refusal(() => marginLogits(f, w, tf.tensor1d([0, 1], 'int32'), head as never))).toMatchObject({ type: 'TopofrRangeError', message: expect.stringMatching(message) });
  });
  it('labels of the wrong length or a string tensor are a type error', () => {
    expect(refusal(() => marginLogits(f, w, tf.tensor1d([0], 'int32')))).toMatchObject({ type: 'TopofrTypeError' });
    expect(refusal(() => marginLogits(f, w, null as never))).toMatchObject({ type: 'TopofrTypeError' });
  });
  it('−1 (a class held elsewhere, Partial FC) only with absentTargets, and then no margin on its row; −2 never', () => {
    expect(refusal(() => marginLogits(f, w, tf.tensor1d([-2, 0], 'int32'), undefined, { absentTargets: true }))).toMatchObject({ type: 'TopofrRangeError', message: expect.stringMatching(/labels\[0\] = -2/) });
    const absent = marginLogits(f, w, tf.tensor1d([-1, 2], 'int32'), undefined, { absentTargets: true }).arraySync();
    const plain = (tf.mul(cosines(f, w), 64) as tf.Tensor2D).arraySync();
    expect(absent[0]).toEqual(plain[0]);
    expect(absent[1]).toEqual(marginLogits(f, w, tf.tensor1d([0, 2], 'int32')).arraySync()[1]);
  });
  it('valid labels still give the margin logits', () => {
    expect(marginLogits(f, w, tf.tensor1d([0, 2], 'int32')).shape).toEqual([2, 3]);
  });
});

describe('refusals that had no code', () => {
  const image = new Float32Array(4 * 4 * 3);
  it.each([
    ['options: null', () => pairwiseDistances({ data: new Float32Array(4), n: 2, dim: 2 }, null as never), TopofrTypeError],
    ['options: a number', () => ripsPersistenceSync({ data: new Float32Array(4), n: 2, dim: 2 }, 3 as never), TopofrTypeError],
    ['a Proxy-wrapped Float32Array', () => pairwiseDistances({ data: new Proxy(new Float32Array(4), {}), n: 2, dim: 2 }), TopofrTypeError],
    ['structureAlignment(null, …)', () => structureAlignment(null as never, { data: new Float32Array(4), n: 2, dim: 2 }), TopofrTypeError],
    ['structureAlignment with dims: a string', () => structureAlignment({ data: new Float32Array(4), n: 2, dim: 2 }, { data: new Float32Array(4), n: 2, dim: 2 }, { dims: 'x' as never }), TopofrRangeError],
    ['colour jitter without an order', () => colorJitter(image, 4, 4, { brightness: 0.3 } as never), TopofrRangeError],
    ['colour jitter with a NaN factor', () => colorJitter(image, 4, 4, { order: ['hue', 'contrast', 'brightness', 'saturation'], brightness: NaN, contrast: 0.4, saturation: 0.3, hue: 0.1 }), TopofrRangeError],
    ['colour jitter with a hue beyond ½', () => colorJitter(image, 4, 4, { order: ['hue', 'contrast', 'brightness', 'saturation'], brightness: 0.3, contrast: 0.4, saturation: 0.3, hue: 2 }), TopofrRangeError],
    ['a random source returning NaN', () => randomErasing(image, 4, 4, () => NaN), TopofrRangeError],
  ])('%s', (_, call, type) => {
    expect(refusal(call)).toMatchObject({ type: type.name, code: expect.stringMatching(/^ERR_TOPOFR_/) });
  });
});

it('values in messages never throw and never carry control characters', () => {
  const detached = new Float32Array(4);
  structuredClone(detached.buffer, { transfer: [detached.buffer] });
  expect([Symbol('x'), 10n, Object.create(null), new Proxy(new Float32Array(2), {}), detached, '\u001b[31m', () => 1].map(describeValue))
    .toEqual(['a Symbol', '10n (a BigInt)', 'an object', 'a Proxy', 'a detached Float32Array', "'\\x1b[31m'", 'a function']);
});
