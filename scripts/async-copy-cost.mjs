// What the async forms' input copy costs (docs/decisions.md, "Async calls own their inputs"): for
// each async entry point at a typical size, the median time of the sync call, of the async call
// (copy, queue, compute on a libuv thread), and of a plain copy of the input (TypedArray.slice, the
// same memcpy into fresh memory), interleaved so that machine load hits all three alike.
//   npm run build && node scripts/async-copy-cost.mjs [runs=9]
import { pairwiseDistances, pairwiseDistancesAsync, persistenceH0, persistenceH0Async, ripsPersistence, ripsPersistenceSync } from '../dist/index.js';

const runs = Number(process.argv[2] ?? 9);
const points = (n, dim) => ({ data: Float32Array.from({ length: n * dim }, Math.random), n, dim });
const lower = (m) => {
  const l = new Float32Array((m.n * (m.n - 1)) / 2);
  for (let i = 1, k = 0; i < m.n; i++) for (let j = 0; j < i; j++) l[k++] = m.data[i * m.n + j];
  return { lower: l, n: m.n };
};

const cases = [
  ['pairwiseDistances, 4096×512 points', points(4096, 512), (x) => pairwiseDistances(x), (x) => pairwiseDistancesAsync(x), (x) => x.data],
  ['persistenceH0, 4096×512 points', points(4096, 512), (x) => persistenceH0(x), (x) => persistenceH0Async(x), (x) => x.data],
  ['persistenceH0, 128×37632 points (a loss batch)', points(128, 37632), (x) => persistenceH0(x), (x) => persistenceH0Async(x), (x) => x.data],
  ['persistenceH0, 4096² matrix', pairwiseDistances(points(4096, 64)), (x) => persistenceH0(x), (x) => persistenceH0Async(x), (x) => x.data],
  ['ripsPersistence, 1024 points lower, dim 1', lower(pairwiseDistances(points(1024, 3))), (x) => ripsPersistenceSync(x), (x) => ripsPersistence(x), (x) => x.lower],
];

const median = (t) => t.sort((a, b) => a - b)[t.length >> 1];
console.log('| call | input MB | sync ms | async ms | copy ms | copy / sync |\n|---|---|---|---|---|---|');
for (const [name, input, sync, async, array] of cases) {
  const t = { sync: [], async: [], copy: [] };
  for (let r = 0; r < runs; r++) {
    let s = performance.now();
    sync(input);
    t.sync.push(performance.now() - s);
    s = performance.now();
    await async(input);
    t.async.push(performance.now() - s);
    s = performance.now();
    array(input).slice();
    t.copy.push(performance.now() - s);
  }
  const [ms, ma, mc] = [median(t.sync), median(t.async), median(t.copy)];
  console.log(`| ${name} | ${(array(input).byteLength / 2 ** 20).toFixed(1)} | ${ms.toFixed(1)} | ${ma.toFixed(1)} | ${mc.toFixed(2)} | ${((100 * mc) / ms).toFixed(1)} % |`);
}
