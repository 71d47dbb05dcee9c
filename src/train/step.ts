// One TopoFR training step's loss (TOPOFR.md §1.9), as a function the optimizer differentiates:
//
//   x̃ ← RSP(x) (ξ per sample)          z ← backbone(x̃)            logits ← margin head(z, W, y)
//   ce_i ← CE(logits_i, y_i)           p ← softmax(logits)          E_i ← −Σ p log(p + 1e−5)
//   γ ← GUM(E) (SDE)                   ω1 ← (2 − γ)^λ               ω2 ← 1 − p_gt (paper) | D8 mask (code)
//   L_cls ← mean(ω1·ω2·ce)             L_topo ← topologicalLoss(x or erased x, z)
//   loss ← L_cls + α·L_topo
//
// The entropies, γ and the code-mode ω2 are data (detached, as in the official code); the paper's
// ω2 = 1 − p_gt stays differentiable (focal-loss style, TOPOFR.md §1.5.1).
import * as tf from '@tensorflow/tfjs';
import { marginLogits, type MarginHead } from '../model/heads.js';
import { topologicalLoss } from '../tf/topological-loss.js';
import type { TrainConfig } from './config.js';
import { fitGaussianUniform, type GumFit } from './gum.js';
import { randomStructurePerturbation } from './rsp.js';
import { confidenceWeight, hardnessWeight } from './sds.js';

export interface StepBatch {
  /** NHWC images in [−1, 1], already flipped by the data pipeline. */
  images: Float32Array;
  labels: Int32Array;
  n: number;
  size: number;
}

export interface StepParts {
  loss: number;
  cls: number;
  topo: number;
  /** Mean SDS weight ω1·ω2 over the batch. */
  omega: number;
  /** The GUM's easy prior π (NaN when SDE is off). */
  pi: number;
  perturbed: number;
}

export function headOf(config: TrainConfig): MarginHead {
  if (config.head === 'softmax') return { kind: 'softmax', scale: config.scale };
  return { kind: config.head, scale: config.scale, margin: config.margin };
}

/**
 * Builds the loss closure for one batch: returns the scalar loss tensor (for tf.variableGrads) and
 * fills `parts` with the numbers to log. `seed` drives RSP and the paper GUM's random signs.
 */
export function stepLoss(backbone: tf.LayersModel, centres: tf.Variable, batch: StepBatch, config: TrainConfig,
  seed: number, parts: StepParts, onGum?: (entropies: Float64Array, fit: GumFit) => void): () => tf.Scalar {
  const { n, size } = batch;
  const rsp = randomStructurePerturbation(batch.images, n, size, size, {
    probability: config.rspProbability, seed, inPlaceErasing: config.inPlaceErasing,
  });
  parts.perturbed = rsp.applied.filter((a) => a !== null).length;
  // The input space of ISA: the original batch (paper), which the official code's in-place erasing
  // also edits (D3: `inPlaceErasing` applied it to batch.images above).
  const inputSpace = batch.images;
  const classes = centres.shape[0]!;
  return () => {
    const labels = tf.tensor1d(batch.labels, 'int32');
    const perturbed = tf.tensor4d(rsp.perturbed, [n, size, size, 3]);
    const z = backbone.apply(perturbed, { training: true }) as tf.Tensor2D;
    const logits = marginLogits(z, centres as tf.Tensor2D, labels, headOf(config));
    const logp = tf.logSoftmax(logits);
    const onehot = tf.oneHot(labels, classes);
    const ce = tf.neg(tf.sum(tf.mul(logp, onehot), 1));
    const p = tf.exp(logp);
    const pGt = tf.sum(tf.mul(p, onehot), 1);

    let weight: tf.Tensor = tf.onesLike(ce);
    parts.pi = NaN;
    if (config.omega1 !== 'none') {
      const probs = p.dataSync();
      const entropies = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let e = 0;
        for (let k = 0; k < classes; k++) {
          const q = probs[i * classes + k]!;
          e -= q * Math.log(q + 1e-5);
        }
        entropies[i] = Math.max(0, e);
      }
      const gum = fitGaussianUniform(entropies, { variant: config.omega1, seed });
      onGum?.(entropies, gum);
      parts.pi = gum.pi;
      weight = tf.mul(weight, tf.tensor1d(Float32Array.from(hardnessWeight(gum.easyPosterior, config.lambda))));
    }
    if (config.omega2 === 'paper') weight = tf.mul(weight, tf.sub(1, pGt));
    else if (config.omega2 === 'code') weight = tf.mul(weight, tf.tensor1d(Float32Array.from(confidenceWeight(pGt.dataSync() as Float32Array, 'code'))));
    const cls = tf.mean(tf.mul(weight, ce));
    parts.omega = tf.mean(weight).dataSync()[0]!;
    parts.cls = cls.dataSync()[0]!;
    let loss = cls;
    parts.topo = 0;
    if (config.alpha > 0) {
      const topo = topologicalLoss(tf.tensor4d(inputSpace, [n, size, size, 3]), z, { variant: config.topoVariant, latentScale: config.latentScale, device: config.topoDevice });
      parts.topo = topo.dataSync()[0]!;
      loss = tf.add(cls, tf.mul(topo, config.alpha));
    }
    parts.loss = loss.dataSync()[0]!;
    return loss as tf.Scalar;
  };
}
