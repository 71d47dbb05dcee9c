// tfjs-layers' BatchNormalization with a fused training path. The class keeps tfjs's class name,
// config and weights, so a model saves to the standard model.json and loads anywhere (browsers
// included) as a plain BatchNormalization. In training mode, on the cpu backend with the native
// kernels registered and the features on the last axis, `call` runs the fused native kernel
// (src/tf/kernels/normalization.ts) and updates the moving statistics exactly as tfjs does;
// otherwise (inference, other backends, other axes) it is tfjs's own code.
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
    if (kwargs.training !== true || !lastAxis || !batchNormTrainingAvailable(x!)) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const channels = x!.shape[x!.rank - 1]!;
      const gamma = self.gamma ? (self.gamma.read() as tf.Tensor1D) : tf.ones([channels]) as tf.Tensor1D;
      const beta = self.beta ? (self.beta.read() as tf.Tensor1D) : tf.zeros([channels]) as tf.Tensor1D;
      const [y, mean, variance] = batchNormTraining(x!, gamma, beta, self.epsilon);
      updateMovingStatistics(self, mean.dataSync() as Float32Array, variance.dataSync() as Float32Array);
      return y;
    });
  }
}

/**
 * tfjs-layers' moving-average update, v ← v − (v − value)·(1 − momentum), for the layer's moving
 * mean and variance, computed in JS instead of with tensor ops: the same float32 roundings as
 * tfjs's kernels (each op's result rounded to float32, the decay a float32 scalar), so bitwise the
 * same statistics, but no kernel calls and nothing on a gradient tape (6 ops per layer and step).
 */
export function updateMovingStatistics(layer: tf.layers.Layer | BatchNormalizationState, mean: Float32Array, variance: Float32Array): void {
  const self = layer as unknown as BatchNormalizationState;
  const decay = Math.fround(1 - self.momentum);
  for (const [variable, value] of [[self.movingMean, mean], [self.movingVariance, variance]] as const) {
    const orig = variable.read().dataSync() as Float32Array;
    const next = new Float32Array(orig.length);
    for (let i = 0; i < orig.length; i++) next[i] = orig[i]! - Math.fround(Math.fround(orig[i]! - value[i]!) * decay);
    tf.tidy(() => variable.write(tf.tensor(next, variable.read().shape)));
  }
}

/** `tf.layers.batchNormalization`, with the fused training path. */
export function batchNormalization(args?: BatchNormalizationArgs): tf.layers.Layer {
  return new FusedBatchNormalization(args);
}
