// Comparing the native tfjs kernels with tfjs's own: seeded random tensors, running one computation
// with the stock kernels and then with the native ones, and float32 error bounds derived from the
// computation (./float32.ts) instead of tolerances fitted to one machine. tfjs's cpu kernels add in
// float64 and round once, so the stock side is the accurate one: the bound is the native side's.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { TopofrError, TopofrRangeError, TopofrTypeError } from '../../src/errors.js';
import { U, expectWithin, gamma } from './float32.js';
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

/** Runs `f` once and reads its outputs. The values are read after tf.tidy returns: tidy walks every
 *  key of what its callback returns, and a multi-million-element Float32Array there takes seconds. */
function run(f: () => tf.Tensor | tf.Tensor[]): Array<{ v: Float32Array; s: number[] }> {
  const tensors = tf.tidy(() => {
    const r = f();
    return Array.isArray(r) ? r : [r];
  });
  const out = tensors.map((t) => ({ v: Float32Array.from(t.dataSync()), s: t.shape }));
  tf.dispose(tensors);
  return out;
}
const values = (f: () => tf.Tensor | tf.Tensor[]): Float32Array[] => run(f).map((o) => o.v);

/** With tfjs's own kernels; the native ones are registered again afterwards. */
export function stock<T>(work: () => T): T {
  unregisterNativeKernels();
  try {
    return work();
  } finally {
    registerNativeKernels();
  }
}

/** The same computation with tfjs's kernels, then with the native ones; each result is an array of
 *  tensors. */
export function both(f: () => tf.Tensor | tf.Tensor[]): { ref: Float32Array[]; got: Float32Array[]; shapes: number[][] } {
  const ref = stock(() => run(f));
  const got = run(f);
  got.forEach((g, i) => expect(g.s).toEqual(ref[i]!.s));
  return { ref: ref.map((r) => r.v), got: got.map((g) => g.v), shapes: ref.map((r) => r.s) };
}

/** Copies, slices, padding, transposes and single IEEE operations (+ − × ÷ of float32 values are
 *  correctly rounded either way: tfjs's float64 result rounded to float32 is the float32 result,
 *  since 53 ≥ 2·24 + 2): the same bits, NaN included. */
export function expectBitwise(f: () => tf.Tensor | tf.Tensor[]): void {
  const { ref, got } = both(f);
  ref.forEach((r, i) => expect(Buffer.from(got[i]!.buffer).equals(Buffer.from(r.buffer)), `output ${i} bitwise`).toBe(true));
}

export interface PolynomialOptions {
  /** The same computation for the magnitudes, when `f` ends in a 1-Lipschitz elementwise step
   *  (an activation): `f` without it. */
  magnitudes?: (...inputs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
  /** Roundings of that elementwise step, relative to the value (default 0). */
  tail?: number;
}

/**
 * `f` is built from sums and products of its inputs (convolutions, matmuls, their backprops
 * against a fixed upstream gradient, bias adds; no subtraction): then `f` on |inputs| gives, for
 * every output, Σ|terms|, and a float32 evaluation with at most `roundings` roundings on any path
 * (k for a dot product of length k, one more per add or scaling after it) is within
 * γ_roundings·Σ|terms| of the exact value: the two sides within twice that of each other.
 */
export function expectPolynomialClose(f: (...inputs: tf.Tensor[]) => tf.Tensor | tf.Tensor[], inputs: tf.Tensor[], roundings: number,
  options: PolynomialOptions = {}): void {
  const { ref, got } = both(() => f(...inputs));
  const magnitude = stock(() => values(() => (options.magnitudes ?? f)(...inputs.map((t) => tf.abs(t)))));
  // The magnitudes are float32 sums of non-negative terms, added in float64: at most a factor (1 − u) low.
  const relative = (2 * gamma(roundings)) / (1 - U), tail = (options.tail ?? 0) * U;
  ref.forEach((r, i) => expectWithin(got[i]!, r, magnitude[i]!.map((m, e) => relative * m + tail * Math.abs(r[e]!)), `output ${i}`));
}

/**
 * For computations that are not polynomials (batch norm: a square root and a division), the bound
 * comes from the computation's own conditioning: float32 rounding in a reduction of up to K terms
 * is a relative backward error of at most γ_K in the data, so each output tensor of the native run
 * must be within the largest change (in max norm) that perturbing every input by ±γ_K (random
 * signs, two draws) causes in tfjs's result.
 */
export function expectWithinResponse(f: (...inputs: tf.Tensor[]) => tf.Tensor | tf.Tensor[], inputs: tf.Tensor[], K: number): void {
  const { ref, got } = both(() => f(...inputs));
  const response = ref.map(() => 0);
  for (const seed of [1, 2]) {
    const perturbed = stock(() => values(() => f(...inputs.map((t, i) => perturb(t, gamma(K), 1000 * seed + i)))));
    perturbed.forEach((p, i) => { response[i] = Math.max(response[i]!, maxAbsDifference(p, ref[i]!)); });
  }
  ref.forEach((r, i) => expect(maxAbsDifference(got[i]!, r), `output ${i}: native − tfjs vs the response to ±γ_${K}`)
    .toBeLessThanOrEqual(response[i]!));
}

/** t·(1 ± relative), a random sign per element. */
export function perturb(t: tf.Tensor, relative: number, seed: number): tf.Tensor {
  const r = rng(seed);
  return tf.tensor(Float32Array.from(t.dataSync(), (v) => v * (1 + (r() < 0 ? -relative : relative))), t.shape);
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
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
