// The fused IResNet residual block (src/tf/kernels/residual-block.ts, native/core/residual_block.h)
// and the fused training forward of IResNetModel (src/model/iresnet-training.ts):
// * against the unfused composition on tfjs's own JS kernels (values, every gradient, the batch
//   statistics), within a bound derived from the reduction lengths;
// * against the same model run layer by layer on the native kernels: bitwise equal (the same
//   kernels on the same values; holds under any GEMM, builtin or OpenBLAS, on any ISA);
// * fallbacks, serialisation, memory kept for the backward, and the binding's argument checks.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import { iresnet } from '../src/model/iresnet.js';
import { IResNetModel } from '../src/model/iresnet-training.js';
import { RESIDUAL_BLOCK, residualBlock, residualBlockAvailable, type ResidualBlockParams } from '../src/tf/kernels/residual-block.js';
import { registerNativeKernels, unregisterNativeKernels } from '../src/tf/native-kernels.js';
import { errorKind, rand } from './support/tf-compare.js';

tf.enableProdMode();
beforeAll(() => registerNativeKernels());
afterAll(() => unregisterNativeKernels());

const EPS = 1e-5;
const U = 2 ** -24;  // float32 unit roundoff

interface BlockCase { n: number; h: number; inC: number; outC: number; stride: 1 | 2 }

function blockParams(c: BlockCase, seed: number): Record<string, tf.Tensor> {
  const downsample = c.stride === 2 || c.inC !== c.outC;
  const around1 = (shape: number[], s: number) => tf.add(rand(shape, s), 1);
  const p: Record<string, tf.Tensor> = {
    gamma1: around1([c.inC], seed), beta1: rand([c.inC], seed + 1), filter1: rand([3, 3, c.inC, c.outC], seed + 2),
    gamma2: around1([c.outC], seed + 3), beta2: rand([c.outC], seed + 4), alpha: tf.mul(around1([1, 1, c.outC], seed + 5), 0.25),
    filter2: rand([3, 3, c.outC, c.outC], seed + 6), gamma3: around1([c.outC], seed + 7), beta3: rand([c.outC], seed + 8),
  };
  if (downsample) Object.assign(p, { filterD: rand([1, 1, c.inC, c.outC], seed + 9), gammaD: around1([c.outC], seed + 10), betaD: rand([c.outC], seed + 11) });
  return p;
}

/** The block as tfjs ops: tf.moments + tf.batchNorm, conv2d, prelu, add (PyTorch's padding for stride 2). */
function blockByOps(x: tf.Tensor4D, p: Record<string, tf.Tensor>, stride: 1 | 2): { y: tf.Tensor; moments: tf.Tensor[] } {
  const moments: tf.Tensor[] = [];
  const bn = (t: tf.Tensor4D, g: tf.Tensor, b: tf.Tensor) => {
    const m = tf.moments(t, [0, 1, 2]);
    moments.push(m.mean, m.variance);
    return tf.batchNorm(t, m.mean, m.variance, b, g, EPS);
  };
  let h = tf.conv2d(bn(x, p.gamma1!, p.beta1!) as tf.Tensor4D, p.filter1 as tf.Tensor4D, 1, 'same');
  h = tf.prelu(bn(h, p.gamma2!, p.beta2!), p.alpha!) as tf.Tensor4D;
  h = stride === 2 ? tf.conv2d(tf.pad(h, [[0, 0], [1, 1], [1, 1], [0, 0]]), p.filter2 as tf.Tensor4D, 2, 'valid')
    : tf.conv2d(h, p.filter2 as tf.Tensor4D, 1, 'same');
  h = bn(h, p.gamma3!, p.beta3!) as tf.Tensor4D;
  const shortcut = p.filterD ? bn(tf.conv2d(x, p.filterD as tf.Tensor4D, stride, 'valid'), p.gammaD!, p.betaD!) : x;
  return { y: tf.add(h, shortcut), moments };
}

