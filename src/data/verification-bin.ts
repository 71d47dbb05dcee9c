// insightface's verification `.bin` sets (lfw, cfp_fp, agedb_30, calfw, cplfw): a pickle of
// `(bins, issame_list)`, 2·P encoded images (pair k = images 2k and 2k + 1) and P booleans, as
// `eval/verification.py`'s load_bin reads them (TOPOFR.md §5.1). Reading goes through the restricted
// unpickler (pickle.ts): nothing in the file is ever executed, and the images are views of the
// file's bytes. The writer makes the same structure at pickle protocol 4, the stream Python 3's
// `pickle.dump((bins, issame_list), f, protocol=4)` writes for bytes images, so custom pair sets
// load in insightface's own scripts.
import { readFileSync } from 'node:fs';
import { TopofrError, TopofrRangeError, TopofrTypeError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { NumpyArray, PyTuple, unpickle, type PickleValue } from './pickle.js';

export interface VerificationBin {
  /** The encoded images (JPEG/PNG bytes), two per pair: pair k is images 2k and 2k + 1. */
  images: Uint8Array[];
  /** 1 where pair k shows the same identity. */
  issame: Uint8Array;
  pairs: number;
}

/** Parses the bytes of a `.bin` set; `source` names it in errors. Images are views of `bytes`. */
export function parseVerificationBin(bytes: Uint8Array, source: string): VerificationBin {
  const value = unpickle(bytes, source);
  const bad = (message: string): never => {
    throw new TopofrError('ERR_TOPOFR_PARSE', `${source}: ${message}; a verification set is a pickle of (images, issame_list)`);
  };
  if (!(value instanceof PyTuple) || value.items.length !== 2) return bad(`the pickle holds ${kind(value)}, not a pair`);
  const [bins, labels] = value.items;
  if (!Array.isArray(bins)) return bad(`its first item is ${kind(bins)}, not a list of images`);
  const images = bins.map((b, i) => {
    if (b instanceof Uint8Array) return b;
    if (b instanceof NumpyArray && b.dtype === 'u1') return b.data;
    return bad(`image ${i} is ${kind(b)}, not bytes or a uint8 array`);
  });
  const issame = labelBytes(labels, bad);
  if (images.length !== 2 * issame.length)
    bad(`it holds ${images.length} images for ${issame.length} labels; a set of P pairs holds 2·P images`);
  return { images, issame, pairs: issame.length };
}

/** Reads a `.bin` set from disk (the whole file: the images are views of it). */
export function readVerificationBin(path: string): VerificationBin {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new TopofrError('ERR_TOPOFR_INVALID_VALUE', `cannot read the verification set ${path}: ${(err as Error).message}`);
  }
  return parseVerificationBin(bytes, path);
}

function labelBytes(labels: PickleValue, bad: (message: string) => never): Uint8Array {
  if (labels instanceof NumpyArray && labels.dtype === 'b1' && labels.shape.length === 1) return labels.data.map((v) => (v ? 1 : 0));
  if (!Array.isArray(labels)) return bad(`its second item is ${kind(labels)}, not a list of booleans`);
  return Uint8Array.from(labels, (v, k) => (typeof v === 'boolean' ? Number(v) : bad(`label ${k} is ${kind(v)}, not a boolean`)));
}

function kind(v: PickleValue | undefined): string {
  if (v === null || v === undefined) return 'None';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PyTuple) return `a tuple of ${v.items.length}`;
  if (v instanceof NumpyArray) return `a numpy ${v.dtype} array`;
  return typeof v === 'object' ? 'a numpy object' : `a ${typeof v}`;
}

// --- writer -------------------------------------------------------------------------------------

/** Python's pickle commits a frame once it holds this many bytes, and writes byte strings at least
 *  this long outside any frame. */
const FRAME_SIZE_TARGET = 64 * 1024;
/** Python's appends batch size. */
const BATCH = 1000;

/** Python 3's (C) pickler at protocol 4 for (list of bytes, list of bool): framed opcodes, every
 *  list and byte string memoised, MARK … APPENDS in batches of 1000 (APPEND for a 1-item list). */
