// The native depthwise-convolution kernels (src/tf/kernels/depthwise.ts) against tfjs's own JS
// kernels: the same results within the float32 error bound for the forward, both backprops (through
// tf.grads) and the fused forward, on random shapes, strides, paddings, dilations and channel
// multipliers; fallback for what they do not handle; typed errors at the native boundary; and a
// backprop-filter that is bitwise the same on any thread count.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { native } from '../src/native.js';
import { NATIVE_KERNEL_NAMES, registerNativeKernels, unregisterNativeKernels } from '../src/tf/native-kernels.js';
import { errorKind as code, expectBitwise, expectPolynomialClose, rand, stock } from './support/tf-compare.js';
import { expectWithin, gamma } from './support/float32.js';

tf.enableProdMode();

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface DepthwiseCase {
  x: [number, number, number, number];
  f: [number, number, number, number];  // [kH, kW, inC, multiplier]
  s: [number, number];
  pad: Pad;
  d?: [number, number];
}
const explicit = (t: number, b: number, l: number, r: number): Pad => [[0, 0], [t, b], [l, r], [0, 0]];

const CASES: DepthwiseCase[] = [
  { x: [1, 7, 7, 4], f: [3, 3, 4, 1], s: [1, 1], pad: 'same' },
  { x: [2, 9, 8, 8], f: [3, 3, 8, 1], s: [2, 2], pad: 'same' },
  { x: [3, 8, 9, 5], f: [3, 2, 5, 2], s: [1, 2], pad: 'valid' },
  { x: [2, 7, 6, 3], f: [3, 3, 3, 2], s: [2, 1], pad: explicit(1, 2, 0, 1) },
  { x: [2, 6, 5, 3], f: [3, 3, 3, 3], s: [1, 1], pad: explicit(2, 0, 1, 3) },
  { x: [2, 5, 6, 16], f: [1, 1, 16, 1], s: [1, 1], pad: 'valid' },  // 1×1 filter
  { x: [2, 7, 7, 3], f: [1, 1, 3, 2], s: [2, 2], pad: 'same' },
  { x: [1, 4, 4, 2], f: [5, 5, 2, 1], s: [1, 1], pad: 'same' },  // filter larger than the input
  { x: [4, 13, 11, 33], f: [3, 3, 33, 1], s: [2, 2], pad: 'valid' },  // odd channel count
  { x: [2, 10, 9, 6], f: [3, 3, 6, 1], s: [1, 1], pad: 'same', d: [2, 2] },
  { x: [1, 11, 9, 4], f: [2, 3, 4, 2], s: [1, 1], pad: 'valid', d: [2, 1] },
  { x: [2, 9, 10, 3], f: [3, 2, 3, 2], s: [1, 1], pad: explicit(1, 3, 2, 0), d: [1, 2] },
  // large enough that backprop-filter splits into several chunks (native/core/depthwise.cc)
  { x: [4, 32, 32, 32], f: [3, 3, 32, 1], s: [1, 1], pad: 'same' },
  { x: [8, 24, 24, 8], f: [3, 3, 8, 2], s: [1, 1], pad: 'same' },
  // rows too wide to expand for the multiplier (native/core/depthwise.cc kExpandFloats): the plain loops
  { x: [1, 2, 300, 16], f: [1, 1, 16, 256], s: [1, 1], pad: 'valid' },
  { x: [1, 3, 261, 16], f: [2, 2, 16, 256], s: [2, 2], pad: 'same' },
];
const label = (c: DepthwiseCase) => `x${c.x} f${c.f} s${c.s} ${JSON.stringify(c.pad)} d${c.d ?? [1, 1]}`;
const depthwise = (x: tf.Tensor, f: tf.Tensor, c: DepthwiseCase) =>
  tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad, 'NHWC', c.d ?? 1);
/** Terms per output of the forward (kh·kw), backprop-input (at most kh·kw·multiplier) and
 *  backprop-filter (batch·outH·outW). */
function depthwiseTerms(c: DepthwiseCase): { forward: number; backprop: number } {
  const [kh, kw, , mult] = c.f, [batch, outH, outW] = depthwise(tf.zeros(c.x), tf.zeros(c.f), c).shape;
  return { forward: kh * kw, backprop: Math.max(kh * kw * mult, batch! * outH! * outW!) };
}

beforeAll(() => registerNativeKernels());
afterAll(() => unregisterNativeKernels());

