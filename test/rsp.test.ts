// RSP and its four image operations against their definitions (TOPOFR.md §1.3 [CODE]): every
// expected value here is computed independently (direct 2-D sums, hand-worked pixels, brute-force
// padding), never by calling the code under test a second way.
import { describe, expect, it } from 'vitest';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  colorJitter,
  COLOR_JITTER_RANGES,
  eraseBox,
  gaussianBlur,
  gaussianKernel1d,
  grayscale,
  hsvToRgb,
  JITTER_OPS,
  randomErasing,
  reflectIndex,
  rgbToHsv,
  roundHalfEven,
  sampleColorJitter,
  type ColorJitterParams,
} from '../src/train/perturbations.js';
import { randomStructurePerturbation, RSP_OPERATIONS } from '../src/train/rsp.js';
import { mulberry32 } from '../src/util/random.js';

const unit = (v: number) => v * 0.5 + 0.5;
const signed = (v: number) => (v - 0.5) / 0.5;

function randomImage(h: number, w: number, seed: number): Float32Array {
  const u = mulberry32(seed);
  return Float32Array.from({ length: h * w * 3 }, () => 2 * u() - 1);
}

/** The Gaussian tap weights straight from the formula (k = 5 or 9). */
function kernel(k: number, sigma: number): number[] {
  const raw = Array.from({ length: k }, (_, i) => Math.exp(-0.5 * ((-(k - 1) / 2 + i) / sigma) ** 2));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((v) => v / sum);
}

/** Mirror without repeating the edge, applied until the index is inside (one step = torch's reflect). */
function mirror(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

/** Direct 2-D correlation with the 9×5 outer-product kernel on an explicitly padded image. */
function bruteBlur(img: Float32Array, h: number, w: number, sigma: number): Float64Array {
  const kx = kernel(5, sigma), ky = kernel(9, sigma);
  const out = new Float64Array(img.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let dy = -4; dy <= 4; dy++)
          for (let dx = -2; dx <= 2; dx++)
            acc += ky[dy + 4] * kx[dx + 2] * unit(img[(mirror(y + dy, h) * w + mirror(x + dx, w)) * 3 + c]);
        out[(y * w + x) * 3 + c] = signed(acc);
      }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** |observed − expected| within 4.5 binomial standard deviations. */
function expectBinomial(count: number, trials: number, p: number): void {
  expect(Math.abs(count - trials * p)).toBeLessThanOrEqual(4.5 * Math.sqrt(trials * p * (1 - p)));
}

describe('gaussianBlur (5 taps in x, 9 in y, reflect)', () => {
  it('has the normalised Gaussian kernel', () => {
    for (const sigma of [0.1, 0.7, 2, 5]) {
      for (const k of [5, 9]) expect(maxAbsDiff(gaussianKernel1d(k, sigma), kernel(k, sigma))).toBeLessThan(1e-15);
    }
  });

  it('turns an impulse into the 9×5 outer-product kernel around it', () => {
    const h = 21, w = 15, y0 = 10, x0 = 7, sigma = 1.7;
    const img = new Float32Array(h * w * 3).fill(-1); // 0 after de-normalisation
    for (let c = 0; c < 3; c++) img[(y0 * w + x0) * 3 + c] = 1; // 1 after de-normalisation
    const out = gaussianBlur(img, h, w, sigma);
    const kx = kernel(5, sigma), ky = kernel(9, sigma);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const dy = y - y0, dx = x - x0;
        const expected = Math.abs(dy) <= 4 && Math.abs(dx) <= 2 ? ky[dy + 4] * kx[dx + 2] : 0;
        for (let c = 0; c < 3; c++) expect(Math.abs(unit(out[(y * w + x) * 3 + c]) - expected)).toBeLessThan(1e-7);
      }
  });

  it('leaves a constant image unchanged, at every size including those smaller than the kernel', () => {
    for (const [h, w] of [[1, 1], [1, 4], [3, 1], [2, 2], [4, 2], [5, 3], [12, 9]]) {
      const img = new Float32Array(h * w * 3).fill(0.3);
      expect(maxAbsDiff(gaussianBlur(img, h, w, 3.1), img)).toBeLessThan(1e-6);
    }
  });

  it('pads by reflection at the borders (torch reflect where defined, folded further on tiny images)', () => {
    // torch-defined sizes (h ≥ 5, w ≥ 3) and tiny ones where torch raises.
    for (const [h, w] of [[12, 7], [5, 3], [6, 4], [1, 1], [2, 2], [3, 1], [4, 2], [1, 6]]) {
      const img = randomImage(h, w, 100 * h + w);
      for (const sigma of [0.4, 2.5, 5]) expect(maxAbsDiff(gaussianBlur(img, h, w, sigma), bruteBlur(img, h, w, sigma))).toBeLessThan(2e-6);
    }
  });

  it('reflectIndex matches the brute-force mirror, and torch reflect one step past the edge', () => {
    for (let n = 1; n <= 7; n++)
      for (let i = -12; i < n + 12; i++) expect(reflectIndex(i, n)).toBe(mirror(i, n));
    // torch reflect, pad < n: padded[−k] = x[k], padded[n−1+k] = x[n−1−k].
    for (let n = 5; n <= 9; n++)
      for (let k = 1; k <= 4; k++) {
        expect(reflectIndex(-k, n)).toBe(k);
        expect(reflectIndex(n - 1 + k, n)).toBe(n - 1 - k);
      }
  });
});

