// topofr's public API (DESIGN.md §2).
export { capabilities } from './capabilities.js';
export { pairwiseDistances, pairwiseDistancesAsync, type DistanceOptions } from './ops/distances.js';
export { persistenceH0, persistenceH0Async, type H0Options } from './ops/h0.js';
export { ripsPersistence, ripsPersistenceSync, type RipsOptions } from './ops/rips.js';
export { registerNativeKernels, unregisterNativeKernels, nativeKernelsRegistered, type NativeKernelOptions } from './tf/native-kernels.js';
export { useBackend, BACKENDS, type BackendName, type BackendChoice } from './tf/backend.js';
export { topologicalLoss, type TopologicalLossOptions } from './tf/topological-loss.js';
export { structureAlignment, defaultInputScale, prepareInputSpace, type AlignmentOptions, type AlignmentResult, type AlignmentVariant, type PreparedInputSpace } from './train/isa.js';
export { batchNormalization, FusedBatchNormalization } from './tf/batch-norm-layer.js';
export { fitGaussianUniform, type GumFit, type GumOptions, type GumVariant } from './train/gum.js';
export { hardnessWeight, confidenceWeight, structureDamageScore } from './train/sds.js';
export { randomStructurePerturbation, RSP_OPERATIONS, type RspOptions, type RspRecord } from './train/rsp.js';
export { gaussianBlur, grayscale, colorJitter, randomErasing } from './train/perturbations.js';
export { marginLogits, classCentres, cosines, ARCFACE, COSFACE, type MarginHead } from './model/heads.js';
export { syntheticFaceDataset, renderFace, verificationPairs } from './data/synthetic-faces.js';
export { verificationAccuracy, flipSumNormalize, type VerificationResult } from './eval/verification.js';
export { rocCurve, tarAtFar, auc, type RocCurve } from './eval/roc.js';
export { evaluatePairs, type Evaluation } from './eval/evaluate.js';
export { train, exportModel, type TrainRun, type StepRecord } from './train/trainer.js';
export { finishRun, type RunSummary } from './train/finish.js';
export { DEFAULT_CONFIG, resolveConfig, readConfigFile, type TrainConfig } from './train/config.js';
export * from './model/index.js';
export * as tf from '@tensorflow/tfjs';
export { TopofrError, TopofrRangeError, TopofrTypeError, type TopofrErrorCode } from './errors.js';
export type {
  Barcode,
  Capabilities,
  Device,
  DistanceMatrix,
  H0Result,
  LowerDistanceMatrix,
  Metric,
  PointCloud,
  RipsInput,
  SparseDistances,
} from './types.js';
