// Child process for scripts/robustness-figures.mjs: `calls` async calls in flight at once over every
// async entry point, each input detached right after its call, each result compared with the sync
// result on a copy; then the resident memory after `rounds` more such batches (a leak of the
// copies or of the jobs would grow it). Prints one JSON line.
//   node --expose-gc test/support/concurrency-child.mjs [calls=150] [rounds=15]
import { pairwiseDistances, pairwiseDistancesAsync, persistenceH0, persistenceH0Async, ripsPersistence, ripsPersistenceSync } from '../../dist/index.js';

const [calls = 150, rounds = 15] = process.argv.slice(2).map(Number);
const same = (a, b) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const flat = (r) => (r instanceof Float32Array ? [r] : Array.isArray(r) ? r.flatMap((b) => [b.births, b.deaths, b.birthEdges, b.deathEdges]) : [r.edges, r.deaths]);
const ENTRIES = [
  [(p) => pairwiseDistances(p).data, async (p) => (await pairwiseDistancesAsync(p)).data],
  [(p) => persistenceH0(p), (p) => persistenceH0Async(p)],
  [(p) => ripsPersistenceSync(p, { maxDim: 1 }), (p) => ripsPersistence(p, { maxDim: 1 })],
];

async function batch() {
  let wrong = 0;
  await Promise.all(Array.from({ length: calls }, async (_, k) => {
    const [sync, async] = ENTRIES[k % ENTRIES.length];
    const n = 20 + (k % 50), dim = 3 + (k % 7);
    const data = Float32Array.from({ length: n * dim }, Math.random);
    const want = flat(sync({ data: data.slice(), n, dim }));
    const pending = async({ data, n, dim });
    structuredClone(data.buffer, { transfer: [data.buffer] });
    const got = flat(await pending);
    if (got.length !== want.length || got.some((a, i) => !same(a, want[i]))) wrong++;
  }));
  return wrong;
}

let wrong = await batch();
globalThis.gc?.();
const before = process.memoryUsage().rss;
for (let r = 0; r < rounds; r++) wrong += await batch();
globalThis.gc?.();
const after = process.memoryUsage().rss;
process.stdout.write(`${JSON.stringify({ calls: calls * (rounds + 1), wrong, rssBeforeMb: Math.round(before / 2 ** 20), rssAfterMb: Math.round(after / 2 ** 20) })}\n`);
