// SDE's Gaussian–uniform mixture (GUM, TOPOFR.md §1.5): from the prediction entropies of a batch,
// the posterior probability that each sample is easy (the Gaussian component). Pure numbers over
// typed arrays, all arithmetic in float64; src/train/sds.ts turns the posterior into the SDS weight.
//
// Two variants, both taking the raw entropies E_i (one per sample, in batch order):
//
// * 'code': the official `train.py` + `GUM.py` step, quirks included (TOPOFR.md §1.5.2, D5, D6).
//   1. Sign flip E[2k] ← −E[2k] for k < ⌊n/2⌋ (numpy's `E[2*arange(n//2)] *= -1`: for odd n the
//      last index n − 1 is even but is NOT negated).
//   2. sklearn `preprocessing.scale`: x ← x − mean; if |mean(x)| > 1e−8 subtract it again; divide by
//      the population std (ddof 0), except when std < 10·eps(float64) ≈ 2.2e−15, then only centre
//      (sklearn's `_handle_zeros_in_scale`); if |mean(x)| > 1e−8 after that, subtract it once more.
//   3. π = 0.1, μ = 0 (fixed), Σ = mean(x²), c = 0.2, ll_prev = 0; then up to `maxIterations` (1000)
//      times: φ_i = N(x_i | 0, Σ + 1e−3); γ_i = φ_iπ / (φ_iπ + (1 − π)c); N1 = Σγ; Σ = Σγx² / N1;
//      π = min(N1/n, 0.5); C1 = Σ(1 − γ)/(1 − π + 1e−10)·x / N1, C2 the same with x²;
//      c = 0.001 if |3C2 − C1²| < 0.001 else 1 / (2·sqrt(3C2 − C1²) + 1e−10);
//      ll = Σ(π·φ_i + (1 − π)·c) (new π and c, old φ); stop when |ll − ll_prev| < `tolerance` (1e−10).
//   Returned: γ of the LAST E-step (computed with the parameters before the last M-step), π and Σ
//   after the last M-step, as `gauss_unif` returns them.
//   Degenerate paths of the Python and what happens here instead:
//   - 3C2 − C1² < −0.001 (sqrt of a negative → NaN forever in Python) cannot happen: γ is a
//     non-increasing function of |x| and Σx = 0 after z-scoring, so C1² ≤ 2·C2 and 3C2 − C1² ≥ C2 ≥ 0
//     (proof at `codeUniformDensity`). It is still guarded: such a step takes the 0.001 branch and is
//     counted in `guardedSteps`.
//   - N1 = 0 (every γ underflows to 0; Python then divides 0 by 0) stops the loop before the M-step,
//     counted in `guardedSteps`; the posterior returned is that all-zero γ.
//   - n = 0 (sklearn raises): an empty posterior, the initial π = 0.1, Σ = 0, c = 0.2, 0 iterations.
//   - n = 1 or all-zero entropies: std 0, x = 0 (only centred), the loop runs normally.
//
// * 'paper': Eq. 6–7 of the paper (TOPOFR.md §1.5.1) on the raw entropies, nothing standardised.
//   1. Ê_i = ±E_i with a random sign per sample: Bernoulli(0.5) from mulberry32(seed), one draw per
//      sample in batch order (draw < 0.5 ⇒ negative).
//   2. Mixture π·N(Ê | 0, Σ) + (1 − π)·U(−Ω, Ω), the uniform density 1/(2Ω) inside [−Ω, Ω] only.
//      Outside the support a sample is counted hard (h = 1). (The strict posterior there would be
//      h = 0, easy. With the moment update of Ω below that makes Ω a ratchet: samples just outside
//      leave the uniform for good, the next Ω is smaller, and on half-normal + uniform data with
//      π ≥ 0.5 the fit collapses onto the centre: in a float64 prototype of this loop, π = 0.7,
//      Σ = 0.25, Ω = 3, n = 20000 gave π̂ = 0.94, Ω̂ = 0.11. Counting them hard gives π̂ = 0.697,
//      Σ̂ = 0.244, Ω̂ = 3.006 there; test/gum.test.ts checks the recovery on four such mixtures.)
//   3. Initialisation: π = 0.5 (no preference), Σ = mean(Ê²), Ω = max|Ê| (every sample inside).
//   4. Iteration t → t + 1 (Eq. 7): h_i = (1 − π)U / (π·N(Ê_i|0,Σ) + (1 − π)U); π = Σ(1 − h)/n;
//      Σ = Σ(1 − h)Ê² / Σ(1 − h); η1 = Σ[h/(1 − π)]Ê / n, η2 = Σ[h/(1 − π)]Ê² / n; Ω = sqrt(3(η2 − η1²)).
//      The η are normalised by n = Σ h/(1 − π), so they are the moments of the uniform component's
//      samples and Ω is the half-width of the uniform with that variance. (Eq. 7 as TOPOFR.md prints
//      it divides by Σ(1 − h) = nπ instead, which makes η the moments ÷ π: Ω is then inflated by
//      1/sqrt(π) on symmetric data and the fit does not recover a known mixture: in the same
//      prototype π = 0.2 was fitted as 0.87.)
//   5. Stop when max(|Δπ|, |ΔΣ|/Σ, |ΔΩ|/Ω) < `tolerance` (default 1e−9), at most `maxIterations`
//      (1000) M-steps. (The model is not fitted by EM on a likelihood, Ω comes from moments, so the
//      rule watches the parameters, not a likelihood.)
//   6. Returned: the easy posterior 1 − h from one more E-step with the final parameters, so the
//      posterior, π and Σ belong together.
//   Guards (each use counted in `guardedSteps`): Σ ≥ 1e−6·mean(Ê²) (the point-mass singularity of a
//   Gaussian fitted by EM, e.g. many entropies exactly 0); Ω ≥ 1e−3·sqrt(mean(Ê²)) and a non-positive
//   3(η2 − η1²) takes that floor; N1 = 0 keeps Σ, no hard mass (Σh = 0) keeps Ω; a sample whose
//   mixture density underflows to 0 is hard. A batch with a single entropy value (n = 1, all equal,
//   all 0) cannot separate the components: every sample easy (γ = 1, so ω1 = 1, the unweighted
//   loss), π = 1, Σ = mean(Ê²), uniformDensity 0, 0 iterations. n = 0: empty, π = 0.5, Σ = 0.
//   The model is symmetric in Ê, so the posterior depends on E_i only; the signs reach it through
//   η1 (≈ 0), i.e. through Ω.
//
// `sigma` is Σ, the VARIANCE (not the standard deviation) of the zero-mean Gaussian, as GUM.py's
// `Sigma[0,0]`. 'code': in the units of the standardised, sign-flipped entropies (dimensionless;
// times the population variance of the flipped entropies gives entropy units²), without the +1e−3
// that the E-step adds. 'paper': in entropy units²; E ≈ |N(0, Σ)| for easy samples, i.e. Σ is the
// scale² of the half-normal N⁺(E | 0, Σ) of Eq. 4.
import { TopofrRangeError, TopofrTypeError } from '../errors.js';
import { mulberry32 } from '../util/random.js';
import { describeValue, isFloatArray } from '../util/check.js';

