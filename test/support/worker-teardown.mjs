// Child process for test/worker-teardown.test.ts and scripts/robustness-figures.mjs: runs each
// native entry point inside a worker_thread and ends the worker while the call is in flight —
// worker.terminate() during a sync or an async call, or process.exit() inside the worker during an
// async call. Before the fix, the process aborted (SIGABRT, "terminate called after throwing an
// instance of 'Napi::Error'"). Prints "<entry> ended" per entry and exits 0 when the process
// survived them all.
//   node test/support/worker-teardown.mjs sync-terminate|async-terminate|async-exit [delayMs] [entry…]
import { Worker } from 'node:worker_threads';

const DIST = new URL('../../dist/', import.meta.url).href;
const [mode = 'async-terminate', delayArg = '150', ...only] = process.argv.slice(2);
const delay = Number(delayArg);

// Each entry: the modules it needs and a call taking ~0.5–1 s on two cores.
const ENTRIES = {
  pairwiseDistances: 'pairwiseDistances{ASYNC}(points(5000, 64))',
  'persistenceH0 (points)': 'persistenceH0{ASYNC}(points(10000, 32))',
  'persistenceH0 (matrix)': 'persistenceH0{ASYNC}(pairwiseDistances(points(5000, 8)))',
  'ripsPersistence (points)': 'rips{ASYNC}(points(300, 3), { maxDim: 2 })',
  'ripsPersistence (matrix)': 'rips{ASYNC}(pairwiseDistances(points(300, 3)), { maxDim: 2 })',
  'ripsPersistence (lower)': 'rips{ASYNC}(lower(pairwiseDistances(points(1200, 3))), { maxDim: 1 })',
  'ripsPersistence (sparse)': 'rips{ASYNC}(sparse(pairwiseDistances(points(1200, 3)), 0.5), { maxDim: 1 })',
};

function workerCode(call, isAsync, exitInside) {
  return `
const { parentPort } = require('node:worker_threads');
Promise.all([import('${DIST}ops/distances.js'), import('${DIST}ops/h0.js'), import('${DIST}ops/rips.js')]).then(([D, H, R]) => {
  const { pairwiseDistances, pairwiseDistancesAsync } = D;
  const { persistenceH0, persistenceH0Async } = H;
  const rips = R.ripsPersistenceSync, ripsAsync = R.ripsPersistence;
  const points = (n, dim) => ({ data: Float32Array.from({ length: n * dim }, Math.random), n, dim });
  const lower = (m) => { const l = new Float32Array(m.n * (m.n - 1) / 2); for (let i = 1, k = 0; i < m.n; i++) for (let j = 0; j < i; j++) l[k++] = m.data[i * m.n + j]; return { lower: l, n: m.n }; };
  const sparse = (m, t) => { const i = [], j = [], d = []; for (let a = 0; a < m.n; a++) for (let b = a + 1; b < m.n; b++) if (m.data[a * m.n + b] < t) { i.push(a); j.push(b); d.push(m.data[a * m.n + b]); } return { n: m.n, i: Int32Array.from(i), j: Int32Array.from(j), d: Float32Array.from(d) }; };
  const go = () => ${call.replaceAll('{ASYNC}', isAsync ? 'Async' : '')};
  parentPort.postMessage('calling');
  ${exitInside ? `setTimeout(() => process.exit(3), ${delay});` : ''}
  ${isAsync ? 'go().then(() => parentPort.postMessage("done"), (e) => parentPort.postMessage("error " + e.message));' : 'go(); parentPort.postMessage("done");'}
});`;
}

async function end(name, call) {
  const isAsync = mode.startsWith('async');
  const exitInside = mode === 'async-exit';
  const worker = new Worker(workerCode(call, isAsync, exitInside), { eval: true });
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  await new Promise((resolve, reject) => {
    worker.on('message', (m) => m === 'calling' && resolve());
    worker.once('error', reject);
  });
  if (!exitInside) setTimeout(() => worker.terminate(), delay);
  await exited;
  process.stdout.write(`${name} ended\n`);
}

for (const [name, call] of Object.entries(ENTRIES)) if (only.length === 0 || only.includes(name)) await end(name, call);
