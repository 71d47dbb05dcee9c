import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TAR_FAR_TARGETS, auc, numpySum, rocCurve, tarAtFar } from '../src/eval/roc.js';
import {
  flipSumNormalize,
  kFoldSizes,
  slinearInterpolate,
  thresholdGrid,
  verificationAccuracy,
  verificationFromDistances,
} from '../src/eval/verification.js';
import { rng } from './support/oracle.js';
import { bruteRoc, bruteTarAtFar, bruteVerification, foldRanges } from './support/verification-oracle.js';

// Fixtures: numpy 2.4 + scipy 1.17 running the script's own code (test/fixtures/verification/README.md).
const fixtureDir = new URL('./fixtures/verification/', import.meta.url);
interface Expected {
  foldAccuracies: number[];
  bestThresholdIndex: number[];
  accuracy: number;
  std: number;
  val: null | { val: number; std: number; far: number; foldVal: number[]; foldFar: number[]; foldThresholds: number[] };
}
interface ProtocolCase {
  name: string;
  folds: number;
  issame: number[];
  distances: number[];
  dim?: number;
  scale?: number;
  origInt?: number[];
  flipInt?: number[];
  expected: Expected;
}
const protocol = JSON.parse(readFileSync(new URL('protocol.json', fixtureDir), 'utf8')) as {
  grids: Record<string, { length: number; equalsIndexTimesStep: boolean }>;
  cases: ProtocolCase[];
};
const numpyFixture = JSON.parse(readFileSync(new URL('numpy.json', fixtureDir), 'utf8')) as {
  scale: number[];
  sums: { n: number; seed: number; sum: number; mean: number; std: number }[];
  aucs: { n: number; seed: number; decreasing: boolean; auc: number }[];
};

/** The fixture's reproducible arrays: ((i·7919 + seed) % 10007 − 5003) / 997 · scale[i % 7]. */
const formulaValues = (n: number, seed: number) =>
  Float64Array.from({ length: n }, (_, i) => (((i * 7919 + seed) % 10007) - 5003) / 997 * numpyFixture.scale[i % 7]);

function expectMatchesFixture(result: ReturnType<typeof verificationFromDistances>, expected: Expected): void {
  expect(Array.from(result.foldAccuracies)).toEqual(expected.foldAccuracies);
  expect(Array.from(result.thresholds)).toEqual(expected.bestThresholdIndex.map((j) => j * 0.01));
  expect(result.accuracy).toBe(expected.accuracy);
  expect(result.std).toBe(expected.std);
  if (expected.val === null) expect(result.valAtFar1e3).toBeUndefined();
  else {
    const val = result.valAtFar1e3!;
    expect(Array.from(val.foldThresholds)).toEqual(expected.val.foldThresholds);
    expect(Array.from(val.foldVal)).toEqual(expected.val.foldVal);
    expect(Array.from(val.foldFar)).toEqual(expected.val.foldFar);
    expect([val.val, val.std, val.far]).toEqual([expected.val.val, expected.val.std, expected.val.far]);
  }
}

/** Random pairs: same pairs nearer on average, distances in [0, 4). */
function randomPairs(n: number, seed: number, levels = 0): { dist: Float64Array; same: boolean[] } {
  const u = rng(seed);
  const same = Array.from({ length: n }, () => u() < 0.5);
  const dist = Float64Array.from(same, (s) => {
    const d = s ? u() * 2.4 : 1.2 + u() * 2.79;
    return levels > 0 ? Math.round(d * levels) / levels : d;
  });
  return { dist, same };
}

