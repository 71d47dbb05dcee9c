// The TopoFR trainer: the embedded synthetic identities, an IResNet and a margin head, the TopoFR
// step (src/train/step.ts), SGD with momentum, weight decay and clipping, the poly² schedule;
// metrics.jsonl, checkpoints, an exact resume, and the final evaluation and export.
//
// Determinism: every random choice is a function of (seed, step): the epoch's shuffle, the flips,
// RSP, the paper GUM's signs. So a checkpoint needs only the weights, the momentum buffers and the
// step, and `resume` continues with the very batch and draws an uninterrupted run would use.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { syntheticFaceDataset, type FaceSplit, type SyntheticFaceDataset } from '../data/dataset.js';
import { classCentres } from '../model/heads.js';
import { fileSaver } from '../model/file-io.js';
import { iresnet } from '../model/iresnet.js';
import { useBackend } from '../tf/backend.js';
import { mixSeed, mulberry32 } from '../util/random.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { SgdMomentum } from './optimizer.js';
import { polyLearningRate } from './schedule.js';
import type { GumFit } from './gum.js';
import { applyStep, type StepParts } from './step.js';

export interface StepRecord extends StepParts {
  step: number;
  epoch: number;
  lr: number;
  gradNorm: number;
  imgPerS: number;
}

export interface TrainHooks {
  /** Called after every step (progress display). */
  onStep?: (record: StepRecord, totalSteps: number) => void;
  log?: (line: string) => void;
}

export interface TrainRun {
  dir: string;
  /** The last step's GUM fit and the raw entropies it was given (SDE on), for the report. */
  lastGum?: { entropies: Float64Array; fit: GumFit };
  model: tf.LayersModel;
  centres: tf.Variable;
  steps: number;
  records: StepRecord[];
  seconds: number;
}

const STEP_STREAM = 0x7e;

/** Horizontal flip with probability ½ per image, in place (the official loader's RandomHorizontalFlip). */
function flipHalf(images: Float32Array, n: number, size: number, uniform: () => number): void {
  const row = size * 3;
  for (let b = 0; b < n; b++) {
    if (uniform() >= 0.5) continue;
    for (let y = 0; y < size; y++) {
      const base = b * size * row + y * row;
      for (let x = 0; x < size >> 1; x++) {
        const l = base + x * 3, r = base + (size - 1 - x) * 3;
        for (let c = 0; c < 3; c++) {
          const t = images[l + c]!;
          images[l + c] = images[r + c]!;
          images[r + c] = t;
        }
      }
    }
  }
}

/** The batch of global step `step`: the epoch's seeded shuffle, sliced; then the seeded flips. */
function batchAt(split: FaceSplit, config: TrainConfig, step: number, perEpoch: number) {
  const epoch = Math.floor(step / perEpoch);
  const order = split.epochOrder(epoch, config.seed);
  const start = (step % perEpoch) * config.batchSize;
  const batch = split.batch(order.subarray(start, start + config.batchSize));
  flipHalf(batch.images, config.batchSize, config.imageSize, mulberry32(mixSeed(STEP_STREAM, config.seed, step, 1)));
  return { epoch, images: batch.images, labels: batch.labels };
}

/** The tensors a checkpoint holds: every model weight (BN statistics included), W, the momentum buffers. */
function stateTensors(model: tf.LayersModel, centres: tf.Variable, optimizer: SgdMomentum): Map<string, tf.Variable> {
  const tensors = new Map<string, tf.Variable>();
  for (const w of model.weights) tensors.set(`model/${w.originalName}`, w.read() as tf.Variable);
  tensors.set('head/centres', centres);
  optimizer.state().forEach((v, k) => tensors.set(`velocity/${k}`, v));  // parameter order: stable across processes
  return tensors;
}

/** Everything one run trains: data, backbone, head, optimizer and the schedule's size. */
export interface TrainingSession {
  config: TrainConfig;
  data: SyntheticFaceDataset;
  model: tf.LayersModel;
  centres: tf.Variable;
  optimizer: SgdMomentum;
  /** Steps per epoch and in the whole schedule. */
  perEpoch: number;
  total: number;
  /** One SGD step at global step index k (0-based): the batch, the schedule and the draws of step k. */
  step(k: number, onGum?: (entropies: Float64Array, fit: GumFit) => void): StepRecord;
  /** The tensors a checkpoint holds, by stable name. */
  stateTensors(): Map<string, tf.Variable>;
}