export type GumVariant = 'code' | 'paper';

export interface GumOptions {
  variant: GumVariant;
  /** 'paper': the seed of the random signs (default 0). 'code': ignored (its signs are fixed). */
  seed?: number;
  /** Most iterations (M-steps); default 1000 (the code's cap). Integer ≥ 1. */
  maxIterations?: number;
  /** 'code': |ll − ll_prev| threshold (default 1e−10); 'paper': largest relative parameter change
   *  (default 1e−9). A number > 0. */
  tolerance?: number;
}

export interface GumFit {
  /** The values the mixture was fitted to, in batch order: 'code' the sign-flipped, z-scored
   *  entropies; 'paper' the randomly signed entropies Ê (for plots such as the paper's Fig. 4). */
  values: Float64Array;
  /** γ_i = P(easy | E_i) = 1 − h_i, one per sample, in batch order. */
  easyPosterior: Float64Array;
  /** The Gaussian (easy) component's prior. */
  pi: number;
  /** Σ, the Gaussian's variance (see the file header for its units per variant). */
  sigma: number;
  /** The uniform's density: 'code' c (applied everywhere), 'paper' 1/(2Ω) (inside [−Ω, Ω]). */
  uniformDensity: number;
  /** M-steps run (the code's loop count: break at index i ⇒ i + 1). */
  iterations: number;
  /** Whether the stopping rule fired before maxIterations. */
  converged: boolean;
  /** Steps where a guard replaced what would have been NaN/Infinity or a collapse (see header). */
  guardedSteps: number;
}

