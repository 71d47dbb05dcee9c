// What the native tfjs kernels share: the slice of the cpu backend's interface they use, the kernel
// argument shape, and the float32 view of a cpu tensor.
import type * as tf from '@tensorflow/tfjs';

export type Shape = number[];

export interface CpuBackend {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: Shape, dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

export interface KernelArgs {
  inputs: Record<string, tf.TensorInfo | undefined>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}

/** A replacement for a cpu kernel: its result, or null to let the original kernel run. */
export type Override = (args: KernelArgs, backend: CpuBackend) => tf.TensorInfo | tf.TensorInfo[] | null;

export const BACKEND = 'cpu';

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
export const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** Below this many floats an output is allocated zeroed (no measurable cost, and no pooled buffer). */
const UNINITIALIZED_MIN_FLOATS = 1024;

/**
 * A fresh Float32Array for a native kernel's output, not zero-filled when large: glibc hands the
 * memory of the last step's freed activations back (retainFreedMemory), and zeroing it is a full
 * extra pass over every output. Only for outputs the kernel overwrites entirely. Its buffer is its
 * own (allocUnsafeSlow: never the shared pool), exactly n floats long.
 */
export function outputArray(n: number): Float32Array {
  if (n < UNINITIALIZED_MIN_FLOATS) return new Float32Array(n);
  const bytes = Buffer.allocUnsafeSlow(n * 4);
  return new Float32Array(bytes.buffer, bytes.byteOffset, n);
}

/** The float32 backing store of a cpu tensor, or null when it is anything else. */
export function f32(backend: CpuBackend, t: tf.TensorInfo | undefined): Float32Array | null {
  if (!t || t.dtype !== 'float32') return null;
  const values = backend.data.get(t.dataId)?.values;
  return values instanceof Float32Array && values.length === size(t.shape) ? values : null;
}

/** The float32 store of an input a topofr kernel requires (its callers check dtypes first). */
export function required(backend: CpuBackend, t: tf.TensorInfo | undefined, name: string): Float32Array {
  const v = f32(backend, t);
  if (!v) throw new TypeError(`topofr kernel: input '${name}' must be a float32 cpu tensor`);
  return v;
}

/**
 * The channel count when `t` (shape `tShape`) is a scalar or one value per last axis of `xShape`
 * (all other axes 1, rank ≤ x's): the per-channel broadcasts PReLU and bias use. Null otherwise.
 */
export function perChannelLength(tShape: Shape, xShape: Shape): number | null {
  const n = size(tShape);
  if (tShape.length > xShape.length || tShape.slice(0, -1).some((d) => d !== 1)) return null;
  const channels = xShape[xShape.length - 1] ?? 1;
  return n === 1 || n === channels ? n : null;
}
