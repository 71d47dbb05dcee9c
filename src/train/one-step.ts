// trainingStep: exactly one TopoFR training step from given weights, batch and RSP decisions: the
// trainer's own update (src/train/step.ts's applyStep: loss, gradients, clipping, weight decay,
// momentum) without the trainer's data, schedule or logging. It exists to compare one step with the
// official train.py started from the same weights: import the official state_dict
// (src/model/iresnet-torch.ts), give the same batch and the same RSP decisions, and compare the loss
// parts and the updated weights (iresnetStateDict maps them back to PyTorch names and layouts).
//
// PyTorch's first step has empty momentum buffers, which SGD fills with the first gradient: zero
// velocity here gives the same update. The learning rate is `lr` (default config.lr); the
// trainer's schedule value for update k of T is polyLearningRate(k, T, config.lr) (updates 0 and 1
// both use the base rate, as the official scheduler).
import * as tf from '@tensorflow/tfjs';
import { TopofrRangeError, TopofrTypeError } from '../errors.js';
import { checkPartial, DEFAULT_CONFIG, type TrainConfig } from './config.js';
import type { GumFit } from './gum.js';
import { SgdMomentum } from './optimizer.js';
import type { RspRecord } from './rsp.js';
import { applyStep, type StepParts } from './step.js';

export interface TrainingStepInput {
  /** The backbone whose weights start the step; they are updated in place (BN statistics too). */
  model: tf.LayersModel;
  /** Class centres W, [classes, embeddingSize] row-major. */
  centres: Float32Array;
  /** Momentum buffers by parameter name (a trainable weight's `originalName`, e.g. 'conv1/kernel',
   *  or 'centres'); absent ones start at zero. */
  velocity?: ReadonlyMap<string, Float32Array>;
  /** n NHWC images in [−1, 1] (flipped as the data pipeline would), n × size × size × 3. */
  images: Float32Array;
  labels: Int32Array;
  /** 'none' (default): no sample perturbed; or one RSP record (or null) per sample. */
  rsp?: 'none' | readonly (RspRecord | null)[];
  /** Method and optimiser settings over DEFAULT_CONFIG (alpha, omega1/2, precision, momentum,
   *  weightDecay, clipNorm, lr, …; rspProbability is not used: the decisions are given). */
  config?: Partial<TrainConfig>;
  /** Learning rate of this update (default config.lr). */
  lr?: number;
  /** Seed of the paper GUM's random signs (default config.seed). */
  seed?: number;
}

export interface TrainingStepResult {
  parts: StepParts;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
  lr: number;
  /** Every model weight after the step (BN statistics included), by `originalName`. */
  weights: Map<string, Float32Array>;
  centres: Float32Array;
  /** Momentum buffers after the step, keyed as `velocity` in the input. */
  velocity: Map<string, Float32Array>;
  /** The GUM fit and the entropies it saw, when SDE's ω1 is on. */
  gum?: { entropies: Float64Array; fit: GumFit };
}

const CENTRES = 'centres';

function check(input: TrainingStepInput): { n: number; size: number; classes: number; dim: number } {
  const fn = 'trainingStep';
  if (!(input.model instanceof tf.LayersModel)) throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: model must be a tf.LayersModel`);
  if (!(input.images instanceof Float32Array)) throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: images must be a Float32Array (NHWC)`);
  if (!(input.labels instanceof Int32Array)) throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: labels must be an Int32Array`);
  if (!(input.centres instanceof Float32Array)) throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: centres must be a Float32Array`);
  const shape = input.model.inputs[0]!.shape;
  const size = shape[1]!;
  const dim = input.model.outputs[0]!.shape[1]!;
  const n = input.labels.length;
  if (shape[2] !== size || shape[3] !== 3) throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: the model must take square RGB images, its input is [${shape.join(', ')}]`);
  if (n < 2) throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: a batch needs at least 2 samples, got ${n}`);
  if (input.images.length !== n * size * size * 3)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: images hold ${input.images.length} values, expected ${n}×${size}×${size}×3 for ${n} labels`);
  if (input.centres.length === 0 || input.centres.length % dim !== 0)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: centres hold ${input.centres.length} values, not a multiple of the embedding size ${dim}`);
  const classes = input.centres.length / dim;
  const bad = input.labels.findIndex((y) => y < 0 || y >= classes);
  if (bad >= 0) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: labels[${bad}] = ${input.labels[bad]} is not a class in [0, ${classes})`);
  const k = input.images.findIndex((v) => !Number.isFinite(v));
  if (k >= 0) throw new TopofrRangeError('ERR_TOPOFR_NON_FINITE', `${fn}: images[${k}] is ${input.images[k]}`);
  if (input.rsp !== undefined && input.rsp !== 'none' && (!Array.isArray(input.rsp) || input.rsp.length !== n))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: rsp must be 'none' or one decision per sample (${n})`);
  return { n, size, classes, dim };
}

/** One TopoFR training step (see the file comment). */
export function trainingStep(input: TrainingStepInput): TrainingStepResult {
  const { n, size, classes, dim } = check(input);
  const config: TrainConfig = { ...DEFAULT_CONFIG, ...checkPartial({ ...(input.config ?? {}) }, 'trainingStep config') };
  const lr = input.lr ?? config.lr;
  if (typeof lr !== 'number' || !(lr >= 0) || !Number.isFinite(lr))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `trainingStep: lr must be a finite number ≥ 0, got ${String(lr)}`);
  const trainable = input.model.trainableWeights;
  const centres = tf.variable(tf.tensor2d(input.centres, [classes, dim]), true);
  const names = [...trainable.map((w) => w.originalName), CENTRES];
  const optimizer = new SgdMomentum([...trainable.map((w) => w.read() as tf.Variable), centres],
    { momentum: config.momentum, weightDecay: config.weightDecay, clipNorm: config.clipNorm });
  try {
    optimizer.state().forEach((v, i) => {
      const given = input.velocity?.get(names[i]!);
      if (given === undefined) return;
      if (given.length !== v.size) throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `trainingStep: velocity '${names[i]}' holds ${given.length} values, the parameter ${v.size}`);
      v.assign(tf.tensor(given, v.shape));
    });
    let gum: TrainingStepResult['gum'];
    const decisions = input.rsp === undefined || input.rsp === 'none' ? new Array<null>(n).fill(null) : input.rsp;
    const { parts, gradNorm } = applyStep(input.model, centres, optimizer, { images: input.images.slice(), labels: input.labels, n, size },
      config, input.seed ?? config.seed, lr, { decisions, onGum: (entropies, fit) => (gum = { entropies, fit }) });
    return {
      parts, gradNorm, lr, gum,
      weights: new Map(input.model.weights.map((w) => [w.originalName, Float32Array.from(w.read().dataSync())])),
      centres: Float32Array.from(centres.dataSync()),
      velocity: new Map(optimizer.state().map((v, i) => [names[i]!, Float32Array.from(v.dataSync())])),
    };
  } finally {
    optimizer.dispose();
    centres.dispose();
  }
}