describe('grayscale', () => {
  it('writes 0.2989 R + 0.587 G + 0.114 B into all three channels', () => {
    const rgb = [[0.2, 0.5, 0.9], [1, 0, 0], [0, 1, 0], [0, 0, 1]];
    const img = Float32Array.from(rgb.flat().map(signed));
    const out = grayscale(img, 2, 2);
    rgb.forEach(([r, g, b], p) => {
      const l = 0.2989 * r + 0.587 * g + 0.114 * b;
      for (let c = 0; c < 3; c++) expect(unit(out[3 * p + c])).toBeCloseTo(l, 6);
    });
  });
});

describe('colorJitter operations (torchvision float semantics)', () => {
  const px = (...v: number[]) => Float64Array.from(v);

  it('brightness scales and clamps', () => {
    expect(maxAbsDiff(adjustBrightness(px(0.2, 0.6, 0.9), 0.5), [0.1, 0.3, 0.45])).toBeLessThan(1e-15);
    expect(maxAbsDiff(adjustBrightness(px(0.2, 0.6, 0.9), 2), [0.4, 1, 1])).toBeLessThan(1e-15);
  });

  it('contrast blends with the mean luma of the whole image, clamped', () => {
    // Two pixels: lumas 0.2989·0.2 + 0.587·0.4 + 0.114·0.6 = 0.36298 and 0.2989 + 0.587·0.8 = 0.7685.
    const img = px(0.2, 0.4, 0.6, 1, 0.8, 0);
    const mean = (0.36298 + 0.7685) / 2;
    const c = 0.5;
    expect(maxAbsDiff(adjustContrast(img, c), [...img].map((v) => c * v + (1 - c) * mean))).toBeLessThan(1e-12);
    // c = 3: 3·1 − 2·0.56574 > 1 and 3·0 − 2·0.56574 < 0 clamp.
    const high = adjustContrast(img, 3);
    expect(high[3]).toBe(1);
    expect(high[5]).toBe(0);
  });

  it('saturation blends with the pixel’s own luma, clamped', () => {
    const img = px(0.2, 0.4, 0.6, 1, 0.8, 0);
    const gray = [0.36298, 0.7685];
    const s = 0.3;
    const expected = [...img].map((v, i) => s * v + (1 - s) * gray[Math.floor(i / 3)]);
    expect(maxAbsDiff(adjustSaturation(img, s), expected)).toBeLessThan(1e-12);
    const over = adjustSaturation(img, 4); // 4·1 − 3·0.7685 = 1.6945 → 1; 4·0 − 3·0.7685 → 0
    expect(over[3]).toBe(1);
    expect(over[5]).toBe(0);
  });

  it('converts RGB ↔ HSV on hand-computed pixels', () => {
    // (0.2, 0.4, 0.8): max 0.8 (blue), range 0.6, S = 0.75, H = (4 + 2/3 − 1)/6 = 11/18 (220°).
    const hsv = rgbToHsv(px(0.2, 0.4, 0.8, 1, 0, 0, 0.5, 0.5, 0.5, 0, 0, 0));
    expect(maxAbsDiff(hsv, [11 / 18, 0.75, 0.8, 0, 1, 1, 0, 0, 0.5, 0, 0, 0])).toBeLessThan(1e-15);
    // H = 256° → sector 4, f = 4/15: p = 0.2, t = 0.8·(1 − 0.75·11/15) = 0.36 → (t, p, v).
    expect(maxAbsDiff(hsvToRgb(px(256 / 360, 0.75, 0.8)), [0.36, 0.2, 0.8])).toBeLessThan(1e-12);
  });

  it('hue: h = 0 is the identity, and known shifts land on known colours', () => {
    const u = mulberry32(7);
    const img = Float64Array.from({ length: 3 * 500 }, () => u());
    img.set([0.5, 0.5, 0.5, 0, 0, 0, 1, 1, 1], 0); // gray pixels: H = 0, S = 0
    expect(maxAbsDiff(adjustHue(img, 0), img)).toBeLessThan(1e-12);
    expect(maxAbsDiff(adjustHue(px(1, 0, 0), 1 / 3), [0, 1, 0])).toBeLessThan(1e-12);
    expect(maxAbsDiff(adjustHue(px(1, 0, 0), -1 / 3), [0, 0, 1])).toBeLessThan(1e-12); // wraps mod 1
    expect(maxAbsDiff(adjustHue(px(0.2, 0.4, 0.8), 0.1), [0.36, 0.2, 0.8])).toBeLessThan(1e-12); // 220° + 36°
    expect(maxAbsDiff(adjustHue(px(0.5, 0.5, 0.5), 0.3), [0.5, 0.5, 0.5])).toBeLessThan(1e-15);
  });

  it('runs the four operations in the drawn order on the de-normalised image', () => {
    const h = 3, w = 4;
    const img = randomImage(h, w, 11);
    const params: ColorJitterParams = { order: ['contrast', 'hue', 'brightness', 'saturation'], brightness: 0.3, contrast: 0.45, saturation: 0.25, hue: 0.2 };
    // By hand, op by op, in that order.
    let x: Float64Array = Float64Array.from(img, unit);
    x = adjustContrast(x, 0.45);
    x = adjustHue(x, 0.2);
    x = adjustBrightness(x, 0.3);
    x = adjustSaturation(x, 0.25);
    expect(maxAbsDiff(colorJitter(img, h, w, params), Array.from(x, signed))).toBeLessThan(1e-6);
    // The order matters: a hue shift changes the mean luma that contrast blends towards. (Without
    // clamping, brightness, contrast and saturation commute, and hue commutes with brightness.)
    const swapped = colorJitter(img, h, w, { ...params, order: ['hue', 'contrast', 'brightness', 'saturation'] });
    expect(maxAbsDiff(colorJitter(img, h, w, params), swapped)).toBeGreaterThan(1e-3);
  });

  it('draws factors uniformly in range and the order as a uniform permutation', () => {
    const u = mulberry32(3);
    const orders = new Map<string, number>();
    const trials = 24_000;
    for (let t = 0; t < trials; t++) {
      const p = sampleColorJitter(u);
      expect([...p.order].sort()).toEqual([...JITTER_OPS].sort());
      for (const op of JITTER_OPS) {
        expect(p[op]).toBeGreaterThanOrEqual(COLOR_JITTER_RANGES[op][0]);
        expect(p[op]).toBeLessThan(COLOR_JITTER_RANGES[op][1]);
      }
      const key = p.order.join();
      orders.set(key, (orders.get(key) ?? 0) + 1);
    }
    expect(orders.size).toBe(24);
    for (const count of orders.values()) expectBinomial(count, trials, 1 / 24);
  });
});

