// Data-parallel training under mpirun (2 ranks, TCP loopback), against one process:
// - `topofr train --distributed` on 2 ranks ends with the same checkpoint, byte for byte (weights,
//   momentum, rank 0's batch-norm statistics), and the same metrics as `topofr train --shards 2`;
// - a rank killed mid-run (SIGKILL) ends the job quickly and non-zero, rank 0's last checkpoint
//   stays, and `--resume` on 2 ranks continues from it to the same final checkpoint;
// - a rank that throws ends the job with a message naming the rank and the cause; ranks that
//   differ (fingerprint) refuse to start.
// Skipped where MPI is absent.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, MPIRUN, mpirun, requireBinding, ROOT, topofr } from './support/mpirun.js';

const dir = mkdtempSync(join(tmpdir(), 'topofr-mpi-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A tiny run (16×16 faces, width 0.125), 8 steps of batch 8, TopoFR's parts all on (RSP, topology term, SDE).
const SETTINGS = {
  outDir: dir, trainIdentities: 8, testIdentities: 6, samplesPerIdentity: 4, imageSize: 16, batchSize: 8, epochs: 2,
  widthMultiplier: 0.125, embeddingSize: 16, verificationPairs: 20, maxSteps: 8, rspProbability: 0.5, checkpointEvery: 2,
};
const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const flags = (settings: Record<string, unknown>): string[] =>
  Object.entries(settings).flatMap(([k, v]) => (v === true ? [`--${kebab(k)}`] : [`--${kebab(k)}`, String(v)]));
const train = (name: string, extra: Record<string, unknown> = {}) => ['train', ...flags({ ...SETTINGS, name, ...extra }), '--no-progress'];
const manifest = (name: string) => JSON.parse(readFileSync(join(dir, name, 'checkpoint', 'checkpoint.json'), 'utf8')) as { file: string; state: { step: number } };
/** A checkpoint folder's tensors file, the one its manifest names. */
const tensorsFile = (folder: string) =>
  readFileSync(join(folder, (JSON.parse(readFileSync(join(folder, 'checkpoint.json'), 'utf8')) as { file: string }).file));
const checkpoint = (name: string) => tensorsFile(join(dir, name, 'checkpoint'));
const metrics = (name: string) => readFileSync(join(dir, name, 'metrics.jsonl'), 'utf8').trim().split('\n')
  .map((line) => { const { imgPerS: _, ...rest } = JSON.parse(line) as Record<string, number>; return rest; });
const step = (name: string) => manifest(name).state.step;

describe.skipIf(!MPIRUN)('distributed training (mpirun, 2 ranks, TCP loopback)', () => {
  it('2 ranks are bit-identical to one process with shards: 2 (and differ from shards: 1)', () => {
    requireBinding();
    const one = topofr(train('shards2', { shards: 2 }), 120_000);
    expect(one.status, one.stderr).toBe(0);
    const two = mpirun(['-np', '2', process.execPath, CLI, ...train('ranks2'), '--distributed'], 180_000);
    expect(two.timedOut, two.stderr).toBe(false);
    expect(two.status, two.stderr).toBe(0);
    expect(step('ranks2')).toBe(8);
    expect(checkpoint('ranks2').equals(checkpoint('shards2'))).toBe(true);
    expect(metrics('ranks2')).toEqual(metrics('shards2'));
    // rank 0 alone reports: one summary on stdout
    expect(two.stdout.match(/"accuracy"/g)).toHaveLength(1);
    const single = topofr(train('shards1'), 120_000);
    expect(single.status, single.stderr).toBe(0);
    expect(checkpoint('shards1').equals(checkpoint('shards2'))).toBe(false);
  });

  it('a rank killed mid-run ends the job in seconds; --resume continues from the last checkpoint', () => {
    requireBinding();
    const deathFile = join(dir, 'death');
    const settings = { ...SETTINGS, name: 'killed', progress: false };
    const killed = mpirun(['-np', '2', process.execPath, join(ROOT, 'test', 'mpi', 'train-rank.mjs'), JSON.stringify(settings), '1', '5', deathFile], 120_000);
    const ended = Date.now();
    expect(killed.timedOut, killed.stderr).toBe(false);
    expect(killed.status).not.toBe(0);
    expect(killed.stderr).toMatch(/rank 1/);
    expect(ended - Number(readFileSync(deathFile, 'utf8'))).toBeLessThan(15_000);
    // rank 0 could not finish step 6 without rank 1: its last checkpoint is step 4, intact
    expect(step('killed')).toBe(4);
    // resumable on any W' that divides the batch: one process with 2 shards continues it exactly too; 3 ranks are refused
    cpSync(join(dir, 'killed'), join(dir, 'killed-1p'), { recursive: true });
    const alone = topofr([...train('killed-1p', { shards: 2 }), '--resume'], 120_000);
    expect(alone.status, alone.stderr).toBe(0);
    expect(checkpoint('killed-1p').equals(checkpoint('shards2'))).toBe(true);
    const three = mpirun(['-np', '3', process.execPath, CLI, ...train('killed'), '--distributed', '--resume'], 60_000);
    expect(three.status).not.toBe(0);
    expect(three.stderr).toContain('must split into 3 shards');
    const resumed = mpirun(['-np', '2', process.execPath, CLI, ...train('killed'), '--distributed', '--resume'], 180_000);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('resumed');
    expect(step('killed')).toBe(8);
    expect(existsSync(join(dir, 'shards2'))).toBe(true);  // from the test above
    expect(checkpoint('killed').equals(checkpoint('shards2'))).toBe(true);
  });

  it('a rank that throws ends the job with its rank and cause; ranks that differ refuse to start', () => {
    requireBinding();
    const node = process.execPath;
    const thrown = mpirun(['-np', '1', node, CLI, ...train('thrown'), '--distributed', ':',
      '-np', '1', node, CLI, ...train('thrown'), '--distributed', '--config', join(dir, 'missing.yaml')], 60_000);
    expect(thrown.timedOut, thrown.stderr).toBe(false);
    expect(thrown.status).not.toBe(0);
    expect(thrown.stderr).toMatch(/topofr: rank 1 of 2 on [^:]+: config file .*missing\.yaml/);
    const differ = mpirun(['-np', '1', node, CLI, ...train('differ'), '--distributed', ':',
      '-np', '1', node, CLI, ...train('differ', { lr: 0.05 }), '--distributed'], 60_000);
    expect(differ.timedOut, differ.stderr).toBe(false);
    expect(differ.status).not.toBe(0);
    expect(differ.stderr).toMatch(/rank 1 has config [0-9a-f]+, rank 0 has config [0-9a-f]+/);
    // started by mpirun without --distributed: refused, rather than two runs writing one folder
    const plain = mpirun(['-np', '2', node, CLI, ...train('plain')], 60_000);
    expect(plain.status).not.toBe(0);
    expect(plain.stderr).toContain('without --distributed');
  });
});

describe.skipIf(!MPIRUN)('distributed training with Partial FC (mpirun, 2 ranks)', () => {
  const shardFiles = (name: string, step: number) => [0, 1].map((r) =>
    tensorsFile(join(dir, name, 'checkpoint', 'partial-fc', `rank-${r}-of-2`, `step-${step}`)));

  it('trains with each rank holding half the classes; shard checkpoints resume exactly', () => {
    requireBinding();
    const pfc = { partialFc: true, maxSteps: 4, alpha: 0.1, omega2: 'paper' };
    const straight = mpirun(['-np', '2', process.execPath, CLI, ...train('pfc', pfc), '--distributed'], 180_000);
    expect(straight.status, straight.stderr).toBe(0);
    expect(metrics('pfc').every((r) => Number.isFinite(r.loss) && r.cls > 0 && r.topo > 0)).toBe(true);
    const half = mpirun(['-np', '2', process.execPath, CLI, ...train('pfc-resumed', { ...pfc, maxSteps: 2 }), '--distributed'], 180_000);
    expect(half.status, half.stderr).toBe(0);
    const rest = mpirun(['-np', '2', process.execPath, CLI, ...train('pfc-resumed', pfc), '--distributed', '--resume'], 180_000);
    expect(rest.status, rest.stderr).toBe(0);
    expect(checkpoint('pfc-resumed').equals(checkpoint('pfc'))).toBe(true);
    shardFiles('pfc-resumed', 4).forEach((file, r) => expect(file.equals(shardFiles('pfc', 4)[r]!)).toBe(true));
    // each rank's shard: 4 of the 8 classes × 16 values, centres and momentum
    expect(shardFiles('pfc', 4).map((f) => f.length)).toEqual([2 * 4 * 16 * 4, 2 * 4 * 16 * 4]);
  });
});
