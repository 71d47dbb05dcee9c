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
  eraseBox,
  grayscale,
  sampleBlurSigma,
  sampleColorJitter,
  sampleErasingBox,
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

/** Draws the parameters of `op` for one sample from `uniform` (in the operation's own draw order). */
function drawRecord(op: RspOperation, h: number, w: number, uniform: () => number): RspRecord {
  switch (op) {
    case 'gaussianBlur':
      return { operation: op, sigma: sampleBlurSigma(uniform) };
    case 'grayscale':
      return { operation: op };
    case 'colorJitter':
      return { operation: op, jitter: sampleColorJitter(uniform) };
    case 'randomErasing':
      return { operation: op, box: sampleErasingBox(h, w, uniform) };
  }
}

/** One sample perturbed as `record` says. */
function applyRecord(record: RspRecord, img: Float32Array, h: number, w: number): Float32Array {
  switch (record.operation) {
    case 'gaussianBlur':
      return gaussianBlur(img, h, w, record.sigma);
    case 'grayscale':
      return grayscale(img, h, w);
    case 'colorJitter':
      return colorJitter(img, h, w, record.jitter);
    case 'randomErasing':
      return eraseBox(img, h, w, record.box);
    default:
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE',
        `applyStructurePerturbation: unknown operation ${JSON.stringify((record as { operation?: unknown }).operation)} (one of ${RSP_OPERATIONS.join(', ')})`);
  }
}

/** The RSP draws for n samples: per sample u ≤ ξ, then the operation index, then its parameters. */
export function drawStructurePerturbation(n: number, h: number, w: number, options: RspOptions): (RspRecord | null)[] {
  const probability = options.probability ?? 0.2;
  if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `randomStructurePerturbation: probability must be in [0, 1], got ${describeValue(probability)}`);
  const uniform = resolveUniform(options);
  const decisions: (RspRecord | null)[] = [];
  for (let i = 0; i < n; i++) {
    if (!(uniform() <= probability)) decisions.push(null);
    else decisions.push(drawRecord(RSP_OPERATIONS[Math.floor(uniform() * RSP_OPERATIONS.length)]!, h, w, uniform));
  }
  return decisions;
}

/**
 * Applies given RSP decisions (one per sample: what to apply with which parameters, or null for
 * none) to a batch of n NHWC RGB images of h×w in [−1, 1]: how a step is replayed with the draws of
 * another run (e.g. the official train.py's). `batch` is written only for erased samples with
 * `inPlaceErasing` (D3).
 */
export function applyStructurePerturbation(batch: Float32Array, n: number, h: number, w: number,
  decisions: readonly (RspRecord | null)[], options: Pick<RspOptions, 'inPlaceErasing'> = {}): RspResult {
  assertImages(batch, n, h, w, 'applyStructurePerturbation');
  if (!Array.isArray(decisions) || decisions.length !== n)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `applyStructurePerturbation: expected ${n} decisions (one per sample, null = unchanged), got ${Array.isArray(decisions) ? decisions.length : typeof decisions}`);
  const size = h * w * CHANNELS;
  const perturbed = batch.slice();
  decisions.forEach((record, i) => {
    if (record === null) return;
    const image = applyRecord(record, batch.subarray(i * size, (i + 1) * size), h, w);
    perturbed.set(image, i * size);
    if (record.operation === 'randomErasing' && options.inPlaceErasing === true) batch.set(image, i * size);
  });
  return { perturbed, applied: [...decisions] };
}

/**
 * RSP on a batch of n NHWC RGB images of h×w normalised to [−1, 1]. Deterministic for a seed.
 * `batch` is left untouched unless `inPlaceErasing` (D3) is set, and then only erased samples change.
 */
export function randomStructurePerturbation(batch: Float32Array, n: number, h: number, w: number, given: RspOptions): RspResult {
  const options = optionsArg<RspOptions>(given, 'randomStructurePerturbation');
  assertImages(batch, n, h, w, 'randomStructurePerturbation');
  return applyStructurePerturbation(batch, n, h, w, drawStructurePerturbation(n, h, w, options), options);
}
