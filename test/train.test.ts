// The trainer's pieces: config precedence and errors, the poly² schedule, the SGD update against
// PyTorch's formula, checkpoints, and a resumed run that ends with bit-identical weights.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '../src/train/checkpoint.js';
import { DEFAULT_CONFIG, readConfigFile, resolveConfig, type TrainConfig } from '../src/train/config.js';
import { SgdMomentum } from '../src/train/optimizer.js';
import { polyLearningRate } from '../src/train/schedule.js';
import { train } from '../src/train/trainer.js';
import { unregisterNativeKernels } from '../src/tf/native-kernels.js';

tf.enableProdMode();
const dir = mkdtempSync(join(tmpdir(), 'topofr-train-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  unregisterNativeKernels();
});

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return `${e instanceof TypeError ? 'TypeError' : e instanceof RangeError ? 'RangeError' : 'Error'}:${(e as { code?: string }).code}`;
  }
  return 'none';
};

describe('config', () => {
  it('defaults < file < flags, YAML or JSON', () => {
    const yaml = join(dir, 'c.yaml');
    writeFileSync(yaml, 'epochs: 3\nalpha: 0.05\nhead: cosface\n');
    const c = resolveConfig(readConfigFile(yaml), { alpha: 0.2 });
    expect(c.epochs).toBe(3);
    expect(c.head).toBe('cosface');
    expect(c.alpha).toBe(0.2);
    expect(c.lr).toBe(DEFAULT_CONFIG.lr);
    const json = join(dir, 'c.json');
    writeFileSync(json, JSON.stringify({ omega2: 'paper' }));
    expect(resolveConfig(readConfigFile(json)).omega2).toBe('paper');
  });

  it('refuses unknown settings, wrong types, out-of-range values and unreadable files', () => {
    expect(code(() => resolveConfig({}, { alpah: 1 } as never))).toBe('RangeError:ERR_TOPOFR_INVALID_VALUE');
    expect(code(() => resolveConfig({}, { epochs: '3' } as never))).toBe('TypeError:ERR_TOPOFR_INVALID_TYPE');
    expect(code(() => resolveConfig({}, { epochs: 2.5 }))).toBe('RangeError:ERR_TOPOFR_INVALID_VALUE');
    expect(code(() => resolveConfig({}, { rspProbability: 1.5 }))).toBe('RangeError:ERR_TOPOFR_INVALID_VALUE');
    expect(code(() => resolveConfig({}, { head: 'sphereface' } as never))).toBe('RangeError:ERR_TOPOFR_INVALID_VALUE');
    expect(code(() => resolveConfig({}, { name: '../x' }))).toBe('RangeError:ERR_TOPOFR_INVALID_VALUE');
    expect(code(() => resolveConfig({}, { batchSize: 4096 }))).toBe('RangeError:ERR_TOPOFR_INVALID_VALUE');
    expect(code(() => readConfigFile(join(dir, 'missing.yaml')))).toBe('Error:ERR_TOPOFR_IO');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'epochs: [1, 2\n');
    expect(code(() => readConfigFile(bad))).toBe('RangeError:ERR_TOPOFR_INVALID_VALUE');
  });
});

describe('schedule and optimizer', () => {
  it('poly² without warm-up repeats the base rate once, as the official scheduler', () => {
    expect(polyLearningRate(0, 100, 0.1)).toBe(0.1);
    expect(polyLearningRate(1, 100, 0.1)).toBe(0.1);
    expect(polyLearningRate(2, 100, 0.1)).toBeCloseTo(0.1 * 0.99 ** 2, 12);
    expect(polyLearningRate(101, 100, 0.1)).toBe(0);
    expect(polyLearningRate(0, 100, 0.1, 10)).toBeCloseTo(0.01, 12);  // linear warm-up
  });

  it("SGD: clip to the global norm, then PyTorch's weight decay and momentum", () => {
    const p = tf.variable(tf.tensor([1, -2, 3]), true, 'sgd-test-p');
    const opt = new SgdMomentum([p], { momentum: 0.9, weightDecay: 0.01, clipNorm: 1 });
    const g = tf.tensor([3, 0, 4]);  // norm 5 → scaled to norm 1
    expect(opt.step({ [p.name]: g }, 0.1)).toBeCloseTo(5, 6);
    // v = g/5·(1 − 1e−6·…) + wd·p;  p ← p − lr·v
    const c = 1 / (5 + 1e-6);
    const v1 = [3 * c + 0.01 * 1, 0 + 0.01 * -2, 4 * c + 0.01 * 3];
    const p1 = [1 - 0.1 * v1[0]!, -2 - 0.1 * v1[1]!, 3 - 0.1 * v1[2]!];
    Array.from(p.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(p1[i]!, 6));
    opt.step({ [p.name]: tf.tensor([0.1, 0.1, 0.1]) }, 0.1);  // norm < 1: no clipping
    const v2 = v1.map((v, i) => 0.9 * v + 0.1 + 0.01 * p1[i]!);
    Array.from(p.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(p1[i]! - 0.1 * v2[i]!, 6));
  });

  it('checkpoints round-trip tensors and state', () => {
    const d = join(dir, 'ckpt');
    saveCheckpoint(d, { step: 7 }, [['a', { shape: [2], values: Float32Array.from([1, 2]) }], ['b', { shape: [1, 1], values: Float32Array.from([3]) }]]);
    const c = loadCheckpoint<{ step: number }>(d);
    expect(c.state.step).toBe(7);
    expect(Array.from(c.tensors.get('a')!.values)).toEqual([1, 2]);
    expect(c.tensors.get('b')!.shape).toEqual([1, 1]);
    expect(code(() => loadCheckpoint(join(dir, 'none')))).toBe('Error:ERR_TOPOFR_CHECKPOINT');
  });
});