describe('fused residual block against the tfjs composition', () => {
  const cases: BlockCase[] = [
    { n: 2, h: 6, inC: 8, outC: 8, stride: 1 },    // identity shortcut
    { n: 3, h: 7, inC: 4, outC: 8, stride: 2 },    // downsample, odd side (7 → 4)
    { n: 2, h: 8, inC: 8, outC: 8, stride: 2 },    // downsample at equal widths (stride only)
  ];
  it.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s: output, batch statistics and every gradient', (_, c) => {
    const p = blockParams(c, 100);
    const names = Object.keys(p);
    const x = rand([c.n, c.h, c.h, c.inC], 200) as tf.Tensor4D;
    const oh = Math.floor((c.h - 1) / c.stride) + 1;
    const r = rand([c.n, oh, oh, c.outC], 300);  // a random upstream gradient
    const grads = (f: (x: tf.Tensor4D, ...ps: tf.Tensor[]) => tf.Tensor) =>
      tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(f(args[0] as tf.Tensor4D, ...args.slice(1)), r)))([x, ...names.map((k) => p[k]!)]);
    const withParams = (ps: tf.Tensor[]) => Object.fromEntries(names.map((k, i) => [k, ps[i]!]));

    unregisterNativeKernels();
    const ref = blockByOps(x, p, c.stride);
    const refGrads = grads((xx, ...ps) => blockByOps(xx, withParams(ps), c.stride).y);
    registerNativeKernels();
    expect(residualBlockAvailable(x)).toBe(true);
    const got = residualBlock(x, p as ResidualBlockParams, { stride: c.stride, epsilon: EPS });
    const gotGrads = grads((xx, ...ps) => residualBlock(xx, withParams(ps) as ResidualBlockParams, { stride: c.stride, epsilon: EPS }).y);

    // Each value is a few chained reductions: the convolutions' (9 × channels terms) and the batch
    // statistics' (one term per row). Two float32 evaluations of one reduction of length L differ by
    // at most 2·L·u relative to the sum of |terms|; BN's division by σ and the chain multiply that by
    // a modest factor, allowed for by the 64.
    const rows = c.n * c.h * c.h, conv = 9 * Math.max(c.inC, c.outC);
    const tol = (ref: Float32Array) => 64 * U * (rows + conv) * Math.max(...ref.map(Math.abs));
    const close = (a: tf.Tensor, b: tf.Tensor | Float32Array) => {
      const want = a.dataSync() as Float32Array, have = b instanceof Float32Array ? b : (b.dataSync() as Float32Array);
      expect(have.length).toBe(want.length);
      const bound = tol(want);
      expect(Math.max(...want.map((v, i) => Math.abs(v - have[i]!)))).toBeLessThanOrEqual(bound);
    };
    close(ref.y, got.y);
    got.statistics.forEach((s, i) => {
      close(ref.moments[2 * i]!, s.mean);
      close(ref.moments[2 * i + 1]!, s.variance);
    });
    refGrads.forEach((g, i) => close(g, gotGrads[i]!));
  });
});

describe('IResNetModel: the fused training forward', () => {
  /** Loss, every trainable gradient and every weight after the step (moving statistics included). */
  function trainStep(model: tf.LayersModel, weights: tf.LayersModel, x: tf.Tensor, w: tf.Tensor): Float32Array[] {
    const vars = weights.trainableWeights.map((v) => v.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.matMul(model.apply(x, { training: true }) as tf.Tensor2D, w))) as tf.Scalar, vars);
    const out = [value, ...vars.map((v) => grads[v.name]!), ...weights.getWeights()].map((t) => Float32Array.from(t.dataSync()));
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  }

  it.each([[16, 2], [15, 3]])('bitwise the layer-by-layer native path (input %i², batch %i)', async (size, batch) => {
    const model = iresnet({ depth: 18, inputSize: size, widthMultiplier: 0.125, embeddingSize: 16, seed: 5 });
    expect(model).toBeInstanceOf(IResNetModel);
    const layerByLayer = tf.model({ inputs: model.inputs, outputs: model.outputs });  // the same layers, plain tfjs-layers
    const x = rand([batch, size, size, 3], 1), w = rand([16, 4], 2);
    const start = model.getWeights().map((t) => t.clone());
    const kernels = async (m: tf.LayersModel) => (await tf.profile(() => m.apply(x, { training: true }) as tf.Tensor)).kernelNames;
    expect(await kernels(model)).toContain(RESIDUAL_BLOCK);
    expect(await kernels(layerByLayer)).not.toContain(RESIDUAL_BLOCK);
    model.setWeights(start);
    const want = trainStep(layerByLayer, model, x, w);
    model.setWeights(start);
    const got = trainStep(model, model, x, w);
    expect(got.length).toBe(want.length);
    want.forEach((v, i) => expect(got[i]).toEqual(v));
    model.dispose();
  });

  it('runs layer by layer for inference and without the native kernels, and saves the standard topology', async () => {
    const model = iresnet({ depth: 18, inputSize: 16, widthMultiplier: 0.125, embeddingSize: 16, seed: 6 });
    const x = rand([2, 16, 16, 3], 3);
    const kernels = async (training: boolean) => (await tf.profile(() => model.apply(x, { training }) as tf.Tensor)).kernelNames;
    expect(await kernels(false)).not.toContain(RESIDUAL_BLOCK);
    unregisterNativeKernels();
    expect(await kernels(true)).not.toContain(RESIDUAL_BLOCK);
    registerNativeKernels();
    expect(model.getClassName()).toBe('Model');
    const plain = tf.model({ inputs: model.inputs, outputs: model.outputs, name: model.name });
    expect(JSON.stringify(model.toJSON(null, false))).toBe(JSON.stringify(plain.toJSON(null, false)));
    model.dispose();
  });

  it('keeps under half the activations of the layer-by-layer path for the backward', () => {
    const model = iresnet({ depth: 18, inputSize: 32, widthMultiplier: 0.25, embeddingSize: 16, seed: 7 });
    const plain = tf.model({ inputs: model.inputs, outputs: model.outputs });
    const x = rand([4, 32, 32, 3], 4);
    const weights = new Set(model.weights.map((w) => w.read().dataId));
    const savedBytes = (m: tf.LayersModel): number => {
      let bytes = 0;
      const g = tf.grad((input: tf.Tensor) => {
        const y = m.apply(input, { training: true }) as tf.Tensor;
        // Every tape node's saved tensors, counted once per buffer, weights aside: the activations
        // the backward keeps alive.
        const tape = (tf.engine() as unknown as { state: { activeTape: Array<{ saved?: tf.Tensor[] }> } }).state.activeTape;
        const seen = new Set<unknown>(weights);
        for (const node of tape) for (const t of node.saved ?? []) if (!seen.has(t.dataId)) { seen.add(t.dataId); bytes += 4 * t.size; }
        return tf.sum(y);
      })(x);
      g.dispose();
      return bytes;
    };
    const fused = savedBytes(model), layered = savedBytes(plain);
    expect(fused).toBeLessThan(0.5 * layered);
    model.dispose();
  });
});

