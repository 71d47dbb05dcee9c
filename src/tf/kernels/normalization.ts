// Batch norm (training mode) and PReLU as fused native kernels with their own gradients.
//
// * BatchNorm: tfjs-layers builds training-mode BN from tf.moments + tf.batchNorm and
//   differentiates it op by op (≈ 25 passes over the activation, each a fresh allocation, most of
//   them broadcasts that the JS kernels do element by element). `TopofrBatchNormTraining` computes
//   y, mean and variance in 2 passes; its gradient kernel `TopofrBatchNormTrainingGrad` returns dx,
//   dγ and dβ through the batch statistics in 2 more (native/core/normalization.h). The layer that
//   uses them is src/tf/batch-norm-layer.ts. The mean and variance outputs feed only the moving
//   averages, so the gradient treats them as constants (their incoming gradients are ignored).
// * BatchNorm then PReLU (`TopofrBatchNormPrelu`, for IResNet's stem): one kernel that keeps only
//   its input and per-channel statistics for the gradient (BN's output is recomputed there), so the
//   activation between the two is never stored.
// * PReLU: the stock `Prelu` kernel is replaced (per-channel or scalar α), and its gradient, which
//   tfjs builds from greater/where/mul/zerosLike/sum, becomes one native pass (`TopofrPreluGrad`)
//   whenever the backend is cpu and the shapes are per-channel; otherwise tfjs's own gradient runs.
import * as tf from '@tensorflow/tfjs';
import { native } from '../../native.js';
import { BACKEND, f32, outputArray, perChannelLength, required, size, type CpuBackend, type KernelArgs, type Override } from './cpu.js';

export const BATCH_NORM_TRAINING = 'TopofrBatchNormTraining';
export const BATCH_NORM_TRAINING_GRAD = 'TopofrBatchNormTrainingGrad';
export const PRELU_GRAD = 'TopofrPreluGrad';
export const BATCH_NORM_PRELU = 'TopofrBatchNormPrelu';
export const BATCH_NORM_PRELU_GRAD = 'TopofrBatchNormPreluGrad';

const channelsOf = (shape: number[]): number => shape[shape.length - 1] ?? 1;

const batchNormTrainingKernel = ({ inputs, attrs = {}, backend }: KernelArgs): tf.TensorInfo[] => {
  const b = backend as CpuBackend;
  const { x, scale, offset } = inputs;
  const xv = required(b, x, 'x');
  const channels = channelsOf(x!.shape), rows = xv.length / channels;
  const y = outputArray(xv.length), mean = outputArray(channels), variance = outputArray(channels);
  native().batchNormTrainingForward(xv, required(b, scale, 'scale'), required(b, offset, 'offset'),
    attrs.varianceEpsilon as number, y, mean, variance, rows, channels);
  return [b.makeTensorInfo(x!.shape, 'float32', y), b.makeTensorInfo([channels], 'float32', mean),
    b.makeTensorInfo([channels], 'float32', variance)];
};

const batchNormTrainingGradKernel = ({ inputs, attrs = {}, backend }: KernelArgs): tf.TensorInfo[] => {
  const b = backend as CpuBackend;
  const { x, mean, variance, scale, dy } = inputs;
  const xv = required(b, x, 'x');
  const channels = channelsOf(x!.shape), rows = xv.length / channels;
  const dx = outputArray(xv.length), dscale = outputArray(channels), doffset = outputArray(channels);
  native().batchNormTrainingBackward(xv, required(b, mean, 'mean'), required(b, variance, 'variance'),
    required(b, scale, 'scale'), attrs.varianceEpsilon as number, required(b, dy, 'dy'), dx, dscale, doffset, rows, channels);
  return [b.makeTensorInfo(x!.shape, 'float32', dx), b.makeTensorInfo([channels], 'float32', dscale),
    b.makeTensorInfo([channels], 'float32', doffset)];
};

