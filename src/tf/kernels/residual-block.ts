// The IResNet residual block (BN → conv3×3 → BN → PReLU → conv3×3/s → BN, plus the identity or a
// 1×1/s conv → BN shortcut) in training mode as one op with its own gradient, on the cpu backend.
//
// Why: layer by layer, a block is ≈ 10 tfjs ops, each with its dispatch, tape node, saved clones
// and fresh allocations, and their gradients as many again; on small nets that overhead is most of
// a training step. Here the forward is one native call and the backward another
// (native/core/residual_block.h), with bitwise the same arithmetic as the layer-by-layer native
// kernels. It also keeps less for the backward: the two conv outputs and per-channel statistics,
// not the six activations tfjs-layers' path holds (BN and PReLU outputs are recomputed).
//
// Shape of the op: kernels 'TopofrResidualBlock' (outputs y, c1, c2, stats1..3[, d, statsD]) and
// 'TopofrResidualBlockGrad' (every input's gradient), wrapped in a tf.customGrad whose only output
// is y, so the tape never makes zero gradients for the saved intermediates.
import * as tf from '@tensorflow/tfjs';
import { native } from '../../native.js';
import { BACKEND, outputArray, required, size, type CpuBackend, type KernelArgs } from './cpu.js';

export const RESIDUAL_BLOCK = 'TopofrResidualBlock';
export const RESIDUAL_BLOCK_GRAD = 'TopofrResidualBlockGrad';

/** The block's parameters in the binding's order; the last three only with the downsample shortcut. */
export const RESIDUAL_BLOCK_PARAMS = ['gamma1', 'beta1', 'filter1', 'gamma2', 'beta2', 'alpha', 'filter2', 'gamma3', 'beta3',
  'filterD', 'gammaD', 'betaD'] as const;
const WITHOUT_DOWNSAMPLE = 9;
const SAVED = ['c1', 'c2', 'd', 'stats1', 'stats2', 'stats3', 'statsD'] as const;

export type ResidualBlockParamName = (typeof RESIDUAL_BLOCK_PARAMS)[number];
/** BN γ/β [C], filters [3, 3, in, out] (filterD [1, 1, in, out]), PReLU α with out_c values (any shape). */
export type ResidualBlockParams = Partial<Record<ResidualBlockParamName, tf.Tensor>>;

export interface ResidualBlockAttrs {
  /** conv2's and the downsample's stride. */
  stride: 1 | 2;
  /** Every BN's epsilon. */
  epsilon: number;
}

/** A BN layer's batch statistics, for its moving averages. */
export interface BatchStatistics {
  mean: Float32Array;
  /** Biased (divided by count). */
  variance: Float32Array;
  /** Values per channel the statistics were taken over. */
  count: number;
}

interface Geometry {
  shape: number[];  // the binding's 9 integers
  out: number[];    // y's shape
  c1: number[];
  downsample: boolean;
  inC: number;
  outC: number;
}

function geometry(xShape: number[], filter1Shape: number[], stride: number, downsample: boolean): Geometry {
  const [n, h, w, inC] = xShape as [number, number, number, number];
  const outC = filter1Shape[3]!;
  const oh = Math.floor((h - 1) / stride) + 1, ow = Math.floor((w - 1) / stride) + 1;
  return { shape: [n, h, w, inC, outC, stride, oh, ow, downsample ? 1 : 0], out: [n, oh, ow, outC], c1: [n, h, w, outC], downsample, inC, outC };
}

const paramNames = (downsample: boolean) => RESIDUAL_BLOCK_PARAMS.slice(0, downsample ? undefined : WITHOUT_DOWNSAMPLE);
const paramArrays = (b: CpuBackend, inputs: KernelArgs['inputs']) =>
  RESIDUAL_BLOCK_PARAMS.map((name) => (inputs[name] ? required(b, inputs[name], name) : null));

const forwardKernel = ({ inputs, attrs = {}, backend }: KernelArgs): tf.TensorInfo[] => {
  const b = backend as CpuBackend;
  const x = inputs.x!;
  const g = geometry(x.shape, inputs.filter1!.shape, attrs.stride as number, inputs.filterD !== undefined);
  const y = outputArray(size(g.out)), c1 = outputArray(size(g.c1)), c2 = outputArray(size(g.out));
  const stats = [g.inC, g.outC, g.outC].map((c) => outputArray(4 * c));
  const d = g.downsample ? outputArray(size(g.out)) : null, statsD = g.downsample ? outputArray(4 * g.outC) : null;
  native().residualBlockForward(required(b, x, 'x'), paramArrays(b, inputs), y, [c1, c2, d, ...stats, statsD], g.shape,
    attrs.epsilon as number);
  const info = (shape: number[], v: Float32Array) => b.makeTensorInfo(shape, 'float32', v);
  const out = [info(g.out, y), info(g.c1, c1), info(g.out, c2), ...stats.map((s, i) => info([4, i === 0 ? g.inC : g.outC], s))];
  if (d && statsD) out.push(info(g.out, d), info([4, g.outC], statsD));
  return out;
};

