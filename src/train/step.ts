// One TopoFR training step's loss (TOPOFR.md §1.9), as a function the optimizer differentiates:
//
//   x̃ ← RSP(x) (ξ per sample)          z ← backbone(x̃)            logits ← margin head(z, W, y)
//   ce_i ← CE(logits_i, y_i)           p ← softmax(logits)          E_i ← −Σ p log(p + 1e−5)
//   γ ← GUM(E) (SDE)                   ω1 ← (2 − γ)^λ               ω2 ← 1 − p_gt (paper) | D8 mask (code)
//   L_cls ← mean(ω1·ω2·ce)             L_topo ← topologicalLoss(x or erased x, z)
//   loss ← L_cls + α·L_topo
//
// The entropies, γ and the code-mode ω2 are data (detached, as in the official code); the paper's
// ω2 = 1 − p_gt stays differentiable (focal-loss style, TOPOFR.md §1.5.1). With `precision:
// 'fp16-autocast'` z, the logits, ce, p and the entropies are what the official AMP run stores
// (binary16, src/train/amp.ts). `applyStep` is the whole one-process update (loss, gradients,
// SGD) of the one-step entry point (src/train/one-step.ts).
//
// The classifier (margin head + softmax → ce, p_gt, entropies) is a parameter: the full softmax
// over the class centres here, or Partial FC across ranks (src/distributed/partial-fc.ts, float32
// whatever the precision setting).
import * as tf from '@tensorflow/tfjs';
import { marginLogits, type MarginHead } from '../model/heads.js';
import { topologicalLoss } from '../tf/topological-loss.js';
import { precisionEmulation, predictionEntropies, type Precision } from './amp.js';
import type { TrainConfig } from './config.js';
import { batchGeometry, embeddingScale } from './geometry.js';
import { fitGaussianUniform, type GumFit } from './gum.js';
import type { SgdMomentum } from './optimizer.js';
import { applyStructurePerturbation, randomStructurePerturbation, type RspRecord } from './rsp.js';
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
  /** Samples whose p_gt is exactly 1 in the run's precision: the official ω2 = 1 − int(p_gt) is 0
   *  for them (D8), whichever ω2 this run uses. */
  pGtOne: number;
  /** Mean γ of the embedding BN after the update (src/train/geometry.ts). */
  gammaMean: number;
  /** Median latent ÷ median input MST edge of the batch, in the loss's units. */
  mstRatio: number;
  /** Participation ratio of the batch embedding z. */
  participation: number;
}

/** Step parts before the step has run. */
export function emptyParts(): StepParts {
  return { loss: NaN, cls: NaN, topo: NaN, omega: NaN, pi: NaN, perturbed: 0, pGtOne: 0, gammaMean: NaN, mstRatio: NaN, participation: NaN };
}

export function headOf(config: TrainConfig): MarginHead {
  if (config.head === 'softmax') return { kind: 'softmax', scale: config.scale };
  return { kind: config.head, scale: config.scale, margin: config.margin };
}

/** What the loss needs of a classifier, per sample of the batch. */
export interface Classification {
  /** Cross-entropy of the margin logits (differentiable). */
  ce: tf.Tensor1D;
  /** Softmax probability of the ground-truth class (differentiable). */
  pGt: tf.Tensor1D;
  /** Prediction entropies −Σ p log(p + 1e−5) over all classes (data, for SDE's GUM). */
  entropies(): Float64Array;
}

export type Classifier = (z: tf.Tensor2D, labels: tf.Tensor1D) => Classification;

/** The full softmax over all class centres with the margin head (the official code's classifier),
 *  z, the logits, ce and p stored in `precision` (the official AMP run's binary16 by default). */
export function softmaxClassifier(centres: tf.Variable, head: MarginHead, precision: Precision = 'fp32'): Classifier {
  const classes = centres.shape[0]!;
  const stored = precisionEmulation(precision);
  return (z, labels) => {
    const logits = marginLogits(z, centres as tf.Tensor2D, labels, head, { store: stored.tensor });
    const logp = tf.logSoftmax(logits);
    const onehot = tf.oneHot(labels, classes);
    const ce = stored.tensor(tf.neg(tf.sum(tf.mul(logp, onehot), 1)) as tf.Tensor1D);
    const p = stored.tensor(tf.exp(logp));
    const pGt = tf.sum(tf.mul(p, onehot), 1) as tf.Tensor1D;
    return { ce, pGt, entropies: () => predictionEntropies(p.dataSync(), z.shape[0], classes, stored.scalar) };
  };
}

