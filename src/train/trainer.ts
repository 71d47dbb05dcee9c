// The TopoFR trainer: a training set (src/data/source.ts: the embedded synthetic identities by default),
// an IResNet and a margin head, the TopoFR
// step (src/train/step.ts), SGD with momentum, weight decay and clipping, the poly² schedule;
// metrics.jsonl, checkpoints, an exact resume, and the final evaluation and export.
//
// Determinism: every random choice is a function of (seed, step): the epoch's shuffle, the flips,
// RSP, the paper GUM's signs. So a checkpoint needs only the weights, the momentum buffers and the
// step, and `resume` continues with the very batch and draws an uninterrupted run would use.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createLoader, type DataLoader } from '../data/loader.js';
import { STEP_STREAM } from '../data/sampler.js';
import type { FaceSource } from '../data/source.js';
import { trainingSource } from '../data/training-source.js';
import { TopofrError, TopofrRangeError } from '../errors.js';
import { classCentres } from '../model/heads.js';
import { stepGradients, type StepPlan } from '../distributed/canonical-step.js';
import { agreeOnRun, shareState } from '../distributed/run-state.js';
import { PartialFc } from '../distributed/partial-fc.js';
import { loadPartialFcShard, savePartialFcShard } from '../distributed/partial-fc-checkpoint.js';
import { localWorld, type World } from '../distributed/world.js';
import { shardRange } from '../distributed/shard.js';
import { fileSaver } from '../model/file-io.js';
import { iresnet } from '../model/iresnet.js';
import { useBackend } from '../tf/backend.js';
import { mixSeed } from '../util/random.js';
import { RunFolder } from './run-folder.js';
import type { TrainConfig } from './config.js';
import { SgdMomentum } from './optimizer.js';
import { polyLearningRate } from './schedule.js';
import type { GumFit } from './gum.js';
import { embeddingScale } from './geometry.js';
import { emptyParts, headOf, softmaxClassifier, stepLoss, type StepParts } from './step.js';
import { VerificationCallback } from './verification-callback.js';

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

/** The tensors a checkpoint holds: every model weight (BN statistics included), W, the momentum
 *  buffers; with Partial FC, W and its momentum are per rank (rankTensors) instead. */
function stateTensors(model: tf.LayersModel, centres: tf.Variable, optimizer: SgdMomentum, partialFc: boolean): Map<string, tf.Variable> {
  const tensors = new Map<string, tf.Variable>();
  for (const w of model.weights) tensors.set(`model/${w.originalName}`, w.read() as tf.Variable);
  if (!partialFc) tensors.set('head/centres', centres);
  const velocity = optimizer.state();
  (partialFc ? velocity.slice(0, -1) : velocity).forEach((v, k) => tensors.set(`velocity/${k}`, v));  // parameter order: stable across processes
  return tensors;
}

/** Everything one run trains: data, backbone, head, optimizer and the schedule's size. */
export interface TrainingSession {
  config: TrainConfig;
  /** The training set and its loader (the epoch's shuffle and the flips, decoded ahead). */
  source: FaceSource;
  loader: DataLoader;
  model: tf.LayersModel;
  centres: tf.Variable;
  optimizer: SgdMomentum;
  /** Steps per epoch and in the whole schedule. */
  perEpoch: number;
  total: number;
  /** One SGD step at global step index k (0-based): the batch, the schedule and the draws of step k. */
  step(k: number, onGum?: (entropies: Float64Array, fit: GumFit) => void): Promise<StepRecord>;
  /** The tensors a checkpoint holds, by stable name (the same on every rank). */
  stateTensors(): Map<string, tf.Variable>;
  /** The processes this session trains on (localWorld() for one). */
  world: World;
  /** Partial FC's class shard of this rank (config.partialFc), whose centres and momentum are rankTensors. */
  partialFc?: PartialFc;
  rankTensors(): Map<string, tf.Variable>;
  /** Stops the loader's workers. */
  close(): Promise<void>;
}

