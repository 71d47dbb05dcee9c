// The batch geometry the trainer logs (src/train/geometry.ts) on point sets whose answer is known.
import { describe, expect, it } from 'vitest';
import { batchGeometry, participationRatio } from '../src/train/geometry.js';

describe('participationRatio', () => {
  it('d for an isotropic cloud, 1 on a line, k for k equal directions, NaN without spread', () => {
    const d = 5;
    const cross = new Float64Array(2 * d * d);  // ±e_k: covariance ∝ identity
    for (let k = 0; k < d; k++) {
      cross[2 * k * d + k] = 1;
      cross[(2 * k + 1) * d + k] = -1;
    }
    expect(participationRatio(cross, 2 * d, d)).toBeCloseTo(d, 12);
    const onLine = new Float64Array(4 * 3);
    [0, 1, 2.5, -4].forEach((t, i) => onLine.set([t, 2 * t, -t], 3 * i));
    expect(participationRatio(onLine, 4, 3)).toBeCloseTo(1, 12);
    // two directions with equal variance and one with none: 2
    const plane = Float64Array.of(1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1, 0);
    expect(participationRatio(plane, 4, 3)).toBeCloseTo(2, 12);
    // unequal variances 4 and 1: (4 + 1)² / (16 + 1)
    const skew = Float64Array.of(2, 0, -2, 0, 0, 1, 0, -1);
    expect(participationRatio(skew, 4, 2)).toBeCloseTo(25 / 17, 12);
    expect(participationRatio(Float64Array.of(3, 3, 3, 3), 2, 2)).toBeNaN();
  });
});

describe('batchGeometry', () => {
  it('the median MST edges in the loss units: input ÷ sqrt(4·dim), latent ÷ latentScale', () => {
    // 4 inputs on a line with spacing 1, 2, 3 (dim 4): MST edges 1, 2, 3, median 2 → 2/sqrt(16) = 0.5.
    const images = Float32Array.of(0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 6, 0, 0, 0);
    // latents: a square of side 2 (dim 2): MST edges 2, 2, 2 → median 2.
    const z = Float32Array.of(0, 0, 2, 0, 0, 2, 2, 2);
    const g = batchGeometry(images, z, 4, 1);
    expect(g.mstRatio).toBeCloseTo(2 / 0.5, 6);
    expect(batchGeometry(images, z, 4, 4).mstRatio).toBeCloseTo(0.5 / 0.5, 6);
    expect(g.participation).toBeCloseTo(2, 6);
  });
});
