// Partial FC (insightface's partial_fc_v2) as a classifier for the TopoFR step: rank r of W holds
// the class centres [lo_r, hi_r) — 1/W of a C × d classifier that no single rank could hold for
// Glint360K's 360 232 identities — and a step's softmax runs over all ranks' classes at once:
//
//   Z ← all-gather(z), Y ← all-gather(y)          every rank sees the whole W·B batch
//   S_r ← positives of Y in [lo_r, hi_r) + sampled negatives (sampleRate of the shard; seeded by
//         (seed, step, rank); sampleRate 1 = every class)
//   L ← margin head(Z, W[S_r], Y)                    the logits against this rank's sampled classes
//   M ← all-reduce max of row maxima; Σ ← all-reduce Σ exp(L − M); the target logit from its owner
//   ce = log Σ − (L_y − M), p_gt = exp(L_y − M)/Σ, entropy = all-reduce of −Σ p log(p + 1e−5)
//
// The step (src/train/step.ts) gets ce, p_gt and the entropies of its own rows, as from the full
// softmax: SDE's GUM fit, ω1 and ω2 (the paper's ω2 = 1 − p_gt keeps its gradient) are unchanged.
// Backward: ∂/∂L_ik = (∂ce_i − p_gt,i·∂p_gt,i)·(p_ik − [k = y_i]), with the upstream gradients of
// every row all-gathered; it flows through the margin head to the class shard (the sum over all
// shards' losses: canonical-step.ts divides it by W) and to Z, whose gradient is reduce-scattered
// back to the rows' ranks (the all-gather's adjoint). With sampleRate 1 this is the full softmax.
//
// Sums are the world's deterministic all-reduce and float64, so every rank agrees to the bit.
import * as tf from '@tensorflow/tfjs';
import { TopofrRangeError } from '../errors.js';
import { marginLogits, type MarginHead } from '../model/heads.js';
import type { Classifier } from '../train/step.js';
import { gaussian, mixSeed, mulberry32 } from '../util/random.js';
import type { World } from './world.js';

// tf.customGrad's parameter type lists the save function among the inputs; these ops save nothing.
type CustomGradient = Parameters<typeof tf.customGrad>[0];

const INIT_STREAM = 0x70fc;
const SAMPLE_STREAM = 0x5a3e;

export interface PartialFcOptions {
  classes: number;
  embeddingSize: number;
  head: MarginHead;
  /** Fraction of this rank's classes in each step's softmax, positives always included; 1 = all. */
  sampleRate: number;
  seed: number;
}

/** Rank r's classes: insightface's split, C/W each and one more for the first C mod W ranks. */
export function classRange(classes: number, rank: number, ranks: number): [number, number] {
  const base = Math.floor(classes / ranks), extra = classes % ranks;
  const lo = base * rank + Math.min(rank, extra);
  return [lo, lo + base + (rank < extra ? 1 : 0)];
}

/** Centres lo … hi − 1 of the C × d matrix, ~ N(0, 0.01) per row from (seed, row): the same matrix for any W. */
export function initialCentres(lo: number, hi: number, embeddingSize: number, seed: number): Float32Array {
  const out = new Float32Array((hi - lo) * embeddingSize);
  for (let c = lo; c < hi; c++) {
    const normal = gaussian(mulberry32(mixSeed(INIT_STREAM, seed, c)));
    for (let j = 0; j < embeddingSize; j++) out[(c - lo) * embeddingSize + j] = 0.01 * normal();
  }
  return out;
}

/**
 * The sampled classes (local indices, ascending): every positive, then the negatives with the
 * highest seeded scores up to ⌊sampleRate·count⌋ in all (partial_fc_v2's sample()).
 */
export function sampleClasses(positives: Set<number>, count: number, sampleRate: number, seed: number): Int32Array {
  if (sampleRate >= 1) return Int32Array.from({ length: count }, (_, k) => k);
  const wanted = Math.floor(sampleRate * count);
  if (positives.size >= wanted) return Int32Array.from([...positives].sort((a, b) => a - b));
  const uniform = mulberry32(seed);
  const scores = Float64Array.from({ length: count }, (_, k) => (positives.has(k) ? 2 : uniform()));
  const order = Int32Array.from({ length: count }, (_, k) => k).sort((a, b) => scores[b]! - scores[a]! || a - b);
  return order.subarray(0, wanted).sort();
}

export class PartialFc {
  /** This rank's classes [lo, hi). */
  readonly lo: number;
  readonly hi: number;
  /** This rank's centres, [hi − lo, embeddingSize]. */
  readonly centres: tf.Variable;
  /** The classes (global ids, ascending) of this rank's last sampled softmax. */
  lastSample = new Int32Array(0);