/** The smallest raw entropy accepted. The official entropy −Σ p·log(p + 1e−5) is negative, down to
 *  −log(1 + 1e−5) ≈ −1e−5, for a (near) one-hot prediction; twice that leaves room for float32
 *  rounding. Anything below is not an entropy. */
export const ENTROPY_FLOOR = -2e-5;

const FN = 'fitGaussianUniform';
const EPS64 = 2.220446049250313e-16;
const LOG_2PI = Math.log(2 * Math.PI);

/** The code's uniform density from C1, C2 (GUM.py), with the NaN path guarded.
 *
 *  Why 3C2 − C1² < −0.001 is unreachable on the code's own inputs: let h = 1 − γ, p = N1/n and
 *  D = 1 − π + 1e−10, so C1 = Σhx/(N1·D) and C2 = Σhx²/(N1·D). (i) Cauchy–Schwarz:
 *  (Σhx)² ≤ Σh·Σhx² gives C1²/C2 ≤ (n − N1)/(N1·D). (ii) Σx = 0 after z-scoring, so Σhx = −Σγx and
 *  (Σγx)² ≤ N1·Σγx²; γ is non-increasing in x² (φ is, and γ increases with φ), so Chebyshev's sum
 *  inequality gives Σγx² ≤ p·Σx², hence C1²/C2 ≤ p/((1 − p)·D). If p ≤ 0.5 then π = p and (ii) is
 *  ≤ p/(1 − p)² ≤ 2; if p > 0.5 then π = 0.5 and (i) is < 0.5/(0.5·0.5) = 2. So C1² ≤ 2·C2 and
 *  3C2 − C1² ≥ C2 ≥ 0: the sqrt never sees a negative number beyond rounding, far inside the
 *  0.001 band. A negative value below −0.001 is nevertheless taken as the 0.001 branch (guarded). */
export function codeUniformDensity(c1: number, c2: number): { density: number; guarded: boolean } {
  const d = 3 * c2 - c1 ** 2;
  if (Math.abs(d) < 0.001) return { density: 0.001, guarded: false };
  if (!(d > 0)) return { density: 0.001, guarded: true }; // d < −0.001 or NaN: Python's NaN path
  return { density: 1.0 / (2 * Math.sqrt(d) + 1e-10), guarded: false };
}

function checkEntropies(entropies: unknown): Float64Array {
  if (!isFloatArray(entropies)) {
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${FN}: entropies must be a Float32Array or Float64Array, got ${describeValue(entropies)} (convert with Float64Array.from(...))`);
  }
  const x = Float64Array.from(entropies);
  for (let i = 0; i < x.length; i++) {
    const e = x[i]!;
    if (!Number.isFinite(e))
      throw new TopofrRangeError('ERR_TOPOFR_NON_FINITE', `${FN}: entropies[${i}] is ${e}; entropies must be finite (check the softmax for NaN/Infinity)`);
    if (e < ENTROPY_FLOOR)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${FN}: entropies[${i}] = ${e} is negative; raw prediction entropies are ≥ 0 (down to ${ENTROPY_FLOOR} for the official −Σp·log(p + 1e−5)); pass them before any sign flip`);
  }
  return x;
}

