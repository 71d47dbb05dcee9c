// GPU == CPU. Runs where a CUDA device is usable and is reported as skipped (never as passed) where
// none is; the no-GPU behaviour itself is checked in errors.test.ts and capabilities.test.ts.
import { describe, expect, it } from 'vitest';
import { capabilities, pairwiseDistances, persistenceH0 } from '../src/index.js';
import { expectWithin } from './support/float32.js';
import { distanceErrorBounds, randomPoints } from './support/oracle.js';

const gpu = capabilities().cuda.deviceCount > 0;

describe.skipIf(!gpu)('CUDA', () => {
  it.each(['euclidean', 'sqeuclidean', 'cosine'] as const)('distances equal the CPU within both float32 bounds (%s)', (metric) => {
    for (const [n, dim] of [[1, 3], [130, 7], [1000, 512], [2049, 100]] as const) {
      const points = { data: randomPoints(n, dim, n + dim), n, dim };
      const cpu = pairwiseDistances(points, { metric, device: 'cpu' }).data;
      const cuda = pairwiseDistances(points, { metric, device: 'cuda' }).data;
      // each side within distanceErrorBound of the exact value (the CPU's stands in for it in the
      // bound, which depends on it only to first order)
      expectWithin(cuda, cpu, distanceErrorBounds(points.data, n, dim, metric, cpu).map((b) => 2 * b), `${metric} ${n}×${dim}`);
    }
  });

  it('H0 with device cuda pairs like the CPU', () => {
    const points = { data: randomPoints(1500, 64, 3), n: 1500, dim: 64 };
    expect(Array.from(persistenceH0(points, { device: 'cuda' }).edges)).toEqual(Array.from(persistenceH0(points).edges));
  });
});
