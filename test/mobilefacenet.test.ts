import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileLoader, fileSaver } from '../src/model/file-io.js';
import { mobileFaceNet, mobileFaceNetFeatureSize } from '../src/model/mobilefacenet.js';
import { count, randomizeBatchNorms, weight } from './support/model-weights.js';

tf.enableProdMode();


/** PyTorch parameter count of arcface_torch MobileFaceNet, from its module definitions. */
function torchParams(blocks: readonly number[], scale: number, embedding: number, k = 7): number {
  const convBlock = (i: number, o: number, kk: number, g = 1) => (i / g) * o * kk * kk + 3 * o;
  const linearBlock = (i: number, o: number, kk: number, g = 1) => (i / g) * o * kk * kk + 2 * o;
  const depthWise = (i: number, o: number, g: number) => convBlock(i, g, 1) + convBlock(g, g, 3, g) + linearBlock(g, o, 1);
  const residual = (c: number, n: number, g: number) => n * depthWise(c, c, g);
  const c64 = 64 * scale;
  const c128 = 128 * scale;
  return (
    convBlock(3, c64, 3) +
    (blocks[0] === 1 ? convBlock(c64, c64, 3, 64) : residual(c64, blocks[0]!, 128)) +
    depthWise(c64, c64, 128) +
    residual(c64, blocks[1]!, 128) +
    depthWise(c64, c128, 256) +
    residual(c128, blocks[2]!, 256) +
    depthWise(c128, c128, 512) +
    residual(c128, blocks[3]!, 256) +
    convBlock(c128, 512, 1) +
    linearBlock(512, 512, k, 512) +
    512 * embedding +
    2 * embedding
  );
}

/** Independent inference forward pass: PyTorch padding, grouped conv as per-group conv2d. */
function referenceForward(model: tf.LayersModel, x: tf.Tensor4D, blocks: readonly number[], scale: number): tf.Tensor2D {
  type T4 = tf.Tensor4D;
  const conv = (t: T4, name: string, stride: 1 | 2, pad: number, groups: number): T4 => {
    const padded = tf.pad(t, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) as T4;
    const inC = t.shape[3];
    if (groups === 1) return tf.conv2d(padded, weight(model, name, 'kernel') as T4, stride, 'valid');
    const dw = weight(model, name, 'depthwise_kernel') as T4; // [k, k, inC, n]
    const n = dw.shape[3];
    if (n === 1) return tf.depthwiseConv2d(padded, dw, stride, 'valid');
    // Rebuild PyTorch's W[out, in/groups, k, k] from the documented mapping, then conv each group.
    const outs: tf.Tensor4D[] = [];
    for (let g = 0; g < groups; g++) {
      const xs = padded.slice([0, 0, 0, g * n], [-1, -1, -1, n]);
      // kernel for this group: [k, k, n_in, n_out], entry (i_local, j) = dw[:, :, g*n + i_local, j]
      const kg = dw.slice([0, 0, g * n, 0], [-1, -1, n, n]);
      outs.push(tf.conv2d(xs, kg as T4, stride, 'valid'));
    }
    return tf.concat(outs, 3);
  };
  const bn = <R extends tf.Tensor>(t: R, name: string): R => {
    const [gamma, beta, mean, variance] = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((n) => weight(model, name, n));
    return t.sub(mean!).div(variance!.add(1e-5).sqrt()).mul(gamma!).add(beta!) as R;
  };
  const prelu = (t: T4, name: string): T4 => tf.relu(t).sub(tf.relu(tf.neg(t)).mul(weight(model, name, 'alpha'))) as T4;
  const convBlock = (t: T4, p: string, stride: 1 | 2, pad: number, groups = 1) =>
    prelu(bn(conv(t, `${p}.layers.0`, stride, pad, groups), `${p}.layers.1`), `${p}.layers.2`);
  const depthWise = (t: T4, p: string, residual: boolean, stride: 1 | 2, groups: number) => {
    let h = convBlock(t, `${p}.layers.0`, 1, 0);
    h = convBlock(h, `${p}.layers.1`, stride, 1, groups);
    h = bn(conv(h, `${p}.layers.2.layers.0`, 1, 0, 1), `${p}.layers.2.layers.1`);
    return residual ? (t.add(h) as T4) : h;
  };
  const residual = (t: T4, p: string, nb: number, groups: number) => {
    for (let b = 0; b < nb; b++) t = depthWise(t, `${p}.layers.${b}`, true, 1, groups);
    return t;
  };
  const c64 = 64 * scale;
  let h = convBlock(x, 'layers.0', 2, 1);
  h = blocks[0] === 1 ? convBlock(h, 'layers.1', 1, 1, 64) : residual(h, 'layers.1', blocks[0]!, 128);
  expect(h.shape[3]).toBe(c64);
  h = depthWise(h, 'layers.2', false, 2, 128);
  h = residual(h, 'layers.3', blocks[1]!, 128);
  h = depthWise(h, 'layers.4', false, 2, 256);
  h = residual(h, 'layers.5', blocks[2]!, 256);
  h = depthWise(h, 'layers.6', false, 2, 512);
  h = residual(h, 'layers.7', blocks[3]!, 256);
  h = convBlock(h, 'conv_sep', 1, 0);
  h = bn(conv(h, 'features.layers.0.layers.0', 1, 0, 512), 'features.layers.0.layers.1');
  const flat = h.reshape([x.shape[0], -1]) as tf.Tensor2D;
  return bn(flat.matMul(weight(model, 'features.layers.2', 'kernel') as tf.Tensor2D), 'features.layers.3') as tf.Tensor2D;
}

