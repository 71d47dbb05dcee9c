// Every bad input gets a typed error with a code and a message that says what to do — never a
// crash, a hang or garbage. Also checked straight at the native boundary, which must not trust JS.
import { describe, expect, it } from 'vitest';
import {
  capabilities,
  pairwiseDistances,
  pairwiseDistancesAsync,
  persistenceH0,
  persistenceH0Async,
  TopofrError,
  TopofrRangeError,
  TopofrTypeError,
} from '../src/index.js';
import { native } from '../src/native.js';

function expectError(fn: () => unknown, type: new (...a: never[]) => Error, code: string, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(type);
  expect((caught as { code?: string }).code).toBe(code);
  expect((caught as Error).message).toMatch(message);
}

const good = { data: new Float32Array(12), n: 4, dim: 3 };

describe('bad input to pairwiseDistances / persistenceH0', () => {
  const both = [
    ['pairwiseDistances', (p: unknown, o?: object) => pairwiseDistances(p as never, o)],
    ['persistenceH0', (p: unknown, o?: object) => persistenceH0(p as never, o)],
  ] as const;

  it.each(both)('%s: NaN and ±Infinity coordinates name the row and column', (_, f) => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const data = new Float32Array(12);
      data[7] = bad;
      expectError(() => f({ data, n: 4, dim: 3 }), RangeError, 'ERR_TOPOFR_NON_FINITE', /row 2, column 1/);
    }
  });

  it.each(both)('%s: wrong container types', (_, f) => {
    expectError(() => f({ data: new Float64Array(12), n: 4, dim: 3 }), TopofrTypeError, 'ERR_TOPOFR_INVALID_TYPE', /Float32Array, got Float64Array/);
    expectError(() => f({ data: [1, 2, 3], n: 1, dim: 3 }), TopofrTypeError, 'ERR_TOPOFR_INVALID_TYPE', /got an Array/);
    expectError(() => f(null), TopofrTypeError, 'ERR_TOPOFR_INVALID_TYPE', /expected/);
    expectError(() => f('points'), TopofrTypeError, 'ERR_TOPOFR_INVALID_TYPE', /expected/);
  });

  it.each(both)('%s: n·dim mismatches and bad sizes', (_, f) => {
    expectError(() => f({ data: new Float32Array(11), n: 4, dim: 3 }), TopofrRangeError, 'ERR_TOPOFR_INVALID_SHAPE', /11 values but n·dim = 4·3 = 12/);
    expectError(() => f({ data: new Float32Array(12), n: -1, dim: 3 }), TopofrRangeError, 'ERR_TOPOFR_INVALID_SHAPE', /points.n/);
    expectError(() => f({ data: new Float32Array(12), n: 4, dim: 0 }), TopofrRangeError, 'ERR_TOPOFR_INVALID_SHAPE', /points.dim/);
    expectError(() => f({ data: new Float32Array(12), n: 4.5, dim: 3 }), TopofrRangeError, 'ERR_TOPOFR_INVALID_SHAPE', /integer/);
  });

  it.each(both)('%s: unknown metric, device and thread counts', (_, f) => {
    expectError(() => f(good, { metric: 'manhattan' }), TopofrRangeError, 'ERR_TOPOFR_INVALID_VALUE', /unknown metric 'manhattan'/);
    expectError(() => f(good, { device: 'tpu' }), TopofrRangeError, 'ERR_TOPOFR_INVALID_VALUE', /unknown device 'tpu'/);
    expectError(() => f(good, { threads: -2 }), TopofrRangeError, 'ERR_TOPOFR_INVALID_VALUE', /threads/);
  });

  it.each(both)("%s: device 'cuda' without a usable GPU is a clear error; 'auto' falls back", (_, f) => {
    const { cuda } = capabilities();
    if (cuda.deviceCount === 0) {
      expectError(() => f(good, { device: 'cuda' }), TopofrError, 'ERR_TOPOFR_NO_CUDA', /no GPU is usable.*device 'auto'/);
    } else {
      expect(() => f(good, { device: 'cuda' })).not.toThrow();
    }
    expect(() => f(good, { device: 'auto' })).not.toThrow();
  });

  it('cosine distance of a zero vector is refused', () => {
    const data = new Float32Array([1, 2, 0, 0]);
    expectError(() => pairwiseDistances({ data, n: 2, dim: 2 }, { metric: 'cosine' }), RangeError, 'ERR_TOPOFR_INVALID_VALUE', /zero vector \(row 1\)/);
    expectError(() => persistenceH0({ data, n: 2, dim: 2 }, { metric: 'cosine' }), RangeError, 'ERR_TOPOFR_INVALID_VALUE', /zero vector/);
  });

  it('refuses an n×n matrix that cannot be allocated, before allocating', () => {
    const n = 100_000;
    const points = { data: new Float32Array(n), n, dim: 1 };
    expectError(() => pairwiseDistances(points), TopofrRangeError, 'ERR_TOPOFR_TOO_LARGE', /100000×100000.*O\(n\) memory/);
  });

  it('async forms reject with the same typed errors', async () => {
    const data = new Float32Array(12);
    data[0] = NaN;
    await expect(pairwiseDistancesAsync({ data, n: 4, dim: 3 })).rejects.toMatchObject({ code: 'ERR_TOPOFR_NON_FINITE' });
    await expect(persistenceH0Async({ data, n: 4, dim: 3 })).rejects.toBeInstanceOf(RangeError);
    await expect(persistenceH0Async({ data: new Float32Array(3), n: 4, dim: 3 })).rejects.toBeInstanceOf(TopofrRangeError);
  });
});