describe('threshold grids and folds', () => {
  it('thresholdGrid is np.arange(0, 4, step): i·step in float64, 400 and 4000 values', () => {
    const coarse = thresholdGrid(0.01);
    const fine = thresholdGrid(0.001);
    expect(coarse.length).toBe(protocol.grids['step0.01'].length);
    expect(fine.length).toBe(protocol.grids['step0.001'].length);
    expect(protocol.grids['step0.01'].equalsIndexTimesStep && protocol.grids['step0.001'].equalsIndexTimesStep).toBe(true);
    coarse.forEach((t, i) => expect(t).toBe(i * 0.01));
    fine.forEach((t, i) => expect(t).toBe(i * 0.001));
    expect(coarse[35]).toBe(0.35000000000000003); // numpy's value, not the decimal 0.35
    expect(coarse[399]).toBe(3.99);
  });

  it('kFoldSizes follows sklearn KFold: the first n % folds folds get one more', () => {
    expect(kFoldSizes(6000, 10)).toEqual(Array(10).fill(600));
    expect(kFoldSizes(6001, 10)).toEqual([601, ...Array(9).fill(600)]);
    expect(kFoldSizes(13, 10)).toEqual([2, 2, 2, 1, 1, 1, 1, 1, 1, 1]);
    expect(kFoldSizes(10, 10)).toEqual(Array(10).fill(1));
    expect(kFoldSizes(7000, 10)).toEqual(Array(10).fill(700));
    for (const n of [13, 6001, 6009]) expect(kFoldSizes(n, 10)).toEqual(foldRanges(n, 10).map(([a, b]) => b - a));
    expect(() => kFoldSizes(9, 10)).toThrow(RangeError);
    expect(() => kFoldSizes(10, 0)).toThrow(RangeError);
  });
});

describe('verificationFromDistances: hand-made cases', () => {
  it('perfectly separable pairs: accuracy 1, std 0, the smallest perfect threshold in every fold', () => {
    const dist = Array.from({ length: 20 }, (_, i) => (i % 2 ? 2.5 : 0.5));
    const same = dist.map((d) => d === 0.5);
    const r = verificationFromDistances(dist, same);
    expect(r.accuracy).toBe(1);
    expect(r.std).toBe(0);
    expect(Array.from(r.foldAccuracies)).toEqual(Array(10).fill(1));
    // Every threshold in (0.5, 2.5] is perfect on training; argmax takes the first: 51·0.01.
    expect(Array.from(r.thresholds)).toEqual(Array(10).fill(51 * 0.01));
  });

  it('a distance equal to a threshold is not below it (strict <)', () => {
    // Training on [0.5 → same] picks 51·0.01; the held-out same pair sits exactly on 51·0.01.
    const dist = [0.5, 3, 51 * 0.01, 3];
    const same = [true, false, true, false];
    const r = verificationFromDistances(dist, same, { folds: 2 });
    expect(r.thresholds[1]).toBe(51 * 0.01);
    expect(r.foldAccuracies[1]).toBe(0.5);
    // Pairs exactly on grid points: 0.5 = 50·0.01 is rejected at threshold 50·0.01 and accepted at 51·0.01.
    const onGrid = verificationFromDistances([50 * 0.01, 3, 50 * 0.01, 3], same, { folds: 2 });
    expect(Array.from(onGrid.thresholds)).toEqual([51 * 0.01, 51 * 0.01]);
    expect(onGrid.accuracy).toBe(1);
  });

  it('tied training accuracies choose the smallest threshold', () => {
    // Two same pairs at 1.0 and 1.2, two different at 1.1 and 3: thresholds in (1.0, 1.1] and (1.2, 3]
    // both misclassify one pair; (1.0, 1.1] comes first.
    const dist = [1.0, 1.1, 1.2, 3, 1.0, 1.1, 1.2, 3];
    const same = [true, false, true, false, true, false, true, false];
    const r = verificationFromDistances(dist, same, { folds: 2 });
    expect(Array.from(r.thresholds)).toEqual([101 * 0.01, 101 * 0.01]);
    expect(Array.from(r.foldAccuracies)).toEqual([0.75, 0.75]);
  });

  it('one fold is LFold: train and test are all pairs', () => {
    const { dist, same } = randomPairs(50, 3);
    const r = verificationFromDistances(dist, same, { folds: 1 });
    const o = bruteVerification(dist, same, 1);
    expect(Array.from(r.foldAccuracies)).toEqual(o.foldAccuracies);
    expect(r.std).toBe(0);
  });
});

