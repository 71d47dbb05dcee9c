// One block of a batch: read, fit to size, flip and normalise the given samples into their rows of
// the batch buffers. The same code runs in the loader's workers and, for sources without a worker
// spec, in the calling thread.
//
// Two paths give the same floats: libjpeg-turbo decodes the block's JPEGs of the training size
// straight into their rows in one synchronous call (jpeg-turbo.ts), and every row it leaves (other
// formats or sizes, ICC profiles, CMYK, bad samples, or sharp as the decoder) goes through the
// per-sample path: decodeImage, resize, flip and normalise in JS, with the bad-sample handling.
import { fitSize, placeImage } from './augment.js';
import { turboJpeg, type JpegDecoderName } from './jpeg-turbo.js';
import type { EncodedSample, FaceSample, FaceSource } from './source.js';
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
  /** The bad samples replaced in this block and why, in row order. */
  skipped: SkippedSample[];
}

export interface SkippedSample {
  sample: number;
  message: string;
}

export interface BlockSettings {
  imageSize: number;
  skipBadImages: boolean;
  /** The JPEG decoder, chosen once by the loader (jpegDecoder()). */
  jpeg: JpegDecoderName;
}

/** Images decoded at once in one thread: sharp works on libuv's pool, so a few in flight keep it busy. */
const IN_FLIGHT = 4;
/** Consecutive bad samples after which skipping gives up: the data is broken, not a few images. */
const MAX_CONSECUTIVE_BAD = 64;

const isDataError = (err: unknown): err is Error => typeof (err as { code?: unknown })?.code === 'string' && (err as { code: string }).code.startsWith('ERR_TOPOFR_');

/** Sample i, or with skipBadImages the first good one of i + 1, i + 2, … (mod size). */
async function readOrSkip(source: FaceSource, i: number, skipBad: boolean, skipped: SkippedSample[]): Promise<FaceSample> {
  for (let attempt = 0; attempt < Math.min(source.size, MAX_CONSECUTIVE_BAD); attempt++) {
    try {
      return await source.read((i + attempt) % source.size);
    } catch (err) {
      if (!skipBad || !isDataError(err)) throw err;
      skipped.push({ sample: (i + attempt) % source.size, message: err.message });
    }
  }
  throw new TopofrRangeError('ERR_TOPOFR_PARSE', `${source.path}: samples ${i} … ${i + MAX_CONSECUTIVE_BAD - 1} are all bad; the data is broken (last: ${skipped.at(-1)?.message})`);
}

const NO_BYTES = new Uint8Array(0);

/** libjpeg-turbo's part of a block: the rows it placed get their labels; returns the other rows. */
function decodeNatively(source: FaceSource, request: BlockRequest, settings: BlockSettings, images: Float32Array,
  labels: Int32Array): number[] {
  const { indices, flips, row } = request;
  const rows = Array.from(indices, (_, j) => j);
  const turbo = source.readEncoded ? turboJpeg(settings.jpeg) : undefined;
  if (!turbo) return rows;
  const encoded = Array.from(indices, (i): EncodedSample | undefined => {
    try {
      return source.readEncoded!(i);
    } catch (err) {
      if (isDataError(err)) return undefined; // the per-sample path reports or skips it
      throw err;
    }
  });
  const { imageSize } = settings;
  const outcomes = turbo.jpegDecodeBatch(encoded.map((e) => e?.bytes ?? NO_BYTES), imageSize, flips, images, row * imageSize * imageSize * 3);
  return rows.filter((j) => {
    if (outcomes[j] !== null) return true;
    labels[row + j] = encoded[j]!.label;
    return false;
  });
}

export async function loadBlock(source: FaceSource, request: BlockRequest, settings: BlockSettings,
  warn: (message: string) => void): Promise<BlockResult> {
  const { indices, flips, row, imageSize } = { ...request, ...settings };
  const images = new Float32Array(request.images);
  const labels = new Int32Array(request.labels);
  const pixels = imageSize * imageSize * 3;
  const rest = decodeNatively(source, request, settings, images, labels);
  const skippedPerRow: SkippedSample[][] = Array.from({ length: indices.length }, () => []);
  const onResize = (from: string): void =>
    warn(`${source.path}: images are ${from}, not ${imageSize}×${imageSize}; they are resized (train at the data's size with --image-size)`);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let k = next++; k < rest.length; k = next++) {
      const j = rest[k]!;
      const sample = await readOrSkip(source, indices[j]!, settings.skipBadImages, skippedPerRow[j]!);
      const rgb = await fitSize(sample.image, imageSize, onResize);
      placeImage(rgb, imageSize, flips[j] === 1, images, (row + j) * pixels);
      labels[row + j] = sample.label;
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, rest.length) }, lane));
  return { skipped: skippedPerRow.flat() };
}