describe('bad distance matrices', () => {
  const m = (values: number[]) => ({ data: Float32Array.from(values), n: Math.round(Math.sqrt(values.length)) });

  it('NaN, negative entries and asymmetry name the entry', () => {
    expectError(() => persistenceH0(m([0, NaN, NaN, 0])), RangeError, 'ERR_TOPOFR_NON_FINITE', /\[0\]\[1\] is NaN/);
    expectError(() => persistenceH0(m([0, -1, -1, 0])), RangeError, 'ERR_TOPOFR_INVALID_VALUE', /negative/);
    expectError(() => persistenceH0(m([0, 1, 2, 0])), RangeError, 'ERR_TOPOFR_INVALID_VALUE', /symmetric.*not a triangle/);
  });

  it('a triangle or a wrong length is refused', () => {
    expectError(() => persistenceH0({ data: new Float32Array(6), n: 4 }), TopofrRangeError, 'ERR_TOPOFR_INVALID_SHAPE', /full n×n/);
    expectError(() => persistenceH0({ data: new Int32Array(4), n: 2 } as never), TopofrTypeError, 'ERR_TOPOFR_INVALID_TYPE', /Int32Array/);
  });
});

describe('the native boundary checks for itself', () => {
  const addon = native() as unknown as Record<string, (...args: unknown[]) => unknown>;

  it('wrong types, lengths and sizes are typed errors, not crashes', () => {
    expectError(() => addon.pairwiseDistances([1, 2], 1, 2, 'euclidean', 'cpu', 0, false), TypeError, 'ERR_TOPOFR_INVALID_TYPE', /Float32Array/);
    expectError(() => addon.pairwiseDistances(new Float32Array(5), 2, 3, 'euclidean', 'cpu', 0, false), RangeError, 'ERR_TOPOFR_INVALID_SHAPE', /5 elements/);
    expectError(() => addon.pairwiseDistances(new Float32Array(40000), 40000, 1, 'euclidean', 'cpu', 0, false), RangeError, 'ERR_TOPOFR_TOO_LARGE', /2\^30/);
    expectError(() => addon.persistenceH0Points(new Float32Array(4), 2, 2, 'cityblock', 0, false), RangeError, 'ERR_TOPOFR_INVALID_VALUE', /metric/);
    expectError(() => addon.persistenceH0Matrix(new Float32Array(4), 2, 0), TypeError, 'ERR_TOPOFR_INVALID_TYPE', /async/);
    expectError(() => addon.persistenceH0Matrix(new Float32Array(4), 2 ** 40, 0, false), RangeError, 'ERR_TOPOFR_INVALID_VALUE', /n/);
    expectError(() => addon.sgemm(false, false, 4, 4, 4, 1, new Float32Array(15), 4, new Float32Array(16), 4, 0, new Float32Array(16), 4), RangeError, 'ERR_TOPOFR_INVALID_SHAPE', /too short/);
  });
});
