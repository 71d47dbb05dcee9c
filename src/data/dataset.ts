// The embedded default dataset: train and test splits of synthetic identities, rendered on demand.
//
// Memory: a 112×112 image is 37,632 bytes as 8-bit RGB and 150,528 bytes as float32, so 10,000
// images would be 376 MB as bytes and 1.5 GB as floats. Images are therefore rendered when first
// asked for and kept, as bytes, in a per-split cache bounded by `cacheBytes` (default 256 MiB:
// 7,133 images at 112², all of a 20,000-image split at 64²), held in 256-image slabs so that it
// costs its bytes and nothing per image; a batch converts its bytes to floats (the only float
// copy). Past the budget, images are rendered again each time: shuffled epochs read every image
// once, so no eviction policy would do better than keeping the first ones.
// Measured (one core, 112², hardness 0.5): rendering ~1.85 ms an image (540 images/s; 740/s at
// hardness 0, 2,000/s at 56²), far below a training step on the same batch. 500 identities × 20
// images, batches of 128: first epoch 510 images/s, second 1,550 images/s (71 % cache hits);
// live array buffers 275 MB with the default cache, 19 MB with cacheBytes 0.
import type { FaceIdentity } from './identity.js';
import { faceIdentity } from './identity.js';
import { faceNuisance, type FaceNuisance } from './nuisance.js';
import { bytesToUnit, checkRenderOptions, DEFAULT_HARDNESS, DEFAULT_IMAGE_SIZE, renderFaceBytes } from './render.js';
import { epochOrder } from './sampler.js';
import { TopofrRangeError } from '../errors.js';
import { describeValue, optionsArg } from '../util/check.js';

export interface SyntheticFaceDatasetOptions {
  /** Identities in the training split (labels 0 … trainIdentities − 1). */
  trainIdentities: number;
  /** Identities in the test split, never rendered into train (may be 0). */
  testIdentities: number;
  /** Images per identity. */
  samplesPerIdentity: number;
  /** Images per test identity; default samplesPerIdentity. */
  testSamplesPerIdentity?: number;
  /** Side of the square images in pixels (≥ 16); default 112. */
  imageSize?: number;
  /** Nuisance scale in [0, 1]; default 0.5. */
  hardness?: number;
  seed: number;
  /** Byte budget of each split's image cache; default 256 MiB, 0 renders every time. */
  cacheBytes?: number;
}

export interface FaceBatch {
  /** NHWC float32 in [−1, 1]. */
  images: Float32Array;
  labels: Int32Array;
  /** The split's sample indices the batch holds, in order. */
  indices: Int32Array;
}

export interface BatchOptions {
  batchSize: number;
  /** The epoch whose shuffle to use (0, 1, …). */
  epoch: number;
  /** Shuffle seed; default the dataset's seed. */
  seed?: number;
  /** Leave out the last, short batch (as the official loader does); default true. */
  dropLast?: boolean;
}

export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;
const SLAB_IMAGES = 256;

/** One split: `identities[k]` has label k and samples k·m … k·m + m − 1 (m = samplesPerIdentity). */
export class FaceSplit {
  readonly size: number;
  readonly labels: Int32Array;
  /** 1 where the sample is a hard sample (its nuisance's `hard` is not 'none'). */
  readonly hard: Uint8Array;
  readonly bytesPerImage: number;
  /** Cache slot of each sample (−1: not cached); slots live in slabs of SLAB_IMAGES images,
   *  allocated as they fill, so the cache costs its bytes and no per-image overhead. */
  private readonly slotOf: Int32Array;
  private readonly slabs: Uint8Array[] = [];
  private readonly cacheCapacity: number;
  private cached = 0;
  private hits = 0;
  private renders = 0;

  constructor(
    readonly name: 'train' | 'test',
    readonly identities: readonly FaceIdentity[],
    readonly samplesPerIdentity: number,
    readonly imageSize: number,
    readonly hardness: number,
    /** The default shuffle seed (the dataset's seed). */
    readonly seed: number,
    cacheBytes: number,
  ) {
    this.size = identities.length * samplesPerIdentity;
    this.labels = new Int32Array(this.size);
    this.hard = new Uint8Array(this.size);
    for (let i = 0; i < this.size; i++) {
      this.labels[i] = Math.floor(i / samplesPerIdentity);
      this.hard[i] = this.nuisance(i).hard === 'none' ? 0 : 1;
    }
    this.bytesPerImage = imageSize * imageSize * 3;
    this.cacheCapacity = Math.min(this.size, Math.floor(cacheBytes / this.bytesPerImage));
    this.slotOf = new Int32Array(this.size).fill(-1);
  }

  get identityCount(): number {
    return this.identities.length;
  }

  /** The identity of sample i. */
  identityOf(i: number): FaceIdentity {
    return this.identities[this.labels[this.check(i)]];
  }

  /** The sample seed of sample i (its position within its identity). */
  sampleSeed(i: number): number {
    return this.check(i) % this.samplesPerIdentity;
  }

  /** What varies in sample i: pose, expression, lighting, camera, occluders. */
  nuisance(i: number): FaceNuisance {
    return faceNuisance(this.identityOf(i), this.sampleSeed(i), this.hardness);
  }

