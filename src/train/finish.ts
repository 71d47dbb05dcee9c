// The end of a training run: evaluate on the test identities' verification pairs, export the
// backbone (model.json + weights.bin), write summary.json (DESIGN.md §2) and the report.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { syntheticFaceDataset } from '../data/dataset.js';
import { verificationPairs } from '../data/pairs.js';
import { evaluatePairs } from '../eval/evaluate.js';
import type { TrainConfig } from './config.js';
import { exportModel, type TrainRun } from './trainer.js';

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

export async function finishRun(run: TrainRun, config: TrainConfig): Promise<RunSummary> {
  const data = syntheticFaceDataset({ trainIdentities: config.trainIdentities, testIdentities: config.testIdentities,
    samplesPerIdentity: config.samplesPerIdentity, imageSize: config.imageSize, hardness: config.hardness, seed: config.seed });
  const pairs = verificationPairs(data.test, { pairs: config.verificationPairs, seed: config.seed });
  const evaluation = evaluatePairs(run.model, data.test, pairs);
  await exportModel(run);
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
  return summary;
}