  constructor(private readonly world: World, private readonly options: PartialFcOptions) {
    const { classes, embeddingSize, sampleRate, seed } = options;
    if (!(sampleRate > 0 && sampleRate <= 1)) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `partial FC: sampleRate must be in (0, 1], got ${sampleRate}`);
    if (classes < world.size) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `partial FC: ${classes} classes cannot be split over ${world.size} ranks`);
    [this.lo, this.hi] = classRange(classes, world.rank, world.size);
    this.centres = tf.variable(tf.tensor2d(initialCentres(this.lo, this.hi, embeddingSize, seed), [this.hi - this.lo, embeddingSize]),
      true, `partial_fc/centres_${this.lo}_${this.hi}`);
  }

  /** The classifier of global step `step` (its negative sample is seeded by (seed, step, rank)). */
  classifier(step: number): Classifier {
    return (z, labels) => {
      const { world } = this;
      const y = world.allGather(Int32Array.from(labels.dataSync()));
      const positives = new Set<number>();
      for (const c of y) if (c >= this.lo && c < this.hi) positives.add(c - this.lo);
      const sample = sampleClasses(positives, this.hi - this.lo, this.options.sampleRate, mixSeed(SAMPLE_STREAM, this.options.seed, step, world.rank));
      this.lastSample = Int32Array.from(sample, (k) => k + this.lo);
      const position = new Map<number, number>();
      sample.forEach((k, p) => position.set(k, p));
      const target = Int32Array.from(y, (c) => position.get(c - this.lo) ?? -1);  // −1: another rank's class
      const sampled = sample.length === this.hi - this.lo ? this.centres : tf.gather(this.centres, tf.tensor1d(sample, 'int32'));
      const logits = marginLogits(this.allGatherRows(z), sampled as tf.Tensor2D, tf.tensor1d(target, 'int32'), this.options.head, { absentTargets: true });
      const { value, entropies } = this.softmax(logits, target, z.shape[0]);
      const b = z.shape[0];
      return {
        ce: tf.reshape(tf.slice(value, [0, 0], [1, b]), [b]) as tf.Tensor1D,
        pGt: tf.reshape(tf.slice(value, [1, 0], [1, b]), [b]) as tf.Tensor1D,
        entropies: () => entropies,
      };
    };
  }

  /** Z = all ranks' rows in rank order; its gradient is reduce-scattered back to the rows' ranks. */
  private allGatherRows(z: tf.Tensor2D): tf.Tensor2D {
    const { world } = this;
    const [b, d] = z.shape;
    return tf.customGrad(((x: tf.Tensor) => ({
      value: tf.tensor2d(world.allGather(x.dataSync() as Float32Array), [world.size * b, d]),
      gradFunc: (dy: tf.Tensor) => tf.tensor2d(world.reduceScatter(dy.dataSync() as Float32Array, Array<number>(world.size).fill(b * d)), [b, d]),
    })) as CustomGradient)(z) as tf.Tensor2D;
  }

  /** The softmax over all ranks' sampled classes of the logits [W·B, |S_r|]: [ce; p_gt] of this rank's rows, and their entropies. */
  private softmax(logits: tf.Tensor2D, target: Int32Array, b: number): { value: tf.Tensor2D; entropies: Float64Array } {
    const { world } = this;
    const [rows, cols] = logits.shape;
    const mine = world.rank * b;
    const entropies = new Float64Array(b);
    const op = tf.customGrad(((x: tf.Tensor) => {
      const l = x.dataSync();
      const max = new Float64Array(rows).fill(-Infinity);
      for (let i = 0; i < rows; i++) for (let k = 0; k < cols; k++) max[i] = Math.max(max[i]!, l[i * cols + k]!);
      world.allReduce(max, { op: 'max' });
      const sums = new Float64Array(2 * rows);  // [Σ exp(L − M) ; L_y − M from the target's owner]
      for (let i = 0; i < rows; i++) {
        for (let k = 0; k < cols; k++) sums[i] += Math.exp(l[i * cols + k]! - max[i]!);
        if (target[i]! >= 0) sums[rows + i] = l[i * cols + target[i]!]! - max[i]!;
      }
      world.allReduce(sums);
      const logSum = Float64Array.from({ length: rows }, (_, i) => Math.log(sums[i]!));
      const entropy = new Float64Array(rows);
      for (let i = 0; i < rows; i++)
        for (let k = 0; k < cols; k++) {
          const p = Math.exp(l[i * cols + k]! - max[i]! - logSum[i]!);
          entropy[i] -= p * Math.log(p + 1e-5);
        }
      world.allReduce(entropy);
      const out = new Float32Array(2 * b);
      for (let i = 0; i < b; i++) {
        const t = sums[rows + mine + i]!;
        out[i] = logSum[mine + i]! - t;
        out[b + i] = Math.exp(t - logSum[mine + i]!);
        entropies[i] = Math.max(0, entropy[mine + i]!);
      }
      return {
        value: tf.tensor2d(out, [2, b]),
        gradFunc: (dy: tf.Tensor) => {
          // c_i = ∂ce_i − p_gt,i·∂p_gt,i for every row of every rank; ∂L_ik = c_i·(p_ik − [k = y_i])
          const mineDy = dy.dataSync();
          const c = Float32Array.from({ length: b }, (_, i) => mineDy[i]! - out[b + i]! * mineDy[b + i]!);
          const all = world.allGather(c);
          const grad = new Float32Array(rows * cols);
          for (let i = 0; i < rows; i++) {
            for (let k = 0; k < cols; k++) {
              const p = Math.exp(l[i * cols + k]! - max[i]! - logSum[i]!);
              grad[i * cols + k] = all[i]! * (k === target[i] ? p - 1 : p);
            }
          }
          return tf.tensor2d(grad, [rows, cols]);
        },
      };
    }) as CustomGradient);
    return { value: op(logits) as tf.Tensor2D, entropies };
  }
}
