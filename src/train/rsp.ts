// RSP, Random Structure Perturbation (TOPOFR.md §1.3): each sample of the batch is perturbed with
// probability ξ by one of A1..A4 chosen uniformly, x̃_i = A_r(x_i). The perturbed batch is what the
// backbone classifies; the original batch is ISA's input space. The trainer logs what was applied.
//
// Faithful to the official train.py: the test is `u <= ξ` (u uniform in [0, 1)), the choice is the
// code's np.random.randint(4) with its index order (0 blur, 1 grayscale, 2 jitter, 3 erasing), and
// the operations are those of src/train/perturbations.ts. One seeded uniform stream drives every
// draw, in sample order: u, then (if perturbed) the op index, then the op's own parameters. The
// official code's three streams (Python random, numpy, torch) are not reproduced.
import { TopofrRangeError, TopofrTypeError } from '../errors.js';
import { mulberry32 } from '../util/random.js';
import {
  checkedUniform,
  CHANNELS,
  type ColorJitterParams,
  type ErasingBox,
  assertImages,
  colorJitter,
  gaussianBlur,
  grayscale,
  randomErasing,
  sampleBlurSigma,
  sampleColorJitter,
} from './perturbations.js';
import { describeValue, optionsArg } from '../util/check.js';

/** A1..A4 under the official code's indices (np.random.randint(4) picks one). */
export const RSP_OPERATIONS = ['gaussianBlur', 'grayscale', 'colorJitter', 'randomErasing'] as const;
export type RspOperation = (typeof RSP_OPERATIONS)[number];

/** What was applied to one sample, with the parameters drawn for it. */
export type RspRecord =
  | { operation: 'gaussianBlur'; sigma: number }
  | { operation: 'grayscale' }
  | { operation: 'colorJitter'; jitter: ColorJitterParams }
  /** box null: all 10 attempts failed and nothing was erased. */
  | { operation: 'randomErasing'; box: ErasingBox | null };

export interface RspOptions {
  /** ξ, the per-sample perturbation probability; default 0.2 (paper and code). */
  probability?: number;
  /** Seed of a fresh mulberry32 stream. Give this or `rng`, not both. */
  seed?: number;
  /** A uniform source in [0, 1) to draw from (e.g. the trainer's own stream, advanced by the call). */
  rng?: () => number;
  /**
   * D3: the official code erases in place (timm RandomErasing on a view of `img`), so for erased
   * samples the "original" batch that ISA reads is erased too. true reproduces that: the erasure is
   * also written into `batch`. Default false, the paper's behaviour: `batch` is never written.
   * (The code before 2024-11-19 aliased the two batches; to reproduce that, use `perturbed` as the
   * ISA input space.)
   */
  inPlaceErasing?: boolean;
}

export interface RspResult {
  /** A fresh NHWC batch: each sample perturbed or copied unchanged. */
  perturbed: Float32Array;
  /** Per sample, what was applied, or null when the sample was left unchanged. */
  applied: (RspRecord | null)[];
}

function resolveUniform(options: RspOptions): () => number {
  const { seed, rng } = options;
  if (seed !== undefined && rng !== undefined)
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', 'randomStructurePerturbation: give either seed or rng, not both');
  if (rng !== undefined) return checkedUniform(rng, 'randomStructurePerturbation');
  if (typeof seed !== 'number' || !Number.isInteger(seed))
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `randomStructurePerturbation: seed must be an integer (or pass rng), got ${describeValue(seed)}`);
  return mulberry32(seed);
}

/** Perturb one sample with the given operation, drawing its parameters from `uniform`. */
function applyOperation(op: RspOperation, img: Float32Array, h: number, w: number, uniform: () => number): { image: Float32Array; record: RspRecord } {
  switch (op) {
    case 'gaussianBlur': {
      const sigma = sampleBlurSigma(uniform);
      return { image: gaussianBlur(img, h, w, sigma), record: { operation: op, sigma } };
    }
    case 'grayscale':
      return { image: grayscale(img, h, w), record: { operation: op } };
    case 'colorJitter': {
      const jitter = sampleColorJitter(uniform);
      return { image: colorJitter(img, h, w, jitter), record: { operation: op, jitter } };
    }
    case 'randomErasing': {
      const { image, box } = randomErasing(img, h, w, uniform);
      return { image, record: { operation: op, box } };
    }
  }
}

/**
 * RSP on a batch of n NHWC RGB images of h×w normalised to [−1, 1]. Deterministic for a seed.
 * `batch` is left untouched unless `inPlaceErasing` (D3) is set, and then only erased samples change.
 */
export function randomStructurePerturbation(batch: Float32Array, n: number, h: number, w: number, given: RspOptions): RspResult {
  const options = optionsArg<RspOptions>(given, 'randomStructurePerturbation');
  assertImages(batch, n, h, w, 'randomStructurePerturbation');
  const probability = options.probability ?? 0.2;
  if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `randomStructurePerturbation: probability must be in [0, 1], got ${describeValue(probability)}`);
  const uniform = resolveUniform(options);
  const size = h * w * CHANNELS;
  const perturbed = batch.slice();
  const applied: (RspRecord | null)[] = [];
  for (let i = 0; i < n; i++) {
    if (!(uniform() <= probability)) {
      applied.push(null);
      continue;
    }
    const op = RSP_OPERATIONS[Math.floor(uniform() * RSP_OPERATIONS.length)];
    const { image, record } = applyOperation(op, batch.subarray(i * size, (i + 1) * size), h, w, uniform);
    perturbed.set(image, i * size);
    if (op === 'randomErasing' && options.inPlaceErasing === true) batch.set(image, i * size);
    applied.push(record);
  }
  return { perturbed, applied };
}