describe('training', () => {
  const tiny = (name: string, extra: Partial<TrainConfig> = {}): TrainConfig => resolveConfig({}, {
    name, outDir: dir, trainIdentities: 8, testIdentities: 6, samplesPerIdentity: 4, imageSize: 16, batchSize: 8, epochs: 2,
    widthMultiplier: 0.125, embeddingSize: 16, checkpointEvery: 1000, verificationPairs: 20, progress: false, ...extra,
  });
  const weights = (run: { model: tf.LayersModel; centres: tf.Variable }) =>
    [...run.model.getWeights().map((w) => Array.from(w.dataSync())), Array.from(run.centres.dataSync())];

  it('N steps straight = N/2, checkpoint, resume, N/2: identical weights and losses', async () => {
    const straight = await train(tiny('straight'));
    expect(straight.steps).toBe(8);
    const half = await train(tiny('resumed', { maxSteps: 4 }));
    expect(half.steps).toBe(4);
    const resumed = await train(tiny('resumed'), { resume: true });
    expect(weights(resumed)).toEqual(weights(straight));
    expect(resumed.records.map((r) => r.loss)).toEqual(straight.records.slice(4).map((r) => r.loss));
    const lines = readFileSync(join(dir, 'resumed', 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { step: number }).step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("trains the embedding BN's γ by default, keeps it at 1 when frozen, and logs the batch geometry", async () => {
    const gamma = (run: { model: tf.LayersModel }) => Array.from(run.model.getLayer('features').weights.find((w) => w.originalName.endsWith('/gamma'))!.read().dataSync());
    const trained = await train(tiny('gamma-trained', { maxSteps: 2 }));
    expect(gamma(trained).some((v) => v !== 1)).toBe(true);
    const frozen = await train(tiny('gamma-frozen', { maxSteps: 2, freezeEmbeddingScale: true }));
    expect(gamma(frozen).every((v) => v === 1)).toBe(true);
    for (const r of [...trained.records, ...frozen.records]) {
      expect(r.mstRatio).toBeGreaterThan(0);
      expect(r.participation).toBeGreaterThanOrEqual(1);
      expect(r.participation).toBeLessThanOrEqual(8);  // ≤ min(batch, embedding) directions
      expect(Number.isInteger(r.pGtOne)).toBe(true);
    }
    expect(trained.records[1]!.gammaMean).toBeCloseTo(gamma(trained).reduce((a, b) => a + b, 0) / 16, 6);
    expect(frozen.records.every((r) => r.gammaMean === 1)).toBe(true);
  });

  it('every ablation switch trains (ArcFace, +RSP, TopoFR-A, PTSA, +ω2 paper, +ω1 paper GUM, symmetric ISA, CosFace)', async () => {
    const rows: Partial<TrainConfig>[] = [
      { alpha: 0, rspProbability: 0, omega1: 'none', omega2: 'none' },
      { alpha: 0, rspProbability: 0.5, omega1: 'none', omega2: 'none' },
      { alpha: 0.1, rspProbability: 0, omega1: 'none', omega2: 'none' },
      { alpha: 0.1, rspProbability: 0.5, omega1: 'none', omega2: 'paper', inPlaceErasing: true },
      { alpha: 0.1, rspProbability: 0.5, omega1: 'paper', omega2: 'none', topoVariant: 'symmetric', head: 'cosface', margin: 0.4 },
      { alpha: 0.1, rspProbability: 0, omega1: 'none', omega2: 'none', latentScale: 4 },
    ];
    const topo: number[] = [];
    for (const [k, row] of rows.entries()) {
      const run = await train(tiny(`ablation-${k}`, { maxSteps: 2, ...row }));
      expect(run.records.every((r) => Number.isFinite(r.loss))).toBe(true);
      if (row.alpha === 0) expect(run.records.every((r) => r.topo === 0)).toBe(true);
      else expect(run.records.every((r) => r.topo > 0)).toBe(true);
      if (row.omega1 === 'none' && row.omega2 === 'none') expect(run.records.every((r) => r.omega === 1)).toBe(true);
      topo.push(run.records[0]!.topo);
    }
    // the same first batch and weights: rows 2 and 5 differ only in the latent scale (1 vs 4)
    expect(topo[5]).not.toBeCloseTo(topo[2]!, 3);
  });
});

describe('ablation table', () => {
  it('mean ± population std per row, difference to the first row', async () => {
    const { aggregate, ablationTable, meanStd, TABLE3_ROWS } = await import('../src/train/ablation.js');
    expect(meanStd([0.8, 0.9, 1.0]).mean).toBeCloseTo(0.9, 12);
    expect(meanStd([0.8, 0.9, 1.0]).std).toBeCloseTo(Math.sqrt(0.02 / 3), 12);
    const a = aggregate('ArcFace', [1, 2], [{ accuracy: 0.8, tarAtFar: { '1e-1': 0.5 } }, { accuracy: 0.9, tarAtFar: { '1e-1': 0.7 } }]);
    const b = aggregate('TopoFR', [1, 2], [{ accuracy: 0.9, tarAtFar: { '1e-1': 0.6 } }, { accuracy: 0.9, tarAtFar: { '1e-1': 0.6 } }]);
    const table = ablationTable([a, b]).split('\n');
    expect(table[2]).toBe('| ArcFace | 85.00 ± 5.00 | 0.00 | 60.00 ± 10.00 |');
    expect(table[3]).toBe('| TopoFR | 90.00 ± 0.00 | 5.00 | 60.00 ± 0.00 |');
    expect(TABLE3_ROWS.map((r) => r.name)).toHaveLength(7);
  });
});
