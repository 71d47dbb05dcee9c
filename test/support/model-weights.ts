// Reading and setting a tfjs model's weights in the backbone tests (IResNet, MobileFaceNet).
import * as tf from '@tensorflow/tfjs';

const size = (shape: readonly (number | null)[]) => shape.reduce<number>((a, b) => a * (b as number), 1);
/** Number of values in the variables. */
export const count = (vars: readonly tf.LayerVariable[]) => vars.reduce((a, v) => a + size(v.shape), 0);
/** Weight short names ('gamma', 'kernel', …) without tfjs' uniquifying '_N' suffix. */
export const short = (v: tf.LayerVariable) => v.originalName.split('/').pop()!.replace(/_\d+$/, '');

/** A layer's weight by short name (order-independent: freezing γ moves it behind β in `weights`). */
export function weight(model: tf.LayersModel, layer: string, name: string): tf.Tensor {
  const v = model.getLayer(layer).weights.find((w) => short(w) === name);
  if (v === undefined) throw new Error(`no weight ${layer}/${name}`);
  return v.read();
}

/** Seeded non-trivial BN statistics and affine parameters, so every BN matters in a forward check. */
export function randomizeBatchNorms(model: tf.LayersModel): void {
  let salt = 0;
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    for (const v of layer.weights) {
      const [lo, hi] = short(v) === 'gamma' || short(v) === 'moving_variance' ? [0.5, 1.5] : [-0.2, 0.2];
      v.write(tf.randomUniform(v.shape as number[], lo, hi, 'float32', ++salt));
    }
  }
}
