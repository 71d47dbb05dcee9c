// Which samples, in which order, with which flips: a pure function of (seed, epoch, step), so a
// batch is the same whatever the number of loader workers, a resumed run continues with the very
// batch an uninterrupted one would read, and ranks of a distributed run split each global step's
// W·B samples deterministically (rank r takes the r-th block of B).
//
// The streams are those of the first trainer (epoch shuffle: STREAM.shuffle; flips: the trainer's
// step stream 0x7e, word 1), so the embedded demo's batches are bit-identical to before.
import { mixSeed, mulberry32 } from '../util/random.js';
import { STREAM } from './seed.js';
import { TopofrRangeError } from '../errors.js';

/** The trainer's per-step stream: word 1 draws the flips here, word 2 drives RSP and the GUM there. */
export const STEP_STREAM = 0x7e;

/** The sample order of one epoch: a seeded Fisher–Yates shuffle of 0 … size − 1. */
export function epochOrder(size: number, seed: number, epoch: number): Int32Array {
  const order = Int32Array.from({ length: size }, (_, i) => i);
  const uniform = mulberry32(mixSeed(STREAM.shuffle, seed, epoch));
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

export interface StepSamples {
  epoch: number;
  /** The rank's B sample indices, in batch order. */
  indices: Int32Array;
  /** 1 where the image is mirrored (the official RandomHorizontalFlip, p = ½). */
  flips: Uint8Array;
}

export interface BatchPlanOptions {
  /** Samples per rank and step (B). */
  batchSize: number;
  seed: number;
  /** Ranks sharing each step (W); default 1. */
  worldSize?: number;
}

/** The samples of every step: epoch e is epochOrder(size, seed, e) cut into global batches of W·B
 *  (the short tail is dropped, as the official loader's drop_last). */
export class BatchPlan {
  readonly batchSize: number;
  readonly worldSize: number;
  readonly seed: number;
  /** Steps per epoch. */
  readonly perEpoch: number;
  private cached?: { epoch: number; order: Int32Array };

  constructor(readonly size: number, options: BatchPlanOptions) {
    const { batchSize, seed, worldSize = 1 } = options;
    for (const [name, value, min] of [['batchSize', batchSize, 1], ['worldSize', worldSize, 1], ['size', size, 1]] as const)
      if (!Number.isInteger(value) || value < min)
        throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `BatchPlan: ${name} must be an integer ≥ ${min}, got ${String(value)}`);
    if (!Number.isInteger(seed)) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `BatchPlan: seed must be an integer, got ${String(seed)}`);
    this.batchSize = batchSize;
    this.worldSize = worldSize;
    this.seed = seed;
    this.perEpoch = Math.floor(size / (batchSize * worldSize));
    if (this.perEpoch < 1)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE',
        `the dataset has ${size} images, fewer than one global batch (${worldSize} × ${batchSize})`);
  }

  /** Rank `rank`'s samples of global step `step` (0-based). */
  step(step: number, rank = 0): StepSamples {
    if (!Number.isSafeInteger(step) || step < 0)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `BatchPlan: step must be an integer ≥ 0, got ${String(step)}`);
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.worldSize)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `BatchPlan: rank must be an integer in [0, ${this.worldSize}), got ${String(rank)}`);
    const epoch = Math.floor(step / this.perEpoch);
    if (this.cached?.epoch !== epoch) this.cached = { epoch, order: epochOrder(this.size, this.seed, epoch) };
    const global = this.batchSize * this.worldSize;
    const start = (step % this.perEpoch) * global + rank * this.batchSize;
    const indices = this.cached.order.slice(start, start + this.batchSize);
    // The flips are drawn for the whole global batch in order, so a rank's share does not depend on W.
    const uniform = mulberry32(mixSeed(STEP_STREAM, this.seed, step, 1));
    const flips = new Uint8Array(this.batchSize);
    for (let b = 0; b < global; b++) {
      const flip = uniform() < 0.5 ? 1 : 0;
      const local = b - rank * this.batchSize;
      if (local >= 0 && local < this.batchSize) flips[local] = flip;
    }
    return { epoch, indices, flips };
  }
}