/**
 * Builds the loss closure for one batch: returns the scalar loss tensor (for tf.variableGrads) and
 * fills `parts` with the numbers to log. `seed` drives RSP and the paper GUM's random signs; given
 * `decisions` (one RSP record or null per sample) are applied instead of RSP's own draws.
 */
export function stepLoss(backbone: tf.LayersModel, classifier: Classifier, batch: StepBatch, config: TrainConfig,
  seed: number, parts: StepParts, onGum?: (entropies: Float64Array, fit: GumFit) => void,
  decisions?: readonly (RspRecord | null)[]): () => tf.Scalar {
  const { n, size } = batch;
  const rsp = decisions
    ? applyStructurePerturbation(batch.images, n, size, size, decisions, { inPlaceErasing: config.inPlaceErasing })
    : randomStructurePerturbation(batch.images, n, size, size, { probability: config.rspProbability, seed, inPlaceErasing: config.inPlaceErasing });
  parts.perturbed = rsp.applied.filter((a) => a !== null).length;
  // The input space of ISA: the original batch (paper), which the official code's in-place erasing
  // also edits (D3: `inPlaceErasing` applied it to batch.images above).
  const inputSpace = batch.images;
  const stored = precisionEmulation(config.precision);
  return () => {
    const labels = tf.tensor1d(batch.labels, 'int32');
    const perturbed = tf.tensor4d(rsp.perturbed, [n, size, size, 3]);
    const z = stored.tensor(backbone.apply(perturbed, { training: true }) as tf.Tensor2D);
    const classified = classifier(z, labels);
    const { ce, pGt } = classified;
    const pGtValues = pGt.dataSync() as Float32Array;
    parts.pGtOne = pGtValues.filter((v) => v === 1).length;
    Object.assign(parts, batchGeometry(inputSpace, z.dataSync() as Float32Array, n, config.latentScale));

    let weight: tf.Tensor = tf.onesLike(ce);
    parts.pi = NaN;
    if (config.omega1 !== 'none') {
      const entropies = classified.entropies();
      const gum = fitGaussianUniform(entropies, { variant: config.omega1, seed });
      onGum?.(entropies, gum);
      parts.pi = gum.pi;
      weight = tf.mul(weight, tf.tensor1d(Float32Array.from(hardnessWeight(gum.easyPosterior, config.lambda))));
    }
    if (config.omega2 === 'paper') weight = tf.mul(weight, tf.sub(1, pGt));
    else if (config.omega2 === 'code') weight = tf.mul(weight, tf.tensor1d(Float32Array.from(confidenceWeight(pGtValues, 'code'))));
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

export interface StepOptions {
  /** The last GUM fit and the entropies it saw (report). */
  onGum?: (entropies: Float64Array, fit: GumFit) => void;
  /** RSP decisions to apply instead of drawing them from `seed`. */
  decisions?: readonly (RspRecord | null)[];
}

/**
 * One SGD update of `optimizer`'s variables (the backbone's trainable weights and the class
 * centres) on one batch: the loss of `stepLoss`, its gradients, clipping, weight decay and momentum
 * at learning rate `lr`. The backbone's BN statistics move as in any training-mode forward. The
 * trainer's step is this one when it runs one shard in one process (src/train/trainer.ts computes
 * it through the sharded step, which returns a single shard's gradients untouched).
 */
export function applyStep(backbone: tf.LayersModel, centres: tf.Variable, optimizer: SgdMomentum, batch: StepBatch,
  config: TrainConfig, seed: number, lr: number, options: StepOptions = {}): { parts: StepParts; gradNorm: number } {
  const parts = emptyParts();
  const classifier = softmaxClassifier(centres, headOf(config), config.precision);
  const f = stepLoss(backbone, classifier, batch, config, seed, parts, options.onGum, options.decisions);
  const { value, grads } = tf.variableGrads(f, [...optimizer.variables]);
  const gradNorm = optimizer.step(grads, lr);
  value.dispose();
  tf.dispose(Object.values(grads));
  parts.gammaMean = embeddingScale(backbone);
  return { parts, gradNorm };
}
