// persistenceH0: 0-dimensional Vietoris–Rips persistence = the minimum spanning tree, with the
// official TopoFR code's tie rule (Kruskal over the row-major upper triangle, stable sort).
import { native, type RawH0 } from '../native.js';
import type { Device, DistanceMatrix, H0Result, Metric, PointCloud } from '../types.js';
import { pairwiseDistances, pairwiseDistancesAsync } from './distances.js';
import { optionsArg } from '../util/check.js';
import { assertDistanceMatrix, assertPointCloud, isPointCloud, resolveDevice, resolveMetric, resolveThreads } from './validate.js';

export interface H0Options {
  device?: Device;
  /** Metric for point input (default 'euclidean'); a matrix is used as given. */
  metric?: Metric;
  /** Threads for the CPU path: 0 (default) = all cores. The result does not depend on it. */
  threads?: number;
}

type Plan =
  | { kind: 'points'; points: PointCloud; metric: Metric; threads: number }
  | { kind: 'gpu-distances'; points: PointCloud; metric: Metric; threads: number }
  | { kind: 'matrix'; matrix: DistanceMatrix; threads: number };

// From points on the CPU: O(n) memory, distances computed in tiles. On the GPU: the distance matrix
// is computed there, and the pairing runs on the CPU over it (GPU pairing is a later release).
function plan(input: PointCloud | DistanceMatrix, given: unknown, fn: string): Plan {
  const options = optionsArg<H0Options>(given, fn);
  const threads = resolveThreads(options.threads, fn);
  if (typeof input === 'object' && input !== null && isPointCloud(input)) {
    const points = assertPointCloud(input, fn);
    const metric = resolveMetric(options.metric, fn);
    const device = resolveDevice(options.device, fn);
    return { kind: device === 'cuda' ? 'gpu-distances' : 'points', points, metric, threads };
  }
  const matrix = assertDistanceMatrix(input, fn);
  resolveDevice(options.device, fn);
  return { kind: 'matrix', matrix, threads };
}

const result = (raw: RawH0): H0Result => ({ edges: raw.edges, deaths: raw.deaths });

/** The n−1 MST edges (u < v) in ascending (death, u, v) order and their deaths. */
export function persistenceH0(input: PointCloud | DistanceMatrix, options: H0Options = {}): H0Result {
  const p = plan(input, options, 'persistenceH0');
  const addon = native();
  switch (p.kind) {
    case 'points':
      return result(addon.persistenceH0Points(p.points.data, p.points.n, p.points.dim, p.metric, p.threads, false));
    case 'gpu-distances': {
      const m = pairwiseDistances(p.points, { metric: p.metric, device: 'cuda' });
      return result(addon.persistenceH0Matrix(m.data, m.n, p.threads, false));
    }
    case 'matrix':
      return result(addon.persistenceH0Matrix(p.matrix.data, p.matrix.n, p.threads, false));
  }
}

export async function persistenceH0Async(input: PointCloud | DistanceMatrix, options: H0Options = {}): Promise<H0Result> {
  const p = plan(input, options, 'persistenceH0Async');
  const addon = native();
  switch (p.kind) {
    case 'points':
      return result(await addon.persistenceH0Points(p.points.data, p.points.n, p.points.dim, p.metric, p.threads, true));
    case 'gpu-distances': {
      const m = await pairwiseDistancesAsync(p.points, { metric: p.metric, device: 'cuda' });
      return result(await addon.persistenceH0Matrix(m.data, m.n, p.threads, true));
    }
    case 'matrix':
      return result(await addon.persistenceH0Matrix(p.matrix.data, p.matrix.n, p.threads, true));
  }
}
