// Comparing the native tfjs kernels with tfjs's own: seeded random tensors, running one computation
// with the stock kernels and then with the native ones, and a float32 closeness check.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { TopofrError, TopofrRangeError, TopofrTypeError } from '../../src/errors.js';
import { registerNativeKernels, unregisterNativeKernels } from '../../src/tf/native-kernels.js';

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}
export const rand = (shape: number[], seed: number): tf.Tensor => {
  const r = rng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, r), shape);
};

/** The same computation with tfjs's kernels, then with the native ones; each result is an array of
 *  tensors. The values are read after tf.tidy returns: tidy walks every key of what its callback
 *  returns, and a multi-million-element Float32Array there takes seconds. */
export function both(f: () => tf.Tensor | tf.Tensor[]): { ref: Float32Array[]; got: Float32Array[]; shapes: number[][] } {
  const run = () => {
    const tensors = tf.tidy(() => {
      const r = f();
      return Array.isArray(r) ? r : [r];
    });
    const out = tensors.map((t) => ({ v: Float32Array.from(t.dataSync()), s: t.shape }));
    tf.dispose(tensors);
    return out;
  };
  unregisterNativeKernels();
  const ref = run();
  registerNativeKernels();
  const got = run();
  got.forEach((g, i) => expect(g.s).toEqual(ref[i].s));
  return { ref: ref.map((r) => r.v), got: got.map((g) => g.v), shapes: ref.map((r) => r.s) };
}

export function expectClose(ref: Float32Array, got: Float32Array, rel = 1e-4): void {
  expect(got.length).toBe(ref.length);
  let scale = 0,
    err = 0;
  for (let i = 0; i < ref.length; i++) {
    scale = Math.max(scale, Math.abs(ref[i]));
    err = Math.max(err, Math.abs(ref[i] - got[i]));
  }
  expect(err).toBeLessThanOrEqual(rel * scale + 1e-7);
}

export function expectAllClose(f: () => tf.Tensor | tf.Tensor[]): void {
  const { ref, got } = both(f);
  ref.forEach((r, i) => expectClose(r, got[i]));
}

/** [kind, error code] of what `fn` throws, or ['none', undefined]: the native bindings' typed
 *  errors in one comparable value. Kind: 'RangeError', 'TypeError' or 'Error' for topofr's
 *  TopofrRangeError, TopofrTypeError and TopofrError; any other error shows as 'untyped …'. */
export function errorKind(fn: () => unknown): [string, string | undefined] {
  try {
    fn();
  } catch (e) {
    const kind = e instanceof TopofrRangeError ? 'RangeError' : e instanceof TopofrTypeError ? 'TypeError'
      : e instanceof TopofrError ? 'Error' : `untyped ${(e as Error).constructor.name}`;
    return [kind, (e as { code?: string }).code];
  }
  return ['none', undefined];
}