describe('randomErasing (timm, probability 1, const mode)', () => {
  it('rounds like Python (ties to even)', () => {
    expect([0.5, 1.5, 2.5, 2.4999, 2.5001, 3].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3, 3]);
  });

  it('draws boxes with the timm geometry and zeroes exactly the box', () => {
    const h = 112, w = 112;
    const img = randomImage(h, w, 5);
    let logAspectSum = 0, areaSum = 0, accepted = 0;
    const trials = 1500;
    for (let seed = 0; seed < trials; seed++) {
      const { image, box } = randomErasing(img, h, w, mulberry32(seed));
      if (box === null) continue;
      accepted++;
      expect(box.areaFraction).toBeGreaterThanOrEqual(0.02);
      expect(box.areaFraction).toBeLessThanOrEqual(1 / 3);
      expect(box.aspect).toBeGreaterThanOrEqual(0.3 - 1e-12);
      expect(box.aspect).toBeLessThanOrEqual(1 / 0.3 + 1e-12);
      expect(box.height).toBe(Math.round(Math.sqrt(box.areaFraction * h * w * box.aspect)));
      expect(box.width).toBe(Math.round(Math.sqrt((box.areaFraction * h * w) / box.aspect)));
      expect(box.height).toBeLessThan(h);
      expect(box.width).toBeLessThan(w);
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.top + box.height).toBeLessThanOrEqual(h);
      expect(box.left + box.width).toBeLessThanOrEqual(w);
      logAspectSum += Math.log(box.aspect);
      areaSum += box.areaFraction;
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const inside = y >= box.top && y < box.top + box.height && x >= box.left && x < box.left + box.width;
          for (let c = 0; c < 3; c++) {
            const i = (y * w + x) * 3 + c;
            if (image[i] !== (inside ? 0 : img[i])) throw new Error(`seed ${seed}: pixel (${y}, ${x}, ${c}) wrong`);
          }
        }
    }
    expect(accepted).toBe(trials); // on 112×112 ten attempts essentially never all fail
    // ln aspect is U(ln 0.3, −ln 0.3): mean 0, sd 0.695; area fraction U(0.02, 1/3): mean 0.1767, sd 0.0904.
    expect(Math.abs(logAspectSum / accepted)).toBeLessThan((4.5 * 0.695) / Math.sqrt(accepted));
    expect(Math.abs(areaSum / accepted - (0.02 + 1 / 3) / 2)).toBeLessThan((4.5 * 0.0904) / Math.sqrt(accepted));
  });

  it('places the box uniformly: top and left reach both ends', () => {
    const h = 20, w = 20, img = new Float32Array(h * w * 3);
    const tops = new Set<number>();
    for (let seed = 0; seed < 3000; seed++) {
      const { box } = randomErasing(img, h, w, mulberry32(seed));
      if (box && box.height === 4) tops.add(box.top);
    }
    expect(Math.min(...tops)).toBe(0);
    expect(Math.max(...tops)).toBe(16);
  });

  it('erases nothing on a 1×1 image (no box fits, or a 0×0 one)', () => {
    const img = Float32Array.from([0.5, -0.5, 0.25]);
    for (let seed = 0; seed < 500; seed++) {
      const { image, box } = randomErasing(img, 1, 1, mulberry32(seed));
      expect(Array.from(image)).toEqual(Array.from(img));
      if (box) expect(box.height * box.width).toBe(0);
    }
  });

  it('eraseBox with no box is a copy', () => {
    const img = randomImage(3, 3, 1);
    const out = eraseBox(img, 3, 3, null);
    expect(out).not.toBe(img);
    expect(Array.from(out)).toEqual(Array.from(img));
  });
});

