import { describe, expect, it } from 'vitest';
import { pairwiseDistances, persistenceH0, persistenceH0Async } from '../src/index.js';
import { U, gamma } from './support/float32.js';
import { distance64, distanceErrorBound, distanceMatrix64, officialPairing, randomPoints, rng, squaredNorms } from './support/oracle.js';
import { readBarcode, readLowerDistance, readPointCloud } from './support/ripser-fixtures.js';

const sameBits = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Ripser's dim-0 barcode from our pairing: deaths above the threshold are essential, zero-length bars are not printed. */
function ripserH0(deaths: Float32Array, threshold: number) {
  const finite = Array.from(deaths).filter((d) => d > 0 && d <= threshold);
  return { deaths: finite.sort((a, b) => a - b), essential: 1 + deaths.filter((d) => d > threshold).length };
}

function enclosingRadius(m: { data: Float32Array; n: number }): number {
  let r = Infinity;
  for (let i = 0; i < m.n; i++) r = Math.min(r, Math.max(...m.data.subarray(i * m.n, (i + 1) * m.n)));
  return r;
}

/** Ripser prints 6 significant digits: half a unit of the sixth. */
const printRounding = (printed: number): number => 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(printed))) - 5);

/** Our deaths against Ripser's printed ones, sorted. `distanceSlack`: how far the two programs'
 *  distances may be apart (0 when both read the same float32 matrix); H0 deaths are MST edge
 *  lengths, which move by at most the largest change of a distance (stability). */
function expectRipser(ours: ReturnType<typeof ripserH0>, file: string, distanceSlack = 0): void {
  const theirs = readBarcode(file, 0);
  expect(ours.essential).toBe(theirs.essential);
  expect(ours.deaths.length).toBe(theirs.deaths.length);
  const sorted = [...theirs.deaths].sort((a, b) => a - b);
  ours.deaths.forEach((d, k) => expect(Math.abs(d - sorted[k])).toBeLessThanOrEqual(printRounding(sorted[k]) + distanceSlack));
  expect(theirs.births.every((b) => b === 0)).toBe(true);
}

