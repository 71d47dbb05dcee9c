// Child process for test/worker-teardown.test.ts and scripts/robustness-figures.mjs: runs each
// native entry point inside a worker_thread and ends the worker while the call is in flight —
// worker.terminate() during a sync or an async call, or process.exit() inside the worker during an
// async call. Before the fix, the process aborted (SIGABRT, "terminate called after throwing an
// instance of 'Napi::Error'"). Prints "<entry> ended" per entry and exits 0 when the process
// survived them all. Each call runs on one thread and takes ~0.3–1.5 s here, so it is still running
// when the worker ends 50 ms after it started; the line says whether it was ("in flight") or had
// already finished.
//   node test/support/worker-teardown.mjs sync-terminate|async-terminate|async-exit [delayMs] [entry…]
import { Worker } from 'node:worker_threads';

const DIST = new URL('../../dist/', import.meta.url).href;
const [mode = 'async-terminate', delayArg = '50', ...only] = process.argv.slice(2);
const delay = Number(delayArg);

// Each entry: [its input, built before the call; the call on one thread].
const ENTRIES = {
  pairwiseDistances: ['points(4000, 64)', 'pairwiseDistances{ASYNC}(input, one)'],
  'persistenceH0 (points)': ['points(8000, 32)', 'persistenceH0{ASYNC}(input, one)'],
  'persistenceH0 (matrix)': ['pairwiseDistances(points(5000, 8))', 'persistenceH0{ASYNC}(input, one)'],
  'ripsPersistence (points)': ['points(300, 3)', 'rips{ASYNC}(input, { maxDim: 2, ...one })'],
  'ripsPersistence (matrix)': ['pairwiseDistances(points(300, 3))', 'rips{ASYNC}(input, { maxDim: 2, ...one })'],
  'ripsPersistence (lower)': ['lower(pairwiseDistances(points(1000, 3)))', 'rips{ASYNC}(input, { maxDim: 1, ...one })'],
  'ripsPersistence (sparse)': ['sparse(pairwiseDistances(points(1000, 3)), 0.5)', 'rips{ASYNC}(input, { maxDim: 1, ...one })'],
};

function workerCode([build, call], isAsync, exitInside) {
  return `
const { parentPort } = require('node:worker_threads');
Promise.all([import('${DIST}ops/distances.js'), import('${DIST}ops/h0.js'), import('${DIST}ops/rips.js')]).then(([D, H, R]) => {
  const { pairwiseDistances, pairwiseDistancesAsync } = D;
  const { persistenceH0, persistenceH0Async } = H;
  const rips = R.ripsPersistenceSync, ripsAsync = R.ripsPersistence;
  const points = (n, dim) => ({ data: Float32Array.from({ length: n * dim }, Math.random), n, dim });
  const lower = (m) => { const l = new Float32Array(m.n * (m.n - 1) / 2); for (let i = 1, k = 0; i < m.n; i++) for (let j = 0; j < i; j++) l[k++] = m.data[i * m.n + j]; return { lower: l, n: m.n }; };
  const sparse = (m, t) => { const i = [], j = [], d = []; for (let a = 0; a < m.n; a++) for (let b = a + 1; b < m.n; b++) if (m.data[a * m.n + b] < t) { i.push(a); j.push(b); d.push(m.data[a * m.n + b]); } return { n: m.n, i: Int32Array.from(i), j: Int32Array.from(j), d: Float32Array.from(d) }; };
  const one = { threads: 1 };
  const input = ${build};
  const go = () => ${call.replaceAll('{ASYNC}', isAsync ? 'Async' : '')};
  parentPort.postMessage('calling ' + Date.now());
  ${exitInside ? `setTimeout(() => process.exit(3), ${delay});` : ''}
  ${isAsync ? 'go().then(() => parentPort.postMessage("done " + Date.now()));' : 'go(); parentPort.postMessage("done " + Date.now());'}
});`;
}

async function end(name, entry) {
  const isAsync = mode.startsWith('async');
  const exitInside = mode === 'async-exit';
  const worker = new Worker(workerCode(entry, isAsync, exitInside), { eval: true });
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  // Times on the clock both threads share: when the call started and ended (if it did), when the
  // worker was told to end. A sync call may even post its "done" after terminate() (V8 acts on it
  // at its next check), so the times decide, not the message.
  let calledAt = 0;
  let doneAt = Infinity;
  await new Promise((resolve, reject) => {
    worker.on('message', (m) => {
      const [what, at] = m.split(' ');
      if (what === 'calling') (calledAt = Number(at)), resolve();
      else doneAt = Number(at);
    });
    worker.once('error', reject);
  });
  let endedAt = calledAt + delay;  // process.exit() inside the worker
  if (!exitInside) setTimeout(() => ((endedAt = Date.now()), worker.terminate()), delay);
  await exited;
  process.stdout.write(`${name} ended (${doneAt < endedAt ? 'finished first' : 'in flight'})\n`);
}

for (const [name, entry] of Object.entries(ENTRIES)) if (only.length === 0 || only.includes(name)) await end(name, entry);
