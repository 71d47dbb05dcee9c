// An independent float64 transcription of the official GUM step (TOPOFR.md §1.5.2: train.py's sign
// flip, then GUM.py's `gauss_unif`), written line by line like the Python with plain arrays and
// loops. It shares no code with src/train/gum.ts and has no guards: where Python yields NaN, so
// does this. It also records C1, C2 of every M-step so tests can look at the NaN path of Ω.
//
//   entropy[2*np.arange(len(entropy)//2)] = -1 * entropy[2*np.arange(len(entropy)//2)]
//   x = x.astype(float); x = preprocessing.scale(x)
//   pi = 0.1; Mu = 0; epsilon = x - Mu; Sigma = 1/N * np.sum(epsilon*epsilon)
//   c = 0.2; log_like0 = 0
//   for i in range(1000):
//       phi = multivariate_normal(Mu, Sigma + 1e-3).pdf(x)
//       gamma = phi*pi / (phi*pi + (1 - pi) * c)
//       N1 = gamma.sum(); epsilon = x - Mu
//       Sigma = 1 / N1 * np.sum(gamma * epsilon * epsilon)
//       pi_new = N1 / N; pi = pi_new if pi_new <= 0.5 else 0.5
//       C1 = 1 / N1 * np.sum((1 - gamma) / (1 - pi + 1e-10) * epsilon)
//       C2 = 1 / N1 * np.sum((1 - gamma) / (1 - pi + 1e-10) * epsilon ** 2)
//       if abs(3 * C2 - C1 ** 2) < 0.001: c = 0.001
//       else: c = 1.0 / (np.prod(2 * np.sqrt(3 * C2 - C1 ** 2)) + 1e-10)
//       log_like = np.sum(pi * phi + (1 - pi) * c)
//       if abs(log_like - log_like0) < 1e-10: break
//       else: log_like0 = log_like
//   return gamma, pi, Sigma[0,0]

export interface OracleStep {
  C1: number;
  C2: number;
  pi: number;
  N1: number;
}

export interface OracleResult {
  gamma: number[];
  pi: number;
  Sigma: number;
  c: number;
  iterations: number;
  steps: OracleStep[];
  /** x after the sign flip and preprocessing.scale. */
  x: number[];
}

function npMean(a: number[]): number {
  let s = 0;
  for (const v of a) s = s + v;
  return s / a.length;
}

/** np.std(a), ddof = 0: the mean, then the mean squared deviation. */
function npStd(a: number[]): number {
  const m = npMean(a);
  let s = 0;
  for (const v of a) s = s + (v - m) * (v - m);
  return Math.sqrt(s / a.length);
}

/** np.allclose(a, 0): |a − 0| <= atol + rtol·|0| with atol = 1e−8. */
function allcloseZero(a: number): boolean {
  return Math.abs(a) <= 1e-8;
}

/** sklearn.preprocessing.scale on a column (axis 0, with_mean, with_std). */
export function sklearnScale(X: number[]): number[] {
  const Xr = X.slice();
  const mean_ = npMean(Xr);
  let scale_ = npStd(Xr);
  for (let i = 0; i < Xr.length; i++) Xr[i] = Xr[i]! - mean_;
  const mean_1 = npMean(Xr);
  if (!allcloseZero(mean_1)) for (let i = 0; i < Xr.length; i++) Xr[i] = Xr[i]! - mean_1;
  // _handle_zeros_in_scale, ndarray branch: constant_mask = scale < 10 * np.finfo(float64).eps
  if (scale_ < 10 * 2.220446049250313e-16) scale_ = 1.0;
  for (let i = 0; i < Xr.length; i++) Xr[i] = Xr[i]! / scale_;
  const mean_2 = npMean(Xr);
  if (!allcloseZero(mean_2)) for (let i = 0; i < Xr.length; i++) Xr[i] = Xr[i]! - mean_2;
  return Xr;
}

/** scipy.stats.multivariate_normal(mean, cov).pdf(x) in one dimension: exp of the log-density. */
function normalPdf(x: number, mean: number, cov: number): number {
  const dev = x - mean;
  const maha = (dev * dev) / cov;
  return Math.exp(-0.5 * (Math.log(2 * Math.PI) + Math.log(cov) + maha));
}

/** train.py's sign flip and GUM.py's gauss_unif on raw entropies. `skipScale` leaves out
 *  preprocessing.scale (not in the code: it shows what the centring protects). */
export function officialGum(entropies: ArrayLike<number>, maxIter = 1000, skipScale = false): OracleResult {
  const entropy = Array.from(entropies);
  const half = Math.floor(entropy.length / 2);
  for (let k = 0; k < half; k++) entropy[2 * k] = -1 * entropy[2 * k]!;

  const N = entropy.length;
  if (N === 0) throw new Error('sklearn: Found array with 0 sample(s) while a minimum of 1 is required');
  const x = skipScale ? entropy.slice() : sklearnScale(entropy);

  let pi = 0.1;
  const Mu = 0;
  let epsilon = x.map((v) => v - Mu);
  let acc = 0;
  for (const v of epsilon) acc = acc + v * v;
  let Sigma = (1 / N) * acc;
  let c = 0.2;

  let log_like0 = 0;
  let gamma: number[] = [];
  const steps: OracleStep[] = [];
  let i = 0;
  for (i = 0; i < maxIter; i++) {
    // E-step
    const phi = x.map((v) => normalPdf(v, Mu, Sigma + 1e-3));
    gamma = phi.map((p) => (p * pi) / (p * pi + (1 - pi) * c));

    // M-step
    let N1 = 0;
    for (const g of gamma) N1 = N1 + g;
    epsilon = x.map((v) => v - Mu);
    let s = 0;
    for (let j = 0; j < N; j++) s = s + gamma[j]! * epsilon[j]! * epsilon[j]!;
    Sigma = (1 / N1) * s;
    const pi_new = N1 / N;
    const thres = 0.5;
    if (pi_new <= thres) pi = pi_new;
    else pi = thres;

    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < N; j++) {
      s1 = s1 + ((1 - gamma[j]!) / (1 - pi + 1e-10)) * epsilon[j]!;
      s2 = s2 + ((1 - gamma[j]!) / (1 - pi + 1e-10)) * epsilon[j]! ** 2;
    }
    const C1 = (1 / N1) * s1;
    const C2 = (1 / N1) * s2;
    steps.push({ C1, C2, pi, N1 });
    if (Math.abs(3 * C2 - C1 ** 2) < 0.001) c = 0.001;
    else c = 1.0 / (2 * Math.sqrt(3 * C2 - C1 ** 2) + 1e-10); // sqrt of a negative: NaN, as numpy

    // stopping criterion
    let log_like = 0;
    for (let j = 0; j < N; j++) log_like = log_like + (pi * phi[j]! + (1 - pi) * c);
    if (Math.abs(log_like - log_like0) < 1e-10) break;
    else log_like0 = log_like;
  }
  const iterations = i < maxIter ? i + 1 : maxIter;
  return { gamma, pi, Sigma, c, iterations, steps, x };
}
