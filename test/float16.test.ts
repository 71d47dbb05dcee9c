// Binary16 rounding (src/util/float16.ts) against known values, every half exhaustively, numpy's
// float32 → float16 conversion; its tf op's identity gradient; the official Entropy op by op.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { predictionEntropies, precisionEmulation } from '../src/train/amp.js';
import { roundToHalfTensor } from '../src/tf/half.js';
import { HALF_MAX, roundArrayToHalf, roundToHalf } from '../src/util/float16.js';

tf.enableProdMode();

/** The value of a binary16 bit pattern, decoded by the definition (independent of the rounding code). */
function decodeHalf(bits: number): number {
  const e = (bits >> 10) & 0x1f, m = bits & 0x3ff, s = bits & 0x8000 ? -1 : 1;
  if (e === 0x1f) return m === 0 ? s * Infinity : NaN;
  return e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
}

const bitsOf = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0]!;
const fromBits = (b: number) => new Float32Array(Uint32Array.of(b).buffer)[0]!;

describe('roundToHalf', () => {
  it('known binary16 values: ties to even, the 1 − 2⁻¹² case, subnormals, max, overflow', () => {
    const cases: Array<[number, number]> = [
      [1, 1], [0.5, 0.5], [-2, -2], [0.1, 0.0999755859375], [1 / 3, 0.333251953125],
      [1 - 2 ** -12, 1],                                   // the tie below 1 goes to 1.0 (even)
      [1 - 2 ** -12 - 2 ** -24, 1 - 2 ** -11],              // just below the tie
      [1 - 2 ** -11, 1 - 2 ** -11],                          // the largest half below 1
      [1 + 2 ** -11, 1],                                     // tie between 1 and 1 + 2⁻¹⁰: even is 1
      [1 + 3 * 2 ** -11, 1 + 2 ** -9],                       // tie between 1 + 2⁻¹⁰ (odd) and 1 + 2⁻⁹
      [2048 + 1, 2048], [2048 + 3, 2052],                    // spacing 2 above 2048: ties to even
      [HALF_MAX, HALF_MAX], [65519.99, HALF_MAX], [65520, Infinity], [-65520, -Infinity], [1e6, Infinity],
      [2 ** -14, 2 ** -14],                                  // smallest normal
      [2 ** -14 - 2 ** -25, 2 ** -14],                       // tie between the largest subnormal (odd) and 2⁻¹⁴
      [2 ** -24, 2 ** -24], [2 ** -25, 0], [-(2 ** -25), -0], // tie between 0 and 2⁻²⁴: even is 0
      [3 * 2 ** -25, 2 ** -23],                              // tie between 2⁻²⁴ (odd) and 2·2⁻²⁴
      [1.5 * 2 ** -24 - 2 ** -40, 2 ** -24], [1e-10, 0],
      [Infinity, Infinity], [-Infinity, -Infinity],
    ];
    for (const [x, want] of cases) expect(Object.is(roundToHalf(x), want), `${x} → ${roundToHalf(x)}, want ${want}`).toBe(true);
    expect(roundToHalf(NaN)).toBeNaN();
    expect(Object.is(roundToHalf(-0), -0)).toBe(true);
    expect(Object.is(roundToHalf(0), 0)).toBe(true);
  });

  it('every finite half is a fixed point; each midpoint goes to the even neighbour, its float32 neighbours to the near one', () => {
    for (const sign of [0, 0x8000]) {
      for (let bits = 0; bits < 0x7bff; bits++) {
        const a = decodeHalf(sign | bits), b = decodeHalf(sign | (bits + 1));
        expect(roundToHalf(a)).toBe(a);
        const mid = (a + b) / 2;  // exact in float32 (12 significant bits)
        const even = (bits & 1) === 0 ? a : b;
        if (roundToHalf(mid) !== even || roundToHalf(fromBits(bitsOf(mid) - 1)) !== (Math.abs(a) < Math.abs(b) ? a : b) ||
          roundToHalf(fromBits(bitsOf(mid) + 1)) !== (Math.abs(a) < Math.abs(b) ? b : a))
          throw new Error(`half ${(sign | bits).toString(16)}: midpoint ${mid} rounds wrong`);
      }
      expect(roundToHalf(decodeHalf(sign | 0x7bff))).toBe(sign ? -HALF_MAX : HALF_MAX);
    }
  });

  it("equals numpy's float32 → float16 → float32 on a table of 1200 values over 1e−9 … 1e6", () => {
    const { half } = JSON.parse(readFileSync(new URL('./fixtures/torch/cases.json', import.meta.url), 'utf8')) as { half: Array<[number, number]> };
    expect(half.length).toBe(1200);
    for (const [x, want] of half) expect(bitsOf(roundToHalf(fromBits(x)))).toBe(want);
    const values = Float32Array.from(half.map(([x]) => fromBits(x)));
    expect(Array.from(roundArrayToHalf(values), bitsOf)).toEqual(half.map(([, y]) => y));
  });
});

describe('roundToHalfTensor', () => {
  it('rounds the values and passes the gradient through unchanged', () => {
    const x = tf.tensor1d([0.1, 1 - 2 ** -12, 70000, -3e-8]);
    expect(Array.from(roundToHalfTensor(x).dataSync())).toEqual([0.0999755859375, 1, Infinity, -(2 ** -24)]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(roundToHalfTensor(t), tf.tensor1d([1, 2, 3, 4]))))(x);
    expect(Array.from(g.dataSync())).toEqual([1, 2, 3, 4]);
    expect(() => roundToHalfTensor(tf.tensor1d([1], 'int32'))).toThrow(/float32/);
  });
});

describe('predictionEntropies (the official Entropy, op by op)', () => {
  const p = Float32Array.of(1, 0, 0, 0.5, 0.25, 0.25, 0.9, 0.05, 0.05);
  it('fp32: −Σ p·log(p + 1e−5) in float32 steps; a one-hot row gives ≈ −1e−5', () => {
    const e = predictionEntropies(p, 3, 3, precisionEmulation('fp32').scalar);
    // 1 + 1e−5 is 1.0000100136 in float32, so the one-hot entropy is −1.00136e−5, not −1e−5
    expect(e[0]).toBe(Math.fround(-Math.fround(Math.log(Math.fround(1 + Math.fround(1e-5))))));
    expect(e[0]).toBeCloseTo(-1.00136e-5, 9);
    const row = (i: number) => [0, 1, 2].reduce((s, k) => s - p[3 * i + k]! * Math.log(p[3 * i + k]! + 1e-5), 0);
    expect(e[1]).toBeCloseTo(row(1), 6);
    expect(e[2]).toBeCloseTo(row(2), 6);
  });

  it('fp16: each op rounded to binary16; a one-hot row gives exactly 0', () => {
    const h = roundToHalf;
    const e = predictionEntropies(p, 3, 3, h);
    expect(e[0]).toBe(0);
    const row = (i: number) => h([0, 1, 2].reduce((s, k) => {
      const q = p[3 * i + k]!;
      return s + h(-q * h(Math.log(h(q + Math.fround(1e-5)))));
    }, 0));
    expect(e[1]).toBe(row(1));
    expect(e[2]).toBe(row(2));
    for (const v of e) expect(roundToHalf(v)).toBe(v);  // binary16 values
  });
});
