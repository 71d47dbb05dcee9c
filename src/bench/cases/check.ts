// Cheap spot checks of a case's output against float64 recomputation: a broken kernel that
// returns garbage fast must not show up as a good timing.
import type { PointCloud } from '../../types.js';

/** Sample of (i, j) index pairs spread over the matrix, deterministic. */
export function samplePairs(n: number, count = 16): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (let s = 0; s < count; s++) pairs.push([(s * 7919) % n, (s * 104729 + 1) % n]);
  return pairs;
}

export function dot64(p: PointCloud, i: number, j: number): number {
  let acc = 0;
  for (let l = 0; l < p.dim; l++) acc += p.data[i * p.dim + l] * p.data[j * p.dim + l];
  return acc;
}

export function dist64(p: PointCloud, i: number, j: number): number {
  let acc = 0;
  for (let l = 0; l < p.dim; l++) {
    const d = p.data[i * p.dim + l] - p.data[j * p.dim + l];
    acc += d * d;
  }
  return Math.sqrt(acc);
}

/** float32 sums of a few hundred terms are good to ~1e-6 of their scale; 1e-3 means a bug. */
const TOLERANCE = 1e-3;

/** Largest |got − want| ÷ scale over the sampled pairs; throws (failing the case) beyond TOLERANCE. */
export function maxError(n: number, got: (i: number, j: number) => number, want: (i: number, j: number) => number, scale: number): number {
  let worst = 0;
  for (const [i, j] of samplePairs(n)) worst = Math.max(worst, Math.abs(got(i, j) - want(i, j)) / scale);
  if (!(worst <= TOLERANCE)) throw new Error(`wrong result: relative error ${worst} > ${TOLERANCE}`);
  return worst;
}

/** GEMM-equivalent rate of 2·m·n·k flops in `ms` milliseconds. */
export const gflops = (m: number, n: number, k: number, ms: number): number => (2 * m * n * k) / (ms * 1e6);

export const round = (x: number, digits: number): number => Number(x.toFixed(digits));
