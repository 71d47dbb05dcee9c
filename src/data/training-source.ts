// The training set a config names: the data at `data` (RecordIO or a folder per identity) or, when
// there is none, the train split of the embedded synthetic identities.
import { syntheticFaceDataset } from './dataset.js';
import { openDataset, type FaceSource } from './source.js';
import { syntheticSource } from './synthetic-source.js';
import type { TrainConfig } from '../train/config.js';

export type TrainingDataSettings = Pick<TrainConfig, 'data' | 'skipBadImages' | 'trainIdentities' | 'testIdentities'
  | 'samplesPerIdentity' | 'imageSize' | 'hardness' | 'seed'>;

export async function trainingSource(config: TrainingDataSettings): Promise<FaceSource> {
  if (config.data !== '') return openDataset(config.data, { skipBadImages: config.skipBadImages });
  const data = syntheticFaceDataset({ trainIdentities: config.trainIdentities, testIdentities: config.testIdentities,
    samplesPerIdentity: config.samplesPerIdentity, imageSize: config.imageSize, hardness: config.hardness, seed: config.seed });
  return syntheticSource(data.train);
}
