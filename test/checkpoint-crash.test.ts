// Issue 15, defects 4 and 5, the crash-point test: a run is killed (SIGKILL) right after each single
// file operation of a checkpoint write in turn (src/io/crash-point.ts counts them), then resumed;
// its final checkpoint must equal an uninterrupted run's bit for bit, and metrics.jsonl must hold
// every step once. Before the fix a kill between the tensors' rename and the manifest's paired
// step-N weights with the step-(N−1) manifest, and a resume logged steps twice.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { resolveConfig, type TrainConfig } from '../src/train/config.js';
import { train } from '../src/train/trainer.js';
import { unregisterNativeKernels } from '../src/tf/native-kernels.js';

const CHILD = join(import.meta.dirname, 'support', 'train-child.mjs');
const dir = mkdtempSync(join(tmpdir(), 'topofr-crash-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  unregisterNativeKernels();
});

/** 6 steps, a checkpoint every 2 steps, every step logged: three checkpoint writes. */
const tiny = (name: string): Partial<TrainConfig> => ({
  name, outDir: dir, trainIdentities: 4, testIdentities: 2, samplesPerIdentity: 3, imageSize: 16, batchSize: 4, epochs: 2,
  widthMultiplier: 0.05, embeddingSize: 8, checkpointEvery: 2, logEvery: 1, maxSteps: 6, verificationPairs: 20, progress: false,
});

const childArgs = (name: string) => [CHILD, JSON.stringify(tiny(name))];

/** Runs a training child that kills itself after file operation `at`; resolves with its signal. */
function killedRun(name: string, at: string): Promise<string | null> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, childArgs(name), { env: { ...process.env, TOPOFR_CRASH_AFTER_FILE_OPERATION: at }, stdio: 'ignore' });
    c.on('close', (_, signal) => resolve(signal));
  });
}

const tensors = (name: string) => loadCheckpoint<{ step: number }>(join(dir, name, 'checkpoint'));
/** metrics.jsonl without the timing field: what must not change across a kill and a resume. */
const metrics = (name: string) => readFileSync(join(dir, name, 'metrics.jsonl'), 'utf8').trim().split('\n')
  .map((line) => JSON.stringify({ ...(JSON.parse(line) as object), imgPerS: 0 }));

describe('checkpoints survive a kill after any file operation', () => {
  const log = join(dir, 'operations.log');
  const base = spawnSync(process.execPath, childArgs('straight'), { env: { ...process.env, TOPOFR_FILE_OPERATION_LOG: log }, encoding: 'utf8' });
  const operations = base.status === 0 ? readFileSync(log, 'utf8').trim().split('\n') : [];
  // The second checkpoint write (step 4): from its tensors file to the removal of the first one.
  const first = operations.findIndex((op) => /write .*tensors-00000002\.bin$/.test(op));
  const last = operations.findIndex((op) => /remove .*tensors-00000001\.bin$/.test(op));
  const points = operations.slice(first - 1, last + 2);  // with the metrics lines logged just before and after

  it('the uninterrupted run writes three checkpoints of 7–8 operations each', () => {
    expect(base.status, base.stderr).toBe(0);
    expect(tensors('straight').state.step).toBe(6);
    expect(points.map((op) => op.split(' ')[1])).toEqual(['append', 'write', 'fsync', 'write', 'fsync', 'fsync', 'rename', 'fsync', 'remove', 'append']);
  });

  // The killed runs, two at a time (each is a process start and a few steps).
  const signals = new Map<string, string | null>();
  beforeAll(async () => {
    const queue = points.map((op) => op.split(' ')[0]!);
    const worker = async () => {
      for (let at; (at = queue.shift()) !== undefined; ) signals.set(at, await killedRun(`killed-${at}`, at));
    };
    await Promise.all([worker(), worker()]);
  }, 300_000);

  /** "20 write tensors-00000002.bin": the operation without the temporary folder. */
  const label = (op: string) => op.replace(/ \/.*\//, ' ');

  it.each(points.map(label))('killed after operation %s, resumed: the same weights and metrics', async (op) => {
    const at = op.split(' ')[0]!;
    const name = `killed-${at}`;
    expect(signals.get(at)).toBe('SIGKILL');
    const resumed = await train(resolveConfig({}, tiny(name)), { resume: true });
    expect(resumed.steps).toBe(6);
    const want = tensors('straight');
    const got = tensors(name);
    expect(got.state.step).toBe(6);
    expect([...got.tensors.keys()]).toEqual([...want.tensors.keys()]);
    for (const [key, t] of want.tensors) expect(Buffer.from(got.tensors.get(key)!.values.buffer).equals(Buffer.from(t.values.buffer)), key).toBe(true);
    expect(metrics(name)).toEqual(metrics('straight'));
  }, 120_000);
});
