// An independent float64 ISA loss written from TOPOFR.md §1.2: full distance matrices, the official
// pairing (stable sort of the upper triangle + Kruskal), then the 'code' (sorted comparison ÷ n) or
// the 'symmetric' (Eq. 2) loss. Slow and obvious, for tests only.
import { distanceErrorBound, officialPairing, squaredNorms } from './oracle.js';

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

/**
 * What topofr's float32 distances may cost the loss Σ w·(a − b)² (the weights w summing to W over
 * its terms): every distance a/inputScale, b/latentScale within δ = δx + δz of the exact one
 * (distanceErrorBound, largest over all pairs of each space). Then the loss moves by at most
 * δ·(2√(W·loss) + W·δ) (Cauchy–Schwarz), and a directional derivative Σ 2w(a − b)·⟨∇b, v⟩ by at
 * most 2δ·W·max|⟨∇b, v⟩| ≤ 4δ·W·max_i |v_i| / latentScale.
 */
export function alignmentSlack(x: Float32Array, z: Float32Array, n: number, W: number, inputScale: number, latentScale: number) {
  const worst = (p: Float32Array, scale: number) => {
    const dim = n > 0 ? p.length / n : 0, norms = squaredNorms(p, n, dim), m = matrix64(p, n, 1);
    let bound = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) bound = Math.max(bound, distanceErrorBound(norms[i]! + norms[j]!, dim, 'euclidean', m[i * n + j]!));
    return bound / scale;
  };
  const delta = worst(x, inputScale) + worst(z, latentScale);
  return {
    loss: (loss: number) => delta * (2 * Math.sqrt(W * loss) + W * delta),
    directional: (v: ArrayLike<number>, dim: number) => {
      let largest = 0;
      for (let i = 0; i < v.length / dim; i++) {
        let s = 0;
        for (let k = 0; k < dim; k++) s += v[i * dim + k]! ** 2;
        largest = Math.max(largest, Math.sqrt(s));
      }
      return (4 * delta * W * largest) / latentScale;
    },
  };
}

/** W of alignmentSlack: the weights of the loss's terms, 1/n per H0 edge pair ('code'), ½ per
 *  critical edge of either space ('symmetric'). */
export function alignmentWeight(n: number, variant: 'code' | 'symmetric', extraEdges = 0): number {
  return variant === 'code' ? Math.max(n - 1, 0) / Math.max(n, 1) : 0.5 * (2 * Math.max(n - 1, 0) + extraEdges);
}

/**
 * A central difference D(h) = (f(h) − f(−h))/2h of a float64 function, with how far it may be from
 * f'(0): truncation c·h², bounded by Richardson from D(2h) (D(2h) − D(h) = 3c·h² + …), plus the
 * float64 rounding of the four values.
 */
export function centralDifference(f: (t: number) => number, h: number): { value: number; error: number } {
  const [p, m, p2, m2] = [f(h), f(-h), f(2 * h), f(-2 * h)];
  const value = (p - m) / (2 * h), coarse = (p2 - m2) / (4 * h);
  const rounding = (4 * 2 ** -53 * Math.max(Math.abs(p), Math.abs(m), Math.abs(p2), Math.abs(m2))) / h;
  return { value, error: Math.abs(coarse - value) / 3 + 2 * rounding };
}
