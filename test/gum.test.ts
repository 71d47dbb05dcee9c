// SDE: the GUM fit (src/train/gum.ts) against an independent line-by-line transcription of the
// official train.py + GUM.py (test/support/gum-oracle.ts), the paper variant on synthetic
// half-normal + uniform samples with known parameters, the NaN path of the code's Ω formula, and
// the SDS weights (src/train/sds.ts) against hand-computed values.
import { describe, expect, it } from 'vitest';
import { codeUniformDensity, ENTROPY_FLOOR, fitGaussianUniform, type GumFit } from '../src/train/gum.js';
import { CONFIDENCE_WEIGHT_DIFFERENTIABLE, confidenceWeight, hardnessWeight, structureDamageScore } from '../src/train/sds.js';
import { gaussian, mulberry32 } from '../src/util/random.js';
import { officialGum, sklearnScale, type OracleResult } from './support/gum-oracle.js';

/** Entropies like a training batch: mostly small (easy), some spread up to log(K) (hard). */
function batchEntropies(n: number, seed: number, easyShare = 0.7): Float64Array {
  const random = mulberry32(seed);
  return Float64Array.from({ length: n }, () => (random() < easyShare ? -0.1 * Math.log(1 - random()) : 11 * random()));
}

/** n samples of π·N⁺(0, Σ) + (1 − π)·U(0, Ω): the paper's Eq. 3 with known parameters. */
function mixtureSample(n: number, pi: number, sigma: number, omega: number, seed: number): Float64Array {
  const random = mulberry32(seed);
  const normal = gaussian(random);
  return Float64Array.from({ length: n }, () => (random() < pi ? Math.abs(normal()) * Math.sqrt(sigma) : omega * random()));
}

function expectSameAsOracle(fit: GumFit, ref: OracleResult): void {
  expect(fit.easyPosterior.length).toBe(ref.gamma.length);
  fit.easyPosterior.forEach((g, i) => expect(Math.abs(g - ref.gamma[i]!)).toBeLessThanOrEqual(1e-9));
  expect(Math.abs(fit.pi - ref.pi)).toBeLessThanOrEqual(1e-9);
  expect(Math.abs(fit.sigma - ref.Sigma)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(ref.Sigma)));
  expect(Math.abs(fit.uniformDensity - ref.c)).toBeLessThanOrEqual(1e-9);
  expect(fit.iterations).toBe(ref.iterations);
  expect(fit.guardedSteps).toBe(0);
}

/** The largest C1²/C2 over the M-steps of an oracle run (the proof in gum.ts bounds it by 2). */
const worstRatio = (ref: OracleResult) => Math.max(0, ...ref.steps.filter((s) => s.C2 > 0).map((s) => s.C1 ** 2 / s.C2));

