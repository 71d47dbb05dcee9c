// persistenceH0 and persistenceH0Async from points and from matrices: n from 0 to 60, integer grids
// (many ties), duplicates, clusters, extreme scales, every metric; matrices with +Infinity ("no
// edge"), and broken ones (NaN, negative, asymmetric: refused). Accepted results must be the
// official pairing exactly (edges and deaths of Kruskal over the same float32 distances, ties by
// (d, i, j)), the same from points and from their matrix, and the same sync and async.
import { pairwiseDistances, persistenceH0, persistenceH0Async } from '../../../dist/index.js';
import { fail, kruskal, pointData, sameBits, scaled } from '../support.mjs';

function expectPairing(result, matrix, n, what) {
  const want = kruskal(matrix, n);
  if (!sameBits(result.edges, Int32Array.from(want.edges))) fail(`${what}: edges differ from Kruskal's`);
  if (!sameBits(result.deaths, Float32Array.from(want.deaths))) fail(`${what}: deaths differ from Kruskal's`);
}

function brokenMatrix(rng, matrix, n) {
  const i = rng.int(0, n - 1);
  let j = rng.int(0, n - 1);
  if (i === j) j = (j + 1) % n;
  const how = rng.pick(['NaN', 'negative', 'asymmetric', 'infinite']);
  const value = { NaN: NaN, negative: -1, asymmetric: matrix[i * n + j] * 2 + 1, infinite: Infinity }[how];
  matrix[i * n + j] = value;
  if (how === 'NaN' || how === 'negative' || how === 'infinite') matrix[j * n + i] = value;
  return how === 'infinite' ? ' with an infinite pair' : ` with a ${how} entry`;
}

export default {
  make(rng) {
    const n = rng.int(0, 60);
    const dim = rng.int(1, 8);
    const metric = rng.pick(['euclidean', 'sqeuclidean', 'cosine']);
    const kind = rng.pick(['gauss', 'grid', 'duplicates', 'cluster']);
    let data = pointData(rng, n, dim, kind);
    let label = `${n}×${dim} ${kind} ${metric}`;
    if (rng.chance(0.3)) {
      const s = scaled(rng, data);
      data = s.data;
      label += ` ×${s.factor}`;
    }
    const fromMatrix = rng.chance(0.35);
    const broken = fromMatrix && n > 1 && rng.chance(0.3);
    return {
      label: label + (fromMatrix ? ' (matrix)' : ''),
      async run() {
        const points = { data, n, dim };
        const matrix = pairwiseDistances(points, { metric }).data;  // the same distances, by definition
        if (fromMatrix) {
          const m = Float32Array.from(matrix);
          const note = broken ? brokenMatrix(rng, m, n) : '';
          const input = { data: m, n };
          const sync = persistenceH0(input);
          const later = await persistenceH0Async(input);
          if (m.some((v) => Number.isNaN(v) || v < 0)) fail(`accepted a broken matrix${note}`);
          if (!sameBits(sync.edges, later.edges) || !sameBits(sync.deaths, later.deaths)) fail('async differs from sync');
          expectPairing(sync, m, n, `matrix${note}`);
          return;
        }
        const sync = persistenceH0(points, { metric });
        const later = await persistenceH0Async(points, { metric, threads: rng.int(0, 3) });
        if (!sameBits(sync.edges, later.edges) || !sameBits(sync.deaths, later.deaths)) fail('async (other thread count) differs from sync');
        expectPairing(sync, matrix, n, 'points');
        const viaMatrix = persistenceH0({ data: matrix, n });
        if (!sameBits(sync.edges, viaMatrix.edges) || !sameBits(sync.deaths, viaMatrix.deaths)) fail('points and matrix paths differ');
      },
    };
  },
};