class Protocol4Writer {
  private readonly chunks: Uint8Array[] = [];
  private frame: number[] = [];
  private frameParts: Uint8Array[] = [];
  private frameBytes = 0;
  private memo = 0;
  /** CPython shares one object for b'' and for each 1-byte bytes value, and its pickler memoises
   *  by identity, so those repeat as BINGET / LONG_BINGET of their first memo index. */
  private readonly shared = new Map<number, number>();

  constructor() {
    this.chunks.push(Uint8Array.of(0x80, 4)); // PROTO 4, before framing starts
  }

  private op(...bytes: number[]): void {
    for (const b of bytes) this.frame.push(b);
    this.frameBytes += bytes.length;
  }

  private raw(data: Uint8Array): void {
    this.flushOps();
    this.frameParts.push(data);
    this.frameBytes += data.length;
  }

  private flushOps(): void {
    if (this.frame.length) this.frameParts.push(Uint8Array.from(this.frame));
    this.frame = [];
  }

  /** At an opcode boundary: ends the frame when it has reached the target size (or when forced). */
  private commit(force = false): void {
    if (this.frameBytes < FRAME_SIZE_TARGET && !force) return;
    this.flushOps();
    if (this.frameBytes >= 4) {
      const header = new Uint8Array(9);
      header[0] = 0x95;
      new DataView(header.buffer).setBigUint64(1, BigInt(this.frameBytes), true);
      this.chunks.push(header);
    }
    this.chunks.push(...this.frameParts);
    this.frameParts = [];
    this.frameBytes = 0;
  }

  bool(value: boolean): void {
    this.op(value ? 0x88 : 0x89); // NEWTRUE / NEWFALSE (not memoised)
  }

  private memoize(): void {
    this.op(0x94);
    this.memo++;
  }

  bytes(data: Uint8Array): void {
    const n = data.length;
    const key = n === 0 ? -1 : n === 1 ? data[0]! : undefined;
    if (key !== undefined) {
      const index = this.shared.get(key);
      if (index !== undefined) {
        this.op(...(index < 256 ? [0x68, index] : [0x6a, index & 255, (index >>> 8) & 255, (index >>> 16) & 255, index >>> 24]));
        return;
      }
      this.shared.set(key, this.memo);
    }
    const header = n < 256 ? [0x43, n] : [0x42, n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
    if (n >= FRAME_SIZE_TARGET) {
      this.commit(true);
      this.chunks.push(Uint8Array.from(header), data);
    } else {
      this.op(...header);
      this.raw(data);
    }
    this.memoize();
  }

  list<T>(items: readonly T[], save: (item: T) => void): void {
    this.op(0x5d); // EMPTY_LIST
    this.memoize();
    if (items.length === 1) {
      save(items[0]!);
      this.op(0x61); // APPEND
      this.commit();
      return;
    }
    for (let start = 0; start < items.length; start += BATCH) {
      this.op(0x28); // MARK
      for (const item of items.slice(start, start + BATCH)) {
        save(item);
        this.commit();
      }
      this.op(0x65); // APPENDS
      this.commit();
    }
  }

  finish(): Uint8Array {
    this.op(0x86); // TUPLE2
    this.memoize();
    this.op(0x2e); // STOP
    this.commit(true);
    return Buffer.concat(this.chunks);
  }
}

/** The bytes of a `.bin` set at pickle protocol 4 (what Python 3's pickle writes for it). */
export function encodeVerificationBin(images: readonly Uint8Array[], issame: ArrayLike<boolean | number>): Uint8Array {
  const fn = 'encodeVerificationBin';
  if (!Array.isArray(images) || images.some((b) => !(b instanceof Uint8Array)))
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: images must be an array of Uint8Array (encoded JPEG/PNG bytes)`);
  if (images.length !== 2 * issame.length)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: ${images.length} images for ${issame.length} pairs; pass two images per pair`);
  const labels = Array.from(issame, (v, k) => {
    if (v === true || v === 1) return true;
    if (v === false || v === 0) return false;
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: issame[${k}] is ${String(v)}; labels are booleans or 0/1`);
  });
  const w = new Protocol4Writer();
  w.list(images, (b) => w.bytes(b));
  w.list(labels, (b) => w.bool(b));
  return w.finish();
}

/** Writes a `.bin` set atomically. */
export function writeVerificationBin(path: string, images: readonly Uint8Array[], issame: ArrayLike<boolean | number>): void {
  writeFileAtomic(path, encodeVerificationBin(images, issame));
}
