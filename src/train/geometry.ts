// The batch geometry the trainer logs per step, to make the topology term's mechanism visible
// (issue 10): how far apart the two spaces' scales are, how spread the embedding is, and the scale
// the embedding BN gives it.
//
// * mstRatio: median latent MST edge ÷ median input MST edge, each in the units the topology loss
//   compares (input distances ÷ sqrt(4·dim), latent ÷ latentScale). The official step's sorted
//   comparison pulls this towards 1; ~70 at the demo's initialisation.
// * participation: the participation ratio (Σλ)²/Σλ² of the eigenvalues λ of the batch embedding's
//   covariance: ≈ the number of directions the batch spreads over (1 = all on a line, d = isotropic).
//   With C = ZᵀZ/n for the centred n × d batch Z: Σλ = tr C = ‖Z‖²/n and Σλ² = ‖C‖²_F = ‖ZZᵀ‖²_F/n²,
//   so it is ‖Z‖⁴/‖ZZᵀ‖²_F, computed from the n × n Gram matrix.
// * embeddingScale: the mean γ of the embedding BN (`features`), the scale of the latent cloud.
import type * as tf from '@tensorflow/tfjs';
import { IRESNET_EMBEDDING_BN } from '../model/iresnet.js';
import { persistenceH0 } from '../ops/h0.js';
import { defaultInputScale } from './isa.js';

export interface BatchGeometry {
  mstRatio: number;
  participation: number;
}

function medianMstEdge(points: Float32Array, n: number, dim: number): number {
  const deaths = persistenceH0({ data: points, n, dim }).deaths;  // ascending
  const m = deaths.length;
  if (m === 0) return NaN;
  return m % 2 === 1 ? deaths[(m - 1) / 2]! : (deaths[m / 2 - 1]! + deaths[m / 2]!) / 2;
}

/** (Σλ)²/Σλ² of the covariance of n points (rows of z, n × dim); NaN for a batch with no spread. */
export function participationRatio(z: ArrayLike<number>, n: number, dim: number): number {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) mean[k]! += z[i * dim + k]! / n;
  const c = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) c[i * dim + k] = z[i * dim + k]! - mean[k]!;
  let trace = 0, frobenius = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let g = 0;
      for (let k = 0; k < dim; k++) g += c[i * dim + k]! * c[j * dim + k]!;
      if (i === j) trace += g;
      frobenius += (i === j ? 1 : 2) * g * g;
    }
  }
  return frobenius > 0 ? (trace * trace) / frobenius : NaN;
}

/** The geometry of an input batch (n flattened images in [−1, 1]) and its latent batch z (n × dim). */
export function batchGeometry(images: Float32Array, z: Float32Array, n: number, latentScale: number): BatchGeometry {
  const inputDim = images.length / n, latentDim = z.length / n;
  const input = medianMstEdge(images, n, inputDim) / defaultInputScale(inputDim);
  const latent = medianMstEdge(z, n, latentDim) / latentScale;
  return { mstRatio: latent / input, participation: participationRatio(z, n, latentDim) };
}

/** Mean γ of the embedding BN (`features`); NaN for a model without one. */
export function embeddingScale(model: tf.LayersModel): number {
  const layer = model.layers.find((l) => l.name === IRESNET_EMBEDDING_BN);
  const gamma = layer?.weights.find((w) => w.originalName.endsWith('/gamma'));
  if (gamma === undefined) return NaN;
  const values = gamma.read().dataSync();
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