export interface SessionOptions extends Pick<TrainHooks, 'log'> {
  /** The ranks of a distributed run, each computing one of config.shards gradient shards. */
  world?: World;
}

/** Builds the data, model, head and optimizer of a config (after selecting its backend). The loader
 *  serves this process's part of each step's batch of config.batchSize samples: all of it in one
 *  process (whose config.shards shards are row ranges of it), one shard per rank in a distributed
 *  run — the same rows either way (the plan draws a global batch and splits it in rank order). */
export async function createSession(config: TrainConfig, options: SessionOptions = {}): Promise<TrainingSession> {
  const world = options.world ?? localWorld();
  await useBackend(config.backend);
  agreeOnRun(world, config);
  const source = await trainingSource(config);
  const ranks = world.size;
  const loader = createLoader(source, { batchSize: config.batchSize / ranks, worldSize: ranks, rank: world.rank,
    imageSize: config.imageSize, seed: config.seed, workers: config.dataWorkers, skipBadImages: config.skipBadImages, onWarning: options.log });
  const model = iresnet({ depth: config.depth, inputSize: config.imageSize, widthMultiplier: config.widthMultiplier,
    embeddingSize: config.embeddingSize, seed: config.seed, freezeEmbeddingScale: config.freezeEmbeddingScale });
  const partialFc = config.partialFc ? new PartialFc(world, { classes: source.classes, embeddingSize: config.embeddingSize,
    head: headOf(config), sampleRate: config.sampleRate, seed: config.seed }) : undefined;
  const centres = partialFc?.centres ?? classCentres(source.classes, config.embeddingSize, config.seed);
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const variables = [...trainable, centres];
  const optimizer = new SgdMomentum(variables, { momentum: config.momentum, weightDecay: config.weightDecay, clipNorm: config.clipNorm });
  const perEpoch = loader.perEpoch;
  const total = perEpoch * config.epochs;
  const warmup = Math.round(config.warmupEpochs * perEpoch);
  const plan: StepPlan = { world, shards: config.shards, replicated: partialFc ? trainable : variables, local: partialFc ? [centres] : [],
    runningStats: model.nonTrainableWeights.map((w) => w.read() as tf.Variable) };
  const pixels = config.imageSize * config.imageSize * 3;
  return {
    config, source, loader, model, centres, optimizer, perEpoch, total, world, partialFc,
    stateTensors: () => stateTensors(model, centres, optimizer, partialFc !== undefined),
    rankTensors: () => new Map(partialFc ? [['head/centres', centres], ['velocity/centres', optimizer.state().at(-1)!]] : []),
    close: () => loader.close().finally(() => source.close()),
    async step(k, onGum) {
      const ts = performance.now();
      const batch = await loader.batch(k);
      const lr = polyLearningRate(k, total, config.lr, warmup);
      const { grads, parts, norm } = stepGradients(plan, (shard) => {
        const [from, to] = ranks > 1 ? [0, batch.labels.length] : shardRange(config.batchSize, shard, config.shards);
        const images = batch.images.subarray(from * pixels, to * pixels), labels = batch.labels.subarray(from, to);
        const parts = emptyParts();
        const classifier = partialFc ? partialFc.classifier(k) : softmaxClassifier(centres, headOf(config), config.precision);
        // RSP's stream: shard 0 keeps the unsharded step's, so shards = 1 trains as before.
        const f = stepLoss(model, classifier, { images, labels, n: labels.length, size: config.imageSize },
          config, mixSeed(STEP_STREAM, config.seed, k, 2 + 2 * shard), parts, shard === 0 ? onGum : undefined);
        const { value, grads } = tf.variableGrads(f, variables);
        value.dispose();
        return { grads, parts };
      });
      const gradNorm = optimizer.step(grads, lr, norm);
      tf.dispose(Object.values(grads));
      parts.gammaMean = embeddingScale(model);
      if (!Number.isFinite(parts.loss)) throw new TopofrRangeError('ERR_TOPOFR_NON_FINITE', `training diverged at step ${k}: loss ${parts.loss} (lower lr or alpha)`);
      return { step: k + 1, epoch: batch.epoch, lr, gradNorm, ...parts, imgPerS: (config.batchSize * 1000) / (performance.now() - ts) };
    },
  };
}

