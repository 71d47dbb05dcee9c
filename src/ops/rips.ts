// ripsPersistence: Vietoris–Rips barcodes in dimensions 0…maxDim with the critical edges of every
// interval (the vertex pairs whose distances are its birth and death: what gradients flow through).
import os from 'node:os';
import { TopofrError, TopofrRangeError, TopofrTypeError } from '../errors.js';
import { native, type NativeDevice } from '../native.js';
import type { Barcode, Device, LowerDistanceMatrix, Metric, RipsInput, SparseDistances } from '../types.js';
import { assertDistanceMatrix, assertPointCloud, isPointCloud, resolveDevice, resolveMetric, resolveThreads } from './validate.js';

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

const MAX_MODULUS = 65521; // the largest prime whose products fit the engine's 32-bit arithmetic

function isPrime(p: number): boolean {
  if (p < 2) return false;
  for (let q = 2; q * q <= p; q++) if (p % q === 0) return false;
  return true;
}

function typed<T>(value: unknown, type: new (...args: never[]) => T, fn: string, name: string): T {
  if (!(value instanceof type))
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: ${name} must be a ${type.name}`);
  return value;
}

function count(value: unknown, fn: string, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: ${name} must be an integer ≥ 0, got ${String(value)}`);
  return value;
}

function toNative(input: RipsInput, metric: Metric | undefined, fn: string): NativeRipsInput {
  if (typeof input !== 'object' || input === null)
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: input must be a point cloud, a distance matrix (full or lower), or sparse distances`);
  if (isPointCloud(input)) {
    const p = assertPointCloud(input, fn);
    assertFits(p.n, fn);
    return { kind: 'points', data: p.data, n: p.n, dim: p.dim };
  }
  if ('lower' in input) {
    const m = input as LowerDistanceMatrix;
    const lower = typed(m.lower, Float32Array, fn, 'input.lower');
    const n = count(m.n, fn, 'input.n');
    if (lower.length !== (n * (n - 1)) / 2)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: input.lower has ${lower.length} values but n(n−1)/2 = ${(n * (n - 1)) / 2}`);
    return { kind: 'lower', lower, n };
  }
  if ('i' in input) {
    const s = input as SparseDistances;
    const i = typed(s.i, Int32Array, fn, 'input.i');
    const j = typed(s.j, Int32Array, fn, 'input.j');
    const d = typed(s.d, Float32Array, fn, 'input.d');
    if (i.length !== d.length || j.length !== d.length)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: input.i, input.j and input.d must have the same length`);
    return { kind: 'sparse', n: count(s.n, fn, 'input.n'), i, j, d };
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

function prepare(input: RipsInput, options: RipsOptions, fn: string) {
  const maxDim = options.maxDim ?? 1;
  if (!Number.isInteger(maxDim) || maxDim < 0 || maxDim > 64)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: maxDim must be an integer in [0, 64], got ${String(maxDim)}`);
  const threshold = options.threshold ?? NaN;
  if (options.threshold !== undefined && (typeof threshold !== 'number' || !(threshold >= 0)))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: threshold must be a number ≥ 0 (or Infinity), got ${String(threshold)}`);
  const modulus = options.modulus ?? 2;
  if (!Number.isInteger(modulus) || modulus > MAX_MODULUS || !isPrime(modulus))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: modulus must be a prime ≤ ${MAX_MODULUS} (coefficients in Z/p), got ${String(modulus)}`);
  const nativeInput = toNative(input, options.metric, fn);
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
