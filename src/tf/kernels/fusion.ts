// The fused kernels' epilogue (FusedConv2D, FusedDepthwiseConv2D, _FusedMatMul): the bias and the
// activation applied in JS over the native result, for a bias / PReLU weight that is a scalar or one
// value per output channel; `canFuse` says null for anything wider, so the original kernel runs.
import type * as tf from '@tensorflow/tfjs';
import { f32, perChannelLength, type CpuBackend, type KernelArgs, type Shape } from './cpu.js';

/** A bias or prelu weight usable here: a scalar or one value per last-axis entry, no wider broadcast. */
function perChannel(backend: CpuBackend, t: tf.TensorInfo | undefined, outShape: Shape): Float32Array | null {
  const v = f32(backend, t);
  return v && t && perChannelLength(t.shape, outShape) !== null ? v : null;
}

const ACTIVATIONS = new Set(['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu']);

/** The bias and prelu weights when this fusion is handled here, null when it is not. */
export function canFuse(args: KernelArgs, backend: CpuBackend, outShape: Shape):
  { bias: Float32Array | null; alpha: Float32Array | null } | null {
  const attrs = args.attrs ?? {};
  const activation = (attrs.activation ?? 'linear') as string;
  if (!ACTIVATIONS.has(activation)) return null;
  const { bias, preluActivationWeights } = args.inputs;
  const b = bias ? perChannel(backend, bias, outShape) : null;
  if (bias && !b) return null;
  const alpha = activation === 'prelu' ? perChannel(backend, preluActivationWeights, outShape) : null;
  if (activation === 'prelu' && !alpha) return null;
  return { bias: b, alpha };
}

export function biasActivation(out: Float32Array, channels: number, bias: Float32Array | null, activation: string,
  alpha: Float32Array | null, leakyAlpha: number): void {
  const n = out.length;
  if (bias) {
    if (bias.length === 1) { const b0 = bias[0]; for (let i = 0; i < n; i++) out[i] += b0; }
    else for (let i = 0; i < n; i += channels) for (let c = 0; c < channels; c++) out[i + c] += bias[c];
  }
  switch (activation) {
    case 'relu':
      for (let i = 0; i < n; i++) if (out[i] < 0) out[i] = 0;
      break;
    case 'relu6':
      for (let i = 0; i < n; i++) out[i] = Math.min(Math.max(0, out[i]), 6);
      break;
    case 'elu':
      for (let i = 0; i < n; i++) if (!(out[i] >= 0)) out[i] = Math.exp(out[i]) - 1;
      break;
    case 'leakyrelu':
      for (let i = 0; i < n; i++) if (out[i] < 0) out[i] *= leakyAlpha;
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-out[i]));
      break;
    case 'prelu':
      if (alpha!.length === 1) { const a0 = alpha![0]; for (let i = 0; i < n; i++) if (out[i] < 0) out[i] *= a0; }
      else for (let i = 0; i < n; i += channels) for (let c = 0; c < channels; c++) if (out[i + c] < 0) out[i + c] *= alpha![c];
      break;
    default:  // linear
  }
}
