// The one dataset interface the trainer knows: an indexable source of (image, label) pairs with a
// class count. Three implementations: the synthetic renderer (synthetic-source.ts, the embedded
// default), MXNet RecordIO (recordio-source.ts) and a folder per identity (folder-source.ts).
//
// A source that can be reopened from a plain description (`spec`) is read by the loader's worker
// threads, each with its own copy; one without (the synthetic split, whose render cache lives in
// this thread) is read in the calling thread.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { DecodedImage } from './image-codec.js';
import { TopofrRangeError } from '../errors.js';

export interface FaceSample {
  /** 8-bit RGB, HWC, at the source's own size (the loader resizes to the training size). */
  image: DecodedImage;
  /** Class in [0, classes). */
  label: number;
}

/** A sample as stored: its encoded image (JPEG, PNG, …), label and where it came from (for errors). */
export interface EncodedSample {
  bytes: Uint8Array;
  label: number;
  /** The file, or the file and offset, named in errors. */
  origin: string;
}

/** How to open a source again in another thread: plain data, structured-clone safe. */
export type SourceSpec =
  | { kind: 'recordio'; rec: string; idx: string; skipBadImages?: boolean; /** Known class count: no scan on reopening. */ classes?: number }
  | { kind: 'folder'; root: string };

export interface FaceSource {
  readonly format: 'synthetic' | 'recordio' | 'folder';
  /** What the source reads (a path), for messages. */
  readonly path: string;
  /** Samples 0 … size − 1. */
  readonly size: number;
  /** Labels are in [0, classes). */
  readonly classes: number;
  /** Set when worker threads can open the same source; absent: read in the calling thread only. */
  readonly spec?: SourceSpec;
  /** Entries left out when the source was opened with skipBadImages (e.g. .idx offsets past the end). */
  readonly skippedAtOpen: readonly string[];
  /** Sample i. Bad data (corrupt image, broken record, label out of range) rejects with a typed error
   *  naming the file and the offset or line. */
  read(i: number): Promise<FaceSample>;
  /** Sample i before decoding, for sources that store encoded images (the loader decodes whole
   *  blocks of JPEGs natively); the label is checked as by `read`. */
  readEncoded?(i: number): EncodedSample;
  close(): void;
}

export interface OpenOptions {
  /** Leave out entries that are broken when the source is opened (and let the loader skip bad samples). */
  skipBadImages?: boolean;
}

/** Checks a sample index against a source's size. */
export function checkSample(source: Pick<FaceSource, 'size' | 'path'>, i: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= source.size)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${source.path}: sample index must be an integer in [0, ${source.size}), got ${String(i)}`);
  return i;
}

/** Checks a label read from the data: an integer in [0, classes). */
export function checkLabel(label: number, classes: number, where: string): number {
  if (!Number.isInteger(label) || label < 0 || label >= classes)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${where}: label ${label} is not an integer in [0, ${classes}) (the class count)`);
  return label;
}

/** What a path holds: a .rec (or a folder with train.rec, or a PREFIX of PREFIX.rec) is RecordIO
 *  with its .idx beside it; any other folder is a folder per identity. */
export function detectSource(path: string, options: OpenOptions = {}): SourceSpec {
  const isFile = (p: string): boolean => statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
  const stat = statSync(path, { throwIfNoEntry: false });
  const recordio = (rec: string): SourceSpec => ({ kind: 'recordio', rec, idx: rec.replace(/\.rec$/, '.idx'), skipBadImages: options.skipBadImages });
  if (stat?.isFile() && path.endsWith('.rec')) return recordio(path);
  if (stat?.isFile() && path.endsWith('.idx') && isFile(path.replace(/\.idx$/, '.rec'))) return recordio(path.replace(/\.idx$/, '.rec'));
  if (stat?.isDirectory()) return isFile(join(path, 'train.rec')) ? recordio(join(path, 'train.rec')) : { kind: 'folder', root: path };
  if (!stat && isFile(`${path}.rec`)) return recordio(`${path}.rec`);
  throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE',
    `${path}: not a dataset (expected a .rec with its .idx, a folder holding train.rec, or a folder with one subfolder of images per identity)`);
}

/** Opens a source from its description. */
export async function openSource(spec: SourceSpec): Promise<FaceSource> {
  if (spec.kind === 'recordio') return (await import('./recordio-source.js')).openRecordIO(spec);
  return (await import('./folder-source.js')).openFolder(spec.root);
}

/** Opens whatever `path` holds (detectSource + openSource). */
export async function openDataset(path: string, options: OpenOptions = {}): Promise<FaceSource> {
  return openSource(detectSource(path, options));
}