describe('residual block binding checks its input', () => {
  it('shapes, lengths, nulls and epsilon', () => {
    const a = (n: number) => new Float32Array(n);
    // n 1, 4×4, 2 → 2 channels, stride 1, no downsample.
    const shape = [1, 4, 4, 2, 2, 1, 4, 4, 0];
    const params = () => [a(2), a(2), a(36), a(2), a(2), a(2), a(36), a(2), a(2), null, null, null];
    const saved = () => [a(32), a(32), null, a(8), a(8), a(8), null];
    const fwd = (x: Float32Array, p: unknown[], y: Float32Array, s: unknown[], sh: number[], eps = 1e-5) =>
      errorKind(() => native().residualBlockForward(x, p as Float32Array[], y, s as Float32Array[], sh, eps));
    expect(fwd(a(32), params(), a(32), saved(), shape)).toEqual(['none', undefined]);
    expect(fwd(a(31), params(), a(32), saved(), shape)).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    const shortFilter = params();
    shortFilter[2] = a(35);
    expect(fwd(a(32), shortFilter, a(32), saved(), shape)).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    const missing = params();
    missing[0] = null;
    expect(fwd(a(32), missing, a(32), saved(), shape)).toEqual(['TypeError', 'ERR_TOPOFR_INVALID_TYPE']);
    const extra = params();
    extra[9] = a(4);
    expect(fwd(a(32), extra, a(32), saved(), shape)).toEqual(['TypeError', 'ERR_TOPOFR_INVALID_TYPE']);
    expect(fwd(a(32), params(), a(32), saved(), [1, 4, 4, 2, 2, 3, 2, 2, 1])).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(fwd(a(32), params(), a(32), saved(), [1, 4, 4, 2, 2, 2, 3, 3, 1])).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(fwd(a(32), params(), a(32), saved(), [1, 4, 4, 2, 4, 1, 4, 4, 0])).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(fwd(a(32), params(), a(32), saved(), shape, 0)).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_VALUE']);
    expect(fwd(a(32), params().slice(1), a(32), saved(), shape)).toEqual(['TypeError', 'ERR_TOPOFR_INVALID_TYPE']);
    const grads = [a(32), a(2), a(2), a(36), a(2), a(2), a(2), a(36), a(2), a(2), null, null, null];
    expect(errorKind(() => native().residualBlockBackward(a(32), params() as Float32Array[], saved() as Float32Array[], a(31),
      grads as Float32Array[], shape, 1e-5))).toEqual(['RangeError', 'ERR_TOPOFR_INVALID_SHAPE']);
    expect(errorKind(() => native().residualBlockBackward(a(32), params() as Float32Array[], saved() as Float32Array[], a(32),
      grads as Float32Array[], shape, 1e-5))).toEqual(['none', undefined]);
  });
});