const batchNormTrainingGrad: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAINING,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [x, scale, mean, variance] = saved as tf.Tensor[];
    const dy = (Array.isArray(dys) ? dys[0] : dys)!;
    const [dx, dscale, doffset] = tf.engine().runKernel(BATCH_NORM_TRAINING_GRAD, { x: x!, mean: mean!, variance: variance!,
      scale: scale!, dy }, attrs) as unknown as tf.Tensor[];
    return { x: () => dx!, scale: () => dscale!, offset: () => doffset! };
  },
};

const batchNormPreluKernel = ({ inputs, attrs = {}, backend }: KernelArgs): tf.TensorInfo[] => {
  const b = backend as CpuBackend;
  const { x, scale, offset, alpha } = inputs;
  const xv = required(b, x, 'x');
  const channels = channelsOf(x!.shape), rows = xv.length / channels;
  const y = outputArray(xv.length), stats = outputArray(4 * channels);
  native().batchNormPreluForward(xv, required(b, scale, 'scale'), required(b, offset, 'offset'), required(b, alpha, 'alpha'),
    attrs.varianceEpsilon as number, y, stats, rows, channels);
  return [b.makeTensorInfo(x!.shape, 'float32', y), b.makeTensorInfo([4, channels], 'float32', stats)];
};

const batchNormPreluGradKernel = ({ inputs, attrs = {}, backend }: KernelArgs): tf.TensorInfo[] => {
  const b = backend as CpuBackend;
  const { x, stats, scale, alpha, dy } = inputs;
  const xv = required(b, x, 'x');
  const channels = channelsOf(x!.shape), rows = xv.length / channels;
  const dx = outputArray(xv.length), dscale = outputArray(channels), doffset = outputArray(channels);
  const dalpha = outputArray(channels);
  native().batchNormPreluBackward(xv, required(b, stats, 'stats'), required(b, scale, 'scale'), required(b, alpha, 'alpha'),
    attrs.varianceEpsilon as number, required(b, dy, 'dy'), dx, dscale, doffset, dalpha, rows, channels);
  return [b.makeTensorInfo(x!.shape, 'float32', dx), b.makeTensorInfo([channels], 'float32', dscale),
    b.makeTensorInfo([channels], 'float32', doffset), b.makeTensorInfo(alpha!.shape, 'float32', dalpha)];
};

const batchNormPreluGrad: tf.GradConfig = {
  kernelName: BATCH_NORM_PRELU,
  inputsToSave: ['x', 'scale', 'alpha'],
  outputsToSave: [false, true],
  gradFunc: (dys, saved, attrs) => {
    const [x, scale, alpha, stats] = saved as tf.Tensor[];
    const dy = (Array.isArray(dys) ? dys[0] : dys)!;
    const [dx, dscale, doffset, dalpha] = tf.engine().runKernel(BATCH_NORM_PRELU_GRAD, { x: x!, stats: stats!, scale: scale!,
      alpha: alpha!, dy }, attrs) as unknown as tf.Tensor[];
    return { x: () => dx!, scale: () => dscale!, offset: () => doffset!, alpha: () => dalpha! };
  },
};

/** Whether `batchNormTraining` (and `batchNormPrelu`) can run on x here: cpu backend, native kernels
 *  registered, float32, rank ≥ 2. */
export function batchNormTrainingAvailable(x: tf.Tensor): boolean {
  return tf.getBackend() === BACKEND && tf.getKernel(BATCH_NORM_TRAINING, BACKEND) !== undefined &&
    x.dtype === 'float32' && x.rank >= 2 && x.size > 0 && channelsOf(x.shape) > 0;
}

/**
 * Training-mode batch norm over every axis but the last: [y, mean, variance] with
 * y = (x − mean)·scale/√(variance + ε) + offset and the biased variance (tf.moments's), as
 * tfjs-layers computes it. Differentiable in x, scale and offset. Check `batchNormTrainingAvailable` first.
 */
