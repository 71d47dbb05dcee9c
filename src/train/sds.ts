// SDS, the structure damage score (TOPOFR.md §1.5.1 Eq. 8, §1.5.2 steps 6–7, D7, D8): the weight
// ω_i = ω1_i · ω2_i of each perturbed sample's classification loss (Eq. 9: L_cls = mean ω·L_arc).
// Pure numbers over typed arrays, float64 out; the tfjs loss wiring lives with the trainer.
//
// * ω1 = (2 − γ)^λ = (1 + h)^λ, γ the GUM easy posterior (src/train/gum.ts), h = 1 − γ the hard
//   posterior. λ is the code's `temp`, 1 by default (the paper gives no value). ω1 ∈ [1, 2^λ]. It
//   carries no gradient in either the code or the paper: γ comes out of an EM fit on detached
//   entropies.
// * ω2 by mode:
//   - 'paper': 1 − p_gt, p_gt the predicted probability of the ground-truth class. Continuous, and
//     the paper's remark that minimising L_cls optimises "both the SDS ω and L_arc" means the
//     gradient flows through it, focal-loss style: ∂ω/∂p_gt = −ω1. The tfjs wiring should compute
//     this factor from the p_gt tensor itself, not from these numbers.
//   - 'code': what train.py effectively computes (D8): `probability_gt` is an int64 tensor, so the
//     float p_gt is truncated toward 0 when stored: ω2 = 1 − trunc(p_gt), which is 1 for every
//     p_gt < 1 and 0 when p_gt is exactly 1.0 in the precision the softmax ran in. A constant: no
//     gradient. (Under the official AMP the probabilities may be fp16, where p_gt rounds to 1.0 once
//     1 − p_gt < 2^−12; to reproduce that, round p_gt to fp16 before calling.)
//   - 'none': ω2 = 1 (ablation: ω1 alone).
import { TopofrRangeError, TopofrTypeError } from '../errors.js';
import { describeValue, isFloatArray } from '../util/check.js';

export type ConfidenceWeightMode = 'paper' | 'code' | 'none';

/** Whether ω2 is meant to pass a gradient to p_gt (∂ω2/∂p_gt = −1 in 'paper'). ω1 never is. */
export const CONFIDENCE_WEIGHT_DIFFERENTIABLE: Readonly<Record<ConfidenceWeightMode, boolean>> = Object.freeze({
  paper: true,
  code: false,
  none: false,
});

export interface DamageScoreOptions {
  /** How ω2 is computed (no default: the paper/code choice belongs to the training config). */
  confidence: ConfidenceWeightMode;
  /** λ, the exponent of ω1 (the code's `temp`); default 1. */
  lambda?: number;
}

/** Softmax outputs may exceed 1 by rounding; up to this much is read as 1. */
const P_SLACK = 1e-6;

type Floats = Float32Array | Float64Array;

function floats(values: unknown, fn: string, name: string): Floats {
  if (!isFloatArray(values))
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: ${name} must be a Float32Array or Float64Array`);
  return values;
}

function inUnitInterval(value: number, fn: string, name: string, i: number, slack: number): void {
  if (!Number.isFinite(value))
    throw new TopofrRangeError('ERR_TOPOFR_NON_FINITE', `${fn}: ${name}[${i}] is ${value}; it must be finite`);
  if (value < 0 || value > 1 + slack)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: ${name}[${i}] = ${value} is not a probability in [0, 1]`);
}

function checkLambda(lambda: unknown, fn: string): number {
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda < 0)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: lambda must be a finite number ≥ 0, got ${describeValue(lambda)}`);
  return lambda;
}

/** ω1 = (2 − γ)^λ per sample, from the GUM easy posterior γ ∈ [0, 1]. */
export function hardnessWeight(easyPosterior: Floats, lambda = 1): Float64Array {
  const fn = 'hardnessWeight';
  const gamma = floats(easyPosterior, fn, 'easyPosterior');
  const l = checkLambda(lambda, fn);
  const out = new Float64Array(gamma.length);
  for (let i = 0; i < gamma.length; i++) {
    inUnitInterval(gamma[i]!, fn, 'easyPosterior', i, 0);
    out[i] = l === 1 ? 2 - gamma[i]! : (2 - gamma[i]!) ** l;
  }
  return out;
}

/** ω2 per sample from p_gt (the probability of the ground-truth class), per mode. */
export function confidenceWeight(pGt: Floats, mode: ConfidenceWeightMode): Float64Array {
  const fn = 'confidenceWeight';
  const p = floats(pGt, fn, 'pGt');
  if (mode !== 'paper' && mode !== 'code' && mode !== 'none')
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: mode must be 'paper', 'code' or 'none', got ${describeValue(mode)}`);
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    inUnitInterval(v, fn, 'pGt', i, P_SLACK);
    if (mode === 'paper') out[i] = Math.max(0, 1 - v);
    else if (mode === 'code') out[i] = 1 - Math.trunc(v); // int64(p_gt): 0 below 1.0, 1 at 1.0
    else out[i] = 1;
  }
  return out;
}

/** ω = ω1·ω2 per sample (Eq. 8). */
export function structureDamageScore(easyPosterior: Floats, pGt: Floats, options: DamageScoreOptions): Float64Array {
  const fn = 'structureDamageScore';
  if (typeof options !== 'object' || options === null)
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: options must be an object with confidence ('paper', 'code' or 'none')`);
  const gamma = floats(easyPosterior, fn, 'easyPosterior');
  const p = floats(pGt, fn, 'pGt');
  if (gamma.length !== p.length)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: easyPosterior has ${gamma.length} values but pGt has ${p.length}`);
  const w1 = hardnessWeight(gamma, options.lambda ?? 1);
  const w2 = confidenceWeight(p, options.confidence);
  for (let i = 0; i < w1.length; i++) w1[i]! *= w2[i]!;
  return w1;
}
