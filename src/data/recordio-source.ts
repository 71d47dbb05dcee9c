// A RecordIO face set as insightface's arcface_torch reads it (MXFaceDataset):
//
// * header layout (face2rec2): record 0 has flag > 0 and labels [first, end]; the images are keys
//   1 … first − 1, the identity records keys first … end − 1 (labels [start, end) over image keys),
//   so there are end − first classes. An image's label is its scalar label or labels[0].
// * no header (im2rec, rec2shufrec): every key of the .idx, in .idx order, is an image with a scalar
//   label; the class count is read from insightface's `property` file ("C,112,112") beside the .rec
//   when there is one, else from a scan of every record's header (max label + 1).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { decodeImage } from './image-codec.js';
import { headerBytes, IR_HEADER_SIZE, parseIndex, RecordIOFile, unpackRecord, type IRHeader, type RecordIndex } from './recordio.js';
import { checkLabel, checkSample, type EncodedSample, type FaceSample, type FaceSource, type SourceSpec } from './source.js';
import { TopofrRangeError } from '../errors.js';

export interface RecordIOLayout {
  /** 'header': insightface's record 0 + identity records; 'plain': every .idx key is an image. */
  layout: 'header' | 'plain';
  /** Where the class count came from. */
  classesFrom: 'header' | 'property' | 'scan' | 'caller';
}

export class RecordIOSource implements FaceSource {
  readonly format = 'recordio';
  readonly path: string;

  readonly spec: Extract<SourceSpec, { kind: 'recordio' }>;

  constructor(
    spec: Extract<SourceSpec, { kind: 'recordio' }>,
    private readonly file: RecordIOFile,
    /** Key and record offset of each sample. */
    private readonly keys: Float64Array,
    private readonly offsets: Float64Array,
    readonly classes: number,
    readonly layout: RecordIOLayout,
    readonly skippedAtOpen: readonly string[],
  ) {
    this.path = spec.rec;
    this.spec = { ...spec, classes };
  }

  get size(): number {
    return this.keys.length;
  }

  async read(i: number): Promise<FaceSample> {
    const { bytes, label, origin } = this.readEncoded(i);
    return { image: await decodeImage(bytes, origin), label };
  }

  readEncoded(i: number): EncodedSample {
    checkSample(this, i);
    const origin = `${this.path}: record key ${this.keys[i]} at offset ${this.offsets[i]}`;
    const { header, bytes } = unpackRecord(this.file.read(this.offsets[i]!), this.path, this.offsets[i]!);
    return { bytes, label: checkLabel(imageLabel(header), this.classes, origin), origin };
  }

  /** The header of sample i (without reading its image). */
  header(i: number): IRHeader {
    checkSample(this, i);
    return readHeader(this.file, this.offsets[i]!);
  }

  close(): void {
    this.file.close();
  }
}

const imageLabel = (header: IRHeader): number => (header.labels ? header.labels[0]! : header.label);

function readHeader(file: RecordIOFile, offset: number): IRHeader {
  const first = file.read(offset, IR_HEADER_SIZE);
  const flag = first.length >= 4 ? new DataView(first.buffer, first.byteOffset).getUint32(0, true) : 0;
  const record = flag > 0 ? file.read(offset, headerBytes(flag)) : first;
  return unpackRecord(record, file.path, offset).header;
}

/** Position of each key in the index, by a dense table (keys 0 … ~n, as every known writer makes them)
 *  or a sorted search otherwise. */
