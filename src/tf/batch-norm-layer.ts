// tfjs-layers' BatchNormalization with a fused training path. The class keeps tfjs's class name,
// config and weights, so a model saves to the standard model.json and loads anywhere (browsers
// included) as a plain BatchNormalization. In training mode with the features on the last axis,
// `call` normalises with the batch statistics (the fused native kernel,
// src/tf/kernels/normalization.ts, on the cpu backend with the native kernels registered; tf.moments
// + tf.batchNorm, tfjs's own formulation, otherwise) and updates the moving statistics as PyTorch
// does: the moving variance takes the UNBIASED batch variance (× m/(m − 1), m values per channel),
// where tfjs-layers would take the biased one, so imported PyTorch models keep PyTorch's running
// statistics step for step. Inference and other axes are tfjs's own code.
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining, batchNormTrainingAvailable } from './kernels/normalization.js';

type BatchNormalizationArgs = NonNullable<Parameters<typeof tf.layers.batchNormalization>[0]>;
type Kwargs = Record<string, unknown>;

/** The fields of tfjs's BatchNormalization this subclass reads (private in its typings). */
interface BatchNormalizationState {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: { read(): tf.Tensor; write(value: tf.Tensor): void };
  movingVariance: { read(): tf.Tensor; write(value: tf.Tensor): void };
}

interface LayerClass {
  new (args?: BatchNormalizationArgs): tf.layers.Layer;
  className: string;
}

/** tfjs's own class, from the serialization registry (no throwaway instance, so no layer-name drift). */
export const TfjsBatchNormalization = (tf.serialization.SerializationMap.getMap().classNameMap.BatchNormalization as unknown as
  [LayerClass])[0];

export class FusedBatchNormalization extends TfjsBatchNormalization {
  static override className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const self = this as unknown as BatchNormalizationState;
    const lastAxis = x !== undefined && (self.axis === -1 || self.axis === x.rank - 1);
    if (kwargs.training !== true || !lastAxis) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const channels = x!.shape[x!.rank - 1]!;
      const gamma = self.gamma ? (self.gamma.read() as tf.Tensor1D) : tf.ones([channels]) as tf.Tensor1D;
      const beta = self.beta ? (self.beta.read() as tf.Tensor1D) : tf.zeros([channels]) as tf.Tensor1D;
      const [y, mean, variance] = batchNormTrainingAvailable(x!)
        ? batchNormTraining(x!, gamma, beta, self.epsilon)
        : momentsBatchNorm(x!, gamma, beta, self.epsilon);
      updateMovingStatistics(self, mean.dataSync() as Float32Array, variance.dataSync() as Float32Array, x!.size / channels);
      return y;
    });
  }
}

/**
 * The moving-average update, v ← v − (v − value)·(1 − momentum) (tfjs-layers' formula; PyTorch's
 * (1 − 0.1)·v + 0.1·value for momentum 0.9), of the layer's moving mean and variance, where the
 * variance taken is PyTorch's UNBIASED batch variance (`variance` is the biased one, of `count`
 * values per channel; × count/(count − 1)). Computed in JS with float32 roundings (each op's result
 * rounded to float32, the constants float32 scalars), so bitwise what tfjs's kernels would give, but
 * no kernel calls and nothing on a gradient tape (6 ops per layer and step).
 */
export function updateMovingStatistics(layer: tf.layers.Layer | BatchNormalizationState, mean: Float32Array, variance: Float32Array,
  count: number): void {
  const self = layer as unknown as BatchNormalizationState;
  const decay = Math.fround(1 - self.momentum);
  const correction = Math.fround(count > 1 ? count / (count - 1) : 1);
  const unbiased = count > 1 ? variance.map((v) => Math.fround(v * correction)) : variance;
  for (const [variable, value] of [[self.movingMean, mean], [self.movingVariance, unbiased]] as const) {
    const orig = variable.read().dataSync() as Float32Array;
    const next = new Float32Array(orig.length);
    for (let i = 0; i < orig.length; i++) next[i] = orig[i]! - Math.fround(Math.fround(orig[i]! - value[i]!) * decay);
    tf.tidy(() => variable.write(tf.tensor(next, variable.read().shape)));
  }
}

/** Training-mode batch norm over every axis but the last, from tf ops: [y, mean, biased variance]. */
function momentsBatchNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  const { mean, variance } = tf.moments(x, Array.from({ length: x.rank - 1 }, (_, i) => i));
  return [tf.batchNorm(x, mean, variance, beta, gamma, epsilon), mean as tf.Tensor1D, variance as tf.Tensor1D];
}

/** `tf.layers.batchNormalization`, with the fused training path. */
export function batchNormalization(args?: BatchNormalizationArgs): tf.layers.Layer {
  return new FusedBatchNormalization(args);
}
