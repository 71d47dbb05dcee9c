// Inputs that change while a call runs. Sync calls on a SharedArrayBuffer that another thread
// fills with NaN, ±Infinity and negative values meanwhile: each call returns or refuses with a typed
// error (the addon reads shared input from a copy, checked), never hangs (the runner is watched
// from outside) or crashes. Async calls whose input buffer is detached (transferred away) right
// after the call: the result is the sync result on the original data, bit for bit (async calls
// copy their inputs before they are queued).
import { Worker } from 'node:worker_threads';
import { pairwiseDistances, persistenceH0, persistenceH0Async, pairwiseDistancesAsync, ripsPersistence, ripsPersistenceSync } from '../../../dist/index.js';
import { fail, pointData, sameBits } from '../support.mjs';

// The writer: random positions, hostile values, until the control word says stop.
const WRITER = `
const { workerData } = require('node:worker_threads');
const values = new Float32Array(workerData.buffer);
const control = new Int32Array(workerData.control);
const bad = [NaN, Infinity, -Infinity, -1, 0, 1e30];
let s = workerData.seed >>> 0;
Atomics.store(control, 0, 1);
while (Atomics.load(control, 0) === 1) {
  s = (s * 1103515245 + 12345) >>> 0;
  values[s % values.length] = bad[(s >>> 16) % bad.length];
}`;

async function whileWritten(buffer, seed, call) {
  const control = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WRITER, { eval: true, workerData: { buffer, control: control.buffer, seed } });
  while (Atomics.load(control, 0) !== 1) await new Promise((r) => setTimeout(r, 1));
  try {
    return await call();
  } finally {
    Atomics.store(control, 0, 2);
    await worker.terminate();
  }
}

function shared(values) {
  const out = new Float32Array(new SharedArrayBuffer(values.byteLength));
  out.set(values);
  return out;
}

const lowerOf = (m, n) => {
  const lower = new Float32Array((n * (n - 1)) / 2);
  for (let i = 1, k = 0; i < n; i++) for (let j = 0; j < i; j++) lower[k++] = m[i * n + j];
  return lower;
};

const detach = (array) => structuredClone(array.buffer, { transfer: [array.buffer] });

const sameResult = (a, b) => {
  if (a instanceof Float32Array) return sameBits(a, b);
  if (Array.isArray(a)) return a.length === b.length && a.every((x, k) => ['births', 'deaths', 'birthEdges', 'deathEdges'].every((f) => sameBits(x[f], b[k][f])));
  return sameBits(a.edges, b.edges) && sameBits(a.deaths, b.deaths);
};

export default {
  make(rng, k) {
    const n = rng.int(100, 500);
    const dim = rng.int(4, 32);
    const points = pointData(rng, n, dim, 'gauss');
    const matrix = () => pairwiseDistances({ data: points, n, dim }).data;
    const small = Math.min(n, 60);  // the Rips engine on a few points (dimension 1)
    const entries = {
      'pairwiseDistances': { sync: (p) => pairwiseDistances({ data: p, n, dim }).data, async: (p) => pairwiseDistancesAsync({ data: p, n, dim }).then((r) => r.data), data: () => points },
      'persistenceH0 (points)': { sync: (p) => persistenceH0({ data: p, n, dim }), async: (p) => persistenceH0Async({ data: p, n, dim }), data: () => points },
      'persistenceH0 (matrix)': { sync: (m) => persistenceH0({ data: m, n }), async: (m) => persistenceH0Async({ data: m, n }), data: matrix },
      'ripsPersistence (points)': { sync: (p) => ripsPersistenceSync({ data: p, n: small, dim }), async: (p) => ripsPersistence({ data: p, n: small, dim }), data: () => points.slice(0, small * dim) },
      'ripsPersistence (lower)': { sync: (l) => ripsPersistenceSync({ lower: l, n }, { maxDim: 0 }), async: (l) => ripsPersistence({ lower: l, n }, { maxDim: 0 }), data: () => lowerOf(matrix(), n) },
    };
    const name = rng.pick(Object.keys(entries));
    const entry = entries[name];
    const mode = rng.pick(['written', 'detached']);
    return {
      label: `${name} n=${n} dim=${dim} ${mode}`,
      async run() {
        const data = entry.data();
        if (mode === 'written') {
          const input = shared(data);
          await whileWritten(input.buffer, k, async () => entry.sync(input));
          return;
        }
        const want = entry.sync(data.slice());
        const pending = entry.async(data);
        detach(data);
        if (!sameResult(want, await pending)) fail('the async result changed when its input was detached');
      },
    };
  },
};
