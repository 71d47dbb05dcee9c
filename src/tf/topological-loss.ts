// topologicalLoss(x, z, options): the ISA topology loss as a tf.customGrad op (DESIGN.md §2). The
// forward reads both batches, computes the pairings and the loss natively (src/train/isa.ts), and
// keeps the exact sparse gradient for the backward. Works on any tfjs backend: it reads the data
// and returns ordinary tensors.
import * as tf from '@tensorflow/tfjs';
import { TopofrRangeError, TopofrTypeError } from '../errors.js';
import { structureAlignment, type AlignmentOptions } from '../train/isa.js';
import { optionsArg } from '../util/check.js';

export type TopologicalLossOptions = AlignmentOptions;

// tf.customGrad's parameter type lists the save function among the inputs; these ops save nothing.
type CustomGradient = Parameters<typeof tf.customGrad>[0];

function batchOf(t: tf.Tensor, name: string): { n: number; dim: number } {
  if (!(t instanceof tf.Tensor) || t.isDisposed) throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `topologicalLoss: ${name} must be a tf.Tensor (not disposed)`);
  if (t.dtype !== 'float32') throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `topologicalLoss: ${name} must be float32, got ${t.dtype}`);
  if (t.rank < 2) throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `topologicalLoss: ${name} must be a batch [n, …] of rank ≥ 2, got shape [${t.shape.join(', ')}]`);
  const n = t.shape[0]!;
  return { n, dim: n > 0 ? t.size / n : t.shape.slice(1).reduce((a, b) => a * b, 1) };
}

/**
 * The topology alignment loss between an input batch x ([n, …], e.g. NHWC images in [−1, 1]) and
 * its latent batch z ([n, …]). Differentiable in z; in x too with `inputGradient: true`.
 * Variant 'code' (default) is the official step, 'symmetric' the paper's Eq. 2 (see train/isa.ts).
 */
export function topologicalLoss(x: tf.Tensor, z: tf.Tensor, given: TopologicalLossOptions = {}): tf.Scalar {
  const options = optionsArg<TopologicalLossOptions>(given, 'topologicalLoss');
  const xb = batchOf(x, 'x'), zb = batchOf(z, 'z');
  if (xb.n !== zb.n)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `topologicalLoss: x has ${xb.n} samples but z has ${zb.n}`);
  const align = (xs: tf.Tensor, zs: tf.Tensor) =>
    structureAlignment({ data: xs.dataSync() as Float32Array, ...xb }, { data: zs.dataSync() as Float32Array, ...zb }, options);
  if (options.inputGradient === true) {
    return tf.customGrad(((xs: tf.Tensor, zs: tf.Tensor) => {
      const r = align(xs, zs);
      return {
        value: tf.scalar(r.loss),
        gradFunc: (dy: tf.Tensor) => [tf.mul(dy, tf.tensor(r.gradInput!, xs.shape)), tf.mul(dy, tf.tensor(r.gradLatent, zs.shape))],
      };
    }) as CustomGradient)(x, z) as tf.Scalar;
  }
  return tf.customGrad(((zs: tf.Tensor) => {
    const r = align(x, zs);
    return { value: tf.scalar(r.loss), gradFunc: (dy: tf.Tensor) => tf.mul(dy, tf.tensor(r.gradLatent, zs.shape)) };
  }) as CustomGradient)(z) as tf.Scalar;
}
