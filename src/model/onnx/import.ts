// Imports an IResNet from ONNX into the tfjs IResNet (src/model/iresnet.ts): files exported by
// arcface_torch's torch2onnx.py (insightface's model zoo recognition models, e.g. w600k_r50.onnx)
// and by topofr. The graph is walked from the input along the IResNet's shape, so tensor and node
// names do not matter:
//   Conv[+BatchNormalization] → PRelu,
//   per block: BatchNormalization → Conv[+BN] → PRelu → Conv[+BN], + (input | Conv[+BN] of the input) → Add,
//   BatchNormalization → Flatten → Gemm → BatchNormalization.
// A Conv with a bias (PyTorch folds eval-mode BatchNorms into the conv) sets the tfjs BatchNorm after
// it to the identity plus that bias (γ = 1, β = bias, mean 0, variance 1 − ε); a Conv followed by a
// BatchNormalization node maps one to one. Identity and Dropout nodes are looked through. Anything
// else (another op, a width or depth no IResNet has) is refused with a typed error naming the node.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { TopofrError } from '../../errors.js';
import { IRESNET_BN_EPSILON, iresnet, iresnetWidths } from '../iresnet.js';
import { decodeOnnxModel, tensorFloats, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-proto.js';
import { depthOf, iresnetPlan, layerWeight, type ConvBn } from './iresnet-graph.js';

interface BatchNormParams {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
}

interface ConvParams {
  /** OIHW, as ONNX stores it. */
  weight: Float32Array;
  dims: number[];
  stride: number;
  /** The BatchNorm after the conv: its own node, or the identity plus the conv's bias. */
  bn: BatchNormParams;
}

interface Block {
  bn: BatchNormParams;
  conv1: ConvParams;
  prelu: Float32Array;
  conv2: ConvParams;
  downsample?: ConvParams;
}

/** Reads the graph of an IResNet ONNX model into its parameters. */
class GraphWalker {
  private readonly producers = new Map<string, OnnxNode>();
  private readonly consumers = new Map<string, OnnxNode[]>();
  private readonly constants = new Map<string, OnnxTensor>();

  constructor(private readonly model: OnnxModel, private readonly source: string) {
    for (const t of model.graph.initializers) this.constants.set(t.name, t);
    for (const n of model.graph.nodes) {
      if (n.opType === 'Constant' && n.attributes[0]?.t) this.constants.set(n.outputs[0]!, n.attributes[0].t);
      for (const o of n.outputs) this.producers.set(o, n);
      for (const i of n.inputs) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
    }
  }

  fail(message: string, node?: OnnxNode): never {
    const where = node ? ` node ${node.name || '(unnamed)'} (${node.opType})` : '';
    throw new TopofrError('ERR_TOPOFR_UNSUPPORTED', `${this.source}:${where}: ${message}; topofr imports IResNet backbones (Conv/BatchNormalization/PRelu/Add/Flatten/Gemm)`);
  }

  /** The graph's image input: the first input that is not a weight. */
  input(): { name: string; size?: number } {
    const input = this.model.graph.inputs.find((i) => !this.constants.has(i.name));
    if (!input) this.fail('the graph has no input');
    const [, channels, h, w] = input!.shape;
    if (input!.shape.length !== 4 || (typeof channels === 'number' && channels !== 3))
      this.fail(`input ${input!.name} has shape [${input!.shape.join(', ')}], expected [N, 3, H, W]`);
    return { name: input!.name, size: typeof h === 'number' && h === w ? h : undefined };
  }

  /** The non-pass-through consumers of a value (Identity/Dropout followed). */
  private uses(value: string): OnnxNode[] {
    return (this.consumers.get(value) ?? []).flatMap((n) => (n.opType === 'Identity' || n.opType === 'Dropout' ? this.uses(n.outputs[0]!) : [n]));
  }

  /** The one consumer of `value` with the given op type (or undefined). */
  next(value: string, opType: string): OnnxNode | undefined {
    const found = this.uses(value).filter((n) => n.opType === opType);
    if (found.length > 1) this.fail(`${found.length} ${opType} nodes read ${value}, expected one`);
    return found[0];
  }

  expect(value: string, opType: string, what: string): OnnxNode {
    return this.next(value, opType) ?? this.fail(`expected ${what} (${opType}) after ${value}; found ${this.uses(value).map((n) => n.opType).join(', ') || 'nothing'}`);
  }

  weight(node: OnnxNode, index: number, dims?: number[]): Float32Array {
    const name = node.inputs[index];
    const t = name === undefined ? undefined : this.constants.get(name);
    if (!t) return this.fail(`input ${index} (${name ?? 'missing'}) is not a constant weight`, node);
    if (dims && (t.dims.length !== dims.length || t.dims.some((d, k) => d !== dims[k])))
      this.fail(`weight ${name} has shape [${t.dims.join(', ')}], expected [${dims.join(', ')}]`, node);
    return tensorFloats(t);
  }

  dims(node: OnnxNode, index: number): number[] {
    return this.constants.get(node.inputs[index] ?? '')?.dims ?? this.fail(`input ${index} is not a constant weight`, node);
  }

  batchNorm(node: OnnxNode): BatchNormParams {
    const c = this.dims(node, 1)[0]!;
    const epsilon = node.attributes.find((a) => a.name === 'epsilon')?.f ?? 1e-5;
    return { gamma: this.weight(node, 1, [c]), beta: this.weight(node, 2, [c]), mean: this.weight(node, 3, [c]), variance: this.weight(node, 4, [c]), epsilon };
  }

  /** A Conv reading `value`, and the BatchNorm after it (own node or folded). Returns its output. */
  conv(node: OnnxNode): { params: ConvParams; out: string } {
    const attr = (name: string) => node.attributes.find((a) => a.name === name);
    const dims = this.dims(node, 1);
    const [cout, , kh, kw] = dims;
    const stride = attr('strides')?.ints?.[0] ?? 1;
    const pads = attr('pads')?.ints ?? [0, 0, 0, 0];
    const pad = (kh! - 1) / 2;
    if (dims.length !== 4 || kh !== kw || (kh !== 1 && kh !== 3) || (attr('group')?.i ?? 1) !== 1 || !(stride === 1 || stride === 2) ||
      pads.some((p) => p !== pad) || (attr('dilations')?.ints ?? [1, 1]).some((d) => d !== 1) || attr('auto_pad')?.s)
      this.fail(`a convolution of kernel [${dims.join(', ')}], strides ${stride}, pads [${pads.join(', ')}] is not an IResNet one (1×1 or 3×3 with PyTorch padding, group 1)`, node);
    const weight = this.weight(node, 1);
    const bias = node.inputs[2] ? this.weight(node, 2, [cout!]) : new Float32Array(cout!);
    let out = node.outputs[0]!;
    const bnNode = this.next(out, 'BatchNormalization');
    let bn: BatchNormParams;
    if (bnNode && this.uses(out).length === 1) {
      bn = this.batchNorm(bnNode);
      bn.mean = bn.mean.map((m, o) => m - bias[o]!); // BN(conv + b) = BN'(conv) with mean − b
      out = bnNode.outputs[0]!;
    } else {
      bn = { gamma: new Float32Array(cout!).fill(1), beta: bias, mean: new Float32Array(cout!), variance: new Float32Array(cout!).fill(1 - IRESNET_BN_EPSILON),
        epsilon: IRESNET_BN_EPSILON };
    }
    return { params: { weight, dims, stride, bn }, out };
  }

  prelu(value: string): { slope: Float32Array; out: string } {
    const node = this.expect(value, 'PRelu', 'a PReLU');
    return { slope: this.weight(node, 1), out: node.outputs[0]! };
  }

  walk() {
    const input = this.input();
    let x = input.name;
    const stem = this.conv(this.expect(x, 'Conv', 'the stem convolution'));
    const stemPrelu = this.prelu(stem.out);
    x = stemPrelu.out;
    const blocks: Block[] = [];
    for (;;) {
      const bnNode = this.next(x, 'BatchNormalization');
      if (!bnNode) this.fail(`expected a BatchNormalization after ${x}`);
      const branch = this.next(bnNode!.outputs[0]!, 'Conv');
      if (!branch) break; // bn2: the head starts
      const conv1 = this.conv(branch);
      const prelu = this.prelu(conv1.out);
      const conv2 = this.conv(this.expect(prelu.out, 'Conv', "the block's second convolution"));
      const add = this.expect(conv2.out, 'Add', 'the residual addition');
      const other = add.inputs.find((i) => i !== conv2.out);
      let downsample: ConvParams | undefined;
      if (other !== x) {
        const shortcut = this.next(x, 'Conv');
        if (!shortcut) this.fail(`the residual addition adds ${other}, neither the block input nor a convolution of it`, add);
        const d = this.conv(shortcut!);
        if (d.out !== other) this.fail(`the shortcut convolution's output ${d.out} is not what the addition adds (${other})`, add);
        downsample = d.params;
      }
      blocks.push({ bn: this.batchNorm(bnNode!), conv1: conv1.params, prelu: prelu.slope, conv2: conv2.params, ...(downsample ? { downsample } : {}) });
      x = add.outputs[0]!;
    }
    const bn2Node = this.next(x, 'BatchNormalization')!;
    const flatten = this.next(bn2Node.outputs[0]!, 'Flatten') ?? this.next(bn2Node.outputs[0]!, 'Reshape') ??
      this.fail(`expected Flatten after ${bn2Node.outputs[0]}`);
    const gemm = this.expect(flatten.outputs[0]!, 'Gemm', 'the fully connected layer');
    const attr = (name: string) => gemm.attributes.find((a) => a.name === name);
    if ((attr('alpha')?.f ?? 1) !== 1 || (attr('beta')?.f ?? 1) !== 1 || (attr('transA')?.i ?? 0) !== 0)
      this.fail('Gemm with alpha ≠ 1, beta ≠ 1 or transA', gemm);
    const transB = (attr('transB')?.i ?? 0) === 1;
    const [d0, d1] = this.dims(gemm, 1);
    const [fin, fout] = transB ? [d1!, d0!] : [d0!, d1!];
    const fcWeight = this.weight(gemm, 1);
    const fcBias = gemm.inputs[2] ? this.weight(gemm, 2, [fout]) : new Float32Array(fout);
    const features = this.expect(gemm.outputs[0]!, 'BatchNormalization', 'the embedding BatchNorm1d');
    return { inputSize: input.size, stem: stem.params, stemPrelu: stemPrelu.slope, blocks, bn2: this.batchNorm(bn2Node), fc: { weight: fcWeight, fin, fout, transB, bias: fcBias },
      features: this.batchNorm(features) };
  }
}

/** Builds the tfjs IResNet of an ONNX IResNet model and loads its weights. */
export function onnxToIResNet(onnx: OnnxModel, source = 'model.onnx'): tf.LayersModel {
  const walker = new GraphWalker(onnx, source);
  const g = walker.walk();
  // Stages: a stage starts at each strided block.
  const stages: number[] = [];
  for (const b of g.blocks) {
    if (b.conv2.stride === 2 || stages.length === 0) stages.push(0);
    stages[stages.length - 1]!++;
  }
  const depth = depthOf(stages);
  if (depth === undefined) walker.fail(`blocks per stage [${stages.join(', ')}] match no IResNet depth (r18 [2,2,2,2] … r200 [6,26,60,6])`);
  const stemWidth = g.stem.dims[0]!;
  const widthMultiplier = stemWidth / 64;
  const widths = iresnetWidths(widthMultiplier);
  const seen = [stemWidth, ...[0, 1, 2, 3].map((s) => g.blocks[stages.slice(0, s).reduce((a, n) => a + n, 0)]!.conv1.dims[0]!)];
  if (seen.some((w, k) => w !== widths[k])) walker.fail(`channel widths [${seen.join(', ')}] are not an IResNet's [${widths.join(', ')}]`);
  const inputSize = g.inputSize ?? 112;
  const model = iresnet({ depth: depth!, inputSize, widthMultiplier, embeddingSize: g.fc.fout, name: `iresnet${depth}` });
  const flatSize = (model.getLayer('flatten').outputShape as number[])[1];
  if (flatSize !== g.fc.fin) walker.fail(`the fully connected layer reads ${g.fc.fin} values, an ${inputSize}×${inputSize} input gives ${flatSize}`);

  const plan = iresnetPlan(stages);
  const set = (layer: string, name: string, values: Float32Array, shape?: number[]) => {
    const v = layerWeight(model, layer, name);
    v.write(tf.tensor(values, shape ?? (v.shape as number[])));
  };
  const setBn = (layer: string, p: BatchNormParams) => {
    // tfjs has one ε per layer (1e-5, as PyTorch's); re-express another ε through the variance.
    const variance = p.epsilon === IRESNET_BN_EPSILON ? p.variance : p.variance.map((v) => v + p.epsilon - IRESNET_BN_EPSILON);
    set(layer, 'gamma', p.gamma);
    set(layer, 'beta', p.beta);
    set(layer, 'moving_mean', p.mean);
    set(layer, 'moving_variance', variance);
  };
  const setConv = (target: ConvBn, p: ConvParams) => {
    const [cout, cin, kh, kw] = p.dims as [number, number, number, number];
    const hwio = new Float32Array(p.weight.length);
    for (let o = 0; o < cout; o++)
      for (let i = 0; i < cin; i++)
        for (let y = 0; y < kh; y++) for (let z = 0; z < kw; z++) hwio[((y * kw + z) * cin + i) * cout + o] = p.weight[((o * cin + i) * kh + y) * kw + z]!;
    if (p.stride !== target.stride) walker.fail(`${target.conv} has stride ${p.stride}, the IResNet layout has ${target.stride}`);
    set(target.conv, 'kernel', hwio);
    setBn(target.bn, p.bn);
  };
  setConv(plan.stem, g.stem);
  set(plan.stemPrelu, 'alpha', g.stemPrelu);
  plan.blocks.forEach((target, k) => {
    const b = g.blocks[k]!;
    if (!!target.downsample !== !!b.downsample) walker.fail(`block ${k} ${b.downsample ? 'has' : 'lacks'} a shortcut convolution, unlike the IResNet layout`);
    setBn(target.bn, b.bn);
    setConv(target.conv1, b.conv1);
    set(target.prelu, 'alpha', b.prelu);
    setConv(target.conv2, b.conv2);
    if (target.downsample) setConv(target.downsample, b.downsample!);
  });
  setBn(plan.bn2, g.bn2);
  const { weight, fin, fout, transB, bias } = g.fc;
  const kernel = transB ? new Float32Array(fin * fout) : weight;
  if (transB) for (let o = 0; o < fout; o++) for (let i = 0; i < fin; i++) kernel[i * fout + o] = weight[o * fin + i]!;
  set(plan.fc, 'kernel', kernel);
  set(plan.fc, 'bias', bias);
  setBn(plan.features, g.features);
  return model;
}

/** Reads an ONNX file and imports its IResNet. */
export function loadOnnxIResNet(path: string): tf.LayersModel {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new TopofrError('ERR_TOPOFR_INVALID_VALUE', `cannot read the ONNX model ${path}: ${(err as Error).message}`);
  }
  return onnxToIResNet(decodeOnnxModel(bytes, path), path);
}
