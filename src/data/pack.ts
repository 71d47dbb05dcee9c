// `topofr pack`: a folder per identity → PREFIX.rec + PREFIX.idx that insightface's arcface_torch,
// mxnet and topofr read, without mxnet. The layout is face2rec2's:
//
//   keys 1 … N        the images, identity by identity: IRHeader(flag 0, label = class, id = key) + JPEG
//   key 0             the header record: flag 2, labels [N + 1, N + 1 + C] (written after the images,
//                     as face2rec2 does, so that nothing has to be held back; readers go by the .idx)
//   keys N+1 … N+C    one identity record per class: flag 2, labels [first image key, end)
//
// With `shuffle`, the images are written in a seeded random order as im2rec --shuffle and
// insightface's rec2shufrec do: keys 0 … N − 1, scalar labels, no header or identity records (an
// identity's images are no longer one key range). Both layouts are what arcface_torch's
// MXFaceDataset reads.
//
// JPEG files are stored as they are (face2rec2's path for aligned images); other formats are
// re-encoded as JPEG at `quality`. Every image is decoded once on the way, so a corrupt file stops
// the pack (or, with skipBadImages, is counted and left out). Outputs appear atomically.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { decodeImage, encodeJpeg } from './image-codec.js';
import { listFolder } from './folder-source.js';
import { formatIndex, packRecord, RecordIOWriter } from './recordio.js';
import { epochOrder } from './sampler.js';
import { TopofrRangeError } from '../errors.js';

export interface PackOptions {
  /** Images in a seeded random order, without header and identity records. */
  shuffle?: boolean;
  /** Seed of the shuffle; default 0. */
  seed?: number;
  /** JPEG quality for images that are not JPEG already; default 95 (cv2's and insightface's). */
  quality?: number;
  skipBadImages?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface PackResult {
  rec: string;
  idx: string;
  layout: 'header' | 'plain';
  images: number;
  classes: number;
  /** Images re-encoded as JPEG (the others were stored as they were). */
  reencoded: number;
  skipped: string[];
}

/** Images prepared at once: decoding runs on libuv's pool. */
const CHUNK = 32;

const isJpeg = (bytes: Uint8Array): boolean => bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;

export async function packFolder(root: string, prefix: string, options: PackOptions = {}): Promise<PackResult> {
  const { shuffle = false, seed = 0, quality = 95, skipBadImages = false } = options;
  const listing = listFolder(root);
  const n = listing.files.length;
  const order = shuffle ? epochOrder(n, seed, 0) : Int32Array.from({ length: n }, (_, i) => i);
  const rec = `${prefix}.rec`;
  const idx = `${prefix}.idx`;
  mkdirSync(dirname(rec), { recursive: true });
  const partial = `.partial-${process.pid}`;
  const fd = openSync(rec + partial, 'w');
  const writer = new RecordIOWriter(fd);
  const keys: number[] = [];
  const offsets: number[] = [];
  const skipped: string[] = [];
  const firstKey = new Int32Array(listing.identities.length).fill(-1);
  let reencoded = 0;
  try {
    // The JPEG bytes of image i, or undefined when it is bad and skipped.
    const prepare = async (i: number): Promise<Uint8Array | undefined> => {
      const file = join(root, listing.files[i]!);
      try {
        const bytes = readFileSync(file);
        const image = await decodeImage(bytes, file);
        if (isJpeg(bytes)) return bytes;
        reencoded++;
        return await encodeJpeg(image.data, image.width, image.height, quality);
      } catch (err) {
        if (!skipBadImages) throw err;
        skipped.push((err as Error).message);
        return undefined;
      }
    };
    let key = shuffle ? 0 : 1;
    for (let from = 0; from < n; from += CHUNK) {
      const chunk = order.subarray(from, Math.min(n, from + CHUNK));
      const prepared = await Promise.all(Array.from(chunk, prepare));
      prepared.forEach((jpeg, k) => {
        if (!jpeg) return;
        const label = listing.labels[chunk[k]!]!;
        if (firstKey[label] < 0) firstKey[label] = key;
        keys.push(key);
        offsets.push(writer.write(packRecord({ label, id: key }, jpeg)));
        key++;
      });
      options.onProgress?.(Math.min(n, from + CHUNK), n);
    }
    const images = keys.length;
    if (images === 0) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${root}: every image is bad; nothing to pack`);
    const classes = listing.identities.length;
    if (!shuffle) {
      // An identity whose images were all skipped keeps its class, with an empty key range.
      const end = images + 1;
      keys.push(0);
      offsets.push(writer.write(packRecord({ label: [end, end + classes], id: 0 })));
      for (let c = 0; c < classes; c++) {
        const start = firstKey[c]! >= 0 ? firstKey[c]! : nextStart(firstKey, c, end);
        keys.push(end + c);
        offsets.push(writer.write(packRecord({ label: [start, nextStart(firstKey, c, end)], id: end + c })));
      }
    }
    closeSync(fd);
    writeFileSync(idx + partial, formatIndex(keys, offsets));
    renameSync(rec + partial, rec);
    renameSync(idx + partial, idx);
    return { rec, idx, layout: shuffle ? 'plain' : 'header', images, classes, reencoded, skipped };
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(rec + partial, { force: true });
    rmSync(idx + partial, { force: true });
    throw err;
  }
}

/** The first image key of the next identity that has one (the end of identity c's range). */
function nextStart(firstKey: Int32Array, c: number, end: number): number {
  for (let d = c + 1; d < firstKey.length; d++) if (firstKey[d]! >= 0) return firstKey[d]!;
  return end;
}
