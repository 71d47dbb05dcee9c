// An independent float64 ISA loss written from TOPOFR.md §1.2: full distance matrices, the official
// pairing (stable sort of the upper triangle + Kruskal), then the 'code' (sorted comparison ÷ n) or
// the 'symmetric' (Eq. 2) loss. Slow and obvious, for tests only.
import { officialPairing } from './oracle.js';

/** Euclidean distances in float64 from float64 (or float32) coordinates, divided by scale. */
function matrix64(p: ArrayLike<number>, n: number, scale: number): Float64Array {
  const dim = n > 0 ? p.length / n : 0;
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += (p[i * dim + k]! - p[j * dim + k]!) ** 2;
      m[i * n + j] = Math.sqrt(s) / scale;
    }
  return m;
}

export interface OracleLoss {
  loss: number;
  inputEdges: number[];
  latentEdges: number[];
}

export function alignmentLoss64(x: ArrayLike<number>, z: ArrayLike<number>, n: number, variant: 'code' | 'symmetric',
  inputScale: number, latentScale: number, extraInputEdges: number[] = [], extraLatentEdges: number[] = []): OracleLoss {
  const mx = matrix64(x, n, inputScale), mz = matrix64(z, n, latentScale);
  const px = officialPairing(mx, n), pz = officialPairing(mz, n);
  let loss = 0;
  if (variant === 'code') {
    const dx = [...px.deaths].sort((a, b) => a - b), dz = [...pz.deaths].sort((a, b) => a - b);
    for (let k = 0; k < dx.length; k++) loss += (dx[k]! - dz[k]!) ** 2;
    loss /= n;
  } else {
    for (const edges of [[...px.edges, ...extraInputEdges], [...pz.edges, ...extraLatentEdges]])
      for (let k = 0; k < edges.length; k += 2) {
        const i = edges[k]!, j = edges[k + 1]!;
        loss += 0.5 * (mx[i * n + j]! - mz[i * n + j]!) ** 2;
      }
  }
  return { loss, inputEdges: px.edges, latentEdges: pz.edges };
}