function keyLookup(index: RecordIndex): (key: number) => number {
  const n = index.keys.length;
  let min = Infinity, max = -Infinity;
  for (const k of index.keys) {
    if (k < min) min = k;
    if (k > max) max = k;
  }
  if (n > 0 && min >= 0 && max < 4 * n + 1024) {
    const table = new Int32Array(max + 1).fill(-1);
    index.keys.forEach((k, p) => (table[k] = p));
    return (key) => (key >= 0 && key <= max ? table[key]! : -1);
  }
  const order = Array.from({ length: n }, (_, p) => p).sort((a, b) => index.keys[a]! - index.keys[b]!);
  return (key) => {
    let lo = 0, hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const k = index.keys[order[mid]!]!;
      if (k === key) return order[mid]!;
      if (k < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };
}

function readProperty(rec: string): number | undefined {
  const path = join(dirname(rec), 'property');
  if (!existsSync(path)) return undefined;
  const first = readFileSync(path, 'utf8').split('\n')[0]!.split(',')[0]!.trim();
  const classes = Number(first);
  if (!/^\d+$/.test(first) || classes < 1)
    throw new TopofrRangeError('ERR_TOPOFR_PARSE', `${path}: line 1: expected "classes,height,width", got ${JSON.stringify(first)}`);
  return classes;
}

export function openRecordIO(spec: Extract<SourceSpec, { kind: 'recordio' }>): RecordIOSource {
  const { rec, idx: idxPath } = spec;
  let idxBytes: Uint8Array;
  try {
    idxBytes = readFileSync(idxPath);
  } catch (err) {
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${idxPath}: cannot read the index of ${rec} (${(err as Error).message})`);
  }
  const index = parseIndex(idxBytes, idxPath);
  const file = new RecordIOFile(rec);
  try {
    return build(spec, file, index);
  } catch (err) {
    file.close();
    throw err;
  }
}

function build(spec: Extract<SourceSpec, { kind: 'recordio' }>, file: RecordIOFile, index: RecordIndex): RecordIOSource {
  const { idx: idxPath } = spec;
  const skipped: string[] = [];
  // Every offset must leave room for a frame header: a shorter file is truncated or the wrong one.
  const usable = (p: number): boolean => {
    const offset = index.offsets[p]!;
    if (offset + 8 <= file.size && offset % 4 === 0) return true;
    const problem = offset + 8 > file.size ? `past the end of ${file.path} (${file.size} bytes)` : 'not 4-byte aligned';
    const message = `${idxPath}: line ${index.lines[p]}: offset ${offset} of key ${index.keys[p]} is ${problem}`;
    if (!spec.skipBadImages) throw new TopofrRangeError('ERR_TOPOFR_PARSE', message);
    skipped.push(message);
    return false;
  };
  const lookup = keyLookup(index);
  const zero = lookup(0);
  const header0 = zero >= 0 && usable(zero) ? readHeader(file, index.offsets[zero]!) : undefined;

  if (header0 && header0.flag > 0) {
    const [first, end] = [header0.labels![0]!, header0.labels![1] ?? NaN];
    if (!Number.isInteger(first) || !Number.isInteger(end) || first < 1 || end < first)
      throw new TopofrRangeError('ERR_TOPOFR_PARSE', `${file.path}: header record (key 0) labels [${first}, ${end}] are not [first identity key ≥ 1, end ≥ first]`);
    const keys: number[] = [];
    const offsets: number[] = [];
    for (let key = 1; key < first; key++) {
      const p = lookup(key);
      if (p < 0) {
        const message = `${idxPath}: image key ${key} (the header record says keys 1 … ${first - 1}) is not in the index`;
        if (!spec.skipBadImages) throw new TopofrRangeError('ERR_TOPOFR_PARSE', message);
        skipped.push(message);
      } else if (usable(p)) {
        keys.push(key);
        offsets.push(index.offsets[p]!);
      }
    }
    return new RecordIOSource(spec, file, Float64Array.from(keys), Float64Array.from(offsets), end - first,
      { layout: 'header', classesFrom: 'header' }, skipped);
  }

  let positions = Array.from({ length: index.keys.length }, (_, p) => p).filter(usable);
  let classes = spec.classes ?? readProperty(file.path);
  let classesFrom: RecordIOLayout['classesFrom'] = spec.classes === undefined ? 'property' : 'caller';
  if (classes === undefined) {
    classesFrom = 'scan';
    let max = -1;
    positions = positions.filter((p) => {
      try {
        const label = imageLabel(readHeader(file, index.offsets[p]!));
        if (!Number.isInteger(label) || label < 0)
          throw new TopofrRangeError('ERR_TOPOFR_PARSE', `${file.path}: record key ${index.keys[p]} at offset ${index.offsets[p]}: label ${label} is not an integer ≥ 0`);
        max = Math.max(max, label);
        return true;
      } catch (err) {
        if (!spec.skipBadImages || !(err instanceof TopofrRangeError)) throw err;
        skipped.push(err.message);
        return false;
      }
    });
    classes = max + 1;
  }
  const keys = Float64Array.from(positions, (p) => index.keys[p]!);
  const offsets = Float64Array.from(positions, (p) => index.offsets[p]!);
  if (keys.length === 0 || classes < 1)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${file.path}: no images (${index.keys.length} index entries)`);
  return new RecordIOSource(spec, file, keys, offsets, classes, { layout: 'plain', classesFrom }, skipped);
}
