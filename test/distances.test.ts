import { describe, expect, it } from 'vitest';
import { pairwiseDistances, pairwiseDistancesAsync } from '../src/index.js';
import { expectWithin } from './support/float32.js';
import { distanceErrorBounds, distanceMatrix64, randomPoints, rng, type OracleMetric } from './support/oracle.js';

const METRICS: OracleMetric[] = ['euclidean', 'sqeuclidean', 'cosine'];

/** Within the float32 error bound of every pair (support/oracle.ts distanceErrorBound). */
function expectDistances(got: Float32Array, x: Float32Array, n: number, dim: number, metric: OracleMetric): void {
  const want = distanceMatrix64(x, n, dim, metric);
  expectWithin(got, want, distanceErrorBounds(x, n, dim, metric, want), `${metric} ${n}×${dim}`);
}

function expectSymmetricZeroDiagonal(d: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    expect(d[i * n + i]).toBe(0);
    for (let j = 0; j < i; j++) expect(d[i * n + j]).toBe(d[j * n + i]);
  }
}

describe('pairwiseDistances', () => {
  it.each(METRICS)('matches float64 brute force on random shapes (%s)', (metric) => {
    const random = rng(7);
    for (const [n, dim] of [[1, 1], [2, 3], [17, 5], [65, 33], [300, 129], [513, 512]] as const) {
      const x = randomPoints(n, dim, Math.floor(random() * 1e9));
      const got = pairwiseDistances({ data: x, n, dim }, { metric });
      expect(got.n).toBe(n);
      expect(got.data.length).toBe(n * n);
      expectDistances(got.data, x, n, dim, metric);
      expectSymmetricZeroDiagonal(got.data, n);
      expect(got.data.every((v) => v >= 0)).toBe(true);
    }
  });

  it('keeps its digits for near-identical points far from the origin (no cancellation garbage)', () => {
    const n = 40;
    const dim = 64;
    const random = rng(11);
    const x = new Float32Array(n * dim);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < dim; k++) x[i * dim + k] = 1000 + (k % 7) + (random() - 0.5) * 1e-2;
    // The norm identity alone would be off by ~|x|²·ε ≈ 0.5 in d² here, larger than d² itself: the
    // bound is the direct path's, two roundings of d.
    expectDistances(pairwiseDistances({ data: x, n, dim }).data, x, n, dim, 'euclidean');
    expectDistances(pairwiseDistances({ data: x, n, dim }, { metric: 'cosine' }).data, x, n, dim, 'cosine');
  });

  it('gives exactly 0 between duplicate points, and never a negative value', () => {
    const base = randomPoints(5, 31, 3);
    const x = new Float32Array(10 * 31);
    x.set(base, 0);
    x.set(base, 5 * 31);
    for (const metric of METRICS) {
      const d = pairwiseDistances({ data: x, n: 10, dim: 31 }, { metric }).data;
      for (let i = 0; i < 5; i++) expect(d[i * 10 + i + 5]).toBe(0);
      expect(d.every((v) => v >= 0)).toBe(true);
    }
  });

  it('handles n = 0 and n = 1', () => {
    expect(pairwiseDistances({ data: new Float32Array(0), n: 0, dim: 3 }).data.length).toBe(0);
    expect(Array.from(pairwiseDistances({ data: new Float32Array([1, 2]), n: 1, dim: 2 }).data)).toEqual([0]);
  });

  it('does not depend on the thread count, and the async form gives the same bits', async () => {
    const x = randomPoints(700, 70, 5);
    const all = pairwiseDistances({ data: x, n: 700, dim: 70 }).data;
    const one = pairwiseDistances({ data: x, n: 700, dim: 70 }, { threads: 1 }).data;
    const async = (await pairwiseDistancesAsync({ data: x, n: 700, dim: 70 })).data;
    expect(Buffer.from(one.buffer).equals(Buffer.from(all.buffer))).toBe(true);
    expect(Buffer.from(async.buffer).equals(Buffer.from(all.buffer))).toBe(true);
  });
});