  /** Sample i as 8-bit RGB, HWC. The array may be a view of the cache: do not write to it. */
  imageBytes(i: number): Uint8Array {
    const slot = this.slotOf[this.check(i)];
    if (slot >= 0) {
      this.hits++;
      return this.slotBytes(slot);
    }
    const options = { imageSize: this.imageSize, hardness: this.hardness };
    this.renders++;
    if (this.cached >= this.cacheCapacity) return renderFaceBytes(this.identityOf(i), this.sampleSeed(i), options);
    const next = this.cached++;
    if (next % SLAB_IMAGES === 0)
      this.slabs.push(new Uint8Array(Math.min(SLAB_IMAGES, this.cacheCapacity - next) * this.bytesPerImage));
    this.slotOf[i] = next;
    return renderFaceBytes(this.identityOf(i), this.sampleSeed(i), options, this.slotBytes(next));
  }

  /** Sample i as float32 RGB, HWC, in [−1, 1] (a fresh array). */
  image(i: number): Float32Array {
    return bytesToUnit(this.imageBytes(i));
  }

  /** The images (NHWC, [−1, 1]) and labels of the given samples. */
  batch(indices: ArrayLike<number>): FaceBatch {
    const count = indices.length;
    const images = new Float32Array(count * this.bytesPerImage);
    const labels = new Int32Array(count);
    const held = Int32Array.from(indices);
    for (let b = 0; b < count; b++) {
      bytesToUnit(this.imageBytes(held[b]), images, b * this.bytesPerImage);
      labels[b] = this.labels[held[b]];
    }
    return { images, labels, indices: held };
  }

  /** The sample order of one epoch: a seeded Fisher–Yates shuffle, the same for the same
   *  (seed, epoch) on every run. */
  epochOrder(epoch: number, seed: number): Int32Array {
    return epochOrder(this.size, seed, epoch);
  }

  /** The batches of one epoch in shuffled order, rendered as they are reached. */
  *batches(options: BatchOptions): Generator<FaceBatch> {
    const { batchSize, epoch, seed = this.seed, dropLast = true } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `batches: batchSize must be an integer ≥ 1, got ${describeValue(batchSize)}`);
    if (!Number.isInteger(epoch) || epoch < 0)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `batches: epoch must be an integer ≥ 0, got ${describeValue(epoch)}`);
    const order = this.epochOrder(epoch, seed);
    const end = dropLast ? this.size - (this.size % batchSize) : this.size;
    for (let start = 0; start < end; start += batchSize) yield this.batch(order.subarray(start, Math.min(end, start + batchSize)));
  }

  /** Batches in one epoch. */
  batchCount(batchSize: number, dropLast = true): number {
    return dropLast ? Math.floor(this.size / batchSize) : Math.ceil(this.size / batchSize);
  }

  cacheStats(): { capacity: number; cached: number; bytes: number; hits: number; renders: number } {
    return { capacity: this.cacheCapacity, cached: this.cached, bytes: this.cached * this.bytesPerImage,
      hits: this.hits, renders: this.renders };
  }

  private slotBytes(slot: number): Uint8Array {
    const start = (slot % SLAB_IMAGES) * this.bytesPerImage;
    return this.slabs[Math.floor(slot / SLAB_IMAGES)].subarray(start, start + this.bytesPerImage);
  }

  private check(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.size)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${this.name} split: sample index must be an integer in [0, ${this.size}), got ${describeValue(i)}`);
    return i;
  }
}

export interface SyntheticFaceDataset {
  readonly train: FaceSplit;
  readonly test: FaceSplit;
  readonly seed: number;
}

/** Test identity k is identity TEST_IDENTITY_OFFSET + k of the seed: disjoint from every train
 *  identity (at most 2^24 of them), and the same test set whatever the size of the train split. */
export const TEST_IDENTITY_OFFSET = 2 ** 24;

/** Train and test splits with disjoint identities, each identity drawn from its own seed, so a
 *  test identity is never rendered into train. */
export function syntheticFaceDataset(given: SyntheticFaceDatasetOptions): SyntheticFaceDataset {
  const fn = 'syntheticFaceDataset';
  const options = optionsArg<SyntheticFaceDatasetOptions>(given ?? null, fn) as SyntheticFaceDatasetOptions;  // required
  const trainIdentities = count(options.trainIdentities, fn, 'trainIdentities', 1);
  const testIdentities = count(options.testIdentities, fn, 'testIdentities', 0);
  const samplesPerIdentity = count(options.samplesPerIdentity, fn, 'samplesPerIdentity', 1);
  const testSamples = count(options.testSamplesPerIdentity ?? samplesPerIdentity, fn, 'testSamplesPerIdentity', 1);
  const { imageSize, hardness } = checkRenderOptions(
    { imageSize: options.imageSize ?? DEFAULT_IMAGE_SIZE, hardness: options.hardness ?? DEFAULT_HARDNESS }, fn);
  const seed = options.seed;
  if (!Number.isInteger(seed))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: seed must be an integer, got ${describeValue(seed)}`);
  const cacheBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
  if (typeof cacheBytes !== 'number' || !(cacheBytes >= 0))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: cacheBytes must be a number ≥ 0, got ${describeValue(cacheBytes)}`);

  const identities = (from: number, n: number): FaceIdentity[] =>
    Array.from({ length: n }, (_, k) => faceIdentity(seed, from + k));
  const train = new FaceSplit('train', identities(0, trainIdentities), samplesPerIdentity, imageSize, hardness, seed, cacheBytes);
  const test = new FaceSplit('test', identities(TEST_IDENTITY_OFFSET, testIdentities), testSamples, imageSize, hardness, seed,
    cacheBytes);
  return { train, test, seed };
}

function count(value: unknown, fn: string, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 2 ** 24)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: ${name} must be an integer in [${min}, 2^24], got ${describeValue(value)}`);
  return value;
}
