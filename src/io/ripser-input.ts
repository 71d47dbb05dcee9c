// Readers for Ripser 1.2.1's seven input formats. Every valid Ripser file reads as Ripser reads
// it; where Ripser would silently stop reading or misalign (a stray word, a ragged row), we stop
// with an error that names the file and the line. Numbers are scanned straight from the bytes:
// inputs reach hundreds of MB, and a split/regex per number costs more than the whole H0.
// Dense formats become Ripser's own compressed lower triangle (n(n−1)/2 values, never an n×n
// matrix), sparse files an edge list: the shapes the Rips engine takes as they are.
import { TopofrError } from '../errors.js';
import { printable } from '../util/printable.js';
import type { LowerDistanceMatrix, PointCloud, SparseDistances } from '../types.js';

export const RIPSER_FORMATS = [
  'lower-distance',
  'upper-distance',
  'distance',
  'point-cloud',
  'dipha',
  'sparse',
  'binary',
] as const;
export type RipserFormat = (typeof RIPSER_FORMATS)[number];

export type RipserInput =
  | { kind: 'points'; cloud: PointCloud }
  | {
      kind: 'lower';
      matrix: LowerDistanceMatrix;
      /** binary only: Ripser's reader appends one 0 after the last value (it tests for end of
       *  file only after a read has failed), and that 0 shows in its "value range" header. */
      readerAppendsZero?: boolean;
    }
  /** Every line with i ≠ j, in file order (repeated pairs included: Ripser counts them). */
  | { kind: 'sparse'; sparse: SparseDistances };

const parseError = (message: string): TopofrError => new TopofrError('ERR_TOPOFR_PARSE', message);

/** Vertex indices are int32 in the engine. */
const MAX_VERTICES = 2 ** 31 - 1;

// ---------------------------------------------------------------------------------------------
// The number scanner

const NUMBER = 0;
const LINE_END = 1;
const INPUT_END = 2;
type Token = typeof NUMBER | typeof LINE_END | typeof INPUT_END;

const LF = 10, CR = 13, SPACE = 32, TAB = 9, VT = 11, FF = 12, COMMA = 44;
const PLUS = 43, MINUS = 45, DOT = 46, ZERO = 48, NINE = 57, LOWER_E = 101, UPPER_E = 69;
const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;
const isBlank = (c: number): boolean => c === SPACE || c === TAB || c === CR || c === VT || c === FF;

/** Powers of ten that are exact doubles: m·10^k and m/10^k with m < 2^53 then round once. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
const MAX_FAST_DIGITS = 15;

/**
 * Reads the numbers of a text file one token at a time: a number (in `value`), the end of a line,
 * or the end of the input. Separators are blanks and commas; like Ripser, which skips one
 * character after each number, a comma may only follow a number ("1,2," but not "1,,2").
 */
class NumberScanner {
  value = 0;
  line = 1;
  private pos = 0;
  private afterNumber = false;

  constructor(
    private readonly bytes: Uint8Array,
    readonly name: string,
  ) {}

  next(): Token {
    const bytes = this.bytes;
    for (;;) {
      while (this.pos < bytes.length && isBlank(bytes[this.pos])) this.pos++;
      if (this.pos >= bytes.length) return INPUT_END;
      const c = bytes[this.pos];
      if (c === LF) {
        this.pos++;
        this.line++;
        this.afterNumber = false;
        return LINE_END;
      }
      if (c === COMMA && this.afterNumber) {
        this.pos++;
        this.afterNumber = false;
        continue;
      }
      this.value = this.readNumber();
      this.afterNumber = true;
      return NUMBER;
    }
  }

  /** An error at the current line: "file:17: message". */
  error(message: string): TopofrError {
    return parseError(`${this.name}:${this.line}: ${message}`);
  }

