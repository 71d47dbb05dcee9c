// ROC curve, TAR@FAR and AUC as the TopoFR IJB-B/IJB-C evaluation computes them (TOPOFR.md §5.2,
// `eval_ijbc_*.py`): `fpr, tpr, _ = sklearn.metrics.roc_curve(label, score)` with the default
// drop_intermediate=True, `auc(fpr, tpr)`, then on the reversed curves, for each target FAR, the index
// minimising |fpr − target| with the first index in reversed order winning ties. Pure float64 arithmetic
// over typed arrays, bit-identical to sklearn/numpy where the operations are (see each function).
//
// Semantic decisions:
// * Thresholds follow sklearn ≥ 1.3: the prepended first threshold is +Infinity (sklearn < 1.3 used
//   max(score) + 1). TOPOFR.md pins no sklearn version and the TopoFR script discards the thresholds,
//   so fpr and tpr (identical in every sklearn version with drop_intermediate) are what matter.
// * sklearn sorts with argsort(kind='mergesort')[::-1], which reverses the order inside a run of tied
//   scores; ties are then collapsed to one point each, so the order inside a run never shows. Here the
//   two classes are sorted apart and merged, which gives the same counts per distinct score. Scores
//   −0 and +0 are one tie, as np.diff sees them.
// * sklearn rejects non-finite scores (assert_all_finite): a RangeError here too. With only one class
//   present sklearn warns and returns NaN rates; here that is a RangeError (the curve is undefined).
// * Labels are 0/1 or booleans (sklearn would also accept {−1, 1}; TopoFR's pair files use 0/1).
import { types } from 'node:util';
import { TopofrRangeError, TopofrTypeError } from '../errors.js';
import { describeValue } from '../util/check.js';

export type Labels = ArrayLike<boolean | number>;
export type Scores = ArrayLike<number>;

export interface RocCurve {
  /** False positive rate per kept threshold, ascending, starting at 0 and ending at 1. */
  fpr: Float64Array;
  /** True positive rate per kept threshold, ascending, starting at 0 and ending at 1. */
  tpr: Float64Array;
  /** Decreasing score thresholds: a sample counts as positive iff score ≥ threshold. thresholds[0] = +∞. */
  thresholds: Float64Array;
}

export interface TarAtFarPoint {
  /** The target false accept rate. */
  far: number;
  /** The true accept rate (tpr) at the chosen point, in [0, 1] (the paper reports it ×100). */
  tar: number;
  /** The fpr actually at the chosen point. */
  fpr: number;
  /** The chosen point's index in the (unreversed) roc arrays. */
  index: number;
}

/** The target FARs of the TopoFR IJB tables, 10^−6 … 10^−1, written as literals: they equal Python's
 *  `10 ** -k`, while V8's `10 ** -5` is one ulp off. */
export const TAR_FAR_TARGETS: readonly number[] = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1];

/** An Array or a typed array (not a Proxy, whose length may be anything or throw). */
function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return !types.isProxy(value) && (types.isTypedArray(value) || Array.isArray(value));
}