describe('native depthwise kernels equal tfjs', () => {
  it('are registered', () => {
    for (const k of ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter',
      'FusedDepthwiseConv2D']) expect(NATIVE_KERNEL_NAMES).toContain(k);
  });

  it.each(CASES.map((c) => [label(c), c] as const))('DepthwiseConv2dNative %s', (_, c) => {
    expectPolynomialClose((x, f) => depthwise(x!, f!, c), [rand(c.x, 1), rand(c.f, 2)], depthwiseTerms(c).forward);
  });

  it.each(CASES.filter((c) => !c.d).map((c) => [label(c), c] as const))('gradients (BackpropInput/Filter) %s', (_, c) => {
    const x = rand(c.x, 3), f = rand(c.f, 4);
    const w = rand(depthwise(x, f, c).shape, 5);  // a random upstream gradient dy
    expectPolynomialClose((a, b, dy) => tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(depthwise(p, q, c), dy!)))([a!, b!]),
      [x, f, w], depthwiseTerms(c).backprop);
  });

  // tfjs has no dilated depthwise gradient, and its JS backprop kernels ignore the dilation; the
  // reference is the undilated gradient with the dilated filter spelled out (zeros between taps),
  // which has the same geometry (same effective filter size, so the same padding and output).
  it.each(CASES.filter((c) => c.d).map((c) => [label(c), c] as const))('dilated backprops %s', (_, c) => {
    const [kh, kw, ch, mult] = c.f, [dh, dw] = c.d!;
    const x = rand(c.x, 6), f = rand(c.f, 7);
    const fv = f.dataSync(), wide = new Float32Array(((kh - 1) * dh + 1) * ((kw - 1) * dw + 1) * ch * mult);
    const ew = (kw - 1) * dw + 1;
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        for (let q = 0; q < ch * mult; q++) wide[((i * dh) * ew + j * dw) * ch * mult + q] = fv[(i * kw + j) * ch * mult + q];
    const fWide = tf.tensor4d(wide, [(kh - 1) * dh + 1, ew, ch, mult]);
    const dy = rand(depthwise(x, f, c).shape, 8);
    // the reference, and on absolute values the magnitudes Σ|terms| of the bound
    const undilated = (a: tf.Tensor, b: tf.Tensor, g: tf.Tensor) => tf.tidy(() => tf.grads((p: tf.Tensor, q: tf.Tensor) =>
      tf.sum(tf.mul(depthwise(p, q, { ...c, d: undefined }), g)))([a, b]).map((t) => Float32Array.from(t.dataSync())));
    const [dxRef, dfWide] = stock(() => undilated(x, fWide, dy));
    const [dxMagnitude, dfWideMagnitude] = stock(() => undilated(tf.abs(x), tf.abs(fWide), tf.abs(dy)));
    const attrs = { strides: c.s, pad: c.pad, dilations: c.d };
    const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: f },
      { ...attrs, inputShape: c.x } as never) as tf.Tensor;
    const df = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy },
      { ...attrs, filterShape: c.f } as never) as tf.Tensor;
    expect(dx.shape).toEqual(c.x);
    expect(df.shape).toEqual(c.f);
    const bound = 2 * gamma(depthwiseTerms(c).backprop);
    expectWithin(dx.dataSync(), dxRef!, dxMagnitude!.map((m) => bound * m), 'dx');
    const taps = (wide: Float32Array) => {
      const out = new Float32Array(kh * kw * ch * mult);
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++)
          for (let q = 0; q < ch * mult; q++) out[(i * kw + j) * ch * mult + q] = wide[((i * dh) * ew + j * dw) * ch * mult + q]!;
      return out;
    };
    expectWithin(df.dataSync(), taps(dfWide!), taps(dfWideMagnitude!).map((m) => bound * m), 'dfilter');
  });

  it('FusedDepthwiseConv2D with bias and every activation', () => {
    for (const mult of [1, 2]) {
      const x = rand([2, 9, 8, 6], 10), f = rand([3, 3, 6, mult], 11);
      const bias = rand([6 * mult], 12).mul(4), alpha = rand([6 * mult], 13);
      const fused = (strides: number, pad: 'same' | 'valid', activation: tf.fused.Activation = 'linear', dilations = 1) =>
        (a: tf.Tensor, b: tf.Tensor, c?: tf.Tensor, p?: tf.Tensor) => tf.fused.depthwiseConv2d({ x: a as tf.Tensor4D,
          filter: b as tf.Tensor4D, strides, pad, dilations, bias: c, activation, preluActivationWeights: p, leakyreluAlpha: 0.3 });
      // 9 products, the bias, ×10; each activation is 1-Lipschitz here (|α| ≤ 0.5) and rounds once more on either side
      for (const activation of ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'] as const) {
        expectPolynomialClose((...t) => fused(2, 'same', activation)(t[0]!, t[1]!, t[2], t[3]).mul(10),
          [x, f, bias, ...(activation === 'prelu' ? [alpha] : [])], 9 + 2, { magnitudes: (a, b, c) => fused(2, 'same')(a!, b!, c).mul(10), tail: 3 });
      }
      expectPolynomialClose((a, b) => fused(1, 'valid')(a!, b!), [x, f], 9);
      expectPolynomialClose((a, b, c) => fused(1, 'valid', 'relu', 2)(a!, b!, c), [x, f, tf.scalar(0.5)], 10,
        { magnitudes: (a, b, c) => fused(1, 'valid', 'linear', 2)(a!, b!, c) });
      // prelu weights shaped [1, 1, C] (PReLU with shared spatial axes), as MobileFaceNet has them
      expectPolynomialClose((...t) => fused(1, 'same', 'prelu')(t[0]!, t[1]!, t[2], t[3]), [x, f, bias, alpha.reshape([1, 1, 6 * mult])], 10,
        { magnitudes: (a, b, c) => fused(1, 'same')(a!, b!, c), tail: 2 });
      // y = relu(conv + bias) (10), y², 2y (1), the relu mask (exact), backprop: at most max(9·mult, 2·9·8) terms
      expectPolynomialClose((...t) => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.square(fused(1, 'same', 'relu')(a, b, c))))(t),
        [x, f, bias], 10 + 1 + 2 * 9 * 8,
        { magnitudes: (...t) => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.square(fused(1, 'same')(a, b, c))))(t) });
    }
  });

  it('runs natively for NHWC and falls back for what it does not handle (NCHW, wide bias broadcast)', () => {
    const forward = vi.spyOn(native(), 'depthwiseConv2dForward');
    try {
      const xh = rand([2, 6, 6, 4], 14) as tf.Tensor4D, f = rand([3, 3, 4, 1], 15) as tf.Tensor4D;
      expectPolynomialClose((a, b) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), [xh, f], 9);
      expect(forward).toHaveBeenCalledTimes(1);
      forward.mockClear();
      // (tfjs's cpu kernel reads NCHW input as NHWC; with H = W = C both readings are well-formed)
      expectBitwise(() => tf.depthwiseConv2d(rand([2, 4, 4, 4], 16) as tf.Tensor4D, f, 1, 'valid', 'NCHW'));
      expectBitwise(() => tf.fused.depthwiseConv2d({ x: xh, filter: f, strides: 1, pad: 'same', bias: rand([6, 6, 4], 17) }));
      expect(forward).not.toHaveBeenCalled();
    } finally {
      forward.mockRestore();
    }
  });
});

