// ripsPersistence: Vietoris–Rips barcodes in dimensions 0…maxDim with the critical edges of every
// interval (the vertex pairs whose distances are its birth and death: what gradients flow through).
import os from 'node:os';
import { TopofrError, TopofrRangeError, TopofrTypeError } from '../errors.js';
import { native, type NativeDevice } from '../native.js';
import type { Barcode, Device, LowerDistanceMatrix, Metric, RipsInput, SparseDistances } from '../types.js';
import { assertDistanceMatrix, assertPointCloud, isPointCloud, resolveDevice, resolveMetric, resolveThreads } from './validate.js';
import { describeValue, isFloat32Array, isInt32Array, optionsArg } from '../util/check.js';

export interface RipsOptions {
  /** Highest homology dimension (default 1). */
  maxDim?: number;
  /** Edges longer than this are left out; default: the enclosing radius for dense input, none for sparse. */
  threshold?: number;
  /** Coefficients in Z/p for this prime (default 2). */
  modulus?: number;
  /** Threads (0 = all cores, the default); the result does not depend on it. */
  threads?: number;
  /** Distance between points for point-cloud input (default 'euclidean'). */
  metric?: Metric;
  /** 'cuda': dense input (points, full or lower matrix) assembles the columns of dimensions ≥ 2 on
   *  the GPU, the reduction stays on the CPU; the barcodes are the same. Sparse input: 'cpu'/'auto'. */
  device?: Device;
}

export type NativeRipsInput =
  | { kind: 'points'; data: Float32Array; n: number; dim: number }
  | { kind: 'matrix'; data: Float32Array; n: number }
  | { kind: 'lower'; lower: Float32Array; n: number }
  | { kind: 'sparse'; n: number; i: Int32Array; j: Int32Array; d: Float32Array };

/** The largest prime whose products fit the engine's 32-bit arithmetic. */
export const MAX_MODULUS = 65521;

function isPrime(p: number): boolean {
  if (p < 2) return false;
  for (let q = 2; q * q <= p; q++) if (p % q === 0) return false;
  return true;
}

function typed<T>(value: unknown, is: (v: unknown) => v is T, type: string, fn: string, name: string): T {
  if (!is(value)) throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: ${name} must be a ${type}, got ${describeValue(value)}`);
  return value;
}

function count(value: unknown, fn: string, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: ${name} must be an integer ≥ 0, got ${describeValue(value)}`);
  return value;
}

function toNative(input: RipsInput, metric: Metric | undefined, maxDim: number, fn: string): NativeRipsInput {
  if (typeof input !== 'object' || input === null)
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: input must be a point cloud, a distance matrix (full or lower), or sparse distances`);
  if (isPointCloud(input)) {
    const p = assertPointCloud(input, fn);
    assertFits(p.n, fn);
    return { kind: 'points', data: p.data, n: p.n, dim: p.dim };
  }
  if ('lower' in input) {
    const m = input as LowerDistanceMatrix;
    const lower = typed(m.lower, isFloat32Array, 'Float32Array', fn, 'input.lower');
    const n = count(m.n, fn, 'input.n');
    if (lower.length !== (n * (n - 1)) / 2)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: input.lower has ${lower.length} values but n(n−1)/2 = ${(n * (n - 1)) / 2}`);
    return { kind: 'lower', lower, n };
  }
  if ('i' in input) {
    const s = input as SparseDistances;
    const i = typed(s.i, isInt32Array, 'Int32Array', fn, 'input.i');
    const j = typed(s.j, isInt32Array, 'Int32Array', fn, 'input.j');
    const d = typed(s.d, isFloat32Array, 'Float32Array', fn, 'input.d');
    if (i.length !== d.length || j.length !== d.length)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: input.i, input.j and input.d must have the same length`);
    const n = count(s.n, fn, 'input.n');
    assertSparseFits(n, d.length, maxDim, fn);
    return { kind: 'sparse', n, i, j, d };
  }
  if (metric !== undefined)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: metric applies to point clouds only; a matrix is used as given`);
  const m = assertDistanceMatrix(input, fn);
  assertFits(m.n, fn);
  return { kind: 'matrix', data: m.data, n: m.n };
}

