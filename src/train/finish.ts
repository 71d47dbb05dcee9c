// The end of a training run: evaluate on the test identities' verification pairs, export the
// backbone (model.json + weights.bin), write summary.json (DESIGN.md §2) and report.html with the
// paper's figures on this run: loss parts, ROC, pair scores, the structure discrepancy of test
// batches before and after training (Fig. 2/5), the last step's GUM fit (Fig. 4) and the H0–H2
// persistence diagram of a test batch's embeddings (Fig. 1).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { syntheticFaceDataset, type FaceSplit } from '../data/dataset.js';
import { verificationPairs } from '../data/pairs.js';
import { evaluatePairs } from '../eval/evaluate.js';
import { iresnet } from '../model/iresnet.js';
import { ripsPersistenceSync } from '../ops/rips.js';
import { writeReport, type ReportData } from '../report/report.js';
import type { TrainConfig } from './config.js';
import { structureAlignment } from './isa.js';
import { readMetrics } from './run-folder.js';
import { exportModel, type StepRecord, type TrainRun } from './trainer.js';
import type { ValRecord } from './verification-callback.js';

export interface RunSummary {
  accuracy: number;
  accuracyStd: number;
  /** Balanced pairs: chance accuracy is 0.5. */
  chance: number;
  tarAtFar: Record<string, number>;
  auc: number;
  seconds: number;
  steps: number;
  config: TrainConfig;
}

/** Test batches (consecutive samples, so several per identity) for the discrepancy and the diagram. */
function testBatches(split: FaceSplit, size: number, count: number): Int32Array[] {
  const batches: Int32Array[] = [];
  for (let b = 0; b < count && (b + 1) * size <= split.size; b++) batches.push(Int32Array.from({ length: size }, (_, i) => b * size + i));
  return batches;
}

/** Inference embeddings of the samples, and their images. */
function embed(model: tf.LayersModel, split: FaceSplit, indices: Int32Array, imageSize: number): { images: Float32Array; z: Float32Array; dim: number } {
  const { images } = split.batch(indices);
  return tf.tidy(() => {
    const z = model.predict(tf.tensor4d(images, [indices.length, imageSize, imageSize, 3])) as tf.Tensor2D;
    return { images, z: Float32Array.from(z.dataSync()), dim: z.shape[1] };
  });
}

/** The ISA discrepancy of each test batch for a model (the value the topology term measures). */
function discrepancies(model: tf.LayersModel, split: FaceSplit, batches: Int32Array[], config: TrainConfig): number[] {
  return batches.map((indices) => {
    const { images, z, dim } = embed(model, split, indices, config.imageSize);
    const n = indices.length;
    return structureAlignment({ data: images, n, dim: images.length / n }, { data: z, n, dim }, { variant: config.topoVariant, latentScale: config.latentScale, device: config.topoDevice }).loss;
  });
}

/** The ISA discrepancy of the first 8 test batches for a model trained with `config` (the per-run
 *  report's Fig. 2/5 data; the ablation report compares rows with it). */
export function testDiscrepancies(model: tf.LayersModel, config: TrainConfig): number[] {
  const data = testDataset(config);
  return discrepancies(model, data.test, testBatches(data.test, Math.min(config.batchSize, data.test.size), 8), config);
}

function testDataset(config: TrainConfig) {
  return syntheticFaceDataset({ trainIdentities: config.trainIdentities, testIdentities: config.testIdentities,
    samplesPerIdentity: config.samplesPerIdentity, imageSize: config.imageSize, hardness: config.hardness, seed: config.seed });
}

/** The whole run's logged steps (metrics.jsonl, which a resumed run appends to), else this process's;
 *  and the verification callback's records (lines with `val`). */
function loggedRecords(run: FinishedRun): { steps: StepRecord[]; validation: ValRecord[] } {
  const path = join(run.dir, 'metrics.jsonl');
  if (!existsSync(path)) return { steps: run.records, validation: [] };
  const lines = readMetrics(path).map((m) => m.record as StepRecord | ValRecord);
  return { steps: lines.filter((r): r is StepRecord => !('val' in r)), validation: lines.filter((r): r is ValRecord => 'val' in r) };
}

/** What the evaluation and the report need of a run (a TrainRun, or a finished run read back from disk). */
export type FinishedRun = Pick<TrainRun, 'dir' | 'model' | 'steps' | 'records' | 'seconds' | 'lastGum'>;

/** Evaluates the run, exports its model (unless `exportModel` is false: a model read back from
 *  disk), writes summary.json and report.html. */
export async function finishRun(run: FinishedRun, config: TrainConfig, options: { exportModel?: boolean } = {}): Promise<RunSummary> {
  const data = testDataset(config);
  const pairs = verificationPairs(data.test, { pairs: config.verificationPairs, seed: config.seed });
  const evaluation = evaluatePairs(run.model, data.test, pairs);
  if (options.exportModel ?? true) await exportModel(run);
  const summary: RunSummary = {
    accuracy: evaluation.accuracy,
    accuracyStd: evaluation.accuracyStd,
    chance: 0.5,
    tarAtFar: evaluation.tarAtFar,
    auc: evaluation.auc,
    seconds: run.seconds,
    steps: run.steps,
    config,
  };
  writeFileSync(join(run.dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);

  // The figures' extra data: an untrained model with the same initialisation is the "before".
  const batchSize = Math.min(config.batchSize, data.test.size);
  const batches = testBatches(data.test, batchSize, 8);
  const initial = iresnet({ depth: config.depth, inputSize: config.imageSize, widthMultiplier: config.widthMultiplier,
    embeddingSize: config.embeddingSize, seed: config.seed });
  const discrepancy = { initial: discrepancies(initial, data.test, batches, config), final: discrepancies(run.model, data.test, batches, config),
    labels: ['untrained', 'trained'] as [string, string] };
  initial.dispose();
  let diagram: ReportData['diagram'];
  if (batches.length > 0) {
    const { z, dim } = embed(run.model, data.test, batches[0]!, config.imageSize);
    diagram = ripsPersistenceSync({ data: z, n: batches[0]!.length, dim }, { maxDim: 2 }).map((b) => ({ dim: b.dim, births: b.births, deaths: b.deaths }));
  }
  const gum = run.lastGum ? { variant: config.omega1 === 'paper' ? 'paper' as const : 'code' as const, ...run.lastGum.fit } : undefined;
  const logged = loggedRecords(run);
  writeReport(run.dir, {
    title: `topofr run ${config.name}`,
    config: { ...config },
    summary,
    records: logged.steps,
    validation: logged.validation,
    alpha: config.alpha,
    roc: evaluation.roc,
    pairs: { scores: evaluation.scores, issame: evaluation.issame },
    discrepancy,
    gum,
    diagram,
  });
  return summary;
}