describe('native depthwise bindings', () => {
  // x [1, 4, 4, 2], filter [3, 3, 2, 2], y [1, 4, 4, 4]
  const geom = [1, 4, 4, 2, 4, 4, 2, 3, 3, 1, 1, 1, 1, 1, 1];
  const x = new Float32Array(32), f = new Float32Array(36), y = new Float32Array(64);
  const at = (i: number, v: number) => geom.map((g, k) => (k === i ? v : g));
  it('accept good calls and reject bad ones with typed errors', () => {
    const n = native();
    expect(code(() => n.depthwiseConv2dForward(x, f, y, ...geom))).toEqual(['none', undefined]);
    expect(code(() => n.depthwiseConv2dBackpropInput(y, f, x, ...geom))).toEqual(['none', undefined]);
    expect(code(() => n.depthwiseConv2dBackpropFilter(x, y, f, ...geom))).toEqual(['none', undefined]);
    const shape = ['RangeError', 'ERR_TOPOFR_INVALID_SHAPE'], value = ['RangeError', 'ERR_TOPOFR_INVALID_VALUE'];
    const type = ['TypeError', 'ERR_TOPOFR_INVALID_TYPE'];
    expect(code(() => n.depthwiseConv2dForward(x, f, new Float32Array(63), ...geom))).toEqual(shape);
    expect(code(() => n.depthwiseConv2dForward(x, new Float32Array(18), y, ...geom))).toEqual(shape);  // multiplier 1's filter
    expect(code(() => n.depthwiseConv2dBackpropInput(y, f, new Float32Array(31), ...geom))).toEqual(shape);
    expect(code(() => n.depthwiseConv2dBackpropInput(new Float32Array(32), f, x, ...geom))).toEqual(shape);
    expect(code(() => n.depthwiseConv2dBackpropFilter(x, y, new Float32Array(35), ...geom))).toEqual(shape);
    expect(code(() => n.depthwiseConv2dForward(x, f, y, ...geom.slice(0, 14)))).toEqual(type);
    expect(code(() => n.depthwiseConv2dForward(new Float64Array(32) as never, f, y, ...geom))).toEqual(type);
    expect(code(() => n.depthwiseConv2dForward(x, f, y, ...at(9, 0)))).toEqual(value);  // stride 0
    expect(code(() => n.depthwiseConv2dForward(x, f, y, ...at(11, 0)))).toEqual(value);  // dilation 0
    expect(code(() => n.depthwiseConv2dForward(x, f, y, ...at(7, 0)))).toEqual(value);  // filter height 0
    expect(code(() => n.depthwiseConv2dForward(x, f, y, ...at(13, -1)))).toEqual(value);  // negative padding
    expect(code(() => n.depthwiseConv2dForward(x, f, y, ...at(6, 1.5)))).toEqual(value);
    const big = 2 ** 31 - 1;
    const huge = [big, big, big, big, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
    expect(code(() => n.depthwiseConv2dForward(x, f, y, ...huge))).toEqual(shape);
    // empty tensors with a window reach past int64's comfort zone
    const reach = [0, 1, 1, 0, big, 1, 1, big, 1, big, 1, big, 1, 0, 0];
    const e = new Float32Array(0);
    expect(code(() => n.depthwiseConv2dForward(e, e, e, ...reach))).toEqual(value);
  });

  it('write every output element, padding reads included', () => {
    // all-padding outputs (the window misses the input) must be 0, not stale memory
    const g = [1, 2, 2, 3, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1];  // 1×1 filter, 4×4 output over a padded 2×2
    const out = new Float32Array(48).fill(Number.NaN);
    native().depthwiseConv2dForward(new Float32Array(12).fill(1), new Float32Array(3).fill(2), out, ...g);
    const want = Array.from({ length: 16 }, (_, p) => ((p >> 2) >= 1 && (p >> 2) <= 2 && (p & 3) >= 1 && (p & 3) <= 2 ? 2 : 0));
    expect(Array.from(out)).toEqual(want.flatMap((v) => [v, v, v]));
    const dx = new Float32Array(12).fill(Number.NaN), df = new Float32Array(3).fill(Number.NaN);
    native().depthwiseConv2dBackpropInput(new Float32Array(48).fill(1), new Float32Array(3).fill(2), dx, ...g);
    expect(Array.from(dx)).toEqual(new Array(12).fill(2));
    native().depthwiseConv2dBackpropFilter(new Float32Array(12).fill(1), new Float32Array(48).fill(1), df, ...g);
    expect(Array.from(df)).toEqual([4, 4, 4]);
    // the same with multiplier 2 (expanded rows)
    const g2 = g.map((v, i) => (i === 6 ? 2 : v));
    const out2 = new Float32Array(96).fill(Number.NaN);
    native().depthwiseConv2dForward(new Float32Array(12).fill(1), new Float32Array(6).fill(2), out2, ...g2);
    expect(Array.from(out2)).toEqual(want.flatMap((v) => [v, v, v, v, v, v]));
    dx.fill(Number.NaN);
    native().depthwiseConv2dBackpropInput(new Float32Array(96).fill(1), new Float32Array(6).fill(2), dx, ...g2);
    expect(Array.from(dx)).toEqual(new Array(12).fill(4));
    const df2 = new Float32Array(6).fill(Number.NaN);
    native().depthwiseConv2dBackpropFilter(new Float32Array(12).fill(1), new Float32Array(96).fill(1), df2, ...g2);
    expect(Array.from(df2)).toEqual(new Array(6).fill(4));
  });
});

// Runs one native depthwise pass in a fresh process (its own thread pool and kernel choice, set by
// env): inputs are two float arrays, the output comes back as base64 bytes.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHILD = `
  const path = require('node:path');
  const addon = process.env.TOPOFR_ADDON ? require(path.resolve(process.env.TOPOFR_ADDON)) : require('node-gyp-build')(process.argv[1]);
  const { pass, geom, lengths } = JSON.parse(process.argv[2]);
  const bytes = require('node:fs').readFileSync(0);
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const out = new Float32Array(lengths[2]);
  addon[pass](all.subarray(0, lengths[0]), all.subarray(lengths[0], lengths[0] + lengths[1]), out, ...geom);
  process.stdout.write(Buffer.from(out.buffer).toString('base64'));
`;
type Pass = 'depthwiseConv2dForward' | 'depthwiseConv2dBackpropInput' | 'depthwiseConv2dBackpropFilter';
const bytesOf = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
function inChild(env: Record<string, string>, pass: Pass, geom: number[], a: Float32Array, b: Float32Array, outLength: number): string {
  const r = spawnSync(process.execPath, ['-e', CHILD, root, JSON.stringify({ pass, geom, lengths: [a.length, b.length, outLength] })],
    { input: Buffer.concat([bytesOf(a), bytesOf(b)]), cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 26 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}
const fromBase64 = (s: string) => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
};

/** A case's three passes: their inputs and output lengths, from an NHWC geometry (stride-1 'same' 3×3 unless given). */
function passes(x: number[], m: number, s = 1, d = 1) {
  const [b, h, w, c] = x;
  const oh = Math.ceil(h / s), ow = Math.ceil(w / s), eff = 2 * d + 1;
  const padTop = Math.floor(Math.max((oh - 1) * s + eff - h, 0) / 2), padLeft = Math.floor(Math.max((ow - 1) * s + eff - w, 0) / 2);
  const geom = [b, h, w, c, oh, ow, m, 3, 3, s, s, d, d, padTop, padLeft];
  const xv = rand(x, 20).dataSync() as Float32Array, fv = rand([3, 3, c, m], 21).dataSync() as Float32Array;
  const dyv = rand([b, oh, ow, c * m], 22).dataSync() as Float32Array;
  return { geom, runs: [
    { pass: 'depthwiseConv2dForward' as Pass, a: xv, b: fv, n: b * oh * ow * c * m },
    { pass: 'depthwiseConv2dBackpropInput' as Pass, a: dyv, b: fv, n: xv.length },
    { pass: 'depthwiseConv2dBackpropFilter' as Pass, a: xv, b: dyv, n: fv.length },
  ] };
}

describe('native depthwise kernels on every vector width', () => {
  // Channel counts that leave register blocks, single vectors and scalars at every width.
  const cases = [{ x: [2, 9, 11, 83], m: 1, s: 1, d: 1 }, { x: [2, 10, 7, 37], m: 2, s: 2, d: 1 }, { x: [1, 9, 9, 21], m: 3, s: 1, d: 2 }];
  it.each(cases.map((c) => [`x${c.x} multiplier ${c.m} stride ${c.s} dilation ${c.d}`, c] as const))('%s', (_, c) => {
    const { geom, runs } = passes(c.x, c.m, c.s, c.d);
    // each width within γ_k·Σ|terms| of the exact value, k ≤ max(9·multiplier, batch·outH·outW); Σ|terms| is the
    // same pass on absolute values (itself a float32 sum of non-negative terms: at most γ_k low)
    const k = Math.max(9 * c.m, geom[0]! * geom[4]! * geom[5]!), bound = (2 * gamma(k)) / (1 - gamma(k));
    for (const { pass, a, b, n } of runs) {
      const mine = new Float32Array(n), magnitude = new Float32Array(n);
      native()[pass](a, b, mine, ...geom);
      native()[pass](a.map(Math.abs), b.map(Math.abs), magnitude, ...geom);
      for (const isa of ['sse2', 'avx2'])
        expectWithin(fromBase64(inChild({ TOPOFR_ISA: isa }, pass, geom, a, b, n)), mine, magnitude.map((m) => bound * m), `${pass} ${isa}`);
    }
  });
});

describe('native depthwise kernels are deterministic', () => {
  // Backprop-filter in several chunks (native/core/depthwise.cc), on 1, 3 and the default number of threads.
  const shapes: Array<{ x: number[]; m: number }> = [{ x: [16, 28, 28, 16], m: 1 }, { x: [6, 20, 20, 6], m: 3 }];
  it.each(shapes.map((s) => [`x${s.x} multiplier ${s.m}`, s] as const))('bitwise equal across runs and thread counts: %s', (_, s) => {
    const { geom, runs } = passes(s.x, s.m);
    for (const { pass, a, b, n } of runs) {
      const run = () => {
        const out = new Float32Array(n);
        native()[pass](a, b, out, ...geom);
        return Buffer.from(out.buffer).toString('base64');
      };
      const mine = run();
      expect(run()).toBe(mine);
      for (const threads of ['1', '3']) expect(inChild({ TOPOFR_NUM_THREADS: threads }, pass, geom, a, b, n)).toBe(mine);
    }
  });
});
