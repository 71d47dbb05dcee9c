// Independent float64 references for the tests: written straight from the definitions, slow and obvious.
import { gaussian, mulberry32 } from '../../src/util/random.js';
import { distance64 } from './distance64.mjs';
import { U, gamma } from './float32.js';

/** Seeded, so every randomised test is reproducible. */
export const rng = mulberry32;

export function randomPoints(n: number, dim: number, seed: number): Float32Array {
  return Float32Array.from({ length: n * dim }, gaussian(mulberry32(seed)));
}

export type OracleMetric = 'euclidean' | 'sqeuclidean' | 'cosine';

export { distance64 };

export function distanceMatrix64(x: Float32Array, n: number, dim: number, metric: OracleMetric): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = i === j ? 0 : distance64(x, dim, i, j, metric);
  return out;
}

/**
 * How far topofr's float32 distance d(x, y) (native/core/distances.cc, native/cuda/distances.cu) may
 * be from the exact one, whatever the GEMM kernel (SSE2, AVX2, AVX-512, CUDA; FMA or not), given
 * normSum = |x|² + |y|² = s. Two paths:
 * - the Gram identity d² = |x|² + |y|² − 2x·y, taken when d² > s/8 (s = |x|² + |y|²): the dot
 *   product is within γ_dim·Σ|x_k·y_k| ≤ γ_dim·s/2, the norms, their sum and the difference round
 *   once each (4u·s in all, as d² ≤ 2s), so d² is within (γ_dim + 4u)·s, d within that / d plus
 *   the square root's rounding. Cosine: the dot product within γ_dim·|x||y|, ten roundings for the
 *   norms, the scalings and 1 − cos: γ_dim + 10u, absolute.
 * - direct differences in double, taken below that (exactly d² ≤ s/16 certainly goes there, as the
 *   identity's error is far below s/16): the final rounding to float32, and for cosine the unit
 *   scalings (each within u/2), which move ½|x̂ − ŷ|² by at most 2u·d + u².
 */
export function distanceErrorBound(normSum: number, dim: number, metric: OracleMetric, exact: number): number {
  if (metric === 'cosine') return exact <= 1 / 16 ? 2 * U * exact + U * U : gamma(Math.max(dim, 1)) + 10 * U;
  const d2 = metric === 'sqeuclidean' ? exact : exact * exact;
  if (d2 <= normSum / 16) return 2 * U * exact;
  const squared = (gamma(Math.max(dim, 1)) + 4 * U) * normSum;
  return metric === 'sqeuclidean' ? squared + U * exact : squared / exact + U * exact;
}

/** |x_i|² for every row, in float64. */
export function squaredNorms(x: Float32Array, n: number, dim: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let k = 0; k < dim; k++) s += x[i * dim + k]! ** 2;
    return s;
  });
}

/** distanceErrorBound for every pair, row-major n×n (0 on the diagonal). */
export function distanceErrorBounds(x: Float32Array, n: number, dim: number, metric: OracleMetric, exact: ArrayLike<number>): Float64Array {
  const norms = squaredNorms(x, n, dim);
  return Float64Array.from({ length: n * n }, (_, a) => {
    const [i, j] = [Math.floor(a / n), a % n];
    return i === j ? 0 : distanceErrorBound(norms[i]! + norms[j]!, dim, metric, exact[a]!);
  });
}

/**
 * The official TopoFR pairing (TOPOFR.md §1.2, PersistentHomologyCalculation): all upper-triangle
 * index pairs including the diagonal in row-major order, a STABLE sort by weight, Kruskal with
 * union-find; diagonal and cycle edges skipped; accepted edges (u < v) in order.
 */
export function officialPairing(weights: ArrayLike<number>, n: number): { edges: number[]; deaths: number[] } {
  const pairs: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) pairs.push([i, j]);
  const order = pairs.map((_, k) => k);
  order.sort((a, b) => {
    const wa = weights[pairs[a][0] * n + pairs[a][1]];
    const wb = weights[pairs[b][0] * n + pairs[b][1]];
    return wa < wb ? -1 : wa > wb ? 1 : a - b; // stable: ties keep row-major order
  });
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (u: number): number => {
    while (parent[u] !== u) {
      parent[u] = parent[parent[u]];
      u = parent[u];
    }
    return u;
  };
  const edges: number[] = [];
  const deaths: number[] = [];
  for (const k of order) {
    const [u, v] = pairs[k];
    if (u === v) continue;
    const ru = find(u);
    const rv = find(v);
    if (ru === rv) continue;
    parent[Math.min(ru, rv)] = Math.max(ru, rv);
    edges.push(u, v);
    deaths.push(weights[u * n + v]);
  }
  return { edges, deaths };
}