function resolve(options: GumOptions) {
  if (typeof options !== 'object' || options === null)
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${FN}: options must be an object with a variant ('code' or 'paper')`);
  const { variant } = options;
  if (variant !== 'code' && variant !== 'paper')
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${FN}: variant must be 'code' or 'paper', got ${describeValue(variant)}`);
  const maxIterations = options.maxIterations ?? 1000;
  if (typeof maxIterations !== 'number' || !Number.isInteger(maxIterations) || maxIterations < 1)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${FN}: maxIterations must be an integer ≥ 1, got ${describeValue(maxIterations)}`);
  const tolerance = options.tolerance ?? (variant === 'code' ? 1e-10 : 1e-9);
  if (typeof tolerance !== 'number' || !(tolerance > 0) || !Number.isFinite(tolerance))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${FN}: tolerance must be a finite number > 0, got ${describeValue(tolerance)}`);
  const seed = options.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${FN}: seed must be an integer in [0, 2^32), got ${describeValue(seed)}`);
  return { variant, maxIterations, tolerance, seed };
}

/** Fits the GUM of TopoFR's SDE to a batch of raw prediction entropies (see the file header). */
export function fitGaussianUniform(entropies: Float32Array | Float64Array, options: GumOptions): GumFit {
  const o = resolve(options);
  const e = checkEntropies(entropies);  // a fresh copy, transformed in place by the fit
  const fit = o.variant === 'code' ? fitCode(e, o.maxIterations, o.tolerance) : fitPaper(e, o.seed, o.maxIterations, o.tolerance);
  return { ...fit, values: e };
}

/** Sign flip + sklearn.preprocessing.scale of GUM.py / train.py, in place. */
function standardiseAsCode(x: Float64Array): void {
  const n = x.length;
  for (let k = 0; k < n >> 1; k++) x[2 * k] = -x[2 * k]!;
  const meanOf = () => {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i]!;
    return s / n;
  };
  const subtract = (m: number) => {
    for (let i = 0; i < n; i++) x[i]! -= m;
  };
  const mean = meanOf();
  subtract(mean);
  let ss = 0; // np.std: the deviations from the same mean, which x now holds
  for (let i = 0; i < n; i++) ss += x[i]! * x[i]!;
  let std = Math.sqrt(ss / n);
  const mean1 = meanOf();
  if (Math.abs(mean1) > 1e-8) subtract(mean1);
  if (std < 10 * EPS64) std = 1;
  for (let i = 0; i < n; i++) x[i]! /= std;
  const mean2 = meanOf();
  if (Math.abs(mean2) > 1e-8) subtract(mean2);
}

function fitCode(x: Float64Array, maxIterations: number, tolerance: number): Omit<GumFit, 'values'> {
  const n = x.length;
  if (n === 0) return { easyPosterior: new Float64Array(0), pi: 0.1, sigma: 0, uniformDensity: 0.2, iterations: 0, converged: true, guardedSteps: 0 };
  standardiseAsCode(x);
  // Every sum below runs in index order with numpy's elementwise operation order, so the result
  // does not depend on how the sums are grouped (the stopping rule compares ll to 1e−10 absolute).
  let sumX2 = 0;
  for (let i = 0; i < n; i++) sumX2 += x[i]! * x[i]!;
  const phi = new Float64Array(n);
  const gamma = new Float64Array(n);
  let pi = 0.1;
  let sigma = (1 / n) * sumX2;
  let c = 0.2;
  let llPrev = 0;
  let iterations = 0;
  let converged = false;
  let guardedSteps = 0;
  while (iterations < maxIterations) {
    iterations++;
    // E-step: φ = multivariate_normal(0, Σ + 1e−3).pdf(x), scipy's exp of the log-density.
    const variance = sigma + 1e-3;
    const logNorm = LOG_2PI + Math.log(variance);
    const uniformPart = (1 - pi) * c;
    let n1 = 0, sumGx2 = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      const p = Math.exp(-0.5 * (logNorm + (xi * xi) / variance));
      const g = (p * pi) / (p * pi + uniformPart);
      phi[i] = p;
      gamma[i] = g;
      n1 += g;
      sumGx2 += g * xi * xi;
    }
    if (!(n1 > 0)) {
      guardedSteps++; // Python: Σ = 0/0 = NaN from here on
      break;
    }
    // M-step.
    sigma = (1 / n1) * sumGx2;
    const piNew = n1 / n;
    pi = piNew <= 0.5 ? piNew : 0.5;
    const d = 1 - pi + 1e-10;
    let sumHx = 0, sumHx2 = 0;
    for (let i = 0; i < n; i++) {
      const w = (1 - gamma[i]!) / d;
      sumHx += w * x[i]!;
      sumHx2 += w * x[i]! ** 2;
    }
    const uniform = codeUniformDensity((1 / n1) * sumHx, (1 / n1) * sumHx2);
    c = uniform.density;
    if (uniform.guarded) guardedSteps++;
    // The code's stopping quantity: new π and c, the φ of this E-step.
    const uniformTerm = (1 - pi) * c;
    let ll = 0;
    for (let i = 0; i < n; i++) ll += pi * phi[i]! + uniformTerm;
    if (Math.abs(ll - llPrev) < tolerance) {
      converged = true;
      break;
    }
    llPrev = ll;
  }
  return { easyPosterior: gamma, pi, sigma, uniformDensity: c, iterations, converged, guardedSteps };
}

function fitPaper(e: Float64Array, seed: number, maxIterations: number, tolerance: number): Omit<GumFit, 'values'> {
  const n = e.length;
  if (n === 0) return { easyPosterior: new Float64Array(0), pi: 0.5, sigma: 0, uniformDensity: 0, iterations: 0, converged: true, guardedSteps: 0 };
  const random = mulberry32(seed);
  const x = e; // signed in place: Ê
  const x2 = new Float64Array(n);
  let secondMoment = 0, maxAbs = 0, minAbs = Infinity;
  for (let i = 0; i < n; i++) {
    if (random() < 0.5) x[i] = -x[i]!;
    x2[i] = x[i]! * x[i]!;
    secondMoment += x2[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(x[i]!));
    minAbs = Math.min(minAbs, Math.abs(x[i]!));
  }
  secondMoment /= n;
  // One entropy value only (n = 1, all equal, all 0): nothing tells the components apart.
  if (maxAbs === minAbs)
    return { easyPosterior: new Float64Array(n).fill(1), pi: 1, sigma: secondMoment, uniformDensity: 0, iterations: 0, converged: true, guardedSteps: 0 };
  const sigmaFloor = 1e-6 * secondMoment;
  const omegaFloor = 1e-3 * Math.sqrt(secondMoment);

  const hard = new Float64Array(n);
  let guardedSteps = 0;
  /** h_i under (π, Σ, Ω), into `hard`. */
  const eStep = (pi: number, sigma: number, omega: number) => {
    const logNorm = -0.5 * (LOG_2PI + Math.log(sigma));
    const uniformPart = (1 - pi) / (2 * omega);
    let underflows = 0;
    for (let i = 0; i < n; i++) {
      if (Math.abs(x[i]!) > omega) {
        hard[i] = 1; // outside the uniform's support: hard (see the header)
        continue;
      }
      const total = pi * Math.exp(logNorm - (0.5 * x2[i]!) / sigma) + uniformPart;
      if (total > 0) hard[i] = uniformPart / total;
      else {
        hard[i] = 1;
        underflows++;
      }
    }
    return underflows;
  };

  let pi = 0.5, sigma = Math.max(secondMoment, sigmaFloor), omega = Math.max(maxAbs, omegaFloor);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    let guarded = eStep(pi, sigma, omega) > 0;
    let n1 = 0, sumH = 0, sumGx2 = 0;
    for (let i = 0; i < n; i++) {
      n1 += 1 - hard[i]!;
      sumH += hard[i]!;
      sumGx2 += (1 - hard[i]!) * x2[i]!;
    }
    const piNew = n1 / n;
    let sigmaNew = sigma;
    if (n1 > 0) sigmaNew = sumGx2 / n1;
    else guarded = true;
    if (sigmaNew < sigmaFloor) {
      sigmaNew = sigmaFloor;
      guarded = true;
    }
    let omegaNew = omega;
    if (sumH > 0) {
      const w = 1 / ((1 - piNew) * n); // the weights h/(1 − π), normalised by n
      let eta1 = 0, eta2 = 0;
      for (let i = 0; i < n; i++) {
        eta1 += hard[i]! * x[i]!;
        eta2 += hard[i]! * x2[i]!;
      }
      eta1 *= w;
      eta2 *= w;
      const omega2 = 3 * (eta2 - eta1 * eta1);
      if (omega2 >= omegaFloor * omegaFloor) omegaNew = Math.sqrt(omega2);
      else {
        omegaNew = omegaFloor;
        guarded = true;
      }
    } else guarded = true;
    if (guarded) guardedSteps++;
    const change = Math.max(Math.abs(piNew - pi), Math.abs(sigmaNew - sigma) / sigma, Math.abs(omegaNew - omega) / omega);
    pi = piNew;
    sigma = sigmaNew;
    omega = omegaNew;
    if (change < tolerance) {
      converged = true;
      break;
    }
  }
  if (eStep(pi, sigma, omega) > 0) guardedSteps++;
  const easyPosterior = new Float64Array(n);
  for (let i = 0; i < n; i++) easyPosterior[i] = 1 - hard[i]!;
  return { easyPosterior, pi, sigma, uniformDensity: 1 / (2 * omega), iterations, converged, guardedSteps };
}