describe('verificationFromDistances against numpy/scipy running the script', () => {
  for (const c of protocol.cases.filter((c) => c.dim === undefined))
    it(`${c.name} (${c.issame.length} pairs, ${c.folds} folds)`, () => {
      const r = verificationFromDistances(c.distances, c.issame, { folds: c.folds });
      expectMatchesFixture(r, c.expected);
    });

  it('covers the VAL special cases', () => {
    const byName = Object.fromEntries(protocol.cases.map((c) => [c.name, c.expected]));
    expect(byName['far-plateau'].val!.foldThresholds).toEqual([0.9, 0.9]); // the plateau's last threshold
    expect(byName['far-unreached'].val!.foldThresholds).toEqual(Array(10).fill(0)); // max FAR < 1e−3
    expect(byName['far-max-at-end'].val!.foldThresholds).toEqual([0, 0]); // degenerate last interval
    expect(byName['val-undefined'].val).toBeNull();
  });
});

describe('verificationAccuracy and flipSumNormalize from embeddings', () => {
  const c = protocol.cases.find((c) => c.dim !== undefined)!;
  const dim = c.dim!;
  const pairs = c.issame.length;
  const orig = Float32Array.from(c.origInt!, (v) => v / c.scale!);
  const flip = Float32Array.from(c.flipInt!, (v) => v / c.scale!);
  const rows = (x: Float32Array | Float64Array, parity: number) => {
    const out = new Float64Array(pairs * dim);
    for (let p = 0; p < pairs; p++) out.set(x.subarray((2 * p + parity) * dim, (2 * p + parity + 1) * dim), p * dim);
    return out;
  };

  it('matches the script on flip-summed raw embeddings', () => {
    const summed = Float64Array.from(orig, (v, i) => v + flip[i]);
    const r = verificationAccuracy(rows(summed, 0), rows(summed, 1), c.issame, { dim, folds: c.folds });
    expectMatchesFixture(r, c.expected);
  });

  it('flipSumNormalize gives unit rows whose pair distances match numpy to 1e−14', () => {
    const unit = flipSumNormalize(orig, flip, 2 * pairs, dim);
    for (let r = 0; r < 2 * pairs; r++) {
      let norm = 0;
      for (let k = 0; k < dim; k++) norm += unit[r * dim + k] ** 2;
      expect(Math.abs(norm - 1)).toBeLessThan(1e-14);
    }
    c.distances.forEach((d, p) => {
      let s = 0;
      for (let k = 0; k < dim; k++) s += (unit[2 * p * dim + k] - unit[(2 * p + 1) * dim + k]) ** 2;
      expect(Math.abs(s - d)).toBeLessThan(1e-14);
    });
    // Normalised input gives the same verdicts.
    const r = verificationAccuracy(rows(unit, 0), rows(unit, 1), c.issame, { dim, folds: c.folds });
    expect(r.accuracy).toBe(c.expected.accuracy);
  });

  it('leaves a zero row at zero (sklearn normalize)', () => {
    const unit = flipSumNormalize(new Float32Array([0, 0, 3, 4]), new Float32Array([0, 0, 0, 0]), 2, 2);
    expect(Array.from(unit)).toEqual([0, 0, 0.6, 0.8]);
  });
});

