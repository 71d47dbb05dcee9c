// Error bounds of float32 arithmetic, so that a comparison holds on every machine: whatever order a
// kernel sums in (blocked, SIMD lanes, FMA or not, OpenBLAS or the builtin kernel, SSE2 … AVX-512),
// a float32 sum or dot product of k terms is within γ_k·Σ|terms| of the exact value (Higham,
// "Accuracy and Stability of Numerical Algorithms", §3.1), γ_k = k·u / (1 − k·u), u = 2⁻²⁴.
// A tolerance is such a bound, computed from the reduction length and the magnitudes of the terms
// of the computation at hand, never a number fitted to one CPU.
import { expect } from 'vitest';

/** The unit roundoff of float32 (round to nearest): the relative error of one rounding. */
export const U = 2 ** -24;

/** Higham's γ_k: the relative error bound, in Σ|terms|, of a float32 evaluation with k roundings
 *  on every path (a sum or dot product of k terms, in any order). */
export function gamma(k: number): number {
  const ku = k * U;
  if (!(ku < 0.5)) throw new RangeError(`γ_${k}: k·u must stay well below 1`);
  return ku / (1 - ku);
}

/**
 * |got[i] − want[i]| ≤ bound[i] for every i (bound: one number, or one per element). On failure
 * the message names the worst element and how far past its bound it is.
 */
export function expectWithin(got: ArrayLike<number>, want: ArrayLike<number>, bound: number | ArrayLike<number>, what = 'result'): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const b = typeof bound === 'number' ? bound : bound[i]!;
    const d = Math.abs(got[i]! - want[i]!);
    const ratio = d === 0 ? 0 : Number.isNaN(d) ? Infinity : d / b;
    if (ratio > worst) { worst = ratio; at = i; }
  }
  const detail = at < 0 ? '' : ` (worst at ${at}: got ${got[at]}, want ${want[at]}, bound ${typeof bound === 'number' ? bound : bound[at]})`;
  expect(worst, `${what}: error / bound${detail}`).toBeLessThanOrEqual(1);
}