const backwardKernel = ({ inputs, attrs = {}, backend }: KernelArgs): tf.TensorInfo[] => {
  const b = backend as CpuBackend;
  const x = inputs.x!;
  const g = geometry(x.shape, inputs.filter1!.shape, attrs.stride as number, inputs.filterD !== undefined);
  const saved = SAVED.map((name) => (inputs[name] ? required(b, inputs[name], name) : null));
  const names = paramNames(g.downsample);
  const dx = outputArray(size(x.shape));
  const dparams = names.map((name) => outputArray(size(inputs[name]!.shape)));
  const grads = [dx, ...dparams, ...Array<null>(RESIDUAL_BLOCK_PARAMS.length - names.length).fill(null)];
  native().residualBlockBackward(required(b, x, 'x'), paramArrays(b, inputs), saved, required(b, inputs.dy, 'dy'), grads,
    g.shape, attrs.epsilon as number);
  return [b.makeTensorInfo(x.shape, 'float32', dx), ...names.map((name, i) => b.makeTensorInfo(inputs[name]!.shape, 'float32', dparams[i]!))];
};

export const RESIDUAL_BLOCK_KERNELS: Array<{ kernelName: string; kernelFunc: (args: KernelArgs) => tf.TensorInfo[] }> = [
  { kernelName: RESIDUAL_BLOCK, kernelFunc: forwardKernel },
  { kernelName: RESIDUAL_BLOCK_GRAD, kernelFunc: backwardKernel },
];

/** Whether `residualBlock` can run on x here: cpu backend, native kernels registered, float32 NHWC, non-empty. */
export function residualBlockAvailable(x: tf.Tensor): boolean {
  return tf.getBackend() === BACKEND && tf.getKernel(RESIDUAL_BLOCK, BACKEND) !== undefined && x.dtype === 'float32' &&
    x.rank === 4 && x.size > 0;
}

/**
 * One training-mode residual block: y, differentiable in x and every parameter, and each BN's batch
 * statistics (BN1, BN2, BN3[, BN_d]) for the caller's moving averages. Check `residualBlockAvailable` first;
 * the parameters must match x (the binding checks every length).
 */
export function residualBlock(x: tf.Tensor4D, params: ResidualBlockParams, attrs: ResidualBlockAttrs):
  { y: tf.Tensor4D; statistics: BatchStatistics[] } {
  const names = paramNames(params.filterD !== undefined);
  const kernelAttrs = { stride: attrs.stride, epsilon: attrs.epsilon };
  let statistics: BatchStatistics[] = [];
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [input, ...ps] = args as tf.Tensor[];
    const named = Object.fromEntries(names.map((n, i) => [n, ps[i]!])) as Record<string, tf.Tensor>;
    const [y, ...outs] = tf.engine().runKernel(RESIDUAL_BLOCK, { x: input!, ...named }, kernelAttrs) as unknown as tf.Tensor[];
    // outs: c1, c2, stats1..3[, d, statsD]; in the binding's saved order: c1, c2[, d], stats1..3[, statsD].
    const [c1, c2, s1, s2, s3, d, sd] = outs;
    const stats = sd ? [s1!, s2!, s3!, sd] : [s1!, s2!, s3!];
    // BN1 and BN2 normalise values at x's resolution, BN3 and BN_d at y's.
    const perChannel = [input!.size / input!.shape[3]!, y!.size / y!.shape[3]!];
    statistics = stats.map((s, i) => {
      const v = s.dataSync() as Float32Array, c = s.shape[1]!;
      return { mean: v.slice(0, c), variance: v.slice(c, 2 * c), count: perChannel[i < 2 ? 0 : 1]! };
    });
    const keptNames = d ? SAVED : SAVED.filter((n) => n !== 'd' && n !== 'statsD');
    const kept = d && sd ? [c1!, c2!, d, s1!, s2!, s3!, sd] : [c1!, c2!, s1!, s2!, s3!];
    // Variables (the layers' weights) outlive the step: the gradient reads them directly. Anything
    // else is saved, as tfjs saves a kernel's inputs (a clone that outlives the forward's tidy).
    const savedParams = names.filter((n) => !(named[n] instanceof tf.Variable));
    save([input!, ...savedParams.map((n) => named[n]!), ...kept]);
    return {
      value: y! as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const inputs: Record<string, tf.Tensor> = { dy, x: saved[0]!, ...named };
        savedParams.forEach((n, i) => (inputs[n] = saved[1 + i]!));
        keptNames.forEach((n, i) => (inputs[n] = saved[1 + savedParams.length + i]!));
        return tf.engine().runKernel(RESIDUAL_BLOCK_GRAD, inputs, kernelAttrs) as unknown as tf.Tensor[];
      },
    };
  });
  const y = op(x, ...names.map((n) => params[n]!)) as tf.Tensor4D;
  return { y, statistics };
}