describe('verificationFromDistances against the brute-force oracle', () => {
  for (const [n, seed, levels] of [
    [137, 1, 0],
    [1000, 2, 0],
    [1001, 3, 100], // many distances exactly on multiples of 0.01
    [640, 4, 1000], // … and of 0.001
  ] as const)
    it(`${n} pairs, seed ${seed}${levels ? `, distances on a 1/${levels} grid` : ''}`, () => {
      const { dist, same } = randomPairs(n, seed, levels);
      const r = verificationFromDistances(dist, same);
      const o = bruteVerification(dist, same, 10);
      expect(Array.from(r.foldAccuracies)).toEqual(o.foldAccuracies);
      expect(Array.from(r.thresholds)).toEqual(o.bestIndex.map((j) => j * 0.01));
      expect(o.val).toBeDefined();
      const val = r.valAtFar1e3!;
      o.val!.foldThresholds.forEach((t, f) => expect(Math.abs(val.foldThresholds[f] - t)).toBeLessThan(1e-12));
      // VAL/FAR counts agree unless a distance lies within the interpolation's rounding of the threshold.
      o.val!.foldVal.forEach((v, f) => {
        const near = Array.from(dist).some((d) => Math.abs(d - val.foldThresholds[f]) < 1e-12);
        if (!near) expect([val.foldVal[f], val.foldFar[f]]).toEqual([v, o.val!.foldFar[f]]);
      });
    });

  it('6000 pairs (LFW size) in ten folds of 600', () => {
    const { dist, same } = randomPairs(6000, 5, 0);
    const r = verificationFromDistances(dist, same);
    // accuracy part only: the VAL oracle is 4000 thresholds × 5400 pairs × 10 folds
    const o = bruteVerification(dist.subarray(0, 6000), same, 10);
    expect(Array.from(r.foldAccuracies)).toEqual(o.foldAccuracies);
    expect(Array.from(r.thresholds)).toEqual(o.bestIndex.map((j) => j * 0.01));
  });
});

describe('slinearInterpolate (scipy ≤ 1.8 interp1d kind="slinear")', () => {
  it('interpolates inside a segment and takes the last knot of a plateau', () => {
    const x = Float64Array.from([0, 0, 0.5, 0.5, 1]);
    const y = Float64Array.from([10, 11, 12, 13, 14]);
    expect(slinearInterpolate(x, y, 0.25)).toBe(11.5);
    expect(slinearInterpolate(x, y, 0.5)).toBe(13); // plateau at 0.5: segment [x3, x4]
    expect(slinearInterpolate(x, y, 0)).toBe(11); // plateau at 0: segment [x1, x2]
    expect(slinearInterpolate(x, y, 1)).toBe(14);
    // a repeated last value: scipy's zero-width last interval yields 0
    expect(slinearInterpolate(Float64Array.from([0, 1, 1]), y.subarray(0, 3), 1)).toBe(0);
  });
});

describe('verification input checks', () => {
  const dist = Array.from({ length: 20 }, (_, i) => (i % 2 ? 2.5 : 0.5));
  const same = dist.map((d) => d === 0.5);
  it('rejects mismatched lengths, bad values and too few pairs', () => {
    expect(() => verificationFromDistances(dist.slice(1), same)).toThrow(RangeError);
    expect(() => verificationFromDistances([NaN, ...dist.slice(1)], same)).toThrow(/finite/);
    expect(() => verificationFromDistances([-1, ...dist.slice(1)], same)).toThrow(RangeError);
    expect(() => verificationFromDistances(dist.slice(0, 9), same.slice(0, 9))).toThrow(/9 pairs cannot be split into 10 folds/);
    expect(() => verificationFromDistances(dist, same, { folds: 0 })).toThrow(RangeError);
    expect(() => verificationFromDistances(dist, same, { folds: 2.5 })).toThrow(RangeError);
    expect(() => verificationFromDistances(dist, [2, ...same.slice(1)])).toThrow(RangeError);
    expect(() => verificationFromDistances(dist, ['yes', ...same.slice(1)] as unknown as boolean[])).toThrow(TypeError);
    expect(() => verificationFromDistances('0.5' as unknown as number[], same)).toThrow(TypeError);
  });
  it('checks embeddings: type, shape, finiteness, dim', () => {
    const a = new Float32Array(20 * 4).fill(1);
    expect(() => verificationAccuracy(a, a.subarray(4), same, { dim: 4 })).toThrow(RangeError);
    expect(() => verificationAccuracy(Array.from(a) as unknown as Float32Array, a, same, { dim: 4 })).toThrow(TypeError);
    expect(() => verificationAccuracy(a, a, same, { dim: 0 })).toThrow(RangeError);
    expect(() => verificationAccuracy(a, a, same, { dim: 3 })).toThrow(RangeError);
    const bad = a.slice();
    bad[7] = NaN;
    expect(() => verificationAccuracy(a, bad, same, { dim: 4 })).toThrow(/embeddingsB\[7\] \(row 1\) is NaN/);
    expect(() => verificationAccuracy(a, a, same, undefined as unknown as { dim: number })).toThrow(TypeError);
    expect(() => flipSumNormalize(a, a.subarray(1), 20, 4)).toThrow(RangeError);
  });
});

