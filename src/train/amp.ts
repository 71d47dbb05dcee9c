// What the official AMP run holds in fp16, reproduced on a float32 backend (TOPOFR.md §1.8, D8;
// the reasoning and its sources: docs/decisions.md, "AMP's effect on the step").
//
// Every official config trains with `fp16=True`. The backbone's forward runs under
// torch.cuda.amp.autocast; everything after it in train.py runs outside autocast, on the fp16
// tensors the backbone returned, so each op there computes in float and stores fp16:
//
//   tensor (official name)                     fp16 because                          emulated here
//   bottleneck_embedding z                     BN1d on the fp16 output of `fc`       round(z)
//                                              (linear is on autocast's fp16 list)
//   logits (cosines)                           linear, autocast's fp16 list          round(cos)
//   ArcFace: t², 1 − t², sqrt, t·cos m, …      fp16 ops outside autocast             round after each op
//   margin_logits                              output·s, fp16                        round(logits)
//   loss_cls_sample (CrossEntropyLoss)         log_softmax/nll on fp16, outside      round(ce)
//   softmax_gum, hence p_gt                    Softmax on fp16, outside autocast     round(p)
//   Entropy(): p + 1e−5, log, −p·log, sum      fp16 ops outside autocast             round after each op
//
// and the GUM receives those fp16 entropies (`.numpy()`, then `astype(float)`). So `omega2: 'code'`
// (1 − int(p_gt)) is 0 exactly when p_gt rounds to 1.0 in fp16, i.e. when the other classes hold
// ≤ 2⁻¹² of the mass, not 2⁻²⁴ as in float32.
//
// Rounding keeps the identity gradient (src/tf/half.ts), as autocast's casts do. Not emulated: the
// fp16 storage of every activation inside the backbone (conv/linear outputs, BN, PReLU), the fp16
// latent distances of the topology loss (torch.norm on the fp16 embedding), and the fp16 backward
// with GradScaler's loss scaling: these are the forward's rounding noise, not a switch of the
// method's behaviour like D8.
import * as tf from '@tensorflow/tfjs';
import { roundToHalfTensor } from '../tf/half.js';
import { roundToHalf } from '../util/float16.js';

export type Precision = 'fp16-autocast' | 'fp32';

export interface PrecisionEmulation {
  precision: Precision;
  /** A float32 tensor as the official run stores it (binary16-rounded under AMP; identity gradient). */
  tensor: <T extends tf.Tensor>(t: T) => T;
  /** One value as an op of the official run stores it: float32 or binary16. */
  scalar: (x: number) => number;
}

const identity = <T extends tf.Tensor>(t: T): T => t;

export function precisionEmulation(precision: Precision): PrecisionEmulation {
  return precision === 'fp16-autocast'
    ? { precision, tensor: roundToHalfTensor, scalar: roundToHalf }
    : { precision, tensor: identity, scalar: Math.fround };
}

/** The official code's `Entropy` ε. */
export const ENTROPY_EPSILON = 1e-5;

/**
 * The official `Entropy(p) = −Σ_k p_k·log(p_k + 1e−5)` of each row of p (n × classes, row-major),
 * each op's result stored in the run's precision (`scalar`): p + ε, its log, −p·log, then the row
 * sum (accumulated in float64, rounded once, as CUDA reductions accumulate in float and store once).
 * A one-hot row gives −log(1 + 1e−5)·1 ≈ −1e−5 in float32 and exactly 0 in binary16.
 */
export function predictionEntropies(p: ArrayLike<number>, n: number, classes: number, scalar: (x: number) => number): Float64Array {
  const eps = Math.fround(ENTROPY_EPSILON);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const q = p[i * classes + k]!;
      sum += scalar(-q * scalar(Math.log(scalar(q + eps))));
    }
    out[i] = scalar(sum);
  }
  return out;
}
