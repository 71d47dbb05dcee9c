// IResNet's training forward with each residual block as one fused op (src/tf/kernels/residual-block.ts).
//
// The model stays the standard layer graph (model.json, weights, inference, other backends: all
// tfjs's own); `IResNetModel` only changes what `apply(x, { training: true })` runs on the cpu
// backend with the native kernels: the stem as a convolution and one fused BN + PReLU op, every
// block `layerS.B.*` as one op, the head layer by layer, all on the layers' own weights, then each
// fused BN's moving statistics updated as its layer would (updateMovingStatistics). The plan is read
// from the layer names iresnet() gives and checked against each layer's config; a model that does
// not match trains layer by layer.
import * as tf from '@tensorflow/tfjs';
import { updateMovingStatistics } from '../tf/batch-norm-layer.js';
import { batchNormPrelu } from '../tf/kernels/normalization.js';
import { residualBlock, residualBlockAvailable, type ResidualBlockParams } from '../tf/kernels/residual-block.js';

type Layer = tf.layers.Layer;
type Kwargs = Record<string, unknown>;

interface BlockPlan {
  /** BN1, BN2, BN3[, BN_d]: the order of residualBlock's statistics. */
  norms: Layer[];
  params: ResidualBlockParams;
  stride: 1 | 2;
  epsilon: number;
}

/** conv3×3 (stride 1, 'same', no bias) → BN → PReLU. */
interface StemPlan {
  filter: tf.Tensor4D;
  norm: Layer;
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  alpha: tf.Tensor;
  epsilon: number;
}

type Step = { layer: Layer } | { block: BlockPlan } | { stem: StemPlan };

const HEAD = ['bn2', 'to_nchw', 'flatten', 'dropout', 'fc', 'features'];

