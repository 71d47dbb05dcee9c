// Margin heads against a float64 transcription of TOPOFR.md §1.6 (the official losses.ArcFace,
// CosFace, insightface's combined margin): logits, the hard-margin fallback, and gradients.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ARCFACE, classCentres, cosines, marginLogits, type MarginHead } from '../src/model/heads.js';
import { randomPoints } from './support/oracle.js';

tf.enableProdMode();

/** Float64 reference: s·cos with the target entry replaced (official formulas). */
function logits64(f: Float32Array, w: Float32Array, labels: number[], d: number, head: MarginHead): number[][] {
  const n = labels.length, k = w.length / d;
  const unit = (v: Float32Array, r: number) => {
    const row = Array.from(v.subarray(r * d, (r + 1) * d));
    const norm = Math.max(Math.sqrt(row.reduce((a, x) => a + x * x, 0)), 1e-12);
    return row.map((x) => x / norm);
  };
  const s = head.scale ?? 64;
  return Array.from({ length: n }, (_, i) => {
    const fi = unit(f, i);
    return Array.from({ length: k }, (_, j) => {
      const c = unit(w, j).reduce((a, x, q) => a + x * fi[q]!, 0);
      if (j !== labels[i]) return s * c;
      switch (head.kind) {
        case 'softmax': return s * c;
        case 'cosface': return s * (c - (head.margin ?? 0.4));
        case 'arcface': {
          const m = head.margin ?? 0.5;
          return s * (c > Math.cos(Math.PI - m) ? c * Math.cos(m) - Math.sqrt(1 - c * c) * Math.sin(m) : c - m * Math.sin(Math.PI - m));
        }
        case 'combined': {
          const theta = Math.acos(c);
          return s * (head.m1 * theta + head.m2 <= Math.PI ? Math.cos(head.m1 * theta + head.m2) - head.m3 : c - head.m2 * Math.sin(Math.PI - head.m2) - head.m3);
        }
      }
    });
  });
}

function compare(f: Float32Array, w: Float32Array, labels: number[], d: number, head: MarginHead): void {
  const got = marginLogits(tf.tensor2d(f, [labels.length, d]), tf.tensor2d(w, [w.length / d, d]), tf.tensor1d(labels, 'int32'), head).arraySync();
  const ref = logits64(f, w, labels, d, head);
  ref.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(got[i]![j]! - v)).toBeLessThan(2e-4 * (head.scale ?? 64))));
}

describe('margin logits equal the official formulas', () => {
  const d = 16, f = randomPoints(12, d, 1), w = randomPoints(7, d, 2);
  const labels = [0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4];
  it.each([
    ['ArcFace s64 m0.5', ARCFACE],
    ['CosFace s64 m0.4', { kind: 'cosface', scale: 64, margin: 0.4 }],
    ['plain softmax s·cos', { kind: 'softmax', scale: 30 }],
    ['combined (1, 0.5, 0) = ArcFace', { kind: 'combined', scale: 64, m1: 1, m2: 0.5, m3: 0 }],
    ['combined (1, 0, 0.4) = CosFace', { kind: 'combined', scale: 64, m1: 1, m2: 0, m3: 0.4 }],
    ['combined (0.9, 0.4, 0.15)', { kind: 'combined', scale: 64, m1: 0.9, m2: 0.4, m3: 0.15 }],
  ] as [string, MarginHead][])('%s', (_, head) => compare(f, w, labels, d, head));

  it("ArcFace's hard-margin fallback where t ≤ cos(π − m)", () => {
    // f = −W_y gives t = −1 < cos(π − 0.5) ≈ −0.878: the fallback t − m·sin(π − m) ≈ t − 0.2397
    const fy = Float32Array.from(w.subarray(0, d), (x) => -x);
    const got = marginLogits(tf.tensor2d(fy, [1, d]), tf.tensor2d(w, [7, d]), tf.tensor1d([0], 'int32'), ARCFACE).arraySync()[0]![0]!;
    expect(got).toBeCloseTo(64 * (-1 - 0.5 * Math.sin(Math.PI - 0.5)), 3);
    compare(fy, w, [0], d, ARCFACE);
  });

  it('cosines are in [−1, 1] and centres start ~ N(0, 0.01)', () => {
    const c = cosines(tf.tensor2d(f, [12, d]), tf.tensor2d(w, [7, d])).dataSync();
    expect(Math.max(...c.map(Math.abs))).toBeLessThanOrEqual(1 + 1e-6);
    const centres = classCentres(1000, 64, 3);
    const v = centres.dataSync();
    const std = Math.sqrt(Array.from(v).reduce((a, x) => a + x * x, 0) / v.length);
    expect(std).toBeGreaterThan(0.0095);
    expect(std).toBeLessThan(0.0105);
    centres.dispose();
  });
});

describe('gradients of the ArcFace cross-entropy', () => {
  it('match central differences of the float64 reference (embeddings and centres)', () => {
    const d = 6, n = 4, k = 3, head: MarginHead = { kind: 'arcface', scale: 4, margin: 0.5 };
    const f = randomPoints(n, d, 3), w = randomPoints(k, d, 4), labels = [0, 1, 2, 1];
    const ce64 = (ff: Float32Array | Float64Array, ww: Float32Array | Float64Array) => {
      const z = logits64(Float32Array.from(ff), Float32Array.from(ww), labels, d, head);
      return z.reduce((a, row, i) => {
        const m = Math.max(...row);
        return a + (Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) + m - row[labels[i]!]!) / n;
      }, 0);
    };
    const loss = (a: tf.Tensor, b: tf.Tensor) =>
      tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), k), marginLogits(a as tf.Tensor2D, b as tf.Tensor2D, tf.tensor1d(labels, 'int32'), head));
    const [gf, gw] = tf.grads(loss)([tf.tensor2d(f, [n, d]), tf.tensor2d(w, [k, d])]);
    const v1 = randomPoints(n, d, 5), v2 = randomPoints(k, d, 6);
    const eps = 1e-3;
    // float32 perturbations of size 1e-3 are exact enough here (relative rounding ≈ 1e-4 of the step)
    const shift = (x: Float32Array, v: Float32Array, t: number) => Float32Array.from(x, (q, i) => q + t * v[i]!);
    const numF = (ce64(shift(f, v1, eps), w) - ce64(shift(f, v1, -eps), w)) / (2 * eps);
    const numW = (ce64(f, shift(w, v2, eps)) - ce64(f, shift(w, v2, -eps))) / (2 * eps);
    const dot = (g: tf.Tensor, v: Float32Array) => Array.from(g.dataSync()).reduce((a, x, i) => a + x * v[i]!, 0);
    expect(Math.abs(dot(gf!, v1) - numF)).toBeLessThan(2e-3 * Math.abs(numF) + 1e-4);
    expect(Math.abs(dot(gw!, v2) - numW)).toBeLessThan(2e-3 * Math.abs(numW) + 1e-4);
  });
});