  private readNumber(): number {
    const bytes = this.bytes;
    const start = this.pos;
    let p = start;
    if (bytes[p] === PLUS || bytes[p] === MINUS) p++;
    let mantissa = 0;
    let significantDigits = 0;
    let decimalExponent = 0;
    let anyDigit = false;
    for (; p < bytes.length && isDigit(bytes[p]); p++) {
      anyDigit = true;
      if (significantDigits > 0 || bytes[p] !== ZERO) significantDigits++;
      mantissa = mantissa * 10 + (bytes[p] - ZERO);
    }
    if (p < bytes.length && bytes[p] === DOT) {
      for (p++; p < bytes.length && isDigit(bytes[p]); p++) {
        anyDigit = true;
        if (significantDigits > 0 || bytes[p] !== ZERO) significantDigits++;
        mantissa = mantissa * 10 + (bytes[p] - ZERO);
        decimalExponent--;
      }
    }
    if (anyDigit && p < bytes.length && (bytes[p] === LOWER_E || bytes[p] === UPPER_E)) {
      let q = p + 1;
      const negative = bytes[q] === MINUS;
      if (bytes[q] === PLUS || bytes[q] === MINUS) q++;
      if (q < bytes.length && isDigit(bytes[q])) {
        let exponent = 0;
        for (; q < bytes.length && isDigit(bytes[q]); q++) exponent = Math.min(exponent * 10 + (bytes[q] - ZERO), 1e6);
        decimalExponent += negative ? -exponent : exponent;
        p = q;
      }
    }
    const end = p;
    if (!anyDigit || (end < bytes.length && !isBlank(bytes[end]) && bytes[end] !== LF && bytes[end] !== COMMA)) {
      throw this.error(`expected a number, found '${this.tokenAt(start)}'`);
    }
    this.pos = end;

    let value: number;
    if (significantDigits <= MAX_FAST_DIGITS && Math.abs(decimalExponent) < EXACT_POWERS_OF_TEN.length) {
      const scaled = decimalExponent >= 0 ? mantissa * EXACT_POWERS_OF_TEN[decimalExponent] : mantissa / EXACT_POWERS_OF_TEN[-decimalExponent];
      value = bytes[start] === MINUS ? -scaled : scaled;
    } else {
      // Long mantissas ("-0.19079574069541477"): let the engine's correctly rounded parser do it.
      value = Number(latin1(bytes, start, end));
    }
    if (!Number.isFinite(Math.fround(value))) {
      throw this.error(`'${printable(latin1(bytes, start, end))}' is outside the float32 range`);
    }
    return value;
  }

  /** The offending word, for error messages: shortened if long, control bytes escaped. */
  private tokenAt(start: number): string {
    let end = start;
    while (end < this.bytes.length && end - start < 40 && !isBlank(this.bytes[end]) && this.bytes[end] !== LF) end++;
    return printable(latin1(this.bytes, start, end));
  }
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/** A typed array that grows as values arrive (the count is unknown until the end). */
class Builder<T extends Float32Array | Int32Array> {
  private data: T;
  length = 0;