/** A layer weight by its short name ('kernel', 'gamma', …), as the layer reads it. */
function weight(layer: Layer, name: string): tf.Tensor | undefined {
  return layer.weights.find((w) => w.originalName.split('/').pop()!.replace(/_\d+$/, '') === name)?.read();
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function isBatchNorm(l: Layer | undefined): l is Layer {
  const c = l?.getConfig();
  return !!c && l!.getClassName() === 'BatchNormalization' && (c.axis === -1 || c.axis === 3) && c.center === true && c.scale === true;
}

function isConv(l: Layer | undefined, kernel: number, stride: number, padding: 'same' | 'valid'): l is Layer {
  const c = l?.getConfig();
  return !!c && l!.getClassName() === 'Conv2D' && same(c.kernelSize, [kernel, kernel]) && same(c.strides, [stride, stride]) &&
    c.padding === padding && same(c.dilationRate, [1, 1]) && c.useBias === false && c.activation === 'linear' &&
    c.dataFormat === 'channelsLast';
}

/** The fused plan of one block `layerS.B`, or null when its layers are not the block iresnet() builds. */
function blockPlan(layers: Map<string, Layer>, p: string, used: Set<string>): BlockPlan | null {
  const get = (name: string) => {
    used.add(`${p}.${name}`);
    return layers.get(`${p}.${name}`);
  };
  const [bn1, conv1, bn2, prelu, conv2, bn3, add] = ['bn1', 'conv1', 'bn2', 'prelu', 'conv2', 'bn3', 'add'].map(get);
  const pad = layers.has(`${p}.conv2.pad`) ? get('conv2.pad') : undefined;
  const stride = pad ? 2 : 1;
  if (pad && !(pad.getClassName() === 'ZeroPadding2D' && same(pad.getConfig().padding, [[1, 1], [1, 1]]))) return null;
  const downsample = layers.has(`${p}.downsample.0`);
  const [convD, bnD] = downsample ? [get('downsample.0'), get('downsample.1')] : [undefined, undefined];
  if (!isBatchNorm(bn1) || !isBatchNorm(bn2) || !isBatchNorm(bn3) || (downsample && !isBatchNorm(bnD))) return null;
  if (!isConv(conv1, 3, 1, 'same') || !isConv(conv2, 3, stride, stride === 2 ? 'valid' : 'same')) return null;
  if (downsample && !isConv(convD, 1, stride, 'valid')) return null;
  if (prelu?.getClassName() !== 'PReLU' || add?.getClassName() !== 'Add') return null;
  const norms = downsample ? [bn1, bn2, bn3, bnD!] : [bn1, bn2, bn3];
  const epsilon = norms[0]!.getConfig().epsilon as number;
  if (norms.some((n) => n.getConfig().epsilon !== epsilon)) return null;
  const params: ResidualBlockParams = {
    gamma1: weight(bn1, 'gamma'), beta1: weight(bn1, 'beta'), filter1: weight(conv1, 'kernel'),
    gamma2: weight(bn2, 'gamma'), beta2: weight(bn2, 'beta'), alpha: weight(prelu, 'alpha'), filter2: weight(conv2, 'kernel'),
    gamma3: weight(bn3, 'gamma'), beta3: weight(bn3, 'beta'),
    ...(downsample ? { filterD: weight(convD!, 'kernel'), gammaD: weight(bnD!, 'gamma'), betaD: weight(bnD!, 'beta') } : {}),
  };
  if (Object.values(params).some((t) => t === undefined)) return null;
  return { norms, params, stride, epsilon };
}

function stemPlan(layers: Map<string, Layer>, used: Set<string>): StemPlan | null {
  const [conv, norm, prelu] = ['conv1', 'bn1', 'prelu'].map((name) => {
    used.add(name);
    return layers.get(name);
  });
  if (!isConv(conv, 3, 1, 'same') || !isBatchNorm(norm) || prelu?.getClassName() !== 'PReLU') return null;
  const [filter, gamma, beta, alpha] = [weight(conv, 'kernel'), weight(norm, 'gamma'), weight(norm, 'beta'), weight(prelu, 'alpha')];
  if (!filter || !gamma || !beta || !alpha) return null;
  return { filter: filter as tf.Tensor4D, norm, gamma: gamma as tf.Tensor1D, beta: beta as tf.Tensor1D, alpha,
    epsilon: norm.getConfig().epsilon as number };
}

/** The steps of the fused training forward, or null when the model is not laid out as iresnet() builds it. */
export function trainingPlan(model: tf.LayersModel): Step[] | null {
  const layers = new Map(model.layers.map((l) => [l.name, l]));
  const used = new Set<string>();
  const steps: Step[] = [];
  const plain = (names: string[]): boolean => names.every((name) => {
    const layer = layers.get(name);
    used.add(name);
    if (layer) steps.push({ layer });
    return layer !== undefined;
  });
  const stem = stemPlan(layers, used);
  if (!stem) return null;
  steps.push({ stem });
  for (let stage = 1; layers.has(`layer${stage}.0.bn1`); stage++) {
    for (let b = 0; layers.has(`layer${stage}.${b}.bn1`); b++) {
      const block = blockPlan(layers, `layer${stage}.${b}`, used);
      if (!block) return null;
      steps.push({ block });
    }
  }
  if (!plain(HEAD)) return null;
  // Every layer but the input must be in the plan, once: then the plan is the whole graph.
  const rest = model.layers.filter((l) => l.getClassName() !== 'InputLayer' && !used.has(l.name));
  return rest.length === 0 ? steps : null;
}

function run(steps: readonly Step[], x: tf.Tensor, kwargs: Kwargs): tf.Tensor {
  let h = x;
  for (const step of steps) {
    if ('layer' in step) {
      const out = step.layer.apply(h, kwargs) as tf.Tensor | tf.Tensor[];
      h = Array.isArray(out) ? out[0]! : out;
      continue;
    }
    if ('stem' in step) {
      const { filter, norm, gamma, beta, alpha, epsilon } = step.stem;
      const [y, stats] = batchNormPrelu(tf.conv2d(h as tf.Tensor4D, filter, 1, 'same'), gamma, beta, alpha, epsilon);
      const v = stats.dataSync() as Float32Array, c = stats.shape[1];
      updateMovingStatistics(norm, v.subarray(0, c), v.subarray(c, 2 * c), y.size / c);
      h = y;
      continue;
    }
    const { norms, params, stride, epsilon } = step.block;
    const { y, statistics } = residualBlock(h as tf.Tensor4D, params, { stride, epsilon });
    statistics.forEach((s, i) => updateMovingStatistics(norms[i]!, s.mean, s.variance, s.count));
    h = y;
  }
  return h;
}

/** tf.LayersModel (class name 'Model', so model.json is unchanged) whose training forward fuses the residual blocks. */
export class IResNetModel extends tf.LayersModel {
  static override className = 'Model';
  private plan: Step[] | null | undefined;

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs.training === true && x !== undefined && (!Array.isArray(inputs) || inputs.length === 1) && residualBlockAvailable(x)) {
      if (this.plan === undefined) this.plan = trainingPlan(this);
      const steps = this.plan;
      if (steps) return tf.tidy(() => run(steps, x, kwargs));
    }
    return super.call(inputs, kwargs);
  }
}