/** Labels as 0/1 bytes: booleans, or numbers that are exactly 0 or 1. */
export function binaryLabels(labels: unknown, fn: string, name: string): Uint8Array {
  if (!isArrayLike(labels) || typeof labels === 'string')
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: ${name} must be an array of booleans or 0/1 numbers, got ${describeValue(labels)}`);
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v === true || v === 1) out[i] = 1;
    else if (v === false || v === 0) out[i] = 0;
    else if (typeof v === 'number' || typeof v === 'boolean')
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: ${name}[${i}] is ${describeValue(v)}; labels must be 0/1 (or false/true)`);
    else throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: ${name}[${i}] is ${describeValue(v)}; labels must be booleans or 0/1 numbers`);
  }
  return out;
}

/** A finite float64 copy of `values`, with a typed error naming the first bad entry. */
export function finiteValues(values: unknown, fn: string, name: string): Float64Array {
  if (!isArrayLike(values) || typeof values === 'string')
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: ${name} must be an array of numbers (Float32Array, Float64Array or number[]), got ${describeValue(values)}`);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number')
      throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: ${name}[${i}] is ${describeValue(v)}, not a number`);
    if (!Number.isFinite(v)) throw new TopofrRangeError('ERR_TOPOFR_NON_FINITE', `${fn}: ${name}[${i}] is ${v}; every value must be finite`);
    out[i] = v;
  }
  return out;
}

/**
 * numpy's sum of a contiguous float64 run (np.sum / np.add.reduce, `DOUBLE_pairwise_sum`): fewer than
 * 8 values added in order; up to 128 values in 8 interleaved accumulators combined as
 * ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) plus the tail in order; longer runs split at n/2 rounded down to a
 * multiple of 8 and the halves summed recursively. numpy ≥ 2 does this over the whole 1-D array.
 */
export function numpySum(values: ArrayLike<number>, start = 0, count = values.length - start): number {
  if (count < 8) {
    let res = 0;
    for (let i = 0; i < count; i++) res += values[start + i];
    return res;
  }
  if (count <= 128) {
    let r0 = values[start];
    let r1 = values[start + 1];
    let r2 = values[start + 2];
    let r3 = values[start + 3];
    let r4 = values[start + 4];
    let r5 = values[start + 5];
    let r6 = values[start + 6];
    let r7 = values[start + 7];
    let i = 8;
    for (; i < count - (count % 8); i += 8) {
      const p = start + i;
      r0 += values[p];
      r1 += values[p + 1];
      r2 += values[p + 2];
      r3 += values[p + 3];
      r4 += values[p + 4];
      r5 += values[p + 5];
      r6 += values[p + 6];
      r7 += values[p + 7];
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < count; i++) res += values[start + i];
    return res;
  }
  let half = Math.floor(count / 2);
  half -= half % 8;
  return numpySum(values, start, half) + numpySum(values, start + half, count - half);
}

/**
 * sklearn.metrics.roc_curve(labels, scores) with drop_intermediate=True:
 * 1. sort by descending score; the last index of each run of tied scores (and the last index overall)
 *    is a threshold; tps = positives so far, fps = 1 + index − tps;
 * 2. with more than 2 thresholds, keep the first, the last, and every interior point whose second
 *    difference of fps or of tps is non-zero (a corner); drop the rest;
 * 3. prepend the point (0, 0) with threshold +∞;
 * 4. fpr = fps / fps[last], tpr = tps / tps[last].
 */
export function rocCurve(labels: Labels, scores: Scores): RocCurve {
  const fn = 'rocCurve';
  const y = binaryLabels(labels, fn, 'labels');
  const s = finiteValues(scores, fn, 'scores');
  if (y.length !== s.length)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: ${y.length} labels but ${s.length} scores; pass one score per label`);
  const n = y.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i];
  if (positives === 0 || positives === n)
    throw new TopofrRangeError(
      'ERR_TOPOFR_INVALID_VALUE',
      `${fn}: the labels hold ${positives} positives and ${n - positives} negatives; a ROC curve needs at least one of each`,
    );

  // Step 1: one point per distinct score, from the highest down. Labels are binary, so the two
  // classes are sorted apart (native numeric sorts) and merged: at each distinct score v, tps and fps
  // count the positives and negatives with score ≥ v (sklearn's fps = 1 + last index − tps).
  const pos = new Float64Array(positives);
  const neg = new Float64Array(n - positives);
  for (let i = 0, p = 0, q = 0; i < n; i++) {
    if (y[i] === 1) pos[p++] = s[i];
    else neg[q++] = s[i];
  }
  pos.sort();
  neg.sort();
  const fps: number[] = [];
  const tps: number[] = [];
  const thr: number[] = [];
  let i = pos.length - 1;
  let j = neg.length - 1;
  while (i >= 0 || j >= 0) {
    const v = i < 0 ? neg[j] : j < 0 ? pos[i] : Math.max(pos[i], neg[j]);
    while (i >= 0 && pos[i] === v) i--;
    while (j >= 0 && neg[j] === v) j--;
    tps.push(pos.length - 1 - i);
    fps.push(neg.length - 1 - j);
    thr.push(v);
  }

  // Step 2: np.where(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]).
  const m = fps.length;
  const keep: number[] = [];
  for (let i = 0; i < m; i++) {
    const corner =
      m <= 2 ||
      i === 0 ||
      i === m - 1 ||
      fps[i + 1] - fps[i] - (fps[i] - fps[i - 1]) !== 0 ||
      tps[i + 1] - tps[i] - (tps[i] - tps[i - 1]) !== 0;
    if (corner) keep.push(i);
  }

  // Steps 3 and 4.
  const fpr = new Float64Array(keep.length + 1);
  const tpr = new Float64Array(keep.length + 1);
  const thresholds = new Float64Array(keep.length + 1);
  thresholds[0] = Infinity;
  const fpsTotal = fps[m - 1];
  const tpsTotal = tps[m - 1];
  keep.forEach((i, j) => {
    fpr[j + 1] = fps[i] / fpsTotal;
    tpr[j + 1] = tps[i] / tpsTotal;
    thresholds[j + 1] = thr[i];
  });
  return { fpr, tpr, thresholds };
}

