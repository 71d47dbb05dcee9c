// Distributed H0 (native/core/h0.cc's persistence_h0_distributed over MPI) equals the single
// process's persistenceH0 exactly — edges, order and deaths — on Gaussian, tie-heavy and tightly
// clustered clouds (the clusters force list refreshes), n = 0…3, with 2 and 3 ranks; and the CLI's
// `persistence --distributed` prints what the single-process result formats to. Skipped where MPI
// is absent.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { h0Report } from '../src/cli/persistence-distributed.js';
import { formatJson, formatRipserText } from '../src/io/ripser-output.js';
import { persistenceH0 } from '../src/ops/h0.js';
import type { Metric } from '../src/types.js';
import { gaussian, mixSeed, mulberry32 } from '../src/util/random.js';
import { CLI, MPIRUN, mpirun, requireBinding, ROOT } from './support/mpirun.js';

const dir = mkdtempSync(join(tmpdir(), 'topofr-mpi-h0-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Cloud { name: string; data: Float32Array; n: number; dim: number; metric: Metric }

function cloud(name: string, n: number, dim: number, point: (i: number, j: number) => number, metric: Metric = 'euclidean'): Cloud {
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) data[i * dim + j] = point(i, j);
  return { name, data, n, dim, metric };
}

const normal = gaussian(mulberry32(mixSeed(41, 1)));
const uniform = mulberry32(mixSeed(41, 2));
const centres = Array.from({ length: 20 }, () => Array.from({ length: 8 }, () => 10 * normal()));
const CLOUDS: Cloud[] = [
  cloud('gaussian', 1500, 32, () => normal()),
  cloud('gaussian-cosine', 700, 24, () => normal(), 'cosine'),
  // integer grid points with repeats: many equal distances, zero-length edges, the (d, i, j) tie rule decides
  cloud('ties', 600, 3, () => Math.floor(uniform() * 4)),
  // 20 clusters of 50 near-identical points: every member's 16-neighbour list runs out inside its cluster
  cloud('clusters', 1000, 8, (i, j) => centres[i % 20]![j]! + 1e-3 * normal()),
  cloud('n0', 0, 4, () => 0),
  cloud('n1', 1, 4, () => 1),
  cloud('n2', 2, 4, (i) => i),
  cloud('n3', 3, 4, (i, j) => (i === 2 ? 5 : 0) + j),
];

describe.skipIf(!MPIRUN)('distributed H0 (mpirun, TCP loopback)', () => {
  it.each([2, 3])('%i ranks: exactly persistenceH0, sync and async', (ranks) => {
    requireBinding();
    for (const c of CLOUDS) {
      writeFileSync(join(dir, `${c.name}.f32`), Buffer.from(c.data.buffer));
      writeFileSync(join(dir, `${c.name}.json`), JSON.stringify({ n: c.n, dim: c.dim, metric: c.metric }));
    }
    const run = mpirun(['-np', String(ranks), process.execPath, join(ROOT, 'test', 'mpi', 'h0.mjs'), dir], 120_000);
    expect(run.timedOut, run.stderr).toBe(false);
    expect(run.status, run.stderr).toBe(0);
    for (const c of CLOUDS) {
      const expected = persistenceH0({ data: c.data, n: c.n, dim: c.dim }, { metric: c.metric });
      const got = JSON.parse(readFileSync(join(dir, `${c.name}.${ranks}.out.json`), 'utf8')) as Record<string, { edges: number[]; deaths: number[] }>;
      for (const form of ['sync', 'async']) {
        expect(got[form]!.edges, `${c.name} ${form}`).toEqual(Array.from(expected.edges));
        expect(got[form]!.deaths, `${c.name} ${form}`).toEqual(Array.from(expected.deaths));
      }
    }
    // the tie case has repeated points, so zero deaths and equal deaths really occur
    const ties = persistenceH0({ data: CLOUDS[2]!.data, n: 600, dim: 3 });
    expect(ties.deaths.filter((d) => d === 0).length).toBeGreaterThan(100);
  });

  it('topofr persistence --distributed prints the single-process H0 (Ripser text and JSON)', () => {
    requireBinding();
    const c = CLOUDS[0]!;
    const text = Array.from({ length: c.n }, (_, i) => Array.from(c.data.subarray(i * c.dim, (i + 1) * c.dim)).join(',')).join('\n');
    const file = join(dir, 'cloud.txt');
    writeFileSync(file, `${text}\n`);
    const expected = h0Report(persistenceH0(c), c.n, c.dim);
    for (const json of [false, true]) {
      const run = mpirun(['-np', '2', process.execPath, CLI, 'persistence', file, '--format', 'point-cloud', '--dim', '0', '--distributed',
        ...(json ? ['--json'] : [])], 60_000);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toBe(json ? formatJson(expected) : formatRipserText(expected));
    }
    const wrong = mpirun(['-np', '2', process.execPath, CLI, 'persistence', file, '--format', 'point-cloud', '--dim', '1', '--distributed'], 60_000);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain('--distributed computes dimension 0');
  });
});
