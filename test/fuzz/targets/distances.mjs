// pairwiseDistances, sync and async: every metric, shapes from empty to 40×24, ties, duplicates,
// clusters far from the origin, scales across the whole float32 range (exact powers of two, and
// rounded powers of ten), NaN/±Infinity and zero rows (refused). Accepted results: sync and async
// bit for bit the same, exactly symmetric with a zero diagonal, each value within the engine's
// error bound of a float64 reference, and cosine identical after an exact power-of-two scaling.
import { pairwiseDistances, pairwiseDistancesAsync } from '../../../dist/index.js';
import { distance64, distanceTolerance, fail, pointData, sameBits, scaled } from '../support.mjs';

const METRICS = ['euclidean', 'sqeuclidean', 'cosine'];
const FLOAT32_MAX = 3.4028234663852886e38;

function check(data, n, dim, metric, got) {
  for (let i = 0; i < n; i++) {
    if (got[i * n + i] !== 0) fail(`d(${i}, ${i}) = ${got[i * n + i]}`);
    for (let j = 0; j < n; j++) {
      const g = got[i * n + j];
      if (!Object.is(g, got[j * n + i])) fail(`not symmetric at (${i}, ${j})`);
      if (i === j) continue;
      const want = distance64(data, dim, i, j, metric);
      if (Math.fround(want) === Infinity || want >= FLOAT32_MAX) {
        if (!(g === Infinity || Math.abs(g - want) <= distanceTolerance(want, dim))) fail(`d(${i}, ${j}) = ${g}, want ${want} (beyond float32)`);
      } else if (!(Math.abs(g - want) <= distanceTolerance(want, dim))) {
        fail(`d(${i}, ${j}) = ${g}, want ${want} (error ${Math.abs(g - want) / want} relative)`);
      }
    }
  }
}

export default {
  make(rng) {
    const n = rng.int(0, 40);
    const dim = rng.int(1, 24);
    const metric = rng.pick(METRICS);
    const kind = rng.pick(['gauss', 'grid', 'duplicates', 'cluster']);
    let data = pointData(rng, n, dim, kind);
    let label = `${n}×${dim} ${kind} ${metric}`;
    const scale = rng.chance(0.4) ? scaled(rng, data) : undefined;
    if (scale) {
      data = scale.data;
      label += ` ×${scale.factor}`;
    }
    if (n > 0 && rng.chance(0.1)) {
      const at = rng.int(0, n * dim - 1);
      data[at] = rng.pick([NaN, Infinity, -Infinity]);
      label += ` with ${data[at]} at ${at}`;
    }
    if (n > 0 && metric === 'cosine' && rng.chance(0.1)) {
      data.fill(0, 0, dim);
      label += ' with a zero row';
    }
    const points = { data, n, dim };
    return {
      label,
      async run() {
        const sync = pairwiseDistances(points, { metric }).data;
        if (!data.every(Number.isFinite)) fail('accepted a non-finite coordinate');
        const later = (await pairwiseDistancesAsync(points, { metric })).data;
        if (!sameBits(sync, later)) fail('async differs from sync');
        check(data, n, dim, metric, sync);
        if (metric === 'cosine' && n > 0) {
          // Scale-invariant: an exact power of two keeps every bit (when it keeps the input exact).
          const e = rng.int(-60, 60);
          const moved = Float32Array.from(data, (v) => v * 2 ** e);
          if (moved.every((v, k) => v / 2 ** e === data[k])) {
            if (!sameBits(pairwiseDistances({ data: moved, n, dim }, { metric }).data, sync)) fail(`cosine changed under ×2^${e}`);
          }
        }
      },
    };
  },
};