describe('randomStructurePerturbation', () => {
  const h = 6, w = 5, size = h * w * 3;

  it('perturbs a fraction ξ of samples, with the four operations equally often', () => {
    const n = 8000;
    const batch = randomImage(n * h, w, 1);
    for (const probability of [0.2, 0.5]) {
      const { applied } = randomStructurePerturbation(batch, n, h, w, { seed: 42, probability });
      const done = applied.filter((r) => r !== null);
      expectBinomial(done.length, n, probability);
      for (const op of RSP_OPERATIONS) expectBinomial(done.filter((r) => r.operation === op).length, done.length, 0.25);
    }
    expect(randomStructurePerturbation(batch, n, h, w, { seed: 1, probability: 1 }).applied.every((r) => r !== null)).toBe(true);
    expect(randomStructurePerturbation(batch, n, h, w, { seed: 1, probability: 0 }).applied.every((r) => r === null)).toBe(true);
  });

  it('is deterministic for a seed, and a seed equals the same mulberry32 stream passed as rng', () => {
    const n = 200, batch = randomImage(n * h, w, 2);
    const a = randomStructurePerturbation(batch, n, h, w, { seed: 9 });
    const b = randomStructurePerturbation(batch, n, h, w, { seed: 9 });
    const c = randomStructurePerturbation(batch, n, h, w, { rng: mulberry32(9) });
    const d = randomStructurePerturbation(batch, n, h, w, { seed: 10 });
    expect(Buffer.from(a.perturbed.buffer).equals(Buffer.from(b.perturbed.buffer))).toBe(true);
    expect(b.applied).toEqual(a.applied);
    expect(Buffer.from(c.perturbed.buffer).equals(Buffer.from(a.perturbed.buffer))).toBe(true);
    expect(c.applied).toEqual(a.applied);
    expect(d.applied).not.toEqual(a.applied);
  });

  it('each sample is its original, or its original under the recorded operation and parameters', () => {
    const n = 300, batch = randomImage(n * h, w, 3);
    const { perturbed, applied } = randomStructurePerturbation(batch, n, h, w, { seed: 5, probability: 0.6 });
    const seen = new Set<string>();
    applied.forEach((record, i) => {
      const original = batch.subarray(i * size, (i + 1) * size);
      const got = perturbed.subarray(i * size, (i + 1) * size);
      if (record === null) return expect(Array.from(got)).toEqual(Array.from(original));
      seen.add(record.operation);
      const expected =
        record.operation === 'gaussianBlur' ? bruteBlur(original, h, w, record.sigma)
        : record.operation === 'grayscale' ? grayscale(original, h, w)
        : record.operation === 'colorJitter' ? colorJitter(original, h, w, record.jitter)
        : eraseBox(original, h, w, record.box);
      expect(maxAbsDiff(got, expected)).toBeLessThan(2e-6);
      if (record.operation === 'gaussianBlur') {
        expect(record.sigma).toBeGreaterThanOrEqual(0.1);
        expect(record.sigma).toBeLessThan(5);
      }
    });
    expect(seen.size).toBe(4);
  });

  it('leaves the original batch untouched by default; with inPlaceErasing (D3) only erased samples change', () => {
    const n = 400, batch = randomImage(n * h, w, 4);
    const before = batch.slice();
    const paper = randomStructurePerturbation(batch, n, h, w, { seed: 6, probability: 0.8 });
    expect(Array.from(batch)).toEqual(Array.from(before));

    const code = randomStructurePerturbation(batch, n, h, w, { seed: 6, probability: 0.8, inPlaceErasing: true });
    expect(Array.from(code.perturbed)).toEqual(Array.from(paper.perturbed));
    let erased = 0;
    code.applied.forEach((record, i) => {
      const now = Array.from(batch.subarray(i * size, (i + 1) * size));
      if (record?.operation === 'randomErasing' && record.box && record.box.height * record.box.width > 0) {
        erased++;
        expect(now).toEqual(Array.from(code.perturbed.subarray(i * size, (i + 1) * size)));
        expect(now).not.toEqual(Array.from(before.subarray(i * size, (i + 1) * size)));
      } else expect(now).toEqual(Array.from(before.subarray(i * size, (i + 1) * size)));
    });
    expect(erased).toBeGreaterThan(0);
  });

  it('handles an empty batch and rejects bad arguments', () => {
    expect(randomStructurePerturbation(new Float32Array(0), 0, 3, 3, { seed: 1 })).toEqual({ perturbed: new Float32Array(0), applied: [] });
    const batch = new Float32Array(2 * size);
    expect(() => randomStructurePerturbation(batch, 3, h, w, { seed: 1 })).toThrow(/NHWC/);
    expect(() => randomStructurePerturbation(batch, 2, h, w, { seed: 1, probability: 1.5 })).toThrow(/probability/);
    expect(() => randomStructurePerturbation(batch, 2, h, w, {})).toThrow(/seed/);
    expect(() => randomStructurePerturbation(batch, 2, h, w, { seed: 1, rng: Math.random })).toThrow(/not both/);
    expect(() => randomStructurePerturbation(Array.from(batch) as unknown as Float32Array, 2, h, w, { seed: 1 })).toThrow(/Float32Array/);
    expect(() => gaussianBlur(new Float32Array(3), 1, 1, 0)).toThrow(/sigma/);
  });
});