export function batchNormTraining(x: tf.Tensor, scale: tf.Tensor1D, offset: tf.Tensor1D, epsilon: number):
  [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  return tf.engine().runKernel(BATCH_NORM_TRAINING, { x, scale, offset }, { varianceEpsilon: epsilon }) as unknown as
    [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
}

/**
 * Training-mode batch norm over every axis but the last, then PReLU with one α per channel (any
 * shape of that size): [y, stats] with stats [4, C] = mean, variance (biased), scale, shift. y is
 * bitwise batchNormTraining's output through the Prelu kernel. Differentiable in x, scale, offset
 * and alpha. Check `batchNormTrainingAvailable` first.
 */
export function batchNormPrelu(x: tf.Tensor, scale: tf.Tensor1D, offset: tf.Tensor1D, alpha: tf.Tensor, epsilon: number):
  [tf.Tensor, tf.Tensor2D] {
  return tf.engine().runKernel(BATCH_NORM_PRELU, { x, scale, offset, alpha }, { varianceEpsilon: epsilon }) as unknown as
    [tf.Tensor, tf.Tensor2D];
}

const preluKernel: Override = (args, backend) => {
  const { x, alpha } = args.inputs;
  const xv = f32(backend, x), av = f32(backend, alpha);
  if (!xv || !av || xv.length === 0) return null;
  const channels = perChannelLength(alpha!.shape, x!.shape);
  if (!channels) return null;
  const y = outputArray(xv.length);
  native().preluForward(xv, av, y, xv.length / channels, channels);
  return backend.makeTensorInfo(x!.shape, 'float32', y);
};

const preluGradKernel = ({ inputs, backend }: KernelArgs): tf.TensorInfo[] => {
  const b = backend as CpuBackend;
  const { x, alpha, dy } = inputs;
  const xv = required(b, x, 'x'), av = required(b, alpha, 'alpha');
  const channels = av.length;
  const dx = outputArray(xv.length), dalpha = outputArray(channels);
  native().preluBackward(xv, av, required(b, dy, 'dy'), dx, dalpha, xv.length / channels, channels);
  return [b.makeTensorInfo(x!.shape, 'float32', dx), b.makeTensorInfo(alpha!.shape, 'float32', dalpha)];
};

/** tfjs's Prelu gradient, replaced by one native pass where it applies. */
function preluGrad(original: tf.GradConfig): tf.GradConfig {
  return {
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const [x, alpha] = saved as tf.Tensor[];
      const g = dy as tf.Tensor;
      const usable = tf.getBackend() === BACKEND && tf.getKernel(PRELU_GRAD, BACKEND) !== undefined &&
        x!.dtype === 'float32' && alpha!.dtype === 'float32' && g.dtype === 'float32' && size(x!.shape) > 0 &&
        perChannelLength(alpha!.shape, x!.shape) === alpha!.size;
      if (!usable) return original.gradFunc(dy, saved, attrs);
      const [dx, dalpha] = tf.engine().runKernel(PRELU_GRAD, { x: x!, alpha: alpha!, dy: g }) as unknown as tf.Tensor[];
      return { x: () => dx!, alpha: () => dalpha! };
    },
  };
}

export const NORMALIZATION_OVERRIDES: Record<string, Override> = { Prelu: preluKernel };

export const NORMALIZATION_KERNELS: Array<{ kernelName: string; kernelFunc: (args: KernelArgs) => tf.TensorInfo[] }> = [
  { kernelName: BATCH_NORM_TRAINING, kernelFunc: batchNormTrainingKernel },
  { kernelName: BATCH_NORM_TRAINING_GRAD, kernelFunc: batchNormTrainingGradKernel },
  { kernelName: PRELU_GRAD, kernelFunc: preluGradKernel },
  { kernelName: BATCH_NORM_PRELU, kernelFunc: batchNormPreluKernel },
  { kernelName: BATCH_NORM_PRELU_GRAD, kernelFunc: batchNormPreluGradKernel },
];

/** Gradients of topofr's own kernels. */
export const NORMALIZATION_GRADIENTS: tf.GradConfig[] = [batchNormTrainingGrad, batchNormPreluGrad];

/** Replacements for stock gradients, built from the original (used where the native one does not apply). */
export const NORMALIZATION_GRADIENT_OVERRIDES: Record<string, (original: tf.GradConfig) => tf.GradConfig> = { Prelu: preluGrad };
