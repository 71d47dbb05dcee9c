import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRipserInput, type RipserFormat, type RipserInput } from '../src/io/ripser-input.js';
import type { LowerDistanceMatrix } from '../src/types.js';
import { mulberry32 } from '../src/util/random.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'ripser');
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function matrixOf(input: RipserInput): LowerDistanceMatrix {
  if (input.kind !== 'lower') throw new Error(`expected a lower triangle, got ${input.kind}`);
  return input.matrix;
}
const parseMatrix = (bytes: Uint8Array, format: RipserFormat, name = 'm.txt'): LowerDistanceMatrix =>
  matrixOf(parseRipserInput(bytes, format, name));
/** d(i, j) from Ripser's compressed lower triangle. */
const at = ({ lower }: LowerDistanceMatrix, i: number, j: number): number =>
  i === j ? 0 : lower[i > j ? (i * (i - 1)) / 2 + j : (j * (j - 1)) / 2 + i];
const parseError = (source: string, format: RipserFormat, name = 'f.txt'): string => {
  try {
    parseRipserInput(text(source), format, name);
  } catch (err) {
    expect((err as { code?: string }).code).toBe('ERR_TOPOFR_PARSE');
    return (err as Error).message;
  }
  throw new Error('expected a parse error');
};

/** random16 (16 points) as a full matrix, from its lower triangle read independently here. */
function random16(): { n: number; full: number[][]; lower: number[] } {
  const lower = fixture('random16.lower_distance_matrix').toString().split(/[\s,]+/).filter(Boolean).map(Number);
  const n = 16;
  const full = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let k = 0;
  for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) full[i][j] = full[j][i] = lower[k++];
  return { n, full, lower };
}

/** The reader's triangle is exactly the full matrix's strict lower triangle, row by row. */
function expectMatrix(matrix: LowerDistanceMatrix, full: number[][]): void {
  expect(matrix.n).toBe(full.length);
  expect(Array.from(matrix.lower)).toEqual(full.flatMap((row, i) => row.slice(0, i)).map(Math.fround));
}

describe('dense formats', () => {
  const { n, full, lower } = random16();
  const tmp = mkdtempSync(join(tmpdir(), 'topofr-input-'));

  it('lower-distance reads a lower triangle, separators comma and blanks', () => {
    expectMatrix(parseMatrix(fixture('random16.lower_distance_matrix'), 'lower-distance'), full);
  });

  it('upper-distance, distance and lower-distance give the same matrix for the same data', () => {
    expectMatrix(parseMatrix(fixture('random16.upper_distance_matrix'), 'upper-distance'), full);
    const fullText = full.map((row) => row.join('\t')).join('\r\n') + '\r\n';
    expectMatrix(parseMatrix(text(fullText), 'distance'), full);
    // A lower triangle whose first line (row 0) is empty is also a valid "distance" file.
    const triangleText = full.map((row, i) => row.slice(0, i).join(',')).join('\n') + '\n\n\n';
    expectMatrix(parseMatrix(text(triangleText), 'distance'), full);
    expectMatrix(parseMatrix(text(triangleText), 'lower-distance'), full);
  });

  it('projective_plane: the CSV full matrix and the lower-distance file agree', () => {
    const fromCsv = parseMatrix(fixture('projective_plane.csv'), 'distance');
    const fromLower = parseMatrix(fixture('projective_plane.lower_distance_matrix'), 'lower-distance');
    expect(fromCsv.n).toBe(13);
    expect(fromCsv.lower).toEqual(fromLower.lower);
  });

  it('binary: little-endian float32 lower triangle round trip', () => {
    const path = join(tmp, 'random16.bin');
    const bytes = Buffer.alloc(lower.length * 4);
    lower.forEach((d, k) => bytes.writeFloatLE(d, 4 * k));
    writeFileSync(path, bytes);
    const input = parseRipserInput(readFileSync(path), 'binary', path);
    expect(input).toMatchObject({ kind: 'lower', readerAppendsZero: true });
    expectMatrix(matrixOf(input), full);
  });

  it('dipha: magic, type 7, n, n×n float64 round trip', () => {
    const path = join(tmp, 'random16.dipha');
    const bytes = Buffer.alloc(24 + n * n * 8);
    bytes.writeBigInt64LE(8067171840n, 0);
    bytes.writeBigInt64LE(7n, 8);
    bytes.writeBigInt64LE(BigInt(n), 16);
    full.flat().forEach((d, k) => bytes.writeDoubleLE(d, 24 + 8 * k));
    writeFileSync(path, bytes);
    expectMatrix(parseMatrix(readFileSync(path), 'dipha', path), full);
  });
});

