import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileLoader, fileSaver } from '../src/model/file-io.js';
import {
  freezeEmbeddingScale,
  loadIResNet,
  IRESNET_LAYERS,
  type IResNetDepth,
  iresnet,
  iresnetFeatureSize,
  iresnetWidths,
} from '../src/model/iresnet.js';
import { count, randomizeBatchNorms, short, weight } from './support/model-weights.js';

tf.enableProdMode();

const TINY = { inputSize: 32, widthMultiplier: 0.125, embeddingSize: 16 } as const;


/** Parameter counts derived from the architecture by hand (independent of the builder). */
function expectedCounts(depth: IResNetDepth, inputSize = 112, embedding = 512) {
  const [c0, ...widths] = [64, 64, 128, 256, 512];
  let trainable = 27 * c0 + 2 * c0 + c0; // conv1, bn1 (γ, β), prelu (per channel)
  let bnChannels = c0;
  let inC = c0;
  IRESNET_LAYERS[depth].forEach((blocks, stage) => {
    const out = widths[stage]!;
    for (let b = 0; b < blocks; b++) {
      const down = b === 0; // stride 2 ⇒ shortcut conv1×1 + BN
      trainable += 2 * inC + 9 * inC * out + 2 * out + out + 9 * out * out + 2 * out;
      bnChannels += inC + 2 * out;
      if (down) {
        trainable += inC * out + 2 * out;
        bnChannels += out;
      }
      inC = out;
    }
  });
  const s = inputSize / 16;
  trainable += 2 * 512 + 512 * s * s * embedding + embedding + 2 * embedding; // bn2, fc (W, b), features γ, β
  bnChannels += 512;
  // PyTorch's sum(p.numel()): every parameter, features.weight included (TopoFR trains it).
  const torchParams = trainable;
  // Running mean/var of every BN (features' too).
  const nonTrainable = 2 * bnChannels + 2 * embedding;
  return { trainable, torchParams, total: trainable + nonTrainable };
}

