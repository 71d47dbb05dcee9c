// The IResNet's structure as ONNX sees it, shared by the exporter and the importer: the layers of the
// tfjs model (src/model/iresnet.ts names them after the PyTorch state_dict) grouped the way
// arcface_torch's torch2onnx.py export groups them: each convolution with the BatchNorm after it
// (PyTorch's eval-mode export folds that pair into one Conv with a bias), the block-leading
// BatchNorms, bn2 and the embedding BatchNorm1d `features` left as BatchNormalization nodes.
import type * as tf from '@tensorflow/tfjs';
import { TopofrError } from '../../errors.js';
import { IRESNET_LAYERS, type IResNetDepth } from '../iresnet.js';

/** A convolution layer and the BatchNorm that follows it. */
export interface ConvBn {
  conv: string;
  bn: string;
  stride: 1 | 2;
}

export interface IResNetBlock {
  /** BatchNorm at the block's input (its own ONNX node). */
  bn: string;
  conv1: ConvBn;
  prelu: string;
  conv2: ConvBn;
  downsample?: ConvBn;
}

export interface IResNetPlan {
  stem: ConvBn;
  stemPrelu: string;
  blocks: IResNetBlock[];
  bn2: string;
  fc: string;
  features: string;
}

/** The plan of a stage layout: blocks per stage, first block of each stage strided with a 1×1
 *  downsample (every official IResNet has one there, since the width or stride changes). */
export function iresnetPlan(stages: readonly number[]): IResNetPlan {
  const blocks: IResNetBlock[] = [];
  stages.forEach((count, s) => {
    for (let b = 0; b < count; b++) {
      const p = `layer${s + 1}.${b}`;
      blocks.push({
        bn: `${p}.bn1`,
        conv1: { conv: `${p}.conv1`, bn: `${p}.bn2`, stride: 1 },
        prelu: `${p}.prelu`,
        conv2: { conv: `${p}.conv2`, bn: `${p}.bn3`, stride: b === 0 ? 2 : 1 },
        ...(b === 0 ? { downsample: { conv: `${p}.downsample.0`, bn: `${p}.downsample.1`, stride: 2 as const } } : {}),
      });
    }
  });
  return { stem: { conv: 'conv1', bn: 'bn1', stride: 1 }, stemPrelu: 'prelu', blocks, bn2: 'bn2', fc: 'fc', features: 'features' };
}

/** The depth whose official stage layout is `stages`, or undefined. */
export function depthOf(stages: readonly number[]): IResNetDepth | undefined {
  for (const [depth, layout] of Object.entries(IRESNET_LAYERS))
    if (layout.length === stages.length && layout.every((n, i) => n === stages[i])) return Number(depth) as IResNetDepth;
  return undefined;
}

/** Blocks per stage of a tfjs IResNet, read from its layer names (layer<s>.<b>.conv1). */
export function stagesOf(model: tf.LayersModel): number[] {
  const stages = [0, 0, 0, 0];
  for (const layer of model.layers) {
    const m = /^layer([1-4])\.(\d+)\.conv1$/.exec(layer.name);
    if (m) stages[Number(m[1]) - 1] = Math.max(stages[Number(m[1]) - 1]!, Number(m[2]) + 1);
  }
  if (depthOf(stages) === undefined || !model.layers.some((l) => l.name === 'features'))
    throw new TopofrError('ERR_TOPOFR_UNSUPPORTED', `model ${model.name} is not an IResNet (r18…r200) as topofr builds it (layers conv1, layer1.0…, fc, features)`);
  return stages;
}

/** A layer weight by its short name (gamma, beta, moving_mean, moving_variance, kernel, bias,
 *  alpha): the order of `layer.weights` changes when γ is frozen, names do not. */
export function layerWeight(model: tf.LayersModel, layer: string, name: string): tf.LayerVariable {
  const v = model.getLayer(layer).weights.find((w) => w.originalName.split('/').pop()!.replace(/_\d+$/, '') === name);
  if (v === undefined) throw new TopofrError('ERR_TOPOFR_UNSUPPORTED', `layer ${layer} has no weight ${name}`);
  return v;
}
