// ripsPersistence / ripsPersistenceSync on every input kind (points with each metric, full matrix,
// lower triangle, sparse edges with repeats and self-loops), n from 0 to 12, dimensions 0–3, Z/p for
// p = 2, 3, 5, 7, thresholds (none, 0, random, infinite); broken inputs (NaN, negative, sparse
// indices out of range, a non-prime modulus, maxDim > 64) are refused. Accepted results: sync,
// async and one thread give the same bits; dimension 0 is Kruskal's pairing over the same
// distances (zero-length intervals left out, one essential class per component); every finite
// value is the distance of its critical edge; births ≤ deaths ≤ threshold.
import { pairwiseDistances, ripsPersistence, ripsPersistenceSync } from '../../../dist/index.js';
import { fail, kruskal, pointData, sameBits } from '../support.mjs';

const same = (a, b) => a.length === b.length && a.every((x, k) => x.dim === b[k].dim &&
  ['births', 'deaths', 'birthEdges', 'deathEdges'].every((f) => sameBits(x[f], b[k][f])));

/** A full matrix and the engine input of the chosen kind over it; sparse input keeps a random
 *  subset of the pairs (missing = +Infinity), some listed twice with a larger copy. */
function inputOf(rng, kind, n) {
  const metric = rng.pick(['euclidean', 'sqeuclidean', 'cosine']);
  const data = pointData(rng, n, rng.int(1, 4), rng.pick(['gauss', 'grid', 'duplicates']));
  const dim = n === 0 ? 1 : data.length / n;
  const points = { data, n, dim };
  let matrix;
  try {
    matrix = pairwiseDistances(points, { metric }).data;
  } catch {
    matrix = pairwiseDistances(points).data;  // cosine of a zero row: use Euclidean
  }
  if (kind === 'points') return { input: points, matrix, metric: matrix === undefined ? undefined : metric, label: metric };
  if (kind === 'matrix') return { input: { data: matrix, n }, matrix };
  if (kind === 'lower') {
    const lower = new Float32Array((n * (n - 1)) / 2);
    for (let i = 1, k = 0; i < n; i++) for (let j = 0; j < i; j++) lower[k++] = matrix[i * n + j];
    return { input: { lower, n }, matrix };
  }
  const sparse = new Float32Array(n * n).fill(Infinity);
  const i = [], j = [], d = [];
  for (let a = 0; a < n; a++) {
    sparse[a * n + a] = 0;
    for (let b = a + 1; b < n; b++) {
      if (!rng.chance(0.6)) continue;
      const v = matrix[a * n + b];
      sparse[a * n + b] = sparse[b * n + a] = v;
      i.push(a); j.push(b); d.push(v);
      if (rng.chance(0.1)) { i.push(b); j.push(a); d.push(v + 1); }  // a repeat: the smaller one counts
    }
    if (rng.chance(0.05)) { i.push(a); j.push(a); d.push(rng.uniform()); }  // self-loops are ignored
  }
  return { input: { n, i: Int32Array.from(i), j: Int32Array.from(j), d: Float32Array.from(d) }, matrix: sparse };
}

/** Breaks one value of the input; '' when there is none to break. */
function breakInput(rng, input, n) {
  if ('i' in input) {
    if (input.i.length === 0) return '';
    const k = rng.int(0, input.i.length - 1);
    const how = rng.pick(['index', 'NaN', 'negative']);
    if (how === 'index') input.i[k] = rng.pick([n, -1, 2 ** 31 - 1]);
    else input.d[k] = how === 'NaN' ? NaN : -1;
    return `sparse entry ${k}: ${how}`;
  }
  const array = input.lower ?? input.data;
  if (array.length === 0) return '';
  const k = rng.int(0, array.length - 1);
  // A coordinate may be anything finite; a distance must also be ≥ 0.
  array[k] = rng.pick('dim' in input ? [NaN, Infinity, -Infinity] : [NaN, -1, -Infinity]);
  return `value ${k} = ${array[k]}`;
}

function checkBarcodes(barcodes, matrix, n, threshold, maxDim) {
  const top = Math.min(maxDim, Math.max(n - 1, 0));
  if (barcodes.length !== maxDim + 1) fail(`${barcodes.length} barcodes for maxDim ${maxDim}`);
  const d = (u, v) => (u === v ? 0 : matrix[Math.min(u, v) * n + Math.max(u, v)]);
  for (const b of barcodes) {
    for (let k = 0; k < b.births.length; k++) {
      const birth = b.births[k], death = b.deaths[k];
      if (!(birth <= death) || (death !== Infinity && death > threshold) || birth > threshold) fail(`dim ${b.dim}: interval [${birth}, ${death}) vs threshold ${threshold}`);
      if (b.dim > 0 && d(b.birthEdges[2 * k], b.birthEdges[2 * k + 1]) !== birth) fail(`dim ${b.dim}: birth edge does not realise ${birth}`);
      if (death !== Infinity && d(b.deathEdges[2 * k], b.deathEdges[2 * k + 1]) !== death) fail(`dim ${b.dim}: death edge does not realise ${death}`);
    }
    if (b.dim > top && b.births.length > 0) fail(`dim ${b.dim} has intervals but n = ${n}`);
  }
  // Pairs at +Infinity (sparse: not listed) are no edges.
  const merges = kruskal(matrix, n).deaths.filter((x) => x !== Infinity && x <= threshold);
  const mst = merges.filter((x) => x > 0);
  const zero = barcodes[0];
  const finite = Array.from(zero.deaths).filter((x) => x !== Infinity).sort((a, b) => a - b);
  if (!sameBits(Float32Array.from(finite), Float32Array.from(mst.sort((a, b) => a - b)))) fail('dimension 0 is not the MST pairing');
  const components = n - merges.length;
  if (zero.deaths.length - finite.length !== components) fail(`${zero.deaths.length - finite.length} essential classes, ${components} components`);
}

export default {
  make(rng) {
    const kind = rng.pick(['points', 'matrix', 'lower', 'sparse']);
    const n = rng.int(0, 12);
    const { input, matrix, metric, label } = inputOf(rng, kind, n);
    const maxDim = rng.chance(0.03) ? rng.pick([65, -1, 1.5]) : rng.int(0, 3);
    const modulus = rng.chance(0.03) ? rng.pick([4, 1, 65537, 2.5]) : rng.pick([2, 3, 5, 7]);
    const threshold = rng.pick([undefined, undefined, 0, Infinity, rng.uniform() * 3]);
    const broken = rng.chance(0.1) ? breakInput(rng, input, n) : '';
    const options = { maxDim, modulus, threshold, ...(metric ? { metric } : {}) };
    return {
      label: `${kind} n=${n} ${label ?? ''} maxDim=${maxDim} p=${modulus} threshold=${threshold} ${broken}`,
      async run() {
        const sync = ripsPersistenceSync(input, options);
        if (broken) fail(`accepted a broken input (${broken})`);
        const later = await ripsPersistence(input, options);
        const single = ripsPersistenceSync(input, { ...options, threads: 1 });
        if (!same(sync, later)) fail('async differs from sync');
        if (!same(sync, single)) fail('one thread differs from all');
        // Ripser's default threshold for dense input is the enclosing radius: nothing dies beyond it.
        const limit = threshold ?? Infinity;
        checkBarcodes(sync, matrix, n, limit, maxDim);
      },
    };
  },
};
