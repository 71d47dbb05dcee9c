// LFW-style 1:1 verification (LFW, CFP-FP, AgeDB-30, CALFW, CPLFW), exactly as TopoFR's
// `eval/verification.py` (the insightface file) scores it (TOPOFR.md §5.1):
//
//   embeddings = normalize(emb(orig) + emb(flip))            (sklearn.preprocessing.normalize, float64)
//   dist[k]    = Σ (e1[k] − e2[k])²                           (∈ [0, 4]; pair k predicted same iff dist < t)
//   thresholds = np.arange(0, 4, 0.01)                        (400 values, i·0.01 in float64)
//   folds      = KFold(10, shuffle=False)                     (contiguous; the first P % 10 folds one longer)
//   per fold:  t* = thresholds[argmax accuracy on the other folds]  (first maximum: smallest threshold)
//              accuracy on the held-out fold at t*
//   report     = np.mean, np.std (population) of the fold accuracies
//
// and VAL@FAR=1e−3 (computed by the script, not reported): thresholds np.arange(0, 4, 0.001); per fold
// the training FAR at each threshold, t = interp1d(far_train, thresholds, kind='slinear')(1e−3) when
// max(far_train) ≥ 1e−3, else 0; VAL and FAR on the held-out fold at t; mean and std over folds.
//
// Semantic decisions:
// * All arithmetic is float64, as the script's (its embedding arrays are np.zeros, float64, holding the
//   model's float32 outputs). Counts, accuracies (tp + tn)/n, the argmax, fold sizes, the threshold grids,
//   the FAR ratios, the slinear interpolation and np.mean/np.std (numpy's pairwise summation) are
//   bit-identical to numpy/scipy. The squared distance is numpy's pairwise sum over the dimensions; only
//   the row norm (sklearn's einsum, SIMD order) may differ from numpy in the last ulp, which can flip a
//   decision only for a distance within ~1e−16 of a grid threshold. verificationFromDistances starts from
//   given distances and is exact.
// * 'slinear' is the interp1d of scipy ≤ 1.8: far_train (non-decreasing, so its stable sort is the
//   identity) becomes the knots [x0, x0, …, x_{m−1}, x_{m−1}] of a degree-1 B-spline with coefficients
//   `thresholds`, evaluated by scipy's find_interval + de Boor step (the last knot interval whose left knot
//   is ≤ 1e−3; on a plateau of equal FARs that is its last threshold). scipy ≥ 1.9 refuses far_train with
//   repeated values ("Expect x to not have duplicates", scipy/scipy#21550), which real far_train always
//   has, so the script's VAL only ever ran on scipy ≤ 1.8. The quirk of that evaluation is kept: when the
//   FAR reaches 1e−3 only at the largest thresholds and the last two FARs are equal, the degenerate last
//   interval yields threshold 0.
// * The script divides by the number of same / different pairs without a guard (a ZeroDivisionError);
//   here valAtFar1e3 is left out when a training part or a held-out fold lacks either class. The
//   accuracy is always defined.
// * Row norms below 10·eps count as 1 (sklearn ≥ 0.24's _handle_zeros_in_scale), so zero rows stay zero.
// * folds = 1 is insightface's LFold: train and test are both all pairs. Otherwise 2 ≤ folds ≤ pairs,
//   as KFold requires.
import { TopofrRangeError, TopofrTypeError } from '../errors.js';
import { binaryLabels, finiteValues, numpySum } from './roc.js';
import { describeValue, isFloatArray } from '../util/check.js';

export type Embeddings = Float32Array | Float64Array;
export type PairLabels = ArrayLike<boolean | number>;

export interface VerificationOptions {
  /** Embedding width (512 for the TopoFR backbones). */
  dim: number;
  /** Cross-validation folds; default 10. */
  folds?: number;
}

export interface DistanceVerificationOptions {
  folds?: number;
}

export interface ValAtFar {
  /** Mean VAL (true accept rate) over the folds at the per-fold threshold for FAR = 1e−3. */
  val: number;
  /** Population std of the fold VALs. */
  std: number;
  /** Mean FAR actually reached on the held-out folds. */
  far: number;
  foldVal: Float64Array;
  foldFar: Float64Array;
  /** The interpolated threshold of each fold (0 where the training FAR never reached 1e−3). */
  foldThresholds: Float64Array;
}

export interface VerificationResult {
  /** Mean of the fold accuracies (the paper reports it ×100). */
  accuracy: number;
  /** Population std of the fold accuracies (np.std). */
  std: number;
  foldAccuracies: Float64Array;
  /** The threshold chosen on each fold's training part. */
  thresholds: Float64Array;
  /** VAL@FAR=1e−3 as the script computes it; absent where the script would divide by zero. */
  valAtFar1e3?: ValAtFar;
}

