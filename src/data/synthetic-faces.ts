// The embedded default dataset: procedurally rendered faces of synthetic identities, so that
// `topofr train` runs end to end with no download. One module per job:
//   identity.ts  who a person is (face geometry, colours, hair, beard, glasses)
//   nuisance.ts  what changes between photos (pose, expression, light, camera, occluders, hardness)
//   render.ts    one photo: identity × nuisance → 8-bit RGB → [−1, 1] floats
//   raster.ts    the anti-aliased shape painter, blur and noise
//   dataset.ts   train/test splits with disjoint identities, cache, seeded shuffled batches
//   pairs.ts     LFW-style 10-fold verification pairs
export { faceIdentity, type FaceIdentity, type HairStyle, type BeardStyle } from './identity.js';
export { faceNuisance, type FaceNuisance, type HardKind, type Occluder } from './nuisance.js';
export { renderFace, renderFaceBytes, bytesToUnit, type RenderOptions, DEFAULT_IMAGE_SIZE, DEFAULT_HARDNESS } from './render.js';
export {
  syntheticFaceDataset, FaceSplit, TEST_IDENTITY_OFFSET, DEFAULT_CACHE_BYTES,
  type SyntheticFaceDataset, type SyntheticFaceDatasetOptions, type FaceBatch, type BatchOptions,
} from './dataset.js';
export { verificationPairs, VERIFICATION_FOLDS, type VerificationPairs, type VerificationPairsOptions, type LabelledSplit } from './pairs.js';