describe('mobileFaceNet', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'topofr-mbf-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('get_mbf / get_mbf_large parameter counts match the PyTorch module definitions', () => {
    const mbf = mobileFaceNet();
    expect(mbf.outputs[0]!.shape).toEqual([null, 512]);
    expect(count(mbf.trainableWeights)).toBe(torchParams([1, 4, 6, 2], 2, 512));
    expect(mbf.getLayer('layers.1.layers.0').getClassName()).toBe('DepthwiseConv2D');
    expect(mbf.getLayer('layers.1.layers.0.groupsum').trainable).toBe(false);
    expect(mbf.getLayer('features.layers.0.layers.0').getConfig().kernelSize).toEqual([7, 7]);
    mbf.dispose();
    const large = mobileFaceNet({ blocks: [2, 8, 12, 4], scale: 4 });
    expect(count(large.trainableWeights)).toBe(torchParams([2, 8, 12, 4], 4, 512));
    large.dispose();
    expect(mobileFaceNetFeatureSize(112)).toBe(7);
  });

  it('matches an independent forward pass (grouped conv, PyTorch padding)', () => {
    // scale 2: layers.1 is a true grouped conv (128 channels, 64 groups of 2).
    const model = mobileFaceNet({ scale: 2, inputSize: 32, embeddingSize: 16, seed: 4 });
    randomizeBatchNorms(model);
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const got = model.predict(x) as tf.Tensor2D;
    const want = referenceForward(model, x, [1, 4, 6, 2], 2);
    expect(got.shape).toEqual([2, 16]);
    const err = got.sub(want).abs().max().dataSync()[0]!;
    expect(err).toBeLessThan(1e-4 * Math.max(1, want.abs().max().dataSync()[0]!));
    model.dispose();
  });

  it('is deterministic, round-trips through fileSaver/fileLoader, and trains a step', async () => {
    const opts = { scale: 2, inputSize: 16, embeddingSize: 16, seed: 9 } as const;
    const a = mobileFaceNet(opts);
    const b = mobileFaceNet(opts);
    a.getWeights().forEach((t, i) => expect(Buffer.from(t.dataSync().buffer).equals(Buffer.from(b.getWeights()[i]!.dataSync().buffer))).toBe(true));
    const x = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 5);
    const before = (a.predict(x) as tf.Tensor).dataSync().slice();
    await a.save(fileSaver(join(dir, 'mbf')));
    const loaded = await tf.loadLayersModel(fileLoader(join(dir, 'mbf')));
    expect(Buffer.from((loaded.predict(x) as tf.Tensor).dataSync().buffer).equals(Buffer.from(before.buffer))).toBe(true);
    expect(count(loaded.trainableWeights)).toBe(count(a.trainableWeights));

    b.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const sumBefore = weight(b, 'layers.1.layers.0.groupsum', 'kernel').dataSync().slice();
    const loss = (await b.trainOnBatch(tf.randomNormal([2, 16, 16, 3]), tf.randomNormal([2, 16]))) as number;
    expect(Number.isFinite(loss)).toBe(true);
    // The fixed group-sum kernel stays fixed.
    expect(Buffer.from(weight(b, 'layers.1.layers.0.groupsum', 'kernel').dataSync().buffer).equals(Buffer.from(sumBefore.buffer))).toBe(true);
    [a, b, loaded].forEach((m) => m.dispose());
  });
});
