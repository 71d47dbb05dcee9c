// Argument checks done in JS before anything native runs, so a mistake gets a typed error that
// names the function, the argument and the fix. (The addon checks again: it never trusts its caller.)
import os from 'node:os';
import { TopofrError, TopofrRangeError, TopofrTypeError } from '../errors.js';
import type { Device, DistanceMatrix, Metric, PointCloud } from '../types.js';
import { native } from '../native.js';
import { describeValue, isFloat32Array } from '../util/check.js';

const METRICS: readonly Metric[] = ['euclidean', 'sqeuclidean', 'cosine'];
const DEVICES: readonly Device[] = ['cpu', 'cuda', 'auto'];
/** The addon's bound on an n×n output (a Float32Array holds at most 2^30 floats here). */
const MAX_MATRIX_ELEMENTS = 2 ** 30;

function assertCount(value: unknown, fn: string, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 2 ** 31 - 1)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: ${name} must be an integer ≥ ${min}, got ${describeValue(value)}`);
  return value;
}

function assertFloat32(data: unknown, fn: string, name: string): Float32Array {
  if (!isFloat32Array(data))
    throw new TopofrTypeError(
      'ERR_TOPOFR_INVALID_TYPE',
      `${fn}: ${name} must be a Float32Array, got ${describeValue(data)} (convert with Float32Array.from(...))`,
    );
  return data;
}

export function isPointCloud(input: object): input is PointCloud {
  return input !== null && 'dim' in input;
}

export function assertPointCloud(points: unknown, fn: string): PointCloud {
  if (typeof points !== 'object' || points === null)
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: expected { data: Float32Array, n, dim }, got ${describeValue(points)}`);
  const p = points as PointCloud;
  const data = assertFloat32(p.data, fn, 'points.data');
  const n = assertCount(p.n, fn, 'points.n', 0);
  const dim = assertCount(p.dim, fn, 'points.dim', 1);
  if (data.length !== n * dim)
    throw new TopofrRangeError(
      'ERR_TOPOFR_INVALID_SHAPE',
      `${fn}: points.data has ${data.length} values but n·dim = ${n}·${dim} = ${n * dim}`,
    );
  return p;
}

export function assertDistanceMatrix(matrix: unknown, fn: string): DistanceMatrix {
  if (typeof matrix !== 'object' || matrix === null)
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: expected { data: Float32Array, n }, got ${describeValue(matrix)}`);
  const m = matrix as DistanceMatrix;
  const data = assertFloat32(m.data, fn, 'matrix.data');
  const n = assertCount(m.n, fn, 'matrix.n', 0);
  if (data.length !== n * n)
    throw new TopofrRangeError(
      'ERR_TOPOFR_INVALID_SHAPE',
      `${fn}: matrix.data has ${data.length} values but a full n×n matrix needs ${n}² = ${n * n} (pass the full symmetric matrix, not a triangle)`,
    );
  return m;
}

export function resolveMetric(metric: unknown, fn: string): Metric {
  if (metric === undefined) return 'euclidean';
  if (!METRICS.includes(metric as Metric))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: unknown metric ${describeValue(metric)}; use one of ${METRICS.join(', ')}`);
  return metric as Metric;
}

export function resolveThreads(threads: unknown, fn: string): number {
  if (threads === undefined) return 0;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 0 || threads > 4096)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: threads must be an integer in [0, 4096] (0 = all cores), got ${describeValue(threads)}`);
  return threads;
}

/** 'auto' becomes 'cuda' when a usable GPU exists, else 'cpu'; 'cuda' without one is an error. */
export function resolveDevice(device: unknown, fn: string): 'cpu' | 'cuda' {
  if (device === undefined || device === 'cpu') return 'cpu';
  if (!DEVICES.includes(device as Device))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: unknown device ${describeValue(device)}; use 'cpu', 'cuda' or 'auto'`);
  const { cuda } = native().capabilities();
  if (cuda.deviceCount > 0) return 'cuda';
  if (device === 'auto') return 'cpu';
  const why = cuda.compiled ? (cuda.error ?? 'no CUDA device found') : 'this build of topofr has no CUDA kernels';
  throw new TopofrError('ERR_TOPOFR_NO_CUDA', `${fn}: device 'cuda' was requested but no GPU is usable (${why}); use device 'auto' to fall back to the CPU`);
}

/** Refuses an n×n float32 output that cannot be allocated, before trying. */
export function assertMatrixFits(n: number, fn: string): void {
  const elements = n * n;
  const bytes = elements * 4;
  const limit = Math.min(MAX_MATRIX_ELEMENTS * 4, os.totalmem() * 0.8);
  if (elements > MAX_MATRIX_ELEMENTS || bytes > limit) {
    const gb = (x: number) => `${(x / 2 ** 30).toFixed(1)} GiB`;
    throw new TopofrRangeError(
      'ERR_TOPOFR_TOO_LARGE',
      `${fn}: n = ${n} needs a ${n}×${n} float32 matrix (${gb(bytes)}), more than can be allocated here (limit ${gb(limit)}); ` +
        'persistenceH0 from points needs only O(n) memory, or process the points in smaller batches',
    );
  }
}