describe('numbers', () => {
  it('reads every notation C++ reads, rounded to float32 as strtof would', () => {
    const tokens = ['0', '-0.5', '+.25', '5.', '1e3', '1E-3', '-2.5e+2', '0.000123456', '123456789012345678',
      '-0.19079574069541477', '3.4028234e38', '1.17549435e-38', '0.1', '0.30000000000000004', '007'];
    const matrix = parseMatrix(text(tokens.join(' ')), 'upper-distance');
    // 15 values: the upper triangle of a 6×6 matrix, row 0 first.
    const upper: number[] = [];
    for (let i = 0; i < 6; i++) for (let j = i + 1; j < 6; j++) upper.push(at(matrix, i, j));
    expect(upper).toEqual(tokens.map((t) => Math.fround(Number(t))));
  });

  it('agrees with Number() on many random decimals (fast and slow paths)', () => {
    const random = mulberry32(42);
    const tokens: string[] = [];
    for (let k = 0; k < 3000; k++) {
      const digits = 1 + (k % 20);
      let mantissa = '';
      for (let d = 0; d < digits; d++) mantissa += Math.floor(random() * 10);
      const point = k % digits;
      tokens.push(`${k % 3 === 0 ? '-' : ''}${mantissa.slice(0, point)}.${mantissa.slice(point)}e${(k % 41) - 20}`);
    }
    const count = 2926; // 77·76/2: a triangle of 77 points
    const matrix = parseMatrix(text(tokens.slice(0, count).join('\n')), 'lower-distance');
    expect(Array.from(matrix.lower)).toEqual(tokens.slice(0, count).map((t) => Math.fround(Number(t))));
  });
});

