// Independent, slow references for test/verification.test.ts, written straight from the Python they
// restate (insightface/TopoFR eval/verification.py, sklearn roc_curve, the IJB TAR@FAR read-out):
// one threshold at a time, every pair counted, no histograms, no merges.

/** KFold(folds, shuffle=False) held-out index ranges, from the definition: fold f starts after
 *  f·⌊n/folds⌋ pairs plus one extra for each earlier fold among the first n % folds. */
export function foldRanges(n: number, folds: number): [number, number][] {
  if (folds === 1) return [[0, n]];
  const base = Math.floor(n / folds);
  const extra = n % folds;
  const start = (f: number) => f * base + Math.min(f, extra);
  return Array.from({ length: folds }, (_, f) => [start(f), start(f + 1)] as [number, number]);
}

interface Counts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  size: number;
}

function countAt(threshold: number, dist: ArrayLike<number>, same: ArrayLike<boolean>, indices: number[]): Counts {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0, size: indices.length };
  for (const i of indices) {
    const predicted = dist[i] < threshold;
    if (predicted && same[i]) c.tp++;
    else if (predicted) c.fp++;
    else if (same[i]) c.fn++;
    else c.tn++;
  }
  return c;
}

/** Piecewise-linear interpolation through (x[i], y[i]) on the last segment whose left end is ≤ at
 *  (the slinear spline's interval choice), by the textbook formula: equal to scipy's value to a few
 *  ulps, not bit for bit. */
function linearAt(x: Float64Array, y: Float64Array, at: number): number {
  let i = 0;
  for (let j = 0; j < x.length - 1; j++) if (x[j] <= at) i = j;
  if (x[i + 1] === x[i]) return 0; // scipy's degenerate last interval
  return y[i] + ((at - x[i]) * (y[i + 1] - y[i])) / (x[i + 1] - x[i]);
}

export interface OracleVerification {
  foldAccuracies: number[];
  bestIndex: number[];
  /** undefined where the Python divides by zero. */
  val?: { foldVal: number[]; foldFar: number[]; foldThresholds: number[] };
}

export function bruteVerification(dist: ArrayLike<number>, same: ArrayLike<boolean>, folds: number): OracleVerification {
  const n = dist.length;
  const ranges = foldRanges(n, folds);
  const all = Array.from({ length: n }, (_, i) => i);
  const split = ranges.map(([a, b]) => ({
    test: all.filter((i) => i >= a && i < b),
    train: folds === 1 ? all : all.filter((i) => i < a || i >= b),
  }));

  const foldAccuracies: number[] = [];
  const bestIndex: number[] = [];
  for (const { train, test } of split) {
    let best = -1;
    let bestAcc = -Infinity;
    for (let j = 0; j < 400; j++) {
      const c = countAt(j * 0.01, dist, same, train);
      const acc = (c.tp + c.tn) / c.size;
      if (acc > bestAcc) {
        bestAcc = acc;
        best = j;
      }
    }
    bestIndex.push(best);
    const c = countAt(best * 0.01, dist, same, test);
    foldAccuracies.push((c.tp + c.tn) / c.size);
  }

  const foldVal: number[] = [];
  const foldFar: number[] = [];
  const foldThresholds: number[] = [];
  for (const { train, test } of split) {
    const grid = Float64Array.from({ length: 4000 }, (_, j) => j * 0.001);
    const far = new Float64Array(4000);
    for (let j = 0; j < 4000; j++) {
      const c = countAt(grid[j], dist, same, train);
      if (c.tp + c.fn === 0 || c.fp + c.tn === 0) return { foldAccuracies, bestIndex };
      far[j] = c.fp / (c.fp + c.tn);
    }
    const threshold = Math.max(...far) >= 1e-3 ? linearAt(far, grid, 1e-3) : 0;
    const c = countAt(threshold, dist, same, test);
    if (c.tp + c.fn === 0 || c.fp + c.tn === 0) return { foldAccuracies, bestIndex };
    foldVal.push(c.tp / (c.tp + c.fn));
    foldFar.push(c.fp / (c.fp + c.tn));
    foldThresholds.push(threshold);
  }
  return { foldAccuracies, bestIndex, val: { foldVal, foldFar, foldThresholds } };
}

/** sklearn roc_curve(drop_intermediate=True) from the picture: one point per distinct score (counts
 *  of each class at score ≥ it), interior points dropped where the step into them equals the step out
 *  of them, (0, 0) in front, rates by the totals. */
export function bruteRoc(labels: ArrayLike<number>, scores: ArrayLike<number>): { fpr: number[]; tpr: number[]; thresholds: number[] } {
  const distinct = [...new Set(Array.from(scores, (s) => (s === 0 ? 0 : s)))].sort((a, b) => b - a);
  const points = distinct.map((t) => {
    let tp = 0;
    let fp = 0;
    for (let i = 0; i < labels.length; i++)
      if (scores[i] >= t) {
        if (labels[i] === 1) tp++;
        else fp++;
      }
    return { fp, tp, t };
  });
  const kept = points.filter((p, i) => {
    if (i === 0 || i === points.length - 1) return true;
    const before = [p.fp - points[i - 1].fp, p.tp - points[i - 1].tp];
    const after = [points[i + 1].fp - p.fp, points[i + 1].tp - p.tp];
    return before[0] !== after[0] || before[1] !== after[1];
  });
  const last = points[points.length - 1];
  return {
    fpr: [0, ...kept.map((p) => p.fp / last.fp)],
    tpr: [0, ...kept.map((p) => p.tp / last.tp)],
    thresholds: [Infinity, ...kept.map((p) => p.t)],
  };
}

/** TopoFR's read-out, literally: flip both arrays, then Python's min over (|fpr − target|, index)
 *  tuples (lexicographic: nearest, then lowest index in the flipped order). */
export function bruteTarAtFar(fpr: ArrayLike<number>, tpr: ArrayLike<number>, target: number): number {
  const f = Array.from(fpr).reverse();
  const t = Array.from(tpr).reverse();
  const tuples = f.map((v, i) => [Math.abs(v - target), i] as const);
  tuples.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return t[tuples[0][1]];
}
