// roundToHalfTensor(x): a float32 tensor rounded element-wise to binary16 (src/util/float16.ts),
// still float32, with the identity gradient: the forward of an fp16 cast as autocast inserts it
// (the value an fp16 tensor holds), its backward a pass-through (a cast's gradient is the cast
// back). It reads the data, so it works on any tfjs backend.
import * as tf from '@tensorflow/tfjs';
import { TopofrTypeError } from '../errors.js';
import { roundArrayToHalf } from '../util/float16.js';

// tf.customGrad's parameter type lists the save function among the inputs; this op saves nothing.
type CustomGradient = Parameters<typeof tf.customGrad>[0];

export function roundToHalfTensor<T extends tf.Tensor>(x: T): T {
  if (!(x instanceof tf.Tensor) || x.dtype !== 'float32')
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `roundToHalfTensor: expected a float32 tf.Tensor, got ${x instanceof tf.Tensor ? x.dtype : typeof x}`);
  return tf.customGrad(((t: tf.Tensor) => ({
    value: tf.tensor(roundArrayToHalf(t.dataSync() as Float32Array), t.shape, 'float32'),
    gradFunc: (dy: tf.Tensor) => dy,
  })) as CustomGradient)(x) as T;
}