describe('iresnet: architecture', () => {
  it('parameter counts of r18/r34/r50 at 112 match the official architecture', () => {
    // PyTorch parameter counts of arcface_torch iresnet18/34/50 (fp32, num_features 512), as derived
    // from the layer formula: the widely quoted 24.0M / 34.1M / 43.6M.
    const official: Partial<Record<IResNetDepth, number>> = { 18: 24_025_600, 34: 34_139_328, 50: 43_590_848 };
    for (const depth of [18, 34, 50] as const) {
      const model = iresnet({ depth });
      const want = expectedCounts(depth);
      expect(count(model.trainableWeights)).toBe(want.trainable);
      expect(model.countParams()).toBe(want.total);
      expect(count(model.trainableWeights)).toBe(official[depth]);
      expect(want.torchParams).toBe(official[depth]);
      expect(model.outputs[0]!.shape).toEqual([null, 512]);
      const fc = model.getLayer('fc');
      expect(fc.getWeights()[0]!.shape).toEqual([512 * 7 * 7, 512]);
      model.dispose();
    }
  });

  it('feature size and widths', () => {
    expect(iresnetFeatureSize(112)).toBe(7);
    expect(iresnetFeatureSize(32)).toBe(2);
    expect(iresnetFeatureSize(64)).toBe(4);
    expect(iresnetWidths(1)).toEqual([64, 64, 128, 256, 512]);
    expect(iresnetWidths(0.25)).toEqual([16, 16, 32, 64, 128]);
  });

  it('follows the official layer order and naming', () => {
    const model = iresnet({ depth: 18, ...TINY });
    const names = model.layers.map((l) => `${l.name}:${l.getClassName()}`);
    expect(names.slice(0, 4)).toEqual(['input:InputLayer', 'conv1:Conv2D', 'bn1:BatchNormalization', 'prelu:PReLU']);
    // First block of layer1: BN → conv(s1) → BN → PReLU → pad → conv(s2) → BN, shortcut conv1×1(s2) → BN.
    const idx = (n: string) => model.layers.findIndex((l) => l.name === n);
    const order = ['layer1.0.bn1', 'layer1.0.conv1', 'layer1.0.bn2', 'layer1.0.prelu', 'layer1.0.conv2.pad', 'layer1.0.conv2', 'layer1.0.bn3', 'layer1.0.add'];
    order.forEach((n, i) => {
      expect(idx(n)).toBeGreaterThan(0);
      if (i > 0) expect(idx(n)).toBeGreaterThan(idx(order[i - 1]!));
    });
    const conv2 = model.getLayer('layer1.0.conv2').getConfig();
    expect(conv2.strides).toEqual([2, 2]);
    expect(conv2.padding).toBe('valid');
    expect(conv2.useBias).toBe(false);
    expect(model.getLayer('layer1.0.conv2.pad').getClassName()).toBe('ZeroPadding2D');
    expect(model.getLayer('layer1.0.conv1').getConfig().strides).toEqual([1, 1]);
    expect(model.getLayer('layer1.0.downsample.0').getConfig().kernelSize).toEqual([1, 1]);
    expect(model.getLayer('layer1.0.downsample.0').getConfig().strides).toEqual([2, 2]);
    expect(model.getLayer('layer1.0.downsample.1').getClassName()).toBe('BatchNormalization');
    expect(() => model.getLayer('layer1.1.downsample.0')).toThrow();
    expect(model.getLayer('layer1.0.bn1').getConfig().epsilon).toBe(1e-5);
    expect(model.getLayer('prelu').getConfig().sharedAxes).toEqual([1, 2]);
    // Stage block counts.
    for (let s = 1; s <= 4; s++) {
      expect(model.layers.filter((l) => l.name.startsWith(`layer${s}.`) && l.name.endsWith('.add')).length).toBe(IRESNET_LAYERS[18][s - 1]);
    }
    const tail = model.layers.slice(-6).map((l) => `${l.name}:${l.getClassName()}`);
    expect(tail).toEqual(['bn2:BatchNormalization', 'to_nchw:Permute', 'flatten:Flatten', 'dropout:Dropout', 'fc:Dense', 'features:BatchNormalization']);
    // The embedding BN trains γ and β (TopoFR); arcface_torch's frozen γ is an option.
    expect(model.getLayer('features').trainableWeights.map(short)).toEqual(['gamma', 'beta']);
    expect(model.getLayer('features').nonTrainableWeights.map(short)).toEqual(['moving_mean', 'moving_variance']);
    const frozen = iresnet({ depth: 18, ...TINY, freezeEmbeddingScale: true });
    expect(frozen.getLayer('features').trainableWeights.map(short)).toEqual(['beta']);
    expect(frozen.getLayer('features').nonTrainableWeights.map(short)).toEqual(['gamma', 'moving_mean', 'moving_variance']);
    frozen.dispose();
    expect(model.outputs[0]!.shape).toEqual([null, 16]);
    model.dispose();
  });

  it('initialises as the official code: conv ~ N(0, 0.1), BN γ=1 β=0, PReLU 0.25, fc ~ U(±1/√fan_in)', () => {
    const model = iresnet({ depth: 34, inputSize: 112 });
    const k = model.getLayer('layer3.2.conv1').getWeights()[0]!;
    const { mean, variance } = tf.moments(k);
    expect(Math.abs(mean.dataSync()[0]!)).toBeLessThan(0.002);
    expect(Math.sqrt(variance.dataSync()[0]!)).toBeCloseTo(0.1, 2);
    const gamma = weight(model, 'layer2.1.bn2', 'gamma');
    const beta = weight(model, 'layer2.1.bn2', 'beta');
    expect(Array.from(gamma!.dataSync()).every((v) => v === 1)).toBe(true);
    expect(Array.from(beta!.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(model.getLayer('layer4.0.prelu').getWeights()[0]!.dataSync()).every((v) => Math.abs(v - 0.25) < 1e-7)).toBe(true);
    const bound = 1 / Math.sqrt(512 * 49);
    const w = model.getLayer('fc').getWeights()[0]!;
    expect(w.max().dataSync()[0]!).toBeLessThanOrEqual(bound);
    expect(w.min().dataSync()[0]!).toBeGreaterThanOrEqual(-bound);
    expect(w.max().dataSync()[0]!).toBeGreaterThan(0.99 * bound);
    model.dispose();
  });
});

/** Independent forward pass (inference mode) with raw tf ops, PyTorch padding and NCHW flatten. */
function referenceForward(model: tf.LayersModel, x: tf.Tensor4D, depth: IResNetDepth): tf.Tensor2D {
  const conv = (t: tf.Tensor4D, name: string, stride: 1 | 2) => {
    const k = weight(model, name, 'kernel') as tf.Tensor4D;
    const pad = k.shape[0] === 3 ? 1 : 0;
    return tf.conv2d(t, k, stride, [[0, 0], [pad, pad], [pad, pad], [0, 0]]);
  };
  const bn = (t: tf.Tensor, name: string) => {
    const [gamma, beta, mean, variance] = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((n) => weight(model, name, n));
    return t.sub(mean!).div(variance!.add(1e-5).sqrt()).mul(gamma!).add(beta!);
  };
  const prelu = (t: tf.Tensor, name: string) => {
    const a = weight(model, name, 'alpha');
    return tf.relu(t).add(tf.neg(tf.relu(tf.neg(t))).mul(a));
  };
  let h = prelu(bn(conv(x, 'conv1', 1), 'bn1'), 'prelu') as tf.Tensor4D;
  IRESNET_LAYERS[depth].forEach((blocks, s) => {
    for (let b = 0; b < blocks; b++) {
      const p = `layer${s + 1}.${b}`;
      const stride = b === 0 ? 2 : 1;
      let out = conv(bn(h, `${p}.bn1`) as tf.Tensor4D, `${p}.conv1`, 1);
      out = prelu(bn(out, `${p}.bn2`), `${p}.prelu`) as tf.Tensor4D;
      out = bn(conv(out, `${p}.conv2`, stride), `${p}.bn3`) as tf.Tensor4D;
      const id = b === 0 ? (bn(conv(h, `${p}.downsample.0`, 2), `${p}.downsample.1`) as tf.Tensor4D) : h;
      h = out.add(id);
    }
  });
  const flat = (bn(h, 'bn2') as tf.Tensor4D).transpose([0, 3, 1, 2]).reshape([x.shape[0], -1]);
  const fc = flat.matMul(weight(model, 'fc', 'kernel') as tf.Tensor2D).add(weight(model, 'fc', 'bias'));
  return bn(fc, 'features') as tf.Tensor2D;
}

describe('iresnet: forward, determinism, save/load, training', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'topofr-model-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('matches an independent raw-op forward pass (PyTorch padding, NCHW flatten)', () => {
    const model = iresnet({ depth: 18, ...TINY, seed: 3 });
    randomizeBatchNorms(model);
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
    const got = model.predict(x) as tf.Tensor2D;
    const want = referenceForward(model, x, 18);
    expect(got.shape).toEqual([2, 16]);
    const err = got.sub(want).abs().max().dataSync()[0]!;
    const scale = want.abs().max().dataSync()[0]!;
    expect(err).toBeLessThan(1e-4 * Math.max(1, scale));
    model.dispose();
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = iresnet({ depth: 18, ...TINY, seed: 42 });
    const b = iresnet({ depth: 18, ...TINY, seed: 42 });
    const c = iresnet({ depth: 18, ...TINY, seed: 43 });
    const wa = a.getWeights();
    const wb = b.getWeights();
    const wc = c.getWeights();
    expect(wa.length).toBe(wb.length);
    wa.forEach((t, i) => expect(Buffer.from(t.dataSync().buffer).equals(Buffer.from(wb[i]!.dataSync().buffer))).toBe(true));
    const k = a.weights.findIndex((v) => v.name.startsWith('conv1/'));
    expect(Buffer.from(wa[k]!.dataSync().buffer).equals(Buffer.from(wc[k]!.dataSync().buffer))).toBe(false);
    // Different layers do not share an initial draw.
    const k1 = a.getLayer('layer2.0.conv2').getWeights()[0]!.dataSync();
    const k2 = a.getLayer('layer2.1.conv1').getWeights()[0]!.dataSync();
    expect(k1[0]).not.toBe(k2[0]);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('round-trips through fileSaver / fileLoader with identical outputs', async () => {
    const model = iresnet({ depth: 18, ...TINY, seed: 5 });
    const x = tf.randomNormal([3, 32, 32, 3], 0, 1, 'float32', 9);
    const before = (model.predict(x) as tf.Tensor).dataSync().slice();
    const result = await model.save(fileSaver(join(dir, 'r18')));
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(4 * model.countParams());
    const json = JSON.parse(readFileSync(join(dir, 'r18', 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['./weights.bin']);
    expect(statSync(join(dir, 'r18', 'weights.bin')).size).toBe(4 * model.countParams());
    const loaded = await tf.loadLayersModel(fileLoader(join(dir, 'r18')));
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    const after = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(Buffer.from(after.buffer).equals(Buffer.from(before.buffer))).toBe(true);
    // Loading via the model.json path works too.
    const again = await loadIResNet(fileLoader(join(dir, 'r18', 'model.json')));
    expect(again.countParams()).toBe(model.countParams());
    // Every weight trains after loading, as TopoFR trains them; a frozen γ (not serialised) is one
    // option of loadIResNet, or freezeEmbeddingScale, away.
    expect(count(loaded.trainableWeights)).toBe(count(model.trainableWeights));
    expect(count(again.trainableWeights)).toBe(count(model.trainableWeights));
    const frozen = await loadIResNet(fileLoader(join(dir, 'r18')), { freezeEmbeddingScale: true });
    expect(count(frozen.trainableWeights)).toBe(count(model.trainableWeights) - 16);
    expect(freezeEmbeddingScale(loaded)).toBe(true);
    expect(count(loaded.trainableWeights)).toBe(count(model.trainableWeights) - 16);
    [model, loaded, again, frozen].forEach((m) => m.dispose());
  });

  it('trains one step on the cpu backend', async () => {
    expect(tf.getBackend()).toBe('cpu');
    const model = iresnet({ depth: 18, ...TINY, seed: 1, dropout: 0.1 });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 2);
    const y = tf.randomNormal([4, 16], 0, 1, 'float32', 3);
    const kBefore = weight(model, 'layer3.0.conv1', 'kernel').dataSync().slice();
    const meanBefore = weight(model, 'bn1', 'moving_mean').dataSync().slice();
    const betaBefore = weight(model, 'features', 'beta').dataSync().slice();
    const loss = (await model.trainOnBatch(x, y)) as number;
    expect(Number.isFinite(loss)).toBe(true);
    const kAfter = weight(model, 'layer3.0.conv1', 'kernel').dataSync();
    expect(Buffer.from(kAfter.buffer).equals(Buffer.from(kBefore.buffer))).toBe(false);
    // Training-mode BN updates the moving statistics.
    const meanAfter = weight(model, 'bn1', 'moving_mean').dataSync();
    expect(Buffer.from(meanAfter.buffer).equals(Buffer.from(meanBefore.buffer))).toBe(false);
    // features: γ and β train.
    expect(Array.from(weight(model, 'features', 'gamma').dataSync()).every((v) => v === 1)).toBe(false);
    const betaAfter = weight(model, 'features', 'beta').dataSync();
    expect(Buffer.from(betaAfter.buffer).equals(Buffer.from(betaBefore.buffer))).toBe(false);
    model.dispose();
  });

  it('rejects bad options', () => {
    expect(() => iresnet({ depth: 42 as IResNetDepth })).toThrow(RangeError);
    expect(() => iresnet({ depth: 18, widthMultiplier: 0 })).toThrow(RangeError);
    expect(() => iresnet({ depth: 18, dropout: 1 })).toThrow(RangeError);
  });
});
