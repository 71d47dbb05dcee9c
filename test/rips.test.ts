// ripsPersistence against Ripser 1.2.1's own barcodes, against brute force on hundreds of tiny
// inputs, and against itself (thread counts, sync/async); critical edges checked everywhere.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pairwiseDistances, ripsPersistence, ripsPersistenceSync, TopofrRangeError, type RipsOptions } from '../src/index.js';
import type { Barcode, LowerDistanceMatrix, PointCloud, RipsInput, SparseDistances } from '../src/types.js';
import { parseRipserInput, type RipserFormat } from '../src/io/ripser-input.js';
import { intervalLine, ripserIntervals } from '../src/io/ripser-output.js';
import { native } from '../src/native.js';
import { randomPoints, rng } from './support/oracle.js';
import { intervalMultiset, ripserSections, ripsOracle, type OracleInterval } from './support/rips-oracle.js';
import { FIXTURES, readLowerDistance, readPointCloud } from './support/ripser-fixtures.js';

/** d(i, j) for i ≠ j. */
type PairDistance = (i: number, j: number) => number;

const fixtureText = (file: string): string => readFileSync(`${FIXTURES}/${file}`, 'utf8');

function parseFixture(file: string, format: RipserFormat): LowerDistanceMatrix {
  const input = parseRipserInput(readFileSync(`${FIXTURES}/${file}`), format, file);
  if (input.kind !== 'lower') throw new Error(`${file}: expected a lower triangle`);
  return input.matrix;
}

/** d(i, j) as the engine must see it, read from the input itself (float32 values). For a point
 *  cloud that is pairwiseDistances' result: the engine computes its distances with the same code in
 *  the same process (one PointDistances, one GEMM kernel), so the comparisons below are exact. */
function distanceOf(input: RipsInput): PairDistance {
  if ('lower' in input) return (i, j) => (i === j ? 0 : input.lower[i > j ? (i * (i - 1)) / 2 + j : (j * (j - 1)) / 2 + i]);
  if ('i' in input) {
    // Absent pairs are no edge; a repeated pair counts with its smallest distance.
    const d = new Map<number, number>();
    for (let k = 0; k < input.d.length; k++) {
      const [u, v] = [Math.min(input.i[k], input.j[k]), Math.max(input.i[k], input.j[k])];
      if (u !== v) d.set(u * input.n + v, Math.min(d.get(u * input.n + v) ?? Infinity, input.d[k]));
    }
    return (i, j) => (i === j ? 0 : (d.get(Math.min(i, j) * input.n + Math.max(i, j)) ?? Infinity));
  }
  const matrix = 'dim' in input ? pairwiseDistances(input) : input;
  return (i, j) => matrix.data[i * matrix.n + j];
}

/** Every interval's critical edges: birth edge u < v at exactly the birth (none in dimension 0),
 *  death edge at exactly the death (none for an essential class). */
function expectCriticalEdges(barcodes: Barcode[], n: number, distance: PairDistance): void {
  for (const b of barcodes) {
    const count = b.births.length;
    expect([b.deaths.length, b.birthEdges.length / 2, b.deathEdges.length / 2]).toEqual([count, count, count]);
    for (let k = 0; k < count; k++) {
      const [bu, bv, du, dv] = [b.birthEdges[2 * k], b.birthEdges[2 * k + 1], b.deathEdges[2 * k], b.deathEdges[2 * k + 1]];
      expect(b.deaths[k]).toBeGreaterThan(b.births[k]);
      if (b.dim === 0) expect([b.births[k], bu, bv]).toEqual([0, -1, -1]);
      else {
        expect(0 <= bu && bu < bv && bv < n).toBe(true);
        expect(distance(bu, bv)).toBe(b.births[k]);
      }
      if (b.deaths[k] === Infinity) expect([du, dv]).toEqual([-1, -1]);
      else {
        expect(du !== dv && Math.min(du, dv) >= 0 && Math.max(du, dv) < n).toBe(true);
        expect(distance(du, dv)).toBe(b.deaths[k]);
      }
    }
  }
}

const intervalsOf = (b: Barcode): OracleInterval[] => Array.from(b.births, (birth, k) => ({ birth, death: b.deaths[k] }));

/** Ripser's lines of each dimension (sorted) from our barcodes. */
const printed = (barcodes: Barcode[]): string[][] =>
  barcodes.map((b) => ripserIntervals(b, 1).map((i) => intervalLine(i.birth, i.death)).sort());