  constructor(private readonly make: (length: number) => T) {
    this.data = make(1024);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = this.make(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  finish(): T {
    return this.data.slice(0, this.length) as T;
  }
}

const float32Builder = (): Builder<Float32Array> => new Builder((length) => new Float32Array(length));
const int32Builder = (): Builder<Int32Array> => new Builder((length) => new Int32Array(length));

// ---------------------------------------------------------------------------------------------
// Shapes

/** n for a triangle of k = n(n−1)/2 entries, or an error saying which counts would fit. */
function pointsForTriangle(entries: number, name: string, what: string): number {
  const n = Math.round((1 + Math.sqrt(1 + 8 * entries)) / 2);
  if ((n * (n - 1)) / 2 === entries) return n;
  const below = Math.floor((1 + Math.sqrt(1 + 8 * entries)) / 2);
  throw parseError(
    `${name}: ${entries} ${what}, but a triangular distance matrix of n points has n(n-1)/2 ` +
      `(${(below * (below - 1)) / 2} for ${below} points, ${((below + 1) * below) / 2} for ${below + 1})`,
  );
}

/** Ripser's lower triangle from the strict upper one, row by row: (0,1), (0,2), …, (1,2), …;
 *  (i, j) with i < j lands at j(j−1)/2 + i. */
function lowerFromUpper(upper: Float32Array, n: number): LowerDistanceMatrix {
  const lower = new Float32Array(upper.length);
  let k = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) lower[(j * (j - 1)) / 2 + i] = upper[k++];
  return { lower, n };
}

function requireData(count: number, name: string): void {
  if (count === 0) throw parseError(`${name}: no values found (empty input)`);
}

// ---------------------------------------------------------------------------------------------
// The formats

function readAllNumbers(bytes: Uint8Array, name: string): Float32Array {
  const scanner = new NumberScanner(bytes, name);
  const values = float32Builder();
  for (let token = scanner.next(); token !== INPUT_END; token = scanner.next()) {
    if (token === NUMBER) values.push(scanner.value);
  }
  return values.finish();
}

function readLowerDistance(bytes: Uint8Array, name: string): LowerDistanceMatrix {
  const lower = readAllNumbers(bytes, name);
  requireData(lower.length, name);
  return { lower, n: pointsForTriangle(lower.length, name, 'distances') };
}

function readUpperDistance(bytes: Uint8Array, name: string): LowerDistanceMatrix {
  const upper = readAllNumbers(bytes, name);
  requireData(upper.length, name);
  return lowerFromUpper(upper, pointsForTriangle(upper.length, name, 'distances'));
}

/**
 * Ripser's "distance" format: line i (0-based, blank lines included) is row i, of which only the
 * first i values (left of the diagonal) are read. So a full matrix and a lower triangle whose
 * first line is empty both work. Trailing blank lines are not rows.
 */
function readFullDistance(bytes: Uint8Array, name: string): LowerDistanceMatrix {
  const scanner = new NumberScanner(bytes, name);
  const lower = float32Builder();
  let row = 0;
  let inRow = 0;
  // A blank row after row 0 is fine only if nothing but blank lines follows it.
  let blankRowLine = 0;
  let rowsBeforeBlank = 0;
  for (let token = scanner.next(); ; token = scanner.next()) {
    if (token === NUMBER) {
      if (inRow < row) lower.push(scanner.value);
      inRow++;
      continue;
    }
    if (token === INPUT_END && inRow === 0) break; // the file ended with a newline (or is empty)
    const lineNumber = token === LINE_END ? scanner.line - 1 : scanner.line;
    if (inRow > 0 && blankRowLine > 0) {
      throw parseError(`${name}:${blankRowLine}: blank line inside the distance matrix (row ${rowsBeforeBlank} has no values)`);
    }
    if (inRow === 0 && row > 0) {
      if (blankRowLine === 0) [blankRowLine, rowsBeforeBlank] = [lineNumber, row];
    } else if (inRow < row) {
      throw parseError(
        `${name}:${lineNumber}: row ${row} of a distance matrix needs at least ${row} values ` +
          `(those left of the diagonal), found ${inRow}`,
      );
    }
    row++;
    inRow = 0;
    if (token === INPUT_END) break;
  }
  const n = blankRowLine > 0 ? rowsBeforeBlank : row;
  requireData(n, name);
  return { lower: lower.finish(), n };
}

function readPointCloud(bytes: Uint8Array, name: string): PointCloud {
  const scanner = new NumberScanner(bytes, name);
  const coordinates = float32Builder();
  let dim = 0;
  let firstLine = 0;
  let n = 0;
  let inLine = 0;
  for (let token = scanner.next(); ; token = scanner.next()) {
    if (token === NUMBER) {
      coordinates.push(scanner.value);
      inLine++;
      continue;
    }
    if (inLine > 0) {
      const lineNumber = token === LINE_END ? scanner.line - 1 : scanner.line;
      if (n === 0) {
        dim = inLine;
        firstLine = lineNumber;
      } else if (inLine !== dim) {
        throw parseError(`${name}:${lineNumber}: line ${lineNumber} has ${inLine} coordinates, line ${firstLine} has ${dim}`);
      }
      n++;
      inLine = 0;
    }
    if (token === INPUT_END) break;
  }
  requireData(n, name);
  return { data: coordinates.finish(), n, dim };
}

/** Ripser's sparse triplets "i j d" (0-based). Pairs not listed are no edge; a pair listed twice
 *  is kept twice (the engine keeps the smaller distance, the one that matters for every class). */
function readSparse(bytes: Uint8Array, name: string): SparseDistances {
  const scanner = new NumberScanner(bytes, name);
  const rows = int32Builder();
  const columns = int32Builder();
  const distances = float32Builder();
  const triple = [0, 0, 0];
  let inLine = 0;
  let n = 0;
  for (let token = scanner.next(); ; token = scanner.next()) {
    if (token === NUMBER) {
      if (inLine < 3) triple[inLine] = scanner.value;
      inLine++;
      continue;
    }
    if (inLine > 0) {
      const lineNumber = token === LINE_END ? scanner.line - 1 : scanner.line;
      if (inLine !== 3) throw parseError(`${name}:${lineNumber}: expected 'i j distance', found ${inLine} values`);
      const [i, j, d] = triple;
      for (const index of [i, j]) {
        if (!Number.isInteger(index) || index < 0) {
          throw parseError(`${name}:${lineNumber}: vertex index ${index} is not a non-negative integer`);
        }
        if (index >= MAX_VERTICES) throw parseError(`${name}:${lineNumber}: vertex index ${index} is too large (at most ${MAX_VERTICES - 1})`);
      }
      if (i !== j) {
        // Ripser skips the diagonal and sizes the matrix from the off-diagonal entries only.
        rows.push(i);
        columns.push(j);
        distances.push(d);
        n = Math.max(n, i + 1, j + 1);
      }
      inLine = 0;
    }
    if (token === INPUT_END) break;
  }
  requireData(rows.length, name);
  return { n, i: rows.finish(), j: columns.finish(), d: distances.finish() };
}

/** Little-endian float32 lower triangle, no header. */
function readBinary(bytes: Uint8Array, name: string): LowerDistanceMatrix {
  if (bytes.byteLength % 4 !== 0) {
    throw parseError(`${name}: ${bytes.byteLength} bytes is not a whole number of float32 values`);
  }
  const count = bytes.byteLength / 4;
  requireData(count, name);
  const n = pointsForTriangle(count, name, 'float32 values');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lower = new Float32Array(count);
  for (let k = 0; k < count; k++) lower[k] = view.getFloat32(4 * k, true);
  return { lower, n };
}

const DIPHA_MAGIC = 8067171840n;
const DIPHA_DISTANCE_MATRIX = 7n;
const DIPHA_HEADER_BYTES = 24;

/** DIPHA: int64 magic, int64 file type 7, int64 n, then n×n float64, little-endian. Like Ripser
 *  we read the lower triangle. */
function readDipha(bytes: Uint8Array, name: string): LowerDistanceMatrix {
  if (bytes.byteLength < DIPHA_HEADER_BYTES) {
    throw parseError(`${name}: ${bytes.byteLength} bytes is too short for a DIPHA header (24 bytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getBigInt64(0, true);
  if (magic !== DIPHA_MAGIC) throw parseError(`${name}: not a DIPHA file (magic number ${magic}, expected ${DIPHA_MAGIC})`);
  const type = view.getBigInt64(8, true);
  if (type !== DIPHA_DISTANCE_MATRIX) {
    throw parseError(`${name}: not a DIPHA distance matrix (file type ${type}, expected ${DIPHA_DISTANCE_MATRIX})`);
  }
  const declared = view.getBigInt64(16, true);
  const expectedBytes = BigInt(DIPHA_HEADER_BYTES) + declared * declared * 8n;
  if (declared <= 0n || expectedBytes !== BigInt(bytes.byteLength)) {
    throw parseError(`${name}: a DIPHA distance matrix of ${declared} points has ${expectedBytes} bytes, this file has ${bytes.byteLength}`);
  }
  const n = Number(declared);
  const lower = new Float32Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) lower[k++] = view.getFloat64(DIPHA_HEADER_BYTES + 8 * (i * n + j), true);
  return { lower, n };
}

/** Reads `bytes` (a file's content) in a Ripser format; `name` labels error messages. */
export function parseRipserInput(bytes: Uint8Array, format: RipserFormat, fileName: string): RipserInput {
  const name = printable(fileName);
  switch (format) {
    case 'lower-distance':
      return { kind: 'lower', matrix: readLowerDistance(bytes, name) };
    case 'upper-distance':
      return { kind: 'lower', matrix: readUpperDistance(bytes, name) };
    case 'distance':
      return { kind: 'lower', matrix: readFullDistance(bytes, name) };
    case 'point-cloud':
      return { kind: 'points', cloud: readPointCloud(bytes, name) };
    case 'dipha':
      return { kind: 'lower', matrix: readDipha(bytes, name) };
    case 'sparse':
      return { kind: 'sparse', sparse: readSparse(bytes, name) };
    case 'binary':
      return { kind: 'lower', matrix: readBinary(bytes, name), readerAppendsZero: true };
  }
}