describe("fitGaussianUniform 'code' equals the official GUM step", () => {
  it.each([2, 3, 4, 5, 7, 16, 31, 64, 127, 128, 129, 256])('random entropies, n = %i', (n) => {
    for (let seed = 0; seed < 12; seed++) {
      const e = batchEntropies(n, 1000 * n + seed, seed % 3 === 0 ? 0.9 : 0.7);
      const ref = officialGum(e);
      const fit = fitGaussianUniform(e, { variant: 'code' });
      expectSameAsOracle(fit, ref);
      expect(fit.converged).toBe(true);
    }
  });

  it('a Float32Array gives the fit of its float64 values', () => {
    const e32 = Float32Array.from(batchEntropies(128, 5));
    const a = fitGaussianUniform(e32, { variant: 'code' });
    expectSameAsOracle(a, officialGum(e32));
    expect(Array.from(a.easyPosterior)).toEqual(Array.from(fitGaussianUniform(Float64Array.from(e32), { variant: 'code' }).easyPosterior));
  });

  it('ties and exact zeros (half the batch fully confident)', () => {
    for (const n of [9, 128, 129]) {
      const random = mulberry32(n);
      const e = Float64Array.from({ length: n }, () => (random() < 0.5 ? 0 : random()));
      expectSameAsOracle(fitGaussianUniform(e, { variant: 'code' }), officialGum(e));
    }
  });

  it('the sign flip is numpy\'s E[2*arange(n//2)] *= -1: for odd n the last (even) index keeps its sign', () => {
    expect(officialGum([1, 2, 4]).x).toEqual(sklearnScale([-1, 2, 4]));
    expect(officialGum([1, 2, 4, 8]).x).toEqual(sklearnScale([-1, 2, -4, 8]));
    const e = Float64Array.of(1, 2, 4);
    expectSameAsOracle(fitGaussianUniform(e, { variant: 'code' }), officialGum(e));
  });

  it('all entropies equal: ±e after the flip, every sample the same posterior', () => {
    for (const n of [2, 4, 128]) {
      const e = new Float64Array(n).fill(0.7);
      const fit = fitGaussianUniform(e, { variant: 'code' });
      expectSameAsOracle(fit, officialGum(e));
      expect(new Set(fit.easyPosterior).size).toBe(1);
      expect(fit.sigma).toBeCloseTo(1, 12); // x = ±1 exactly, γ cancels in Σγx²/Σγ
    }
    const odd = Float64Array.of(0.7, 0.7, 0.7, 0.7, 0.7); // [−e, e, −e, e, e]: not symmetric
    expectSameAsOracle(fitGaussianUniform(odd, { variant: 'code' }), officialGum(odd));
  });

  it('std 0 (all zero, or n = 1) and std below sklearn\'s 10·eps: only centred, not scaled', () => {
    for (const e of [new Float64Array(6), Float64Array.of(0.3), Float64Array.of(1e-17, 3e-17, 0, 2e-17)]) {
      const ref = officialGum(e);
      const spread = e.length > 1 ? Math.abs(ref.x[1]! - ref.x[0]!) : 0;
      expect(spread).toBeLessThan(1e-15); // not blown up to unit variance
      const fit = fitGaussianUniform(e, { variant: 'code' });
      expectSameAsOracle(fit, ref);
      expect(fit.easyPosterior.every((g) => g > 0.99)).toBe(true);
    }
  });

  it('tiny batches: n = 0 (documented initial values), 1, 2, 3', () => {
    expect(fitGaussianUniform(new Float64Array(0), { variant: 'code' })).toEqual({
      easyPosterior: new Float64Array(0), pi: 0.1, sigma: 0, uniformDensity: 0.2, iterations: 0, converged: true, guardedSteps: 0,
      values: new Float64Array(0),
    });
    // `values` = what the mixture saw: even indices negated, then z-scored (population std)
    const flipped = [-0.5, 1, -1.5, 2], mean = 0.25;
    const std = Math.sqrt(flipped.reduce((a, v) => a + (v - mean) ** 2, 0) / 4);
    Array.from(fitGaussianUniform(Float64Array.from([0.5, 1, 1.5, 2]), { variant: 'code' }).values)
      .forEach((v, i) => expect(v).toBeCloseTo((flipped[i]! - mean) / std, 12));
    expect(() => officialGum([])).toThrow(/0 sample/); // sklearn refuses an empty batch
    for (const e of [[2.5], [0.1, 3], [3, 0.1], [0.2, 0.2, 5]]) {
      const x = Float64Array.from(e);
      expectSameAsOracle(fitGaussianUniform(x, { variant: 'code' }), officialGum(x));
    }
  });

  it('maxIterations cuts the loop where range(maxIterations) would; tolerance is the |ll − ll_prev| threshold', () => {
    const e = batchEntropies(128, 77);
    for (const cap of [1, 2, 5]) {
      const fit = fitGaussianUniform(e, { variant: 'code', maxIterations: cap });
      const ref = officialGum(e, cap);
      expectSameAsOracle(fit, ref);
      expect(fit.converged).toBe(false);
    }
    const loose = fitGaussianUniform(e, { variant: 'code', tolerance: 1e-3 });
    expect(loose.iterations).toBeLessThan(fitGaussianUniform(e, { variant: 'code' }).iterations);
  });
});