describe("ripsPersistence reproduces Ripser 1.2.1's barcodes", () => {
  it('sphere_3_192, dim 2 (full and lower matrix)', async () => {
    const full = readLowerDistance('sphere_3_192.lower_distance_matrix');
    const lower = parseFixture('sphere_3_192.lower_distance_matrix', 'lower-distance');
    const want = ripserSections(fixtureText('sphere_3_192.dim2.barcode.txt')).dims;
    for (const input of [full, lower]) {
      const barcodes = await ripsPersistence(input, { maxDim: 2 });
      expect(printed(barcodes)).toEqual(want);
      expectCriticalEdges(barcodes, 192, distanceOf(input));
    }
  });

  it("o3_1024 point cloud, dim 3, threshold 1.8 (distances in Ripser's float32 arithmetic)", async () => {
    const cloud: PointCloud = readPointCloud('o3_1024.txt');
    const matrix = { lower: native().ripserEuclideanLower(cloud.data, cloud.n, cloud.dim), n: cloud.n };
    const barcodes = await ripsPersistence(matrix, { maxDim: 3, threshold: 1.8 });
    expect(printed(barcodes)).toEqual(ripserSections(fixtureText('o3_1024.dim3.thr1.8.barcode.txt')).dims);
    expectCriticalEdges(barcodes, cloud.n, distanceOf(matrix));
  });

  it('random16 read as Ripser reads it by default (distance format: 15 points), dim 7', () => {
    const matrix = parseFixture('random16.lower_distance_matrix', 'distance');
    expect(matrix.n).toBe(15);
    const barcodes = ripsPersistenceSync(matrix, { maxDim: 7 });
    expect(printed(barcodes)).toEqual(ripserSections(fixtureText('random16.dim7.barcode.txt')).dims);
    expectCriticalEdges(barcodes, 15, distanceOf(matrix));
  });

  it('projective_plane: H1 = H2 = [1,2) over Z/2, nothing over Z/3 (and Z/5)', () => {
    const matrix = parseFixture('projective_plane.lower_distance_matrix', 'lower-distance');
    const z2 = ripsPersistenceSync(matrix, { maxDim: 2, modulus: 2 });
    expect(printed(z2)).toEqual(ripserSections(fixtureText('projective_plane.dim2.barcode.txt')).dims);
    expect(printed(z2).slice(1)).toEqual([[' [1,2)'], [' [1,2)']]);
    const z3 = ripsPersistenceSync(matrix, { maxDim: 2, modulus: 3 });
    expect(printed(z3)).toEqual(ripserSections(fixtureText('projective_plane.dim2.mod3.debian-ripser-coeff.txt')).dims);
    expect(printed(z3).slice(1)).toEqual([[], []]);
    expect(printed(ripsPersistenceSync(matrix, { maxDim: 2, modulus: 5 }))).toEqual(printed(z3));
    for (const b of [...z2, ...z3]) expectCriticalEdges([b], 13, distanceOf(matrix));
  });
});

// ---------------------------------------------------------------------------------------------
// Brute force on tiny inputs

interface TinyCase {
  what: string;
  input: RipsInput;
  options: RipsOptions;
  /** The threshold the oracle applies (the engine's default made explicit). */
  threshold: number;
}

/** Ripser's default threshold for dense input: min over i of max over j of d(i, j). */
function enclosingRadius(n: number, distance: PairDistance): number {
  let radius = Infinity;
  for (let i = 0; i < n; i++) {
    let rowMax = 0;
    for (let j = 0; j < n; j++) if (j !== i) rowMax = Math.max(rowMax, distance(i, j));
    radius = Math.min(radius, rowMax);
  }
  return radius;
}

