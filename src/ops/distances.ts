// pairwiseDistances: the full n×n matrix of Euclidean, squared Euclidean or cosine distances.
import { native } from '../native.js';
import type { Device, DistanceMatrix, Metric, PointCloud } from '../types.js';
import { optionsArg } from '../util/check.js';
import { assertMatrixFits, assertPointCloud, resolveDevice, resolveMetric, resolveThreads } from './validate.js';

export interface DistanceOptions {
  metric?: Metric;
  device?: Device;
  /** Threads for the CPU path: 0 (default) = all cores. */
  threads?: number;
}

function prepare(points: PointCloud, given: unknown, fn: string) {
  const options = optionsArg<DistanceOptions>(given, fn);
  const p = assertPointCloud(points, fn);
  assertMatrixFits(p.n, fn);
  return [p.data, p.n, p.dim, resolveMetric(options.metric, fn), resolveDevice(options.device, fn), resolveThreads(options.threads, fn)] as const;
}

/**
 * Exact zero on the diagonal, exactly symmetric; near-identical points are computed directly from
 * their coordinates instead of through the GEMM identity, so they do not lose their digits.
 */
export function pairwiseDistances(points: PointCloud, options: DistanceOptions = {}): DistanceMatrix {
  const args = prepare(points, options, 'pairwiseDistances');
  return { data: native().pairwiseDistances(...args, false), n: args[1] };
}

export async function pairwiseDistancesAsync(points: PointCloud, options: DistanceOptions = {}): Promise<DistanceMatrix> {
  const args = prepare(points, options, 'pairwiseDistancesAsync');
  return { data: await native().pairwiseDistances(...args, true), n: args[1] };
}