/** The FAR the script's VAL is computed at. */
export const VAL_FAR_TARGET = 1e-3;

/** np.arange(0, stop, step) for step > 0: ceil(stop/step) values, value i = 0 + i·step in float64
 *  (numpy's DOUBLE_fill). thresholdGrid(0.01) is the accuracy grid, thresholdGrid(0.001) the VAL one. */
export function thresholdGrid(step: number, stop = 4): Float64Array {
  if (!(step > 0) || !Number.isFinite(step) || !(stop >= 0) || !Number.isFinite(stop))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `thresholdGrid: step must be finite and > 0 and stop finite and ≥ 0, got step ${describeValue(step)}, stop ${describeValue(stop)}`);
  const length = Math.ceil(stop / step);
  const grid = new Float64Array(length);
  for (let i = 0; i < length; i++) grid[i] = i * step;
  return grid;
}

/** Fold sizes of sklearn's KFold(folds, shuffle=False) over n samples: n // folds each, the first
 *  n % folds folds one larger; fold f is the contiguous block after folds 0..f−1. */
export function kFoldSizes(n: number, folds: number): number[] {
  const fn = 'kFoldSizes';
  if (!Number.isInteger(folds) || folds < 1)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: folds must be an integer ≥ 1, got ${describeValue(folds)}`);
  if (!Number.isInteger(n) || n < folds)
    throw new TopofrRangeError(
      'ERR_TOPOFR_INVALID_SHAPE',
      `${fn}: ${describeValue(n)} pairs cannot be split into ${folds} folds; pass at least as many pairs as folds`,
    );
  const base = Math.floor(n / folds);
  return Array.from({ length: folds }, (_, f) => base + (f < n % folds ? 1 : 0));
}

function assertDim(dim: unknown, fn: string): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 1)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: options.dim must be an integer ≥ 1 (the embedding width), got ${describeValue(dim)}`);
  return dim;
}

function assertEmbeddings(data: unknown, fn: string, name: string, rows: number, dim: number): Embeddings {
  if (!isFloatArray(data))
    throw new TopofrTypeError(
      'ERR_TOPOFR_INVALID_TYPE',
      `${fn}: ${name} must be a Float32Array or Float64Array of rows·dim values, got ${describeValue(data)}`,
    );
  if (data.length !== rows * dim)
    throw new TopofrRangeError(
      'ERR_TOPOFR_INVALID_SHAPE',
      `${fn}: ${name} has ${data.length} values but ${rows} rows of dim ${dim} need ${rows * dim}`,
    );
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(data[i]))
      throw new TopofrRangeError('ERR_TOPOFR_NON_FINITE', `${fn}: ${name}[${i}] (row ${Math.floor(i / dim)}) is ${data[i]}; embeddings must be finite`);
  return data;
}

/** Divides each row by its L2 norm in place, as sklearn.preprocessing.normalize: a norm below 10·eps
 *  (sklearn's _handle_zeros_in_scale) counts as 1, so a zero row stays zero. */
function normalizeRows(x: Float64Array, rows: number, dim: number): Float64Array {
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let squares = 0;
    for (let k = 0; k < dim; k++) squares += x[o + k] * x[o + k];
    const root = Math.sqrt(squares);
    const norm = root < 10 * Number.EPSILON ? 1 : root;
    for (let k = 0; k < dim; k++) x[o + k] /= norm;
  }
  return x;
}

/**
 * The flip test's features: emb(orig) + emb(flip) per row (float64), then each row L2-normalised.
 * n rows of dim values each; returns a fresh Float64Array.
 */
export function flipSumNormalize(emb: Embeddings, embFlipped: Embeddings, n: number, dim: number): Float64Array {
  const fn = 'flipSumNormalize';
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: n must be an integer ≥ 0, got ${describeValue(n)}`);
  assertDim(dim, fn);
  assertEmbeddings(emb, fn, 'emb', n, dim);
  assertEmbeddings(embFlipped, fn, 'embFlipped', n, dim);
  const out = new Float64Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = emb[i] + embFlipped[i];
  return normalizeRows(out, n, dim);
}

/**
 * Verification accuracy from flip-summed raw embeddings: row k of embeddingsA and row k of embeddingsB
 * form pair k, issame[k] says whether they show the same identity. The rows are L2-normalised here
 * (the script's sklearn.preprocessing.normalize; a row that is already unit length changes by at most
 * an ulp), then scored by verificationFromDistances.
 */
export function verificationAccuracy(
  embeddingsA: Embeddings,
  embeddingsB: Embeddings,
  issame: PairLabels,
  options: VerificationOptions,
): VerificationResult {
  const fn = 'verificationAccuracy';
  if (typeof options !== 'object' || options === null)
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: options { dim, folds? } are required, got ${describeValue(options)}`);
  const dim = assertDim(options.dim, fn);
  const same = binaryLabels(issame, fn, 'issame');
  const pairs = same.length;
  assertEmbeddings(embeddingsA, fn, 'embeddingsA', pairs, dim);
  assertEmbeddings(embeddingsB, fn, 'embeddingsB', pairs, dim);
  const a = normalizeRows(Float64Array.from(embeddingsA), pairs, dim);
  const b = normalizeRows(Float64Array.from(embeddingsB), pairs, dim);
  const dist = new Float64Array(pairs);
  const squares = new Float64Array(dim);
  for (let p = 0; p < pairs; p++) {
    for (let k = 0; k < dim; k++) {
      const d = a[p * dim + k] - b[p * dim + k];
      squares[k] = d * d;
    }
    dist[p] = numpySum(squares); // np.sum(np.square(np.subtract(e1, e2)), 1)
  }
  return scoreDistances(dist, same, options.folds, fn);
}

