// Issue 15, defects 2, 3, 8 and 10 in the native layer: async calls own their inputs (detaching or
// rewriting the caller's buffer mid-call changes nothing: it used to be a use-after-free, SIGSEGV);
// distances exact at any finite scale (cosine came out NaN at 1e-25 and 0 at 2e19, and H0 then
// looped forever); sparse input checked against memory; native refusals are topofr's classes.
import { describe, expect, it } from 'vitest';
import {
  pairwiseDistances, pairwiseDistancesAsync, persistenceH0, persistenceH0Async, ripsPersistence, ripsPersistenceSync,
  TopofrRangeError, TopofrTypeError,
} from '../src/index.js';
import { native } from '../src/native.js';
import { distance64, randomPoints } from './support/oracle.js';

const sameBits = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const detach = (a: ArrayBufferView) => structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function lowerOf(m: Float32Array, n: number): Float32Array {
  const lower = new Float32Array((n * (n - 1)) / 2);
  for (let i = 1, k = 0; i < n; i++) for (let j = 0; j < i; j++) lower[k++] = m[i * n + j]!;
  return lower;
}

describe('async calls own their inputs', () => {
  const n = 1500, dim = 32;
  const points = () => randomPoints(n, dim, 5);
  const matrix = () => pairwiseDistances({ data: randomPoints(400, 8, 6), n: 400, dim: 8 }).data;
  const sparse = () => {
    const m = matrix();
    const i: number[] = [], j: number[] = [], d: number[] = [];
    for (let a = 0; a < 400; a++) for (let b = a + 1; b < 400; b++) if (m[a * 400 + b]! < 3) (i.push(a), j.push(b), d.push(m[a * 400 + b]!));
    return { n: 400, i: Int32Array.from(i), j: Int32Array.from(j), d: Float32Array.from(d) };
  };
  const barcodes = (b: Awaited<ReturnType<typeof ripsPersistence>>) => b.flatMap((x) => [x.births, x.deaths, x.birthEdges, x.deathEdges]);
  const cases: [string, () => { arrays: ArrayBufferView[]; sync: () => ArrayBufferView[]; async: () => Promise<ArrayBufferView[]> }][] = [
    ['pairwiseDistancesAsync', () => { const data = points(); const p = { data, n, dim };
      return { arrays: [data], sync: () => [pairwiseDistances(p).data], async: async () => [(await pairwiseDistancesAsync(p)).data] }; }],
    ['persistenceH0Async (points)', () => { const data = points(); const p = { data, n, dim };
      return { arrays: [data], sync: () => Object.values(persistenceH0(p)), async: async () => Object.values(await persistenceH0Async(p)) }; }],
    ['persistenceH0Async (matrix)', () => { const data = matrix(); const m = { data, n: 400 };
      return { arrays: [data], sync: () => Object.values(persistenceH0(m)), async: async () => Object.values(await persistenceH0Async(m)) }; }],
    ['ripsPersistence (points)', () => { const data = randomPoints(200, 3, 7); const p = { data, n: 200, dim: 3 };
      return { arrays: [data], sync: () => barcodes(ripsPersistenceSync(p)), async: async () => barcodes(await ripsPersistence(p)) }; }],
    ['ripsPersistence (matrix)', () => { const data = matrix(); const m = { data, n: 400 };
      return { arrays: [data], sync: () => barcodes(ripsPersistenceSync(m)), async: async () => barcodes(await ripsPersistence(m)) }; }],
    ['ripsPersistence (lower)', () => { const lower = lowerOf(matrix(), 400); const l = { lower, n: 400 };
      return { arrays: [lower], sync: () => barcodes(ripsPersistenceSync(l)), async: async () => barcodes(await ripsPersistence(l)) }; }],
    ['ripsPersistence (sparse)', () => { const s = sparse();
      return { arrays: [s.i, s.j, s.d], sync: () => barcodes(ripsPersistenceSync(s)), async: async () => barcodes(await ripsPersistence(s)) }; }],
  ];

  it.each(cases)('%s: its buffers detached right after the call', async (_, make) => {
    const c = make();
    const want = c.sync();
    const pending = c.async();
    c.arrays.forEach(detach);
    gc();
    const got = await pending;
    expect(got.map((a, k) => sameBits(a, want[k]!))).toEqual(want.map(() => true));
  });

  it.each(cases)('%s: NaN written into its input right after the call', async (_, make) => {
    const c = make();
    const want = c.sync();
    const pending = c.async();
    for (const a of c.arrays) (a as Float32Array).fill(a instanceof Int32Array ? -1 : NaN);
    const got = await pending;
    expect(got.map((a, k) => sameBits(a, want[k]!))).toEqual(want.map(() => true));
  });
});

