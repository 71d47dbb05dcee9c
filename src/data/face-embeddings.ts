// Face-like embeddings without a model: per identity a random unit centre, per sample the centre
// plus noise, renormalised, as a face model's embeddings look late in training. Seeded. Used by the
// demo and by the bench's clustered-embedding cases.
import { gaussian, mulberry32 } from '../util/random.js';
import type { PointCloud } from '../types.js';

export interface FaceBatchOptions {
  identities: number;
  perIdentity: number;
  dim: number;
  seed: number;
  /** Norm of the noise added to an identity centre before renormalising. */
  noise?: number;
}

export interface FaceBatch {
  points: PointCloud;
  /** The identity of each sample (samples of one identity are consecutive). */
  identity: Int32Array;
}

/** Points on the unit sphere: per identity a random centre, per sample centre + noise of norm
 *  ≈ `noise`, renormalised. */
export function syntheticFaceBatch(options: FaceBatchOptions): FaceBatch {
  const { identities, perIdentity, dim, seed, noise = 0.35 } = options;
  const normal = gaussian(mulberry32(seed));
  const n = identities * perIdentity;
  const data = new Float32Array(n * dim);
  const identity = new Int32Array(n);
  const centre = new Float64Array(dim);
  const sample = new Float64Array(dim);
  const noiseScale = noise / Math.sqrt(dim); // a dim-d Gaussian with this σ has norm ≈ noise

  for (let id = 0; id < identities; id++) {
    for (let k = 0; k < dim; k++) centre[k] = normal();
    scaleToUnit(centre);
    for (let s = 0; s < perIdentity; s++) {
      const row = id * perIdentity + s;
      identity[row] = id;
      for (let k = 0; k < dim; k++) sample[k] = centre[k] + noiseScale * normal();
      scaleToUnit(sample);
      data.set(sample, row * dim);
    }
  }
  return { points: { data, n, dim }, identity };
}

function scaleToUnit(v: Float64Array): void {
  let sumSquares = 0;
  for (const x of v) sumSquares += x * x;
  const inverse = 1 / Math.sqrt(sumSquares);
  for (let k = 0; k < v.length; k++) v[k] *= inverse;
}