/** A seeded stream of tiny inputs of every kind, with ties, duplicates, zeros and thresholds. */
function* tinyCases(count: number, seed: number): Generator<TinyCase> {
  const random = rng(seed);
  const int = (below: number) => Math.floor(random() * below);
  for (let k = 0; k < count; k++) {
    const maxDim = int(4);
    // Simplices up to dimension maxDim + 1: keep the brute force small.
    const n = 2 + int(maxDim >= 2 ? 7 : 9);
    const modulus = [2, 3, 5][int(3)];
    const kind = ['points', 'full', 'lower', 'sparse'][k % 4];
    let input: RipsInput;
    const levels = 1 + int(5); // few distinct values: many ties; 0 included: duplicate points
    const value = () => int(levels + 1) * 0.5;
    if (kind === 'points') {
      const dim = 1 + int(4);
      const data = randomPoints(n, dim, seed * 1000 + k);
      if (n > 2 && random() < 0.3) data.copyWithin(0, dim, 2 * dim); // a duplicate point
      input = { data, n, dim };
    } else if (kind === 'sparse') {
      const edges: [number, number, number][] = [];
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (random() < 0.75) edges.push([i, j, value()]);
      if (edges.length > 0 && random() < 0.5) edges.push([edges[0][1], edges[0][0], value()]); // a repeated pair
      if (random() < 0.3) edges.push([0, 0, 7]); // the diagonal is ignored
      const sparse: SparseDistances = {
        n,
        i: Int32Array.from(edges, (e) => e[0]),
        j: Int32Array.from(edges, (e) => e[1]),
        d: Float32Array.from(edges, (e) => e[2]),
      };
      input = sparse;
    } else {
      const lower = Float32Array.from({ length: (n * (n - 1)) / 2 }, value);
      const matrix: LowerDistanceMatrix = { lower, n };
      if (kind === 'lower') input = matrix;
      else {
        const distance = distanceOf(matrix);
        input = { data: Float32Array.from({ length: n * n }, (_, a) => distance(Math.floor(a / n), a % n)), n };
      }
    }
    const explicit = random() < 0.5 ? int(levels + 2) * 0.5 : undefined;
    const defaultThreshold = kind === 'sparse' ? Infinity : enclosingRadius(n, distanceOf(input));
    yield {
      what: `#${k} ${kind} n=${n} maxDim=${maxDim} p=${modulus} threshold=${explicit ?? 'default'}`,
      input,
      options: { maxDim, modulus, ...(explicit === undefined ? {} : { threshold: explicit }) },
      threshold: explicit ?? defaultThreshold,
    };
  }
}