/** The engine stores n(n−1)/2 float32 distances for dense input: refuse what cannot fit. */
function assertFits(n: number, fn: string): void {
  const bytes = n * (n - 1) * 2;
  if (bytes > os.totalmem() * 0.8)
    throw new TopofrRangeError(
      'ERR_TOPOFR_TOO_LARGE',
      `${fn}: n = ${n} points need ${(bytes / 2 ** 30).toFixed(1)} GiB of distances, more than this machine has; pass sparse distances with a threshold instead`,
    );
}

/** Bytes of the result per interval: births, deaths (float32) and two int32 edges. */
export const RESULT_BYTES_PER_INTERVAL = 24;

/**
 * Sparse input costs memory per vertex, however few its edges: the engine's lists, binomial table
 * and union-find (native/core/rips sparse_memory: 72 + 8·(maxDim + 3) bytes), and one essential
 * interval per lone vertex (`bytesPerInterval` for its result: the arrays returned here, more
 * where a caller formats them). Refuses what cannot fit, before anything is allocated: a 13-byte
 * file "0 16777215 1" is 16.8 M vertices.
 */
export function assertSparseFits(n: number, entries: number, maxDim: number, fn: string, bytesPerInterval = RESULT_BYTES_PER_INTERVAL): void {
  const top = Math.min(maxDim, Math.max(n - 1, 0));
  const bytes = n * (72 + 8 * (top + 3) + bytesPerInterval) + entries * 56;
  const limit = os.totalmem() * 0.8;
  if (bytes > limit)
    throw new TopofrRangeError(
      'ERR_TOPOFR_TOO_LARGE',
      `${fn}: sparse input on n = ${n} vertices (${entries} entries) needs ~${(bytes / 2 ** 30).toFixed(1)} GiB, more than this machine has ` +
        `(${(limit / 2 ** 30).toFixed(1)} GiB); n is one more than the largest vertex index: renumber the vertices 0…n−1`,
    );
}

function prepare(input: RipsInput, given: unknown, fn: string) {
  const options = optionsArg<RipsOptions>(given, fn);
  const maxDim = options.maxDim ?? 1;
  if (!Number.isInteger(maxDim) || maxDim < 0 || maxDim > 64)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: maxDim must be an integer in [0, 64], got ${describeValue(maxDim)}`);
  const threshold = options.threshold ?? NaN;
  if (options.threshold !== undefined && (typeof threshold !== 'number' || !(threshold >= 0)))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: threshold must be a number ≥ 0 (or Infinity), got ${describeValue(threshold)}`);
  const modulus = options.modulus ?? 2;
  if (!Number.isInteger(modulus) || modulus > MAX_MODULUS || !isPrime(modulus))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: modulus must be a prime ≤ ${MAX_MODULUS} (coefficients in Z/p), got ${describeValue(modulus)}`);
  const nativeInput = toNative(input, options.metric, maxDim, fn);
  const metric = resolveMetric(options.metric, fn);
  let device: NativeDevice = resolveDevice(options.device, fn);
  if (device === 'cuda' && nativeInput.kind === 'sparse') {
    if (options.device === 'cuda')
      throw new TopofrError('ERR_TOPOFR_UNSUPPORTED', `${fn}: the GPU assembles the columns of dense input only; use device 'cpu' or 'auto' for sparse distances`);
    device = 'cpu';
  }
  return [nativeInput, maxDim, threshold, modulus, resolveThreads(options.threads, fn), metric, device] as const;
}

/** Barcodes for dimensions 0…maxDim, computed off the JS thread. */
export async function ripsPersistence(input: RipsInput, options: RipsOptions = {}): Promise<Barcode[]> {
  const [nativeInput, maxDim, threshold, modulus, threads, metric, device] = prepare(input, options, 'ripsPersistence');
  return native().ripsPersistence(nativeInput, maxDim, threshold, modulus, threads, true, metric, device);
}

/** The same, on the calling thread. */
export function ripsPersistenceSync(input: RipsInput, options: RipsOptions = {}): Barcode[] {
  const [nativeInput, maxDim, threshold, modulus, threads, metric, device] = prepare(input, options, 'ripsPersistenceSync');
  return native().ripsPersistence(nativeInput, maxDim, threshold, modulus, threads, false, metric, device);
}