describe('persistenceH0', () => {
  it('equals Kruskal in float64 on random point clouds', () => {
    const random = rng(1);
    for (let trial = 0; trial < 40; trial++) {
      const n = Math.floor(random() * 80);
      const dim = 1 + Math.floor(random() * 40);
      const x = randomPoints(n, dim, trial + 100);
      const got = persistenceH0({ data: x, n, dim });
      const want = officialPairing(distanceMatrix64(x, n, dim, 'euclidean'), n);
      expect(Array.from(got.edges)).toEqual(want.edges);
      const norms = squaredNorms(x, n, dim);
      got.deaths.forEach((d, k) => expect(Math.abs(d - want.deaths[k])).toBeLessThanOrEqual(
        distanceErrorBound(norms[want.edges[2 * k]] + norms[want.edges[2 * k + 1]], dim, 'euclidean', want.deaths[k])));
    }
  });

  it('pairs exactly like the official code on matrices full of ties (stable row-major order)', () => {
    const random = rng(2);
    for (let trial = 0; trial < 60; trial++) {
      const n = 2 + Math.floor(random() * 30);
      const levels = 1 + Math.floor(random() * 4); // 1 level: every edge ties
      const data = new Float32Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = i + 1; j < n; j++) data[i * n + j] = data[j * n + i] = Math.floor(random() * levels) * 0.5;
      const got = persistenceH0({ data, n });
      const want = officialPairing(data, n);
      expect(Array.from(got.edges)).toEqual(want.edges);
      expect(Array.from(got.deaths)).toEqual(want.deaths);
    }
  });

  it('pairs integer-lattice points (exact ties) like the official code, from points and from the matrix', () => {
    const random = rng(3);
    for (let trial = 0; trial < 20; trial++) {
      const n = 5 + Math.floor(random() * 60);
      const dim = 1 + Math.floor(random() * 4);
      const data = Float32Array.from({ length: n * dim }, () => Math.floor(random() * 3));
      const points = { data, n, dim };
      const matrix = pairwiseDistances(points);
      const fromPoints = persistenceH0(points);
      const fromMatrix = persistenceH0(matrix);
      const want = officialPairing(matrix.data, n);
      expect(Array.from(fromPoints.edges)).toEqual(want.edges);
      expect(Array.from(fromPoints.deaths)).toEqual(want.deaths);
      expect(sameBits(fromMatrix.edges, fromPoints.edges)).toBe(true);
    }
  });

  it('gives the same bits from points as from pairwiseDistances + matrix, for every metric', () => {
    const x = randomPoints(300, 48, 9);
    for (const metric of ['euclidean', 'sqeuclidean', 'cosine'] as const) {
      const a = persistenceH0({ data: x, n: 300, dim: 48 }, { metric });
      const b = persistenceH0(pairwiseDistances({ data: x, n: 300, dim: 48 }, { metric }));
      expect(sameBits(a.edges, b.edges)).toBe(true);
      expect(sameBits(a.deaths, b.deaths)).toBe(true);
    }
  });

  it('handles n = 0, 1, 2 and duplicate points', () => {
    for (const n of [0, 1]) {
      const r = persistenceH0({ data: new Float32Array(n * 3), n, dim: 3 });
      expect(r.edges.length).toBe(0);
      expect(r.deaths.length).toBe(0);
    }
    const two = persistenceH0({ data: new Float32Array([0, 0, 3, 4]), n: 2, dim: 2 });
    expect(Array.from(two.edges)).toEqual([0, 1]);
    expect(Array.from(two.deaths)).toEqual([5]);
    const dup = new Float32Array([1, 2, 3, 1, 2, 3, 4, 5, 6, 1, 2, 3]);
    const r = persistenceH0({ data: dup, n: 4, dim: 3 });
    expect(Array.from(r.edges)).toEqual([0, 1, 0, 3, 0, 2]);
    expect(Array.from(r.deaths.subarray(0, 2))).toEqual([0, 0]);
  });

  it('joins components through +Infinity entries last (no edge = infinite death)', () => {
    const inf = Infinity;
    // two blocks {0,1} and {2,3} with no finite edge between them
    const data = new Float32Array([0, 1, inf, inf, 1, 0, inf, inf, inf, inf, 0, 2, inf, inf, 2, 0]);
    const r = persistenceH0({ data, n: 4 });
    expect(Array.from(r.edges)).toEqual([0, 1, 2, 3, 0, 2]);
    expect(Array.from(r.deaths)).toEqual([1, 2, inf]);
  });

  it('does not depend on the thread count; async gives the same result', async () => {
    const x = randomPoints(1500, 64, 4);
    const points = { data: x, n: 1500, dim: 64 };
    const all = persistenceH0(points);
    const one = persistenceH0(points, { threads: 1 });
    const async = await persistenceH0Async(points);
    for (const other of [one, async]) {
      expect(sameBits(other.edges, all.edges)).toBe(true);
      expect(sameBits(other.deaths, all.deaths)).toBe(true);
    }
    const matrix = pairwiseDistances(points);
    const m1 = persistenceH0(matrix, { threads: 1 });
    const mAsync = await persistenceH0Async(matrix);
    expect(sameBits(m1.edges, all.edges)).toBe(true);
    expect(sameBits(mAsync.edges, all.edges)).toBe(true);
  });

  it('returns edges u < v in ascending (death, u, v) order', () => {
    const r = persistenceH0({ data: randomPoints(500, 8, 12), n: 500, dim: 8 });
    for (let k = 0; k < r.deaths.length; k++) {
      expect(r.edges[2 * k]).toBeLessThan(r.edges[2 * k + 1]);
      if (k > 0) expect(r.deaths[k]).toBeGreaterThanOrEqual(r.deaths[k - 1]);
    }
  });
});

describe('persistenceH0 against Ripser 1.2.1 barcodes', () => {
  it.each([
    ['sphere_3_192.lower_distance_matrix', 'sphere_3_192.dim2.barcode.txt'],
    ['projective_plane.lower_distance_matrix', 'projective_plane.dim2.barcode.txt'],
  ])('%s (threshold: enclosing radius)', (input, barcode) => {
    const m = readLowerDistance(input);
    expectRipser(ripserH0(persistenceH0(m).deaths, enclosingRadius(m)), barcode);
  });

  it('o3_1024.txt point cloud, threshold 1.8', () => {
    const p = readPointCloud('o3_1024.txt');
    const h0 = persistenceH0(p);
    // Ripser's distance: a float32 sum of dim squared differences (each difference and square
    // rounded), then a square root: within (γ_{dim+2}/2 + u)·d; ours: distanceErrorBound. Only pairs
    // up to the longest MST edge (and a little over) can be MST edges in either program.
    const longest = Math.max(...h0.deaths) * 1.001, norms = squaredNorms(p.data, p.n, p.dim);
    let slack = 0;
    for (let i = 0; i < p.n; i++)
      for (let j = 0; j < i; j++) {
        const exact = distance64(p.data, p.dim, i, j, 'euclidean');
        if (exact <= longest) slack = Math.max(slack, distanceErrorBound(norms[i] + norms[j], p.dim, 'euclidean', exact) + (gamma(p.dim + 2) / 2 + U) * exact);
      }
    expectRipser(ripserH0(h0.deaths, 1.8), 'o3_1024.dim3.thr1.8.barcode.txt', slack);
  });
});