describe('point clouds', () => {
  it('accepts comma, space and tab separators, CRLF and blank lines', () => {
    const input = parseRipserInput(text('1,2,3\r\n\n4 5 6\n7\t8,\t9,\n'), 'point-cloud', 'p.txt');
    expect(input.kind).toBe('points');
    if (input.kind !== 'points') return;
    expect(input.cloud.n).toBe(3);
    expect(input.cloud.dim).toBe(3);
    expect(Array.from(input.cloud.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('reads o3_1024: 1024 points in dimension 9', () => {
    const input = parseRipserInput(fixture('o3_1024.txt'), 'point-cloud', 'o3_1024.txt');
    expect(input.kind === 'points' && [input.cloud.n, input.cloud.dim]).toEqual([1024, 9]);
  });
});

describe('sparse triplets', () => {
  it('an edge list in file order, repeated pairs kept, the diagonal skipped (n from the rest)', () => {
    const input = parseRipserInput(text('0 1 2\n1 2 3\n\n3 4 1\n1 0 1.5\n2 2 7\n5 5 1\n'), 'sparse', 's.txt');
    if (input.kind !== 'sparse') throw new Error(`expected sparse, got ${input.kind}`);
    const { n, i, j, d } = input.sparse;
    expect(n).toBe(5);
    expect([Array.from(i), Array.from(j), Array.from(d)]).toEqual([[0, 1, 3, 1], [1, 2, 4, 0], [2, 3, 1, 1.5]]);
    expect([i, j, d].map((a) => a.constructor.name)).toEqual(['Int32Array', 'Int32Array', 'Float32Array']);
  });
});

describe('errors name the file and the line', () => {
  it('a word where a number belongs', () => {
    expect(parseError('1 2\n3 abc\n', 'lower-distance', 'o3.txt')).toBe("o3.txt:2: expected a number, found 'abc'");
    expect(parseError('1,2\n\n3,4x\n', 'point-cloud')).toBe("f.txt:3: expected a number, found '4x'");
    expect(parseError('1,,2', 'lower-distance')).toBe("f.txt:1: expected a number, found ',2'");
    expect(parseError('1 2 1e39', 'lower-distance')).toBe("f.txt:1: '1e39' is outside the float32 range");
  });

  it('ragged point clouds', () => {
    const rows = ['1,2,3,4,5,6,7,8,9', '1,2,3,4,5,6,7,8,9', '', '1,2,3,4,5,6,7,8,9', '1,2,3'];
    expect(parseError(rows.join('\n'), 'point-cloud')).toBe('f.txt:5: line 5 has 3 coordinates, line 1 has 9');
  });

  it('a lower/upper triangle whose entry count is not triangular', () => {
    expect(parseError('1 2 3 4', 'lower-distance')).toBe(
      'f.txt: 4 distances, but a triangular distance matrix of n points has n(n-1)/2 (3 for 3 points, 6 for 4)',
    );
    expect(parseError('1 2 3 4 5 6 7', 'upper-distance')).toMatch(/^f\.txt: 7 distances, .*\(6 for 4 points, 10 for 5\)$/);
  });

  it('distance matrix rows', () => {
    expect(parseError('0\n1\n2\n', 'distance')).toBe(
      'f.txt:3: row 2 of a distance matrix needs at least 2 values (those left of the diagonal), found 1',
    );
    expect(parseError('\n1\n\n2 3 4\n', 'distance')).toBe('f.txt:3: blank line inside the distance matrix (row 2 has no values)');
  });

  it('sparse lines', () => {
    expect(parseError('0 1 2\n0 1\n', 'sparse')).toBe("f.txt:2: expected 'i j distance', found 2 values");
    expect(parseError('0 1.5 2\n', 'sparse')).toBe('f.txt:1: vertex index 1.5 is not a non-negative integer');
    expect(parseError('0 -1 2\n', 'sparse')).toBe('f.txt:1: vertex index -1 is not a non-negative integer');
    expect(parseError('0 1 2\n0 3000000000 2\n', 'sparse')).toBe('f.txt:2: vertex index 3000000000 is too large (at most 2147483646)');
  });

  it('empty input', () => {
    expect(parseError('\n  \n', 'lower-distance')).toBe('f.txt: no values found (empty input)');
    expect(parseError('', 'point-cloud')).toBe('f.txt: no values found (empty input)');
  });

  it('binary files whose size does not fit', () => {
    const err = (bytes: Uint8Array, format: RipserFormat) => () => parseRipserInput(bytes, format, 'b.bin');
    expect(err(new Uint8Array(10), 'binary')).toThrow('b.bin: 10 bytes is not a whole number of float32 values');
    expect(err(new Uint8Array(16), 'binary')).toThrow('b.bin: 4 float32 values, but a triangular distance matrix');
    const header = (magic: bigint, type: bigint, n: bigint, extra: number) => {
      const b = Buffer.alloc(24 + extra);
      b.writeBigInt64LE(magic, 0);
      b.writeBigInt64LE(type, 8);
      b.writeBigInt64LE(n, 16);
      return b;
    };
    expect(err(new Uint8Array(8), 'dipha')).toThrow('b.bin: 8 bytes is too short for a DIPHA header (24 bytes)');
    expect(err(header(1n, 7n, 2n, 32), 'dipha')).toThrow('b.bin: not a DIPHA file (magic number 1, expected 8067171840)');
    expect(err(header(8067171840n, 2n, 2n, 32), 'dipha')).toThrow('b.bin: not a DIPHA distance matrix (file type 2, expected 7)');
    expect(err(header(8067171840n, 7n, 3n, 32), 'dipha')).toThrow('b.bin: a DIPHA distance matrix of 3 points has 96 bytes, this file has 56');
  });
});