describe('rocCurve (sklearn roc_curve, drop_intermediate=True)', () => {
  it('reproduces the sklearn documentation example', () => {
    const roc = rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
    expect(Array.from(roc.fpr)).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(Array.from(roc.tpr)).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(Array.from(roc.thresholds)).toEqual([Infinity, 0.8, 0.4, 0.35, 0.1]);
    expect(auc(roc.fpr, roc.tpr)).toBe(0.75);
  });

  it('drops interior points whose step in and step out are equal', () => {
    // sorted: 1 1 0 1 0 0 → (fp, tp) = (0,1) (0,2) (1,2) (1,3) (2,3) (3,3); (2,3) lies on a straight run
    const roc = rocCurve([1, 1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]);
    expect(Array.from(roc.fpr)).toEqual([0, 0, 0, 1 / 3, 1 / 3, 1]);
    expect(Array.from(roc.tpr)).toEqual([0, 1 / 3, 2 / 3, 2 / 3, 1, 1]);
    expect(Array.from(roc.thresholds)).toEqual([Infinity, 0.9, 0.8, 0.7, 0.6, 0.4]);
  });

  it('collapses tied scores into one point', () => {
    const roc = rocCurve([true, false, true, false], new Float32Array([0.5, 0.5, 0.5, 0.5]));
    expect(Array.from(roc.fpr)).toEqual([0, 1]);
    expect(Array.from(roc.tpr)).toEqual([0, 1]);
    expect(Array.from(roc.thresholds)).toEqual([Infinity, 0.5]);
    const signed = rocCurve([1, 0, 0], [-0, 0, 1]); // −0 and +0 are one tie
    expect(signed.fpr.length).toBe(3);
  });

  for (const [n, seed, levels] of [
    [50, 11, 4],
    [500, 12, 20],
    [3000, 13, 200],
    [2000, 14, 0],
  ] as const)
    it(`matches the brute-force oracle: ${n} scores, seed ${seed}, ${levels || 'no'} tie levels`, () => {
      const u = rng(seed);
      const labels = Array.from({ length: n }, () => (u() < 0.3 ? 1 : 0));
      const scores = labels.map((l) => {
        const s = u() + 0.4 * l;
        return levels ? Math.round(s * levels) / levels : s;
      });
      const roc = rocCurve(labels, Float64Array.from(scores));
      const o = bruteRoc(labels, scores);
      expect(Array.from(roc.fpr)).toEqual(o.fpr);
      expect(Array.from(roc.tpr)).toEqual(o.tpr);
      expect(Array.from(roc.thresholds)).toEqual(o.thresholds);
      for (const target of TAR_FAR_TARGETS) {
        const [point] = tarAtFar(roc, [target]);
        expect(point.tar).toBe(bruteTarAtFar(o.fpr, o.tpr, target));
      }
    });

  it('rejects bad input', () => {
    expect(() => rocCurve([0, 1], [0.5])).toThrow(RangeError);
    expect(() => rocCurve([0, 1], [0.5, NaN])).toThrow(/finite/);
    expect(() => rocCurve([0, 1], [0.5, Infinity])).toThrow(RangeError);
    expect(() => rocCurve([0, 2], [0.5, 0.4])).toThrow(/0\/1/);
    expect(() => rocCurve([0, -1], [0.5, 0.4])).toThrow(RangeError);
    expect(() => rocCurve([1, 1], [0.5, 0.4])).toThrow(/at least one of each/);
    expect(() => rocCurve([], [])).toThrow(RangeError);
    expect(() => rocCurve(null as unknown as number[], [])).toThrow(TypeError);
    expect(() => rocCurve([0, 1], ['a', 0.4] as unknown as number[])).toThrow(TypeError);
  });
});

