// persistenceH0: 0-dimensional Vietoris–Rips persistence = the minimum spanning tree, with the
// official TopoFR code's tie rule (Kruskal over the row-major upper triangle, stable sort).
import { TopofrRangeError } from '../errors.js';
import { native, type NativeDevice, type RawH0 } from '../native.js';
import type { Device, DistanceMatrix, H0Result, Metric, PointCloud } from '../types.js';
import { optionsArg } from '../util/check.js';
import { assertDistanceMatrix, assertPointCloud, isPointCloud, resolveDevice, resolveMetric, resolveThreads } from './validate.js';

export interface H0Options {
  /** 'cuda': distances and pairing on the GPU (the same edges and deaths as the CPU's). */
  device?: Device;
  /** Metric for point input (default 'euclidean'); a matrix is used as given. */
  metric?: Metric;
  /** Threads for the CPU path: 0 (default) = all cores. The result does not depend on it. */
  threads?: number;
}

/** The GPU kernels pack a vertex in 16 bits (native/cuda/kernels/edge_key.cuh). */
const MAX_GPU_POINTS = 65536;

type Plan =
  | { kind: 'points'; points: PointCloud; metric: Metric; threads: number; device: NativeDevice }
  | { kind: 'matrix'; matrix: DistanceMatrix; threads: number; device: NativeDevice };

// From points on the CPU: O(n) memory, distances computed in tiles. On the GPU: the distances stay
// on the device and only the n − 1 edges come back. 'auto' takes the GPU where one is usable and
// the input within its limit.
function plan(input: PointCloud | DistanceMatrix, given: unknown, fn: string): Plan {
  const options = optionsArg<H0Options>(given, fn);
  const threads = resolveThreads(options.threads, fn);
  const points = typeof input === 'object' && input !== null && isPointCloud(input);
  const checked = points ? assertPointCloud(input, fn) : assertDistanceMatrix(input, fn);
  const metric = points ? resolveMetric(options.metric, fn) : 'euclidean';
  let device = resolveDevice(options.device, fn);
  if (device === 'cuda' && checked.n > MAX_GPU_POINTS) {
    if (options.device === 'cuda')
      throw new TopofrRangeError('ERR_TOPOFR_TOO_LARGE', `${fn}: the GPU pairs at most ${MAX_GPU_POINTS} points, got ${checked.n}; use device 'cpu' or 'auto'`);
    device = 'cpu';
  }
  return points ? { kind: 'points', points: checked as PointCloud, metric, threads, device } : { kind: 'matrix', matrix: checked as DistanceMatrix, threads, device };
}

const result = (raw: RawH0): H0Result => ({ edges: raw.edges, deaths: raw.deaths });

/** The n−1 MST edges (u < v) in ascending (death, u, v) order and their deaths. */
export function persistenceH0(input: PointCloud | DistanceMatrix, options: H0Options = {}): H0Result {
  const p = plan(input, options, 'persistenceH0');
  const addon = native();
  if (p.kind === 'points') return result(addon.persistenceH0Points(p.points.data, p.points.n, p.points.dim, p.metric, p.threads, false, p.device));
  return result(addon.persistenceH0Matrix(p.matrix.data, p.matrix.n, p.threads, false, p.device));
}

export async function persistenceH0Async(input: PointCloud | DistanceMatrix, options: H0Options = {}): Promise<H0Result> {
  const p = plan(input, options, 'persistenceH0Async');
  const addon = native();
  if (p.kind === 'points') return result(await addon.persistenceH0Points(p.points.data, p.points.n, p.points.dim, p.metric, p.threads, true, p.device));
  return result(await addon.persistenceH0Matrix(p.matrix.data, p.matrix.n, p.threads, true, p.device));
}
