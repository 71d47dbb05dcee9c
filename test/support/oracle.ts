// Independent float64 references for the tests: written straight from the definitions, slow and obvious.
import { gaussian, mulberry32 } from '../../src/util/random.js';
import { distance64 } from './distance64.mjs';

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