describe("the NaN path of the code's Ω formula (3C2 − C1² < −0.001)", () => {
  it('is unreachable after z-scoring: C1² ≤ 2·C2 on every M-step, random batches', () => {
    let worst = 0;
    for (const n of [2, 3, 5, 8, 33, 128]) {
      for (let seed = 0; seed < 20; seed++) {
        for (const easy of [0.1, 0.5, 0.9]) {
          const ref = officialGum(batchEntropies(n, seed * 31 + n, easy));
          worst = Math.max(worst, worstRatio(ref));
          for (const s of ref.steps) expect(3 * s.C2 - s.C1 ** 2).toBeGreaterThanOrEqual(-1e-12);
        }
      }
    }
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('is unreachable after z-scoring: a hill climb that maximises C1²/C2 stays below 2', () => {
    let worst = 0;
    for (const n of [4, 9, 32]) {
      for (let restart = 0; restart < 3; restart++) {
        const random = mulberry32(100 * n + restart);
        let e = Array.from({ length: n }, () => random() * (random() < 0.5 ? 0.1 : 10));
        let best = worstRatio(officialGum(e));
        for (let step = 0; step < 200; step++) {
          const candidate = e.slice();
          const k = Math.floor(random() * n);
          candidate[k] = Math.max(0, candidate[k]! * Math.exp(2 * random() - 1) + 0.1 * (random() - 0.5));
          const ratio = worstRatio(officialGum(candidate));
          if (ratio >= best) [best, e] = [ratio, candidate];
        }
        worst = Math.max(worst, best);
        const fit = fitGaussianUniform(Float64Array.from(e), { variant: 'code' });
        expect(fit.guardedSteps).toBe(0);
        expectSameAsOracle(fit, officialGum(e));
      }
    }
    expect(worst).toBeLessThan(2); // measured ≈ 0.37: the bound is far from 3
  });

  it('is what the centring prevents: without preprocessing.scale one-sided data reaches it and Python goes NaN', () => {
    const e = Array.from({ length: 16 }, (_, i) => (i % 2 ? 5 + 0.1 * i : 0.05));
    const raw = officialGum(e, 1000, true);
    expect(3 * raw.steps[0]!.C2 - raw.steps[0]!.C1 ** 2).toBeLessThan(-0.001);
    expect(raw.gamma.every(Number.isNaN)).toBe(true);
    expect(raw.iterations).toBe(1000);
    const fit = fitGaussianUniform(Float64Array.from(e), { variant: 'code' });
    expectSameAsOracle(fit, officialGum(e));
  });

  it('the guard: a step below −0.001 takes the 0.001 branch and is reported', () => {
    expect(codeUniformDensity(1, 0.1)).toEqual({ density: 0.001, guarded: true }); // 3C2 − C1² = −0.7
    expect(codeUniformDensity(Number.NaN, 1)).toEqual({ density: 0.001, guarded: true });
    expect(codeUniformDensity(0.01, 0.0002)).toEqual({ density: 0.001, guarded: false }); // |·| < 0.001
    expect(codeUniformDensity(0.0, -0.0003)).toEqual({ density: 0.001, guarded: false }); // −0.0009: in the band
    expect(codeUniformDensity(0, 1 / 3).density).toBe(1 / (2 * Math.sqrt(3 * (1 / 3)) + 1e-10));
    expect(codeUniformDensity(0.5, 1).density).toBe(1 / (2 * Math.sqrt(2.75) + 1e-10));
  });
});

describe("fitGaussianUniform 'paper'", () => {
  it.each([
    [0.7, 0.25, 3],
    [0.3, 0.25, 3],
    [0.9, 0.25, 3],
    [0.8, 0.1, 5],
  ])('recovers π = %f and Σ = %f (Ω = %f) from 20000 samples', (pi, sigma, omega) => {
    const fit = fitGaussianUniform(mixtureSample(20000, pi, sigma, omega, 11), { variant: 'paper', seed: 3 });
    expect(fit.converged).toBe(true);
    expect(fit.guardedSteps).toBe(0);
    expect(Math.abs(fit.pi - pi)).toBeLessThan(0.02);
    expect(Math.abs(fit.sigma / sigma - 1)).toBeLessThan(0.08);
    expect(Math.abs(1 / (2 * fit.uniformDensity) / omega - 1)).toBeLessThan(0.02);
  });

  it('the posterior depends on E only and does not increase with it', () => {
    const e = batchEntropies(128, 9);
    const fit = fitGaussianUniform(e, { variant: 'paper', seed: 1 });
    const order = Array.from(e.keys()).sort((a, b) => e[a]! - e[b]!);
    for (let k = 1; k < order.length; k++)
      expect(fit.easyPosterior[order[k]!]!).toBeLessThanOrEqual(fit.easyPosterior[order[k - 1]!]! + 1e-15);
    expect(fit.easyPosterior[order[0]!]!).toBeGreaterThan(0.9);
    expect(fit.easyPosterior[order[127]!]!).toBeLessThan(0.1);
  });

  it('is deterministic per seed; another seed draws other signs', () => {
    const e = batchEntropies(128, 21);
    const a = fitGaussianUniform(e, { variant: 'paper', seed: 42 });
    const b = fitGaussianUniform(e, { variant: 'paper', seed: 42 });
    const c = fitGaussianUniform(e, { variant: 'paper', seed: 43 });
    expect(b).toEqual(a);
    expect(fitGaussianUniform(e, { variant: 'paper' })).toEqual(fitGaussianUniform(e, { variant: 'paper', seed: 0 }));
    expect(c.pi).not.toBe(a.pi);
    expect(Math.abs(c.pi - a.pi)).toBeLessThan(0.1);
  });

  it('small random batches give finite fits with posteriors in [0, 1]', () => {
    for (let n = 2; n <= 16; n++) {
      for (let seed = 0; seed < 10; seed++) {
        const fit = fitGaussianUniform(batchEntropies(n, seed + 50 * n), { variant: 'paper', seed });
        expect(Number.isFinite(fit.pi) && Number.isFinite(fit.sigma) && Number.isFinite(fit.uniformDensity)).toBe(true);
        expect(fit.easyPosterior.every((g) => g >= 0 && g <= 1)).toBe(true);
      }
    }
  });

  it('degenerate batches: empty, one value, all equal, a spike of exact zeros', () => {
    expect(fitGaussianUniform(new Float64Array(0), { variant: 'paper' })).toMatchObject({ pi: 0.5, sigma: 0, iterations: 0 });
    for (const e of [Float64Array.of(0.4), new Float64Array(5).fill(2), new Float64Array(7)]) {
      const fit = fitGaussianUniform(e, { variant: 'paper', seed: 5 });
      expect(Array.from(fit.easyPosterior)).toEqual(new Array(e.length).fill(1));
      expect(fit).toMatchObject({ pi: 1, sigma: e[0]! ** 2, uniformDensity: 0, iterations: 0 });
    }
    const spike = Float64Array.from({ length: 64 }, (_, i) => (i < 48 ? 0 : 1 + i / 64));
    const fit = fitGaussianUniform(spike, { variant: 'paper', seed: 2 });
    expect(fit.guardedSteps).toBeGreaterThan(0); // Σ sits on its floor, 1e−6·mean(Ê²)
    expect(fit.sigma).toBeGreaterThan(0);
    for (let i = 0; i < 64; i++) expect(fit.easyPosterior[i]! > 0.99).toBe(i < 48);
  });
});

describe('fitGaussianUniform rejects bad input with typed errors', () => {
  const good = Float64Array.of(0.1, 0.5, 2);
  it.each([
    [Float64Array.of(0.1, Number.NaN), RangeError, 'ERR_TOPOFR_NON_FINITE', /entropies\[1\] is NaN/],
    [Float32Array.of(Infinity), RangeError, 'ERR_TOPOFR_NON_FINITE', /finite/],
    [Float64Array.of(0.2, -0.1), RangeError, 'ERR_TOPOFR_INVALID_VALUE', /entropies\[1\] = -0.1 is negative/],
    [[0.1, 0.2], TypeError, 'ERR_TOPOFR_INVALID_TYPE', /Float32Array or Float64Array, got an Array/],
    [Int32Array.of(1), TypeError, 'ERR_TOPOFR_INVALID_TYPE', /got Int32Array/],
  ] as const)('entropies %o', (e, type, code, message) => {
    for (const variant of ['code', 'paper'] as const) {
      const call = () => fitGaussianUniform(e as unknown as Float64Array, { variant });
      expect(call).toThrow(type);
      expect(call).toThrow(message);
      try {
        call();
      } catch (error) {
        expect((error as { code: string }).code).toBe(code);
      }
    }
  });

  it('accepts the official entropy formula\'s small negatives (≥ −log(1 + 1e−5))', () => {
    const e = Float64Array.of(-Math.log(1 + 1e-5), 0.3, 2, 0);
    expect(ENTROPY_FLOOR).toBeLessThan(-Math.log(1 + 1e-5));
    expectSameAsOracle(fitGaussianUniform(e, { variant: 'code' }), officialGum(e));
    expect(() => fitGaussianUniform(Float64Array.of(ENTROPY_FLOOR * 1.01), { variant: 'paper' })).toThrow(RangeError);
  });

  it.each([
    [{ variant: 'both' }, /variant must be 'code' or 'paper'/],
    [{ variant: 'code', maxIterations: 0 }, /maxIterations must be an integer ≥ 1/],
    [{ variant: 'code', maxIterations: 2.5 }, /maxIterations/],
    [{ variant: 'paper', tolerance: 0 }, /tolerance must be a finite number > 0/],
    [{ variant: 'paper', tolerance: Number.NaN }, /tolerance/],
    [{ variant: 'paper', seed: -1 }, /seed must be an integer in \[0, 2\^32\)/],
    [{ variant: 'paper', seed: 1.5 }, /seed/],
  ])('options %o', (options, message) => {
    const call = () => fitGaussianUniform(good, options as never);
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });

  it('missing options', () => {
    expect(() => fitGaussianUniform(good, undefined as never)).toThrow(TypeError);
  });
});

describe('SDS weights ω = ω1·ω2', () => {
  const gamma = Float64Array.of(1, 0, 0.25, 0.5);
  const pGt = Float64Array.of(0.2, 1, 0.999999, 0);

  it('ω1 = (2 − γ)^λ', () => {
    expect(Array.from(hardnessWeight(gamma))).toEqual([1, 2, 1.75, 1.5]);
    expect(Array.from(hardnessWeight(gamma, 2))).toEqual([1, 4, 3.0625, 2.25]);
    expect(Array.from(hardnessWeight(gamma, 0))).toEqual([1, 1, 1, 1]);
    expect(hardnessWeight(gamma, 0.5)[1]).toBeCloseTo(Math.SQRT2, 15);
  });

  it("ω2: 'paper' 1 − p_gt, 'code' 1 − int64(p_gt), 'none' 1", () => {
    const paper = confidenceWeight(pGt, 'paper');
    expect(paper[0]).toBeCloseTo(0.8, 15);
    expect(paper[1]).toBe(0);
    expect(paper[2]).toBeCloseTo(1e-6, 15);
    expect(paper[3]).toBe(1);
    expect(Array.from(confidenceWeight(pGt, 'code'))).toEqual([1, 0, 1, 1]);
    expect(Array.from(confidenceWeight(pGt, 'none'))).toEqual([1, 1, 1, 1]);
    // float32 probabilities: only exactly 1.0 truncates to 1
    const p32 = Float32Array.of(1, Math.fround(1 - 2 ** -24), 0.5);
    expect(Array.from(confidenceWeight(p32, 'code'))).toEqual([0, 1, 1]);
    // rounding slack above 1 reads as 1; beyond it, not a probability
    expect(Array.from(confidenceWeight(Float64Array.of(1 + 5e-7), 'code'))).toEqual([0]);
    expect(Array.from(confidenceWeight(Float64Array.of(1 + 5e-7), 'paper'))).toEqual([0]);
    expect(() => confidenceWeight(Float64Array.of(1.01), 'paper')).toThrow(RangeError);
  });

  it('ω = ω1·ω2 per mode, and which ω2 carries a gradient', () => {
    expect(Array.from(structureDamageScore(gamma, pGt, { confidence: 'code' }))).toEqual([1, 0, 1.75, 1.5]);
    expect(Array.from(structureDamageScore(gamma, pGt, { confidence: 'none', lambda: 2 }))).toEqual([1, 4, 3.0625, 2.25]);
    const paper = structureDamageScore(gamma, pGt, { confidence: 'paper' });
    [0.8, 0, 1.75e-6, 1.5].forEach((w, i) => expect(paper[i]).toBeCloseTo(w, 12));
    expect(CONFIDENCE_WEIGHT_DIFFERENTIABLE).toEqual({ paper: true, code: false, none: false });
  });

  it('from a code-variant fit: ω1 ∈ [1, 2], larger for the hard (high-entropy) samples', () => {
    const e = batchEntropies(128, 3);
    const w = hardnessWeight(fitGaussianUniform(e, { variant: 'code' }).easyPosterior);
    expect(w.every((v) => v >= 1 && v <= 2)).toBe(true);
    const easiest = e.indexOf(Math.min(...e)), hardest = e.indexOf(Math.max(...e));
    expect(w[hardest]!).toBeGreaterThan(w[easiest]!);
  });

  it('bad input', () => {
    expect(() => hardnessWeight(Float64Array.of(1.5))).toThrow(/not a probability/);
    expect(() => hardnessWeight(Float64Array.of(Number.NaN))).toThrow(RangeError);
    expect(() => hardnessWeight(gamma, -1)).toThrow(/lambda must be a finite number ≥ 0/);
    expect(() => hardnessWeight([0.5] as never)).toThrow(TypeError);
    expect(() => confidenceWeight(pGt, 'focal' as never)).toThrow(/mode must be 'paper', 'code' or 'none'/);
    expect(() => confidenceWeight(Float64Array.of(-0.1), 'code')).toThrow(RangeError);
    expect(() => structureDamageScore(gamma, Float64Array.of(0.5), { confidence: 'paper' })).toThrow(/4 values but pGt has 1/);
    expect(() => structureDamageScore(gamma, pGt, undefined as never)).toThrow(TypeError);
  });
});