/**
 * TPR at each target FAR, as TopoFR's IJB script reads it: fpr and tpr are reversed
 * (np.flipud), and for each target the index minimising |fpr − target| is taken, the first such index
 * in reversed order winning (`min(zip(abs(fpr − target), range(len(fpr))))`), i.e. the largest tpr
 * among points with equally near fpr.
 */
export function tarAtFar(roc: { fpr: Scores; tpr: Scores }, targets: readonly number[] = TAR_FAR_TARGETS): TarAtFarPoint[] {
  const fn = 'tarAtFar';
  if (typeof roc !== 'object' || roc === null)
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: expected a curve { fpr, tpr } (from rocCurve), got ${describeValue(roc)}`);
  const fpr = finiteValues(roc.fpr, fn, 'roc.fpr');
  const tpr = finiteValues(roc.tpr, fn, 'roc.tpr');
  if (fpr.length !== tpr.length || fpr.length === 0)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: roc.fpr has ${fpr.length} values and roc.tpr ${tpr.length}; they must have the same non-zero length`);
  const goals = finiteValues(targets, fn, 'targets');
  const m = fpr.length;
  return Array.from(goals, (target) => {
    let best = 0;
    let bestGap = Math.abs(fpr[m - 1] - target);
    for (let r = 1; r < m; r++) {
      const gap = Math.abs(fpr[m - 1 - r] - target);
      if (gap < bestGap) {
        best = r;
        bestGap = gap;
      }
    }
    const index = m - 1 - best;
    return { far: target, tar: tpr[index], fpr: fpr[index], index };
  });
}

/**
 * sklearn.metrics.auc(x, y): the trapezoidal area, x monotone (a decreasing x gives the area with
 * the sign flipped back to positive). Bit-identical to numpy's trapezoid: the terms
 * (x[i+1] − x[i])·(y[i+1] + y[i]) / 2 summed by numpySum.
 */
export function auc(x: Scores, y: Scores): number {
  const fn = 'auc';
  const xs = finiteValues(x, fn, 'x');
  const ys = finiteValues(y, fn, 'y');
  if (xs.length !== ys.length)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: x has ${xs.length} values but y has ${ys.length}`);
  if (xs.length < 2)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: at least 2 points are needed to compute an area, got ${xs.length}`);
  let rising = false;
  let falling = false;
  const terms = new Float64Array(xs.length - 1);
  for (let i = 0; i < terms.length; i++) {
    const dx = xs[i + 1] - xs[i];
    if (dx < 0) falling = true;
    if (dx > 0) rising = true;
    terms[i] = (dx * (ys[i + 1] + ys[i])) / 2;
  }
  if (rising && falling)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: x is neither increasing nor decreasing; sort the curve by x first`);
  const area = numpySum(terms);
  return falling ? -area : area;
}
