// The addon in worker_threads: each environment loads it, shares the one compute pool, and exits
// cleanly (the pool is released at environment teardown, so nothing hangs).
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { persistenceH0 } from '../src/index.js';
import { randomPoints } from './support/oracle.js';

const workerSource = `
  const { parentPort, workerData } = require('node:worker_threads');
  import(workerData.module).then(async ({ persistenceH0, persistenceH0Async }) => {
    const points = { data: workerData.data, n: workerData.n, dim: workerData.dim };
    const sync = persistenceH0(points);
    const async = await persistenceH0Async(points);
    parentPort.postMessage({ edges: Array.from(sync.edges), same: async.edges.every((e, k) => e === sync.edges[k]) });
  });
`;

describe('worker_threads', () => {
  it('three workers at once compute the same pairing as the main thread, then exit', async () => {
    const n = 600;
    const dim = 32;
    const data = randomPoints(n, dim, 8);
    const want = Array.from(persistenceH0({ data, n, dim }).edges);
    const module = new URL('../dist/index.js', import.meta.url).href; // built by npm run build, like the CLI tests
    const runs = [0, 1, 2].map(
      () =>
        new Promise<{ edges: number[]; same: boolean; code: number }>((resolve, reject) => {
          const worker = new Worker(workerSource, { eval: true, workerData: { module, data, n, dim }});
          let message: { edges: number[]; same: boolean };
          worker.on('message', (m) => (message = m));
          worker.on('error', reject);
          worker.on('exit', (code) => resolve({ ...message, code }));
        }),
    );
    for (const r of await Promise.all(runs)) {
      expect(r.code).toBe(0);
      expect(r.same).toBe(true);
      expect(r.edges).toEqual(want);
    }
  });
});
