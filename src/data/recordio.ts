// MXNet RecordIO, byte for byte as dmlc-core's recordio.h/.cc and mxnet's recordio.py write it:
//
//   frame   = u32le magic 0xced7230a · u32le lrec · payload part · zero padding to 4 bytes
//   lrec    = cflag << 29 | length (length < 2^29)
//   cflag   = 0: a whole record; 1 / 2 / 3: first / middle / last part of a split record
//
// The writer scans a record at 4-byte-aligned offsets for the magic's bytes and splits it there
// (the magic itself is not written inside a part); the reader joins the parts and puts the magic
// back between them. So no frame header's magic can ever appear at an aligned offset inside data,
// and a reader can resynchronise on it.
//
// `.idx`: one text line per record, `key\toffset\n` (offset of the record's first frame).
// IRHeader (`<IfQQ`, 24 bytes): u32 flag, f32 label, u64 id, u64 id2; flag > 0 → `flag` float32
// labels follow the header (and `label` is 0), then the image bytes.
//
// Reading is random access with positioned reads (fs.readSync at an offset): the .rec is never
// loaded whole, and any number of readers (the loader's workers) can share a file.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { TopofrRangeError } from '../errors.js';

export const RECORDIO_MAGIC = 0xced7230a;
const MAGIC_BYTES = [0x0a, 0x23, 0xd7, 0xce]; // little-endian
const MAX_PART = 2 ** 29 - 1;
const FRAME_HEADER = 8;
export const IR_HEADER_SIZE = 24;

const pad4 = (n: number): number => (n + 3) & ~3;

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    if (at >= length) break;
    out.set(p.subarray(0, length - at), at);
    at += p.length;
  }
  return out;
}

function parse(file: string, where: string, message: string): TopofrRangeError {
  return new TopofrRangeError('ERR_TOPOFR_PARSE', `${file}: ${where}: ${message}`);
}

/** The frames of one record: [cflag, start, end) parts of the payload, as dmlc-core's writer splits it. */
function framesOf(payload: Uint8Array): { cflag: number; start: number; end: number }[] {
  const frames: { cflag: number; start: number; end: number }[] = [];
  const lowerAlign = payload.length & ~3;
  let from = 0;
  for (let i = 0; i < lowerAlign; i += 4) {
    if (payload[i] === MAGIC_BYTES[0] && payload[i + 1] === MAGIC_BYTES[1] && payload[i + 2] === MAGIC_BYTES[2] && payload[i + 3] === MAGIC_BYTES[3]) {
      frames.push({ cflag: from === 0 ? 1 : 2, start: from, end: i });
      from = i + 4;
    }
  }
  frames.push({ cflag: from === 0 ? 0 : 3, start: from, end: payload.length });
  return frames;
}

/** The bytes dmlc-core's RecordIOWriter::WriteRecord appends for one record. */
export function encodeRecord(payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_PART)
    throw new TopofrRangeError('ERR_TOPOFR_TOO_LARGE', `RecordIO: a record must be shorter than 2^29 bytes, got ${payload.length}`);
  const frames = framesOf(payload);
  const size = frames.reduce((total, f) => total + FRAME_HEADER + (f.end - f.start), 0);
  const out = new Uint8Array(pad4(size));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const f of frames) {
    view.setUint32(at, RECORDIO_MAGIC, true);
    view.setUint32(at + 4, ((f.cflag << 29) | (f.end - f.start)) >>> 0, true);
    out.set(payload.subarray(f.start, f.end), at + FRAME_HEADER);
    at += FRAME_HEADER + f.end - f.start;
  }
  return out;
}

/** Appends records to a file descriptor (opened for writing at its start) and keeps each record's offset. */
export class RecordIOWriter {
  private position = 0;

  constructor(private readonly fd: number) {}

  /** Writes one record; returns the offset of its first frame (the `.idx` value). */
  write(payload: Uint8Array): number {
    const offset = this.position;
    const bytes = encodeRecord(payload);
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, this.position + done);
    this.position += bytes.length;
    return offset;
  }

  get bytesWritten(): number {
    return this.position;
  }
}