/** Builds the data, model, head and optimizer of a config (after selecting its backend). */
export async function createSession(config: TrainConfig): Promise<TrainingSession> {
  await useBackend(config.backend);
  const data = syntheticFaceDataset({ trainIdentities: config.trainIdentities, testIdentities: config.testIdentities,
    samplesPerIdentity: config.samplesPerIdentity, imageSize: config.imageSize, hardness: config.hardness, seed: config.seed });
  const model = iresnet({ depth: config.depth, inputSize: config.imageSize, widthMultiplier: config.widthMultiplier,
    embeddingSize: config.embeddingSize, seed: config.seed, freezeEmbeddingScale: config.freezeEmbeddingScale });
  const centres = classCentres(config.trainIdentities, config.embeddingSize, config.seed);
  const variables = [...model.trainableWeights.map((w) => w.read() as tf.Variable), centres];
  const optimizer = new SgdMomentum(variables, { momentum: config.momentum, weightDecay: config.weightDecay, clipNorm: config.clipNorm });
  const perEpoch = data.train.batchCount(config.batchSize);
  const total = perEpoch * config.epochs;
  const warmup = Math.round(config.warmupEpochs * perEpoch);
  return {
    config, data, model, centres, optimizer, perEpoch, total,
    stateTensors: () => stateTensors(model, centres, optimizer),
    step(k, onGum) {
      const ts = performance.now();
      const batch = batchAt(data.train, config, k, perEpoch);
      const lr = polyLearningRate(k, total, config.lr, warmup);
      const { parts, gradNorm } = applyStep(model, centres, optimizer, { images: batch.images, labels: batch.labels, n: config.batchSize, size: config.imageSize },
        config, mixSeed(STEP_STREAM, config.seed, k, 2), lr, { onGum });
      if (!Number.isFinite(parts.loss)) throw new RangeError(`training diverged at step ${k}: loss ${parts.loss} (lower lr or alpha)`);
      return { step: k + 1, epoch: batch.epoch, lr, gradNorm, ...parts, imgPerS: (config.batchSize * 1000) / (performance.now() - ts) };
    },
  };
}

export async function train(config: TrainConfig, options: { resume?: boolean } & TrainHooks = {}): Promise<TrainRun> {
  const log = options.log ?? (() => {});
  const dir = join(config.outDir, config.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const session = await createSession(config);
  const limit = config.maxSteps > 0 ? Math.min(config.maxSteps, session.total) : session.total;
  const checkpointDir = join(dir, 'checkpoint');
  const metricsPath = join(dir, 'metrics.jsonl');

  let start = 0;
  if (options.resume) {
    const ckpt = loadCheckpoint<{ step: number }>(checkpointDir);
    for (const [name, v] of session.stateTensors()) {
      const saved = ckpt.tensors.get(name);
      if (!saved || saved.values.length !== v.size)
        throw new RangeError(`checkpoint ${checkpointDir} does not match this config (tensor ${name}); resume with the run's own config`);
      v.assign(tf.tensor(saved.values, v.shape));
    }
    start = ckpt.state.step;
    log(`resumed ${dir} at step ${start}`);
  } else {
    writeFileSync(metricsPath, '');
  }
  const save = (step: number) => {
    const tensors = [...session.stateTensors()].map(([name, v]) =>
      [name, { shape: v.shape, values: v.dataSync() as Float32Array }] as [string, { shape: number[]; values: Float32Array }]);
    saveCheckpoint(checkpointDir, { step }, tensors);
  };

  const records: StepRecord[] = [];
  let lastGum: TrainRun['lastGum'];
  const t0 = performance.now();
  for (let step = start; step < limit; step++) {
    const record = session.step(step, (entropies, fit) => (lastGum = { entropies, fit }));
    records.push(record);
    if ((step + 1) % config.logEvery === 0) appendFileSync(metricsPath, `${JSON.stringify(record)}\n`);
    options.onStep?.(record, limit);
    if ((step + 1) % config.checkpointEvery === 0 || step + 1 === limit) save(step + 1);
  }
  return { dir, model: session.model, centres: session.centres, steps: limit, records, seconds: (performance.now() - t0) / 1000, lastGum };
}

/** Writes the backbone in the standard tfjs format (model.json + weights.bin) under `<dir>/model`. */
export async function exportModel(run: Pick<TrainRun, 'dir' | 'model'>): Promise<string> {
  const target = join(run.dir, 'model');
  await run.model.save(fileSaver(target));
  return target;
}