describe('distances at any finite scale', () => {
  const corners = (s: number) => Float32Array.of(s, 0, 0, s, s, s);  // (s,0), (0,s), (s,s)

  it('cosine is scale-invariant: (s,0), (0,s), (s,s) give 1 and 1 − 1/√2 at every scale, and H0 ends', async () => {
    const want = pairwiseDistances({ data: corners(1), n: 3, dim: 2 }, { metric: 'cosine' }).data;
    expect(want[1]).toBe(1);
    expect(want[2]).toBeCloseTo(1 - Math.SQRT1_2, 7);
    for (const s of [1e-45, 1e-40, 1e-25, 1e-10, 1e10, 2e19, 3e38]) {
      const data = corners(s);
      expect(pairwiseDistances({ data, n: 3, dim: 2 }, { metric: 'cosine' }).data, `s = ${s}`).toEqual(want);
      expect(Array.from(persistenceH0({ data, n: 3, dim: 2 }, { metric: 'cosine' }).deaths)).toEqual([want[2], want[5]]);
      expect((await persistenceH0Async({ data, n: 3, dim: 2 }, { metric: 'cosine' })).deaths).toEqual(persistenceH0({ data: corners(1), n: 3, dim: 2 }, { metric: 'cosine' }).deaths);
    }
  });

  it.each(['euclidean', 'sqeuclidean', 'cosine'] as const)('%s within float32 rounding of float64 from 2^-140 to 2^120', (metric) => {
    const n = 30, dim = 12, base = randomPoints(n, dim, 9);
    for (const e of [-140, -126, -100, -64, -20, 0, 20, 64, 100, 120]) {
      const x = Float32Array.from(base, (v) => v * 2 ** e);
      const d = pairwiseDistances({ data: x, n, dim }, { metric }).data;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          const want = i === j ? 0 : distance64(x, dim, i, j, metric);
          if (!Number.isFinite(Math.fround(want))) expect(d[i * n + j]).toBe(Infinity);
          // The engine's bound (test/fuzz/support.mjs): float32 dot products of length dim, one rounding.
          else expect(Math.abs(d[i * n + j]! - want), `2^${e} (${i}, ${j})`).toBeLessThanOrEqual(8 * (dim + 8) * 2 ** -24 * want + 2 ** -149);
        }
    }
  });
});

describe('sparse input is checked against memory', () => {
  const huge = { n: 2 ** 31 - 1, i: Int32Array.of(0), j: Int32Array.of(2 ** 31 - 2), d: Float32Array.of(1) };

  it('in JS, before the addon is called', () => {
    expect(() => ripsPersistenceSync(huge, { maxDim: 0 })).toThrow(TopofrRangeError);
    expect(() => ripsPersistenceSync(huge, { maxDim: 0 })).toThrow(/2147483647 vertices.*GiB/);
  });

  it('in the addon, which does not trust its caller', async () => {
    const raw = { kind: 'sparse' as const, ...huge };
    expect(() => native().ripsPersistence(raw, 0, NaN, 2, 0, false, 'euclidean', 'cpu')).toThrow(/would need ~.* GB of memory/);
    await expect(native().ripsPersistence(raw, 0, NaN, 2, 0, true, 'euclidean', 'cpu')).rejects.toMatchObject({ code: 'ERR_TOPOFR_TOO_LARGE' });
  });
});

describe("native refusals are topofr's typed errors, sync and async", () => {
  const expectTyped = async (call: () => unknown, type: typeof TopofrRangeError | typeof TopofrTypeError, code: string) => {
    let caught: unknown;
    try {
      await call();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(type);
    expect((caught as { code: string }).code).toBe(code);
  };
  const nanPoints = { data: Float32Array.of(0, NaN, 1, 1), n: 2, dim: 2 };

  it.each([
    ['NaN points', () => persistenceH0(nanPoints), TopofrRangeError, 'ERR_TOPOFR_NON_FINITE'],
    ['NaN points (async)', () => persistenceH0Async(nanPoints), TopofrRangeError, 'ERR_TOPOFR_NON_FINITE'],
    ['NaN points (distances)', () => pairwiseDistancesAsync(nanPoints), TopofrRangeError, 'ERR_TOPOFR_NON_FINITE'],
    ['an asymmetric matrix', () => persistenceH0({ data: Float32Array.of(0, 1, 2, 0), n: 2 }), TopofrRangeError, 'ERR_TOPOFR_INVALID_VALUE'],
    ['a sparse index out of range', () => ripsPersistence({ n: 2, i: Int32Array.of(0), j: Int32Array.of(5), d: Float32Array.of(1) }), TopofrRangeError, 'ERR_TOPOFR_INVALID_VALUE'],
    ['a zero vector under cosine', () => ripsPersistence({ data: Float32Array.of(0, 0, 1, 1), n: 2, dim: 2 }, { metric: 'cosine' }), TopofrRangeError, 'ERR_TOPOFR_INVALID_VALUE'],
    ['a non-array at the addon', () => native().persistenceH0Matrix([1] as never, 1, 0, false, 'cpu'), TopofrTypeError, 'ERR_TOPOFR_INVALID_TYPE'],
    ['a Proxy around a Float32Array', () => pairwiseDistances({ data: new Proxy(new Float32Array(4), {}), n: 2, dim: 2 }), TopofrTypeError, 'ERR_TOPOFR_INVALID_TYPE'],
    ['options: null', () => persistenceH0({ data: new Float32Array(4), n: 2, dim: 2 }, null as never), TopofrTypeError, 'ERR_TOPOFR_INVALID_TYPE'],
  ] as const)('%s', async (_, call, type, code) => expectTyped(call, type, code));
});