/**
 * The 10-fold protocol on given squared distances (one per pair, ≥ 0): pair k is predicted "same" iff
 * dist[k] < threshold. Exact, bit for bit, against the script given the same distances.
 */
export function verificationFromDistances(
  distances: ArrayLike<number>,
  issame: PairLabels,
  options: DistanceVerificationOptions = {},
): VerificationResult {
  const fn = 'verificationFromDistances';
  if (typeof options !== 'object' || options === null)
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: options must be an object { folds? }, got ${describeValue(options)}`);
  const same = binaryLabels(issame, fn, 'issame');
  const dist = finiteValues(distances, fn, 'distances');
  if (dist.length !== same.length)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: ${dist.length} distances but ${same.length} labels; pass one distance per pair`);
  for (let i = 0; i < dist.length; i++)
    if (dist[i] < 0)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: distances[${i}] is ${dist[i]}; squared distances are ≥ 0`);
  return scoreDistances(dist, same, options.folds, fn);
}

/** Per fold and per grid bucket, how many same / different pairs fall there. Bucket b of a distance is
 *  the number of thresholds ≤ it, so the pair is predicted same at threshold j iff j ≥ b. */
interface BucketCounts {
  same: Int32Array[];
  diff: Int32Array[];
}

function bucketOf(grid: Float64Array, d: number): number {
  let lo = 0;
  let hi = grid.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (grid[mid] <= d) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function countBuckets(dist: Float64Array, same: Uint8Array, grid: Float64Array, starts: number[]): BucketCounts {
  const folds = starts.length - 1;
  const counts: BucketCounts = {
    same: Array.from({ length: folds }, () => new Int32Array(grid.length + 1)),
    diff: Array.from({ length: folds }, () => new Int32Array(grid.length + 1)),
  };
  for (let f = 0; f < folds; f++)
    for (let p = starts[f]; p < starts[f + 1]; p++) (same[p] ? counts.same : counts.diff)[f][bucketOf(grid, dist[p])]++;
  return counts;
}

/** Buckets of the pairs outside fold f (all pairs when there is one fold: LFold). */
function trainingBuckets(counts: Int32Array[], f: number): Int32Array {
  const out = new Int32Array(counts[0].length);
  for (let g = 0; g < counts.length; g++) if (g !== f || counts.length === 1) for (let b = 0; b < out.length; b++) out[b] += counts[g][b];
  return out;
}

function total(counts: Int32Array): number {
  let sum = 0;
  for (let b = 0; b < counts.length; b++) sum += counts[b];
  return sum;
}

/** np.mean and np.std (ddof 0) of a float64 array, with numpy's summation. */
function meanStd(values: Float64Array): { mean: number; std: number } {
  const n = values.length;
  const mean = numpySum(values) / n;
  const squares = values.map((v) => (v - mean) * (v - mean));
  return { mean, std: Math.sqrt(numpySum(squares) / n) };
}

function resolveFolds(folds: unknown, pairs: number, fn: string): number {
  const k = folds ?? 10;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: folds must be an integer ≥ 1, got ${describeValue(k)}`);
  if (pairs < k)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: ${pairs} pairs cannot be split into ${k} folds; pass at least ${k} pairs or fewer folds`);
  return k;
}

function scoreDistances(dist: Float64Array, same: Uint8Array, foldsOption: unknown, fn: string): VerificationResult {
  const pairs = dist.length;
  const folds = resolveFolds(foldsOption, pairs, fn);
  const starts = [0];
  for (const size of kFoldSizes(pairs, folds)) starts.push(starts[starts.length - 1] + size);
  const accuracy = foldAccuracies(dist, same, starts);
  const { mean, std } = meanStd(accuracy.foldAccuracies);
  const val = valAtFar(dist, same, starts);
  return { accuracy: mean, std, ...accuracy, ...(val ? { valAtFar1e3: val } : {}) };
}

/** calculate_roc: the best training threshold per fold (first maximum) and the held-out accuracy there. */
function foldAccuracies(dist: Float64Array, same: Uint8Array, starts: number[]): { foldAccuracies: Float64Array; thresholds: Float64Array } {
  const grid = thresholdGrid(0.01);
  const folds = starts.length - 1;
  const counts = countBuckets(dist, same, grid, starts);
  const accuracies = new Float64Array(folds);
  const thresholds = new Float64Array(folds);
  for (let f = 0; f < folds; f++) {
    const trainSame = trainingBuckets(counts.same, f);
    const trainDiff = trainingBuckets(counts.diff, f);
    const trainSize = total(trainSame) + total(trainDiff);
    let tn = total(trainDiff);
    let tp = 0;
    let best = 0;
    let bestAccuracy = -1;
    for (let j = 0; j < grid.length; j++) {
      tp += trainSame[j]; // pairs with bucket ≤ j are below threshold j
      tn -= trainDiff[j];
      const accuracy = (tp + tn) / trainSize;
      if (accuracy > bestAccuracy) {
        best = j;
        bestAccuracy = accuracy;
      }
    }
    thresholds[f] = grid[best];
    let correct = 0;
    for (let p = starts[f]; p < starts[f + 1]; p++) if (dist[p] < grid[best] === (same[p] === 1)) correct++;
    accuracies[f] = correct / (starts[f + 1] - starts[f]);
  }
  return { foldAccuracies: accuracies, thresholds };
}

/**
 * interp1d(x, y, kind='slinear')(at) of scipy ≤ 1.8 for a non-decreasing x: the degree-1 B-spline with
 * knots t = [x0, x0, x1, …, x_{m−1}, x_{m−1}] and coefficients y, evaluated as scipy's find_interval
 * (start at l = k = 1, advance while at ≥ t[l] and l ≠ m) and _deBoor_D, operation for operation.
 * The caller guarantees x[0] ≤ at ≤ x[m−1] (interp1d's bounds check).
 */
export function slinearInterpolate(x: Float64Array, y: Float64Array, at: number): number {
  const m = x.length;
  const knot = (l: number) => x[Math.min(Math.max(l - 1, 0), m - 1)];
  let l = 2;
  while (l !== m && at >= knot(l)) l++;
  const ell = l - 1;
  const xb = knot(ell + 1);
  const xa = knot(ell);
  let h0 = 0;
  let h1 = 0;
  if (xb !== xa) {
    const w = 1 / (xb - xa);
    h0 = 0 + w * (xb - at);
    h1 = w * (at - xa);
  }
  let out = 0;
  out = out + y[ell - 1] * h0;
  out = out + y[ell] * h1;
  return out;
}

/** calculate_val at FAR = 1e−3, or undefined where the script would divide by zero. */
function valAtFar(dist: Float64Array, same: Uint8Array, starts: number[]): ValAtFar | undefined {
  const grid = thresholdGrid(0.001);
  const folds = starts.length - 1;
  const counts = countBuckets(dist, same, grid, starts);
  const foldVal = new Float64Array(folds);
  const foldFar = new Float64Array(folds);
  const foldThresholds = new Float64Array(folds);
  for (let f = 0; f < folds; f++) {
    const trainDiff = trainingBuckets(counts.diff, f);
    const diffTotal = total(trainDiff);
    const sameTotal = total(trainingBuckets(counts.same, f));
    const testSame = total(counts.same[f]);
    const testDiff = total(counts.diff[f]);
    // calculate_val_far divides by both class counts, on the training part and on the held-out fold.
    if (diffTotal === 0 || sameTotal === 0 || testSame === 0 || testDiff === 0) return undefined;
    const farTrain = new Float64Array(grid.length);
    let accepted = 0;
    let maxFar = 0;
    for (let j = 0; j < grid.length; j++) {
      accepted += trainDiff[j];
      farTrain[j] = accepted / diffTotal;
      maxFar = Math.max(maxFar, farTrain[j]);
    }
    const threshold = maxFar >= VAL_FAR_TARGET ? slinearInterpolate(farTrain, grid, VAL_FAR_TARGET) : 0;
    let trueAccepts = 0;
    let falseAccepts = 0;
    for (let p = starts[f]; p < starts[f + 1]; p++)
      if (dist[p] < threshold) {
        if (same[p]) trueAccepts++;
        else falseAccepts++;
      }
    foldVal[f] = trueAccepts / testSame;
    foldFar[f] = falseAccepts / testDiff;
    foldThresholds[f] = threshold;
  }
  const val = meanStd(foldVal);
  return { val: val.mean, std: val.std, far: numpySum(foldFar) / folds, foldVal, foldFar, foldThresholds };
}