/** A .rec file opened for positioned reads. */
export class RecordIOFile {
  readonly size: number;
  private fd: number;
  private readonly header = new Uint8Array(FRAME_HEADER);
  private readonly headerView = new DataView(this.header.buffer);

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
    } catch (err) {
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${path}: cannot open (${(err as Error).message})`);
    }
    this.size = fstatSync(this.fd).size;
  }

  /** The record whose first frame is at `offset`, its parts joined with the magic between them.
   *  `maxBytes` stops once that many payload bytes are in (enough for a header), without reading on. */
  read(offset: number, maxBytes = Infinity): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    let at = offset;
    for (let frame = 0; ; frame++) {
      const where = `record at offset ${offset}${frame > 0 ? ` (part ${frame + 1} at ${at})` : ''}`;
      if (at + FRAME_HEADER > this.size)
        throw parse(this.path, where, `truncated: the frame header needs bytes ${at}…${at + FRAME_HEADER - 1}, the file has ${this.size}`);
      this.readFully(this.header, at);
      const magic = this.headerView.getUint32(0, true);
      if (magic !== RECORDIO_MAGIC)
        throw parse(this.path, where, `bad magic 0x${magic.toString(16).padStart(8, '0')} (expected 0x${RECORDIO_MAGIC.toString(16)}); is the .idx for this .rec?`);
      const lrec = this.headerView.getUint32(4, true);
      const cflag = lrec >>> 29;
      const length = lrec & MAX_PART;
      if (frame === 0 ? cflag !== 0 && cflag !== 1 : cflag !== 2 && cflag !== 3)
        throw parse(this.path, where, frame === 0 ? `starts with a continuation frame (cflag ${cflag})` : `expected a continuation frame, got cflag ${cflag}`);
      if (at + FRAME_HEADER + length > this.size)
        throw parse(this.path, where, `truncated: ${length} payload bytes from ${at + FRAME_HEADER}, the file has ${this.size}`);
      const part = new Uint8Array(Math.max(0, Math.min(length, maxBytes - total)));
      this.readFully(part, at + FRAME_HEADER);
      parts.push(part);
      total += part.length;
      if (cflag === 0 || cflag === 3 || total >= maxBytes) break;
      parts.push(Uint8Array.from(MAGIC_BYTES));
      total += 4;
      at += FRAME_HEADER + pad4(length);
    }
    return parts.length === 1 ? parts[0]! : concat(parts, Math.min(total, maxBytes));
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private readFully(into: Uint8Array, position: number): void {
    let done = 0;
    while (done < into.length) {
      const n = readSync(this.fd, into, done, into.length - done, position + done);
      if (n === 0) throw parse(this.path, `offset ${position}`, 'unexpected end of file');
      done += n;
    }
  }
}

export interface IRHeader {
  flag: number;
  /** The scalar label (0 when `labels` are given). */
  label: number;
  /** The `flag` float32 labels that follow the header when flag > 0. */
  labels?: Float32Array;
  id: bigint;
  id2: bigint;
}

/** mxnet.recordio.pack: IRHeader + (labels) + bytes. A label array sets flag to its length. */
export function packRecord(header: { label: number | ArrayLike<number>; id?: number | bigint; id2?: number | bigint; flag?: number },
  bytes: Uint8Array = new Uint8Array(0)): Uint8Array {
  const labels = typeof header.label === 'number' ? undefined : Float32Array.from(header.label);
  const flag = labels ? labels.length : 0;
  const out = new Uint8Array(IR_HEADER_SIZE + 4 * flag + bytes.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, flag, true);
  view.setFloat32(4, labels ? 0 : (header.label as number), true);
  view.setBigUint64(8, BigInt(header.id ?? 0), true);
  view.setBigUint64(16, BigInt(header.id2 ?? 0), true);
  if (labels) out.set(new Uint8Array(labels.buffer), IR_HEADER_SIZE);
  out.set(bytes, IR_HEADER_SIZE + 4 * flag);
  return out;
}

/** mxnet.recordio.unpack: the header and the bytes after it (a view of `record`). */
export function unpackRecord(record: Uint8Array, file: string, offset: number): { header: IRHeader; bytes: Uint8Array } {
  if (record.length < IR_HEADER_SIZE)
    throw parse(file, `record at offset ${offset}`, `${record.length} bytes, shorter than the 24-byte IRHeader`);
  const view = new DataView(record.buffer, record.byteOffset, record.length);
  const flag = view.getUint32(0, true);
  const header: IRHeader = { flag, label: view.getFloat32(4, true), id: view.getBigUint64(8, true), id2: view.getBigUint64(16, true) };
  let start = IR_HEADER_SIZE;
  if (flag > 0) {
    if (IR_HEADER_SIZE + 4 * flag > record.length)
      throw parse(file, `record at offset ${offset}`, `IRHeader flag ${flag} announces ${flag} labels, but only ${record.length - IR_HEADER_SIZE} bytes follow the header`);
    header.labels = new Float32Array(flag);
    for (let k = 0; k < flag; k++) header.labels[k] = view.getFloat32(IR_HEADER_SIZE + 4 * k, true);
    start += 4 * flag;
  }
  return { header, bytes: record.subarray(start) };
}

/** The bytes needed to read a header with `flag` labels (for partial reads). */
export const headerBytes = (flag: number): number => IR_HEADER_SIZE + 4 * flag;

export interface RecordIndex {
  /** Keys in file order (mxnet's `MXIndexedRecordIO.keys`). */
  keys: Float64Array;
  /** Offset of each key's record, in file order. */
  offsets: Float64Array;
  /** 1-based line of each entry, for messages. */
  lines: Int32Array;
}

/** Parses a .idx (`key\toffset` per line, as mxnet writes it; blank lines are skipped). Keys must be
 *  unique integers. Works on the bytes: MS1MV2's .idx has 5.8 M lines. */
export function parseIndex(bytes: Uint8Array, file: string): RecordIndex {
  let capacity = 1;
  for (let k = 0; k < bytes.length; k++) if (bytes[k] === 0x0a) capacity++;
  const keys = new Float64Array(capacity);
  const offsets = new Float64Array(capacity);
  const lines = new Int32Array(capacity);
  let count = 0;
  let line = 0;
  for (let start = 0; start < bytes.length;) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    line++;
    const entry = new TextDecoder().decode(bytes.subarray(start, end)).trim();
    start = end + 1;
    if (entry === '') continue;
    const match = /^(-?\d+)\s+(\d+)$/.exec(entry);
    const key = match ? Number(match[1]) : NaN;
    const offset = match ? Number(match[2]) : NaN;
    if (!Number.isSafeInteger(key) || !Number.isSafeInteger(offset))
      throw parse(file, `line ${line}`, `expected "key<TAB>offset" with integers, got ${JSON.stringify(entry.slice(0, 80))}`);
    keys[count] = key;
    offsets[count] = offset;
    lines[count++] = line;
  }
  const sorted = keys.slice(0, count).sort();
  for (let k = 1; k < count; k++) {
    if (sorted[k] === sorted[k - 1]) {
      const twice = keys.subarray(0, count).lastIndexOf(sorted[k]!);
      throw parse(file, `line ${lines[twice]}`, `key ${sorted[k]} appears twice`);
    }
  }
  return { keys: keys.slice(0, count), offsets: offsets.slice(0, count), lines: lines.slice(0, count) };
}

/** The `.idx` text for keys and offsets. */
export function formatIndex(keys: ArrayLike<number>, offsets: ArrayLike<number>): string {
  let text = '';
  for (let k = 0; k < keys.length; k++) text += `${keys[k]}\t${offsets[k]}\n`;
  return text;
}