describe('ripsPersistence equals brute-force boundary-matrix reduction', () => {
  it('on 400 tiny inputs: point clouds, full/lower matrices with ties and zeros, sparse, Z/2, Z/3, Z/5, dims 0–3', () => {
    for (const c of tinyCases(400, 11)) {
      const barcodes = ripsPersistenceSync(c.input, c.options);
      const distance = distanceOf(c.input);
      const { n } = c.input;
      const want = ripsOracle(n, distance, { maxDim: c.options.maxDim!, threshold: c.threshold, modulus: c.options.modulus! });
      expect(barcodes.map((b) => b.dim), c.what).toEqual(want.map((_, dim) => dim));
      barcodes.forEach((b, dim) => expect(intervalMultiset(intervalsOf(b)), c.what).toEqual(intervalMultiset(want[dim])));
      expectCriticalEdges(barcodes, n, distance);
    }
  });

  it('n = 0 and n = 1', () => {
    const empty = ripsPersistenceSync({ lower: new Float32Array(0), n: 0 }, { maxDim: 2 });
    expect(empty.map((b) => b.births.length)).toEqual([0, 0, 0]);
    const one = ripsPersistenceSync({ data: new Float32Array(3), n: 1, dim: 3 }, { maxDim: 1 });
    expect(intervalsOf(one[0])).toEqual([{ birth: 0, death: Infinity }]);
    expect(one[1].births.length).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Determinism

const sameBarcodes = (a: Barcode[], b: Barcode[]) => expect(a).toEqual(b);

describe('ripsPersistence is deterministic', () => {
  it('threads 1, 2 and 4 give identical barcodes, values and edges, in order', async () => {
    const cloud = readPointCloud('o3_1024.txt');
    const sphere = parseFixture('sphere_3_192.lower_distance_matrix', 'lower-distance');
    for (const [input, options] of [
      [cloud, { maxDim: 2, threshold: 1.8 }],
      [sphere, { maxDim: 2 }],
    ] as const) {
      const one = await ripsPersistence(input, { ...options, threads: 1 });
      for (const threads of [2, 4]) sameBarcodes(await ripsPersistence(input, { ...options, threads }), one);
    }
  });

  it('sync equals async', async () => {
    for (const c of tinyCases(40, 12)) sameBarcodes(ripsPersistenceSync(c.input, c.options), await ripsPersistence(c.input, c.options));
    const cloud = readPointCloud('o3_1024.txt');
    sameBarcodes(ripsPersistenceSync(cloud, { maxDim: 2, threshold: 1.5 }), await ripsPersistence(cloud, { maxDim: 2, threshold: 1.5 }));
  });
});

// ---------------------------------------------------------------------------------------------
// Bad input

function expectError(fn: () => unknown, code: string, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(Error);
  expect((caught as { code?: string }).code).toBe(code);
  expect((caught as Error).message).toMatch(message);
}

describe('ripsPersistence refuses bad input with typed errors', () => {
  const points: PointCloud = { data: randomPoints(6, 2, 1), n: 6, dim: 2 };
  const sync = (input: unknown, options?: RipsOptions) => () => ripsPersistenceSync(input as RipsInput, options);

  it.each([4, 1, 0, 2.5, -3, NaN])('modulus %s is not a prime', (modulus) => {
    expectError(sync(points, { modulus }), 'ERR_TOPOFR_INVALID_VALUE', /modulus.*prime/);
  });

  it.each([-1, NaN, -Infinity])('threshold %s', (threshold) => {
    expectError(sync(points, { threshold }), 'ERR_TOPOFR_INVALID_VALUE', /threshold/);
  });

  it.each([-1, 1.5, NaN])('maxDim %s', (maxDim) => {
    expectError(sync(points, { maxDim }), 'ERR_TOPOFR_INVALID_VALUE', /maxDim/);
  });

  it('the async form rejects with the same error', async () => {
    await expect(ripsPersistence(points, { modulus: 4 })).rejects.toMatchObject({ code: 'ERR_TOPOFR_INVALID_VALUE' });
  });

  it('full matrices: asymmetric, NaN, wrong size', () => {
    expectError(sync({ data: new Float32Array([0, 1, 2, 0]), n: 2 }), 'ERR_TOPOFR_INVALID_VALUE', /symmetric/);
    expectError(sync({ data: new Float32Array([0, NaN, NaN, 0]), n: 2 }), 'ERR_TOPOFR_NON_FINITE', /NaN|finite/);
    expectError(sync({ data: new Float32Array(5), n: 2 }), 'ERR_TOPOFR_INVALID_SHAPE', /5/);
  });

  it('lower matrices: NaN, wrong length', () => {
    expectError(sync({ lower: new Float32Array([1, NaN, 2]), n: 3 }), 'ERR_TOPOFR_NON_FINITE', /NaN|finite/);
    expectError(sync({ lower: new Float32Array(4), n: 3 }), 'ERR_TOPOFR_INVALID_SHAPE', /n\(n−1\)\/2|3/);
  });

  it('point clouds: NaN coordinates', () => {
    const data = new Float32Array(12);
    data[5] = NaN;
    expectError(sync({ data, n: 4, dim: 3 }), 'ERR_TOPOFR_NON_FINITE', /row 1/);
  });

  it('sparse: vertex out of range, NaN distance, mismatched lengths', () => {
    const sparse = (i: number[], j: number[], d: number[], n = 3) => ({ n, i: Int32Array.from(i), j: Int32Array.from(j), d: Float32Array.from(d) });
    expectError(sync(sparse([0, 1], [1, 3], [1, 2])), 'ERR_TOPOFR_INVALID_VALUE', /vertex|range|3/);
    expectError(sync(sparse([0, -1], [1, 2], [1, 2])), 'ERR_TOPOFR_INVALID_VALUE', /vertex|range|-1/);
    expectError(sync(sparse([0, 1], [1, 2], [1, NaN])), 'ERR_TOPOFR_NON_FINITE', /NaN|finite/);
    expectError(sync(sparse([0, 1], [1], [1, 2])), 'ERR_TOPOFR_INVALID_SHAPE', /length/);
  });

  it('simplex indices that would overflow, and distances that cannot fit: a clear TooLarge error', () => {
    const n = 100_000;
    const chain = { n, i: Int32Array.from({ length: n - 1 }, (_, k) => k), j: Int32Array.from({ length: n - 1 }, (_, k) => k + 1), d: new Float32Array(n - 1).fill(1) };
    expectError(sync(chain, { maxDim: 7 }), 'ERR_TOPOFR_TOO_LARGE', /100000|too large|overflow/i);
    expectError(sync({ data: new Float32Array(n), n, dim: 1 }, { maxDim: 1 }), 'ERR_TOPOFR_TOO_LARGE', /100000|too large|GB/i);
  });

  it('wrong kinds of value are TypeErrors, not crashes', () => {
    expect(sync(null)).toThrow(TypeError);
    expect(sync({ lower: [1, 2, 3], n: 3 })).toThrow(TypeError);
    expect(sync({ n: 3, i: [0], j: [1], d: new Float32Array(1) })).toThrow(TypeError);
    expect(sync(points, { modulus: 4 })).toThrow(TopofrRangeError);
  });
});
