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
export { randomStructurePerturbation, applyStructurePerturbation, drawStructurePerturbation, RSP_OPERATIONS, type RspOptions, type RspRecord } from './train/rsp.js';
export { gaussianBlur, grayscale, colorJitter, randomErasing } from './train/perturbations.js';
export { marginLogits, classCentres, cosines, ARCFACE, COSFACE, type MarginHead } from './model/heads.js';
export { syntheticFaceDataset, renderFace, verificationPairs } from './data/synthetic-faces.js';
export { openDataset, openSource, detectSource, type FaceSource, type FaceSample, type EncodedSample, type SourceSpec } from './data/source.js';
export { createLoader, type DataLoader, type LoaderOptions, type LoadedBatch } from './data/loader.js';
export { BatchPlan, epochOrder } from './data/sampler.js';
export { packFolder, type PackOptions, type PackResult } from './data/pack.js';
export { verificationAccuracy, flipSumNormalize, type VerificationResult } from './eval/verification.js';
export { rocCurve, tarAtFar, auc, type RocCurve } from './eval/roc.js';
export { evaluatePairs, type Evaluation } from './eval/evaluate.js';
export { readVerificationBin, parseVerificationBin, writeVerificationBin, encodeVerificationBin, type VerificationBin } from './data/verification-bin.js';
export { evaluateVerificationBin, type BinEvaluation } from './eval/verification-set.js';
export { evaluateIjb, type IjbEvaluation, type IjbOptions } from './eval/ijb.js';
export { modelEmbedder, type Embedder } from './eval/embedder.js';
export { similarityTransform, warpAffine, alignFace, ARCFACE_TEMPLATE } from './data/face-align.js';
export { exportOnnx, encodeIResNetOnnx } from './model/onnx/export.js';
export { loadOnnxIResNet, onnxToIResNet } from './model/onnx/import.js';
export { train, exportModel, type TrainRun, type StepRecord } from './train/trainer.js';
export { finishRun, type RunSummary } from './train/finish.js';
export { localWorld, mpiWorld, type World, type Collectives, type AsyncCollectives, type ReduceOptions } from './distributed/world.js';
export { runDistributed } from './distributed/faults.js';
export { PartialFc, type PartialFcOptions } from './distributed/partial-fc.js';
export { trainingStep, type TrainingStepInput, type TrainingStepResult } from './train/one-step.js';
export { type StepParts } from './train/step.js';
export { precisionEmulation, predictionEntropies, type Precision } from './train/amp.js';
export { roundToHalf, roundArrayToHalf } from './util/float16.js';
export { roundToHalfTensor } from './tf/half.js';
export { readTorchCheckpoint, torchStateDict, type TorchTensor, type TorchDtype } from './io/torch-checkpoint.js';
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