describe('tarAtFar (nearest FPR, first in reversed order)', () => {
  it('takes the largest TPR among points with the same FPR', () => {
    const roc = { fpr: [0, 1e-3, 1e-3, 2e-3, 1], tpr: [0, 0.5, 0.6, 0.7, 1] };
    const [p] = tarAtFar(roc, [1e-3]);
    expect(p).toEqual({ far: 1e-3, tar: 0.6, fpr: 1e-3, index: 2 });
  });

  it('on an exact tie between a lower and a higher FPR, the higher one wins', () => {
    const roc = { fpr: [0, 0.25, 0.75, 1], tpr: [0, 0.4, 0.9, 1] };
    expect(tarAtFar(roc, [0.5])[0]).toMatchObject({ tar: 0.9, fpr: 0.75, index: 2 });
  });

  it('defaults to the six IJB targets 1e−6 … 1e−1 and accepts targets beyond the curve', () => {
    const roc = { fpr: Float64Array.from([0, 0.2, 1]), tpr: Float64Array.from([0, 0.8, 1]) };
    const points = tarAtFar(roc);
    expect(points.map((p) => p.far)).toEqual([1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]);
    expect(points.map((p) => p.tar)).toEqual([0, 0, 0, 0, 0, 0.8]);
  });

  it('rejects malformed curves', () => {
    expect(() => tarAtFar({ fpr: [0, 1], tpr: [0] })).toThrow(RangeError);
    expect(() => tarAtFar({ fpr: [0, NaN], tpr: [0, 1] })).toThrow(RangeError);
    expect(() => tarAtFar(undefined as unknown as { fpr: number[]; tpr: number[] })).toThrow(TypeError);
  });
});

describe('numpySum and auc against numpy', () => {
  it('numpySum is bit-identical to np.sum (pairwise), and gives np.mean / np.std', () => {
    for (const { n, seed, sum, mean, std } of numpyFixture.sums) {
      const v = formulaValues(n, seed);
      expect(numpySum(v)).toBe(sum);
      expect(numpySum(v) / n).toBe(mean);
      const m = numpySum(v) / n;
      expect(Math.sqrt(numpySum(v.map((x) => (x - m) * (x - m))) / n)).toBe(std);
    }
  });

  it('auc is bit-identical to sklearn auc (direction · np.trapezoid)', () => {
    for (const { n, seed, decreasing, auc: expected } of numpyFixture.aucs) {
      const steps = formulaValues(n, seed).map((v) => Math.abs(v) / 1e3);
      const x = new Float64Array(n);
      let acc = 0;
      for (let i = 1; i < n; i++) x[i] = acc += steps[i];
      if (decreasing) x.reverse();
      const y = formulaValues(n, seed + 100).map((v) => Math.abs(v) / 5e3);
      expect(auc(x, y)).toBe(expected);
    }
  });

  it('auc rejects non-monotone x and fewer than two points', () => {
    expect(() => auc([0, 1, 0.5], [0, 1, 1])).toThrow(/neither increasing nor decreasing/);
    expect(() => auc([0], [0])).toThrow(RangeError);
    expect(() => auc([0, 1], [0])).toThrow(RangeError);
  });
});
