// Checkpoints and the run folder (issue 15, defects 4–7): one commit point, verified loads, old
// files removed only after the commit; a resume checks the config before writing anything and
// refuses a changed setting unless overridden; metrics.jsonl is cut back to the checkpoint's step;
// run names that are not one folder are refused.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TopofrError } from '../src/errors.js';
import { clearCheckpoint, loadCheckpoint, saveCheckpoint } from '../src/train/checkpoint.js';
import { DEFAULT_CONFIG, resolveConfig, type TrainConfig } from '../src/train/config.js';
import { readMetrics, RunFolder } from '../src/train/run-folder.js';

const dir = mkdtempSync(join(tmpdir(), 'topofr-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tensors = (v: number): [string, { shape: number[]; values: Float32Array }][] =>
  [['a', { shape: [2], values: Float32Array.of(v, v + 1) }], ['b', { shape: [1, 1], values: Float32Array.of(v * 10) }]];

function errorOf(f: () => unknown): { code?: string; message: string; type: string } {
  try {
    f();
  } catch (e) {
    return { code: (e as { code?: string }).code, message: (e as Error).message, type: (e as Error).constructor.name };
  }
  throw new Error('expected an error');
}

describe('saveCheckpoint / loadCheckpoint', () => {
  it('the manifest names its own tensors file; older files go only after the commit', () => {
    const d = join(dir, 'commit');
    saveCheckpoint(d, { step: 1 }, tensors(1));
    saveCheckpoint(d, { step: 2 }, tensors(2));
    const manifest = JSON.parse(readFileSync(join(d, 'checkpoint.json'), 'utf8')) as { file: string; sha256: string; state: { step: number } };
    expect(readdirSync(d).sort()).toEqual(['checkpoint.json', manifest.file]);
    expect(manifest.state.step).toBe(2);
    const c = loadCheckpoint<{ step: number }>(d);
    expect(Array.from(c.tensors.get('a')!.values)).toEqual([2, 3]);
    expect(c.tensors.get('b')!.shape).toEqual([1, 1]);
  });

  it('a write killed before its commit leaves the previous checkpoint in force, and its debris is removed later', () => {
    const d = join(dir, 'debris');
    saveCheckpoint(d, { step: 2 }, tensors(2));
    // What a kill between the tensors file and the manifest's rename leaves: a newer tensors file
    // (the old code renamed it over the live one) and a staged manifest.
    writeFileSync(join(d, 'tensors-00000009.bin'), Buffer.from(Float32Array.of(9, 9, 9).buffer));
    writeFileSync(join(d, 'checkpoint.json.tmp'), '{"half": ');
    expect(loadCheckpoint<{ step: number }>(d).state.step).toBe(2);
    expect(Array.from(loadCheckpoint(d).tensors.get('a')!.values)).toEqual([2, 3]);
    saveCheckpoint(d, { step: 4 }, tensors(4));
    expect(readdirSync(d)).toHaveLength(2);
    expect(Array.from(loadCheckpoint(d).tensors.get('a')!.values)).toEqual([4, 5]);
  });

  it('refuses tensors that do not match the manifest, a manifest naming a path, and garbage', () => {
    const d = join(dir, 'tampered');
    saveCheckpoint(d, { step: 1 }, tensors(1));
    const manifest = JSON.parse(readFileSync(join(d, 'checkpoint.json'), 'utf8')) as { file: string };
    writeFileSync(join(d, manifest.file), Buffer.from(Float32Array.of(7, 8, 9).buffer));  // same length, other values
    expect(errorOf(() => loadCheckpoint(d))).toMatchObject({ type: 'TopofrError', code: 'ERR_TOPOFR_CHECKPOINT', message: expect.stringMatching(/SHA-256/) });
    writeFileSync(join(d, 'checkpoint.json'), JSON.stringify({ ...manifest, format: 'topofr-checkpoint-2', file: '../../etc/passwd' }));
    expect(errorOf(() => loadCheckpoint(d)).message).toMatch(/names no tensors file/);
    writeFileSync(join(d, 'checkpoint.json'), '{');
    expect(errorOf(() => loadCheckpoint(d)).code).toBe('ERR_TOPOFR_CHECKPOINT');
    expect(errorOf(() => loadCheckpoint(join(dir, 'none'))).message).toMatch(/no usable checkpoint.*missing/);
  });

  it('clearCheckpoint removes the manifest first, then the files', () => {
    const d = join(dir, 'clear');
    saveCheckpoint(d, { step: 1 }, tensors(1));
    clearCheckpoint(d);
    expect(readdirSync(d)).toEqual([]);
    clearCheckpoint(join(dir, 'no-such-folder'));
  });
});

describe('RunFolder', () => {
  const config = (extra: Partial<TrainConfig> = {}): TrainConfig => resolveConfig({}, { outDir: join(dir, 'runs'), name: 'r', ...extra });
  const runDir = join(dir, 'runs', 'r');
  const save = (step: number, c = config()) => {
    mkdirSync(join(runDir, 'checkpoint'), { recursive: true });
    saveCheckpoint(join(runDir, 'checkpoint'), { step, config: c }, tensors(step));
  };

  it('a resume with a changed hyper-parameter is refused before anything is written', () => {
    save(4);
    writeFileSync(join(runDir, 'config.json'), 'original');
    writeFileSync(join(runDir, 'metrics.jsonl'), 'original');
    const e = errorOf(() => new RunFolder(config({ lr: 0.2, alpha: 0.05 }), { resume: true }));
    expect(e).toMatchObject({ type: 'TopofrError', code: 'ERR_TOPOFR_CHECKPOINT' });
    expect(e.message).toMatch(/lr 0\.1 → 0\.2, alpha 0\.1 → 0\.05.*--override/);
    expect(readFileSync(join(runDir, 'config.json'), 'utf8')).toBe('original');
    expect(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')).toBe('original');
  });

  it('--override continues with the new settings and says which; run-control fields may change freely', () => {
    save(4);
    const overridden = new RunFolder(config({ lr: 0.2 }), { resume: true, override: true });
    expect(overridden.overridden).toEqual(['lr 0.1 → 0.2']);
    const free = new RunFolder(config({ maxSteps: 99, logEvery: 7, checkpointEvery: 3, progress: false, verificationPairs: 40 }), { resume: true });
    expect(free.start).toBe(4);
    expect(free.overridden).toEqual([]);
  });

  it('a resume cuts metrics.jsonl back to the checkpoint step: no step twice, no half line', () => {
    save(4);
    const line = (step: number, loss = step) => JSON.stringify({ step, loss });
    writeFileSync(join(runDir, 'metrics.jsonl'), [1, 2, 3, 4, 5, 6].map((s) => line(s)).join('\n') + '\n' + line(3, 33) + '\n{"step": 7, "lo');
    const run = new RunFolder(config(), { resume: true });
    run.begin();
    expect(readMetrics(join(runDir, 'metrics.jsonl')).map((m) => m.record)).toEqual([
      { step: 1, loss: 1 }, { step: 2, loss: 2 }, { step: 3, loss: 33 }, { step: 4, loss: 4 }]);
    expect(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'))).toEqual(config());
  });

  it('a fresh run in an old run folder drops its checkpoint and metrics', () => {
    save(4);
    new RunFolder(config()).begin();
    expect(existsSync(join(runDir, 'checkpoint', 'checkpoint.json'))).toBe(false);
    expect(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')).toBe('');
  });

  it("run names are one folder: '.', '..', paths and empty names are refused", () => {
    for (const name of ['.', '..', 'a/b', '../x', '', 'x'.repeat(129), 'a\u0000b'])
      expect(errorOf(() => resolveConfig({}, { name })), name).toMatchObject({ type: 'TopofrRangeError', code: 'ERR_TOPOFR_INVALID_VALUE' });
    expect(resolveConfig({}, { name: '.hidden.run-1' }).name).toBe('.hidden.run-1');
  });

  it('prototype keys are not settings', () => {
    for (const key of ['__proto__', 'constructor', 'toString']) {
      const flags = JSON.parse(`{"${key}": {"polluted": 1}}`) as Record<string, unknown>;
      expect(errorOf(() => resolveConfig(flags))).toMatchObject({ code: 'ERR_TOPOFR_INVALID_VALUE', message: expect.stringMatching(/unknown setting/) });
    }
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
    expect(Object.keys(DEFAULT_CONFIG)).not.toContain('__proto__');
  });
});

it('TopofrError is what a missing checkpoint gives', () => {
  expect(() => new RunFolder(resolveConfig({}, { outDir: join(dir, 'nothing'), name: 'x' }), { resume: true })).toThrow(TopofrError);
});
