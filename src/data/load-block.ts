// One block of a batch: read, fit to size, flip and normalise the given samples into their rows of
// the batch buffers. The same code runs in the loader's workers and, for sources without a worker
// spec, in the calling thread.
import { fitSize, placeImage } from './augment.js';
import type { FaceSample, FaceSource } from './source.js';
import { TopofrRangeError } from '../errors.js';

export interface BlockRequest {
  indices: Int32Array;
  flips: Uint8Array;
  /** Batch row of indices[0]. */
  row: number;
  /** The whole batch's NHWC float32 images and int32 labels (shared with the other blocks). */
  images: ArrayBufferLike;
  labels: ArrayBufferLike;
}

export interface BlockResult {
  /** Messages of the bad samples replaced in this block, in row order. */
  skipped: string[];
}

export interface BlockSettings {
  imageSize: number;
  skipBadImages: boolean;
}

/** Images decoded at once in one thread: sharp works on libuv's pool, so a few in flight keep it busy. */
const IN_FLIGHT = 4;
/** Consecutive bad samples after which skipping gives up: the data is broken, not a few images. */
const MAX_CONSECUTIVE_BAD = 64;

const isDataError = (err: unknown): err is Error => typeof (err as { code?: unknown })?.code === 'string' && (err as { code: string }).code.startsWith('ERR_TOPOFR_');

/** Sample i, or with skipBadImages the first good one of i + 1, i + 2, … (mod size). */
async function readOrSkip(source: FaceSource, i: number, skipBad: boolean, skipped: string[]): Promise<FaceSample> {
  for (let attempt = 0; attempt < Math.min(source.size, MAX_CONSECUTIVE_BAD); attempt++) {
    try {
      return await source.read((i + attempt) % source.size);
    } catch (err) {
      if (!skipBad || !isDataError(err)) throw err;
      skipped.push(err.message);
    }
  }
  throw new TopofrRangeError('ERR_TOPOFR_PARSE', `${source.path}: samples ${i} … ${i + MAX_CONSECUTIVE_BAD - 1} are all bad; the data is broken (last: ${skipped.at(-1)})`);
}

export async function loadBlock(source: FaceSource, request: BlockRequest, settings: BlockSettings,
  warn: (message: string) => void): Promise<BlockResult> {
  const { indices, flips, row, imageSize } = { ...request, ...settings };
  const images = new Float32Array(request.images);
  const labels = new Int32Array(request.labels);
  const pixels = imageSize * imageSize * 3;
  const skippedPerRow: string[][] = Array.from({ length: indices.length }, () => []);
  const onResize = (from: string): void =>
    warn(`${source.path}: images are ${from}, not ${imageSize}×${imageSize}; they are resized (train at the data's size with --image-size)`);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let j = next++; j < indices.length; j = next++) {
      const sample = await readOrSkip(source, indices[j]!, settings.skipBadImages, skippedPerRow[j]!);
      const rgb = await fitSize(sample.image, imageSize, onResize);
      placeImage(rgb, imageSize, flips[j] === 1, images, (row + j) * pixels);
      labels[row + j] = sample.label;
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, indices.length) }, lane));
  return { skipped: skippedPerRow.flat() };
}