/** Trains `config`; with `world` (an MPI world), as one of its ranks: rank 0 checks and writes the
 *  run's folder and checkpoints, reports progress and runs the verification callback
 *  (docs/distributed.md). A resume's checks come first: nothing is written before they pass. */
export async function train(config: TrainConfig, options: { resume?: boolean; override?: boolean; world?: World } & TrainHooks = {}): Promise<TrainRun> {
  const world = options.world ?? localWorld();
  const lead = world.rank === 0;
  const log = lead ? (options.log ?? (() => {})) : () => {};
  const run = new RunFolder(config, lead ? options : {});
  const dir = run.dir;
  const session = await createSession(config, { log, world });
  const limit = config.maxSteps > 0 ? Math.min(config.maxSteps, session.total) : session.total;
  if (run.checkpoint) {
    for (const [name, v] of session.stateTensors()) {
      const saved = run.checkpoint.tensors.get(name);
      if (!saved || saved.shape.join() !== v.shape.join())
        throw new TopofrError('ERR_TOPOFR_CHECKPOINT', `checkpoint ${run.checkpointDir} does not match this config (tensor ${name}); resume with the run's own config`);
      v.assign(tf.tensor(saved.values, v.shape));
    }
    if (run.overridden.length > 0) log(`resuming with changed settings (--override): ${run.overridden.join(', ')}`);
    log(`resumed ${dir} at step ${run.start}`);
  }
  if (lead) run.begin();
  const start = shareState(world, session.stateTensors(), run.start);  // rank 0's weights and step, on every rank
  if (options.resume && session.partialFc) loadPartialFcShard(run.checkpointDir, start, session.partialFc, session.rankTensors());
  const save = (step: number) => {
    if (session.partialFc) savePartialFcShard(run.checkpointDir, step, world, session.partialFc, session.rankTensors());
    if (lead) {
      const tensors = [...session.stateTensors()].map(([name, v]) =>
        [name, { shape: v.shape, values: v.dataSync() as Float32Array }] as [string, { shape: number[]; values: Float32Array }]);
      run.save(step, tensors);
    }
    if (session.partialFc) world.barrier();  // rank 0's checkpoint names this step: older shards may go
  };

  const verification = lead ? VerificationCallback.fromConfig(config, log) : undefined;
  const records: StepRecord[] = [];
  let lastGum: TrainRun['lastGum'];
  const t0 = performance.now();
  for (let step = start; step < limit; step++) {
    const record = await session.step(step, (entropies, fit) => (lastGum = { entropies, fit }));
    records.push(record);
    if (lead && (step + 1) % config.logEvery === 0) run.logStep(record);
    options.onStep?.(record, limit);
    if (verification?.due(step + 1)) run.logStep(await verification.run(step + 1, session.model));
    if ((step + 1) % config.checkpointEvery === 0 || step + 1 === limit) save(step + 1);
  }
  await session.close(); // (after a failure, the loader's unref'd workers do not hold the process)
  const skipped = session.loader.skipped;
  if (skipped.length > 0) log(`skipped ${skipped.length} bad images of ${session.source.path} (--skip-bad-images); first: ${skipped[0]}`);
  return { dir, model: session.model, centres: session.centres, steps: limit, records, seconds: (performance.now() - t0) / 1000, lastGum };
}

/** Writes the backbone in the standard tfjs format (model.json + weights.bin) under `<dir>/model`. */
export async function exportModel(run: Pick<TrainRun, 'dir' | 'model'>): Promise<string> {
  const target = join(run.dir, 'model');
  await run.model.save(fileSaver(target));
  return target;
}
