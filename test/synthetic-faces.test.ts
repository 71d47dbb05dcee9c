import { describe, expect, it } from 'vitest';
import {
  faceIdentity, faceNuisance, renderFace, renderFaceBytes, syntheticFaceDataset, verificationPairs, TEST_IDENTITY_OFFSET,
} from '../src/data/synthetic-faces.js';
import { encodePng } from '../src/data/png.js';
import { TopofrRangeError } from '../src/errors.js';

/** Mean absolute difference per channel, in 8-bit levels. */
function distance(a: Uint8Array, b: Uint8Array): number {
  let total = 0;
  for (let k = 0; k < a.length; k++) total += Math.abs(a[k] - b[k]);
  return total / a.length;
}

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/** Mean distance within identities and between identities over `ids` identities × `per` samples. */
function separation(hardness: number, ids = 16, per = 4, size = 32): { within: number; between: number } {
  const images = Array.from({ length: ids }, (_, i) =>
    Array.from({ length: per }, (_, s) => renderFaceBytes(faceIdentity(11, i), s, { imageSize: size, hardness })));
  let within = 0;
  let withinCount = 0;
  let between = 0;
  let betweenCount = 0;
  for (let i = 0; i < ids; i++)
    for (let s = 0; s < per; s++)
      for (let j = i; j < ids; j++)
        for (let t = j === i ? s + 1 : 0; t < per; t++) {
          const d = distance(images[i][s], images[j][t]);
          if (i === j) { within += d; withinCount++; } else { between += d; betweenCount++; }
        }
  return { within: within / withinCount, between: between / betweenCount };
}

describe('renderFace', () => {
  const id = faceIdentity(1, 0);

  it('is deterministic: same identity and sample seed give identical bytes', () => {
    const a = renderFace(id, 3, { imageSize: 48, hardness: 0.7 });
    const b = renderFace(faceIdentity(1, 0), 3, { imageSize: 48, hardness: 0.7 });
    expect(sameBytes(a, b)).toBe(true);
  });

  it('gives different images for different sample seeds and different identities', () => {
    const a = renderFaceBytes(id, 0, { imageSize: 48 });
    expect(sameBytes(a, renderFaceBytes(id, 1, { imageSize: 48 }))).toBe(false);
    expect(sameBytes(a, renderFaceBytes(faceIdentity(1, 1), 0, { imageSize: 48 }))).toBe(false);
    expect(sameBytes(a, renderFaceBytes(faceIdentity(2, 0), 0, { imageSize: 48 }))).toBe(false);
  });

  it('returns NHWC RGB in [−1, 1] on the 8-bit grid (x/255 − 0.5)/0.5, 112×112 by default', () => {
    const image = renderFace(id, 5);
    expect(image).toBeInstanceOf(Float32Array);
    expect(image.length).toBe(112 * 112 * 3);
    const bytes = renderFaceBytes(id, 5);
    let min = Infinity;
    let max = -Infinity;
    for (let k = 0; k < image.length; k++) {
      min = Math.min(min, image[k]);
      max = Math.max(max, image[k]);
      expect(image[k]).toBe(Math.fround((bytes[k] / 255 - 0.5) / 0.5));
    }
    expect(min).toBeGreaterThanOrEqual(-1);
    expect(max).toBeLessThanOrEqual(1);
    expect(max - min).toBeGreaterThan(1); // a picture, not a flat field
  });

  it('renders any size ≥ 16 and rejects smaller sizes and hardness outside [0, 1]', () => {
    for (const size of [16, 17, 37, 64]) expect(renderFace(id, 0, { imageSize: size }).length).toBe(size * size * 3);
    expect(() => renderFace(id, 0, { imageSize: 15 })).toThrow(TopofrRangeError);
    expect(() => renderFace(id, 0, { imageSize: 20.5 })).toThrow(TopofrRangeError);
    expect(() => renderFace(id, 0, { hardness: 1.5 })).toThrow(/hardness/);
  });

  it('draws the same scene at every size: a downscaled large render is close to the small one', () => {
    const big = renderFaceBytes(id, 2, { imageSize: 64, hardness: 0 });
    const small = renderFaceBytes(id, 2, { imageSize: 32, hardness: 0 });
    const down = new Uint8Array(small.length);
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++)
        for (let c = 0; c < 3; c++) {
          const at = (yy: number, xx: number): number => big[((2 * y + yy) * 64 + 2 * x + xx) * 3 + c];
          down[(y * 32 + x) * 3 + c] = Math.round((at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4);
        }
    expect(distance(down, small)).toBeLessThan(4);
  });

  it('carries identity: at hardness 0, images of one identity are closer than images of two', () => {
    const { within, between } = separation(0);
    expect(within).toBeLessThan(0.75 * between);
  });

  it('hardness increases the variation within an identity', () => {
    const easy = separation(0, 8, 6).within;
    const medium = separation(0.5, 8, 6).within;
    const hard = separation(1, 8, 6).within;
    expect(medium).toBeGreaterThan(easy);
    expect(hard).toBeGreaterThan(medium);
  });

  it('hardness sets the rate of hard samples (none at 0), and a sample is nested across hardness', () => {
    const rate = (h: number): number => {
      let hard = 0;
      for (let s = 0; s < 2000; s++) if (faceNuisance(faceIdentity(3, s % 50), s, h).hard !== 'none') hard++;
      return hard / 2000;
    };
    expect(rate(0)).toBe(0);
    expect(rate(0.5)).toBeGreaterThan(0.1);
    expect(rate(1)).toBeGreaterThan(rate(0.5));
    for (let s = 0; s < 200; s++) {
      const low = faceNuisance(id, s, 0.4);
      const high = faceNuisance(id, s, 0.9);
      if (low.hard !== 'none') expect(high.hard).toBe(low.hard);
      expect(high.occluders.length).toBeGreaterThanOrEqual(low.occluders.length);
    }
  });
});

describe('syntheticFaceDataset', () => {
  const options = { trainIdentities: 12, testIdentities: 25, samplesPerIdentity: 5, imageSize: 24, hardness: 0.5, seed: 42 };

  it('has train and test splits with disjoint identities and labels 0 … K−1', () => {
    const { train, test } = syntheticFaceDataset(options);
    expect(train.size).toBe(60);
    expect(test.size).toBe(125);
    const trainIds = new Set(train.identities.map((id) => id.index));
    const trainSeeds = new Set(train.identities.map((id) => id.seed));
    for (const id of test.identities) {
      expect(trainIds.has(id.index)).toBe(false);
      expect(trainSeeds.has(id.seed)).toBe(false);
    }
    expect(test.identities[0].index).toBe(TEST_IDENTITY_OFFSET);
    for (const [split, k] of [[train, 12], [test, 25]] as const) {
      const counts = new Array<number>(k).fill(0);
      for (const label of split.labels) {
        expect(label).toBeGreaterThanOrEqual(0);
        expect(label).toBeLessThan(k);
        counts[label]++;
      }
      expect(counts.every((c) => c === 5)).toBe(true);
      for (let i = 0; i < split.size; i++) expect(split.identityOf(i)).toBe(split.identities[split.labels[i]]);
    }
  });

  it('keeps the test set fixed when the train split changes size', () => {
    const a = syntheticFaceDataset(options).test;
    const b = syntheticFaceDataset({ ...options, trainIdentities: 30 }).test;
    expect(sameBytes(a.imageBytes(7), b.imageBytes(7))).toBe(true);
  });

  it('renders no test image into train', () => {
    const { train, test } = syntheticFaceDataset({ ...options, testIdentities: 4 });
    const trainImages = Array.from({ length: train.size }, (_, i) => train.imageBytes(i));
    for (let i = 0; i < test.size; i++) {
      const image = test.imageBytes(i);
      for (const other of trainImages) expect(sameBytes(image, other)).toBe(false);
    }
  });

  it('is deterministic from its seed', () => {
    const a = syntheticFaceDataset(options);
    const b = syntheticFaceDataset(options);
    const c = syntheticFaceDataset({ ...options, seed: 43 });
    expect(sameBytes(a.train.batch([0, 7, 59]).images, b.train.batch([0, 7, 59]).images)).toBe(true);
    expect(sameBytes(a.train.imageBytes(3), c.train.imageBytes(3))).toBe(false);
    expect(Array.from(a.train.hard)).toEqual(Array.from(b.train.hard));
  });

  it('batches: images and labels of the given indices, NHWC floats', () => {
    const { train } = syntheticFaceDataset(options);
    const batch = train.batch([4, 9, 0]);
    expect(batch.images.length).toBe(3 * 24 * 24 * 3);
    expect(Array.from(batch.labels)).toEqual([0, 1, 0]);
    expect(Array.from(batch.indices)).toEqual([4, 9, 0]);
    expect(sameBytes(batch.images.subarray(24 * 24 * 3, 2 * 24 * 24 * 3), train.image(9))).toBe(true);
  });

  it('epochs: seeded shuffles, a permutation each, different between epochs, last short batch dropped', () => {
    const { train } = syntheticFaceDataset(options);
    const order0 = train.epochOrder(0, 42);
    expect(Array.from(order0).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(Array.from(train.epochOrder(0, 42))).toEqual(Array.from(order0));
    expect(Array.from(train.epochOrder(1, 42))).not.toEqual(Array.from(order0));
    expect(Array.from(train.epochOrder(0, 7))).not.toEqual(Array.from(order0));
    const batches = [...train.batches({ batchSize: 16, epoch: 0 })];
    expect(batches.length).toBe(3);
    expect(train.batchCount(16)).toBe(3);
    expect(Array.from(batches[1].indices)).toEqual(Array.from(order0.subarray(16, 32)));
    expect(batches.map((b) => b.labels.length)).toEqual([16, 16, 16]);
    const all = [...train.batches({ batchSize: 16, epoch: 0, dropLast: false })];
    expect(all.map((b) => b.labels.length)).toEqual([16, 16, 16, 12]);
    expect(() => train.batches({ batchSize: 0, epoch: 0 }).next()).toThrow(TopofrRangeError);
  });

  it('caches rendered images as bytes within its budget, and renders again past it', () => {
    const cached = syntheticFaceDataset(options).train;
    cached.batch([1, 2, 1, 2]);
    expect(cached.cacheStats()).toMatchObject({ cached: 2, renders: 2, hits: 2, bytes: 2 * 24 * 24 * 3 });
    const uncached = syntheticFaceDataset({ ...options, cacheBytes: 0 }).train;
    uncached.batch([1, 2, 1, 2]);
    expect(uncached.cacheStats()).toMatchObject({ capacity: 0, cached: 0, renders: 4, hits: 0 });
    expect(sameBytes(cached.image(2), uncached.image(2))).toBe(true);
  });

  it('checks its options', () => {
    expect(() => syntheticFaceDataset({ ...options, trainIdentities: 0 })).toThrow(/trainIdentities/);
    expect(() => syntheticFaceDataset({ ...options, samplesPerIdentity: 1.5 })).toThrow(/samplesPerIdentity/);
    expect(() => syntheticFaceDataset({ ...options, imageSize: 8 })).toThrow(/imageSize/);
    expect(() => syntheticFaceDataset({ ...options, seed: Number.NaN })).toThrow(/seed/);
    expect(() => syntheticFaceDataset(options).train.imageBytes(60)).toThrow(TopofrRangeError);
  });
});

describe('verificationPairs', () => {
  const { test } = syntheticFaceDataset({ trainIdentities: 1, testIdentities: 40, samplesPerIdentity: 6, imageSize: 16, seed: 5 });

  it('gives 10 contiguous folds, each a block of genuine pairs then a block of impostor pairs', () => {
    const pairs = verificationPairs(test, { pairs: 600, seed: 1 });
    expect(pairs.folds).toBe(10);
    expect(pairs.foldSize).toBe(60);
    let genuine = 0;
    for (let k = 0; k < 600; k++) {
      const same = pairs.issame[k];
      expect(same).toBe(k % 60 < 30 ? 1 : 0);
      genuine += same;
      const a = pairs.first[k];
      const b = pairs.second[k];
      expect(a).not.toBe(b);
      expect(test.labels[a] === test.labels[b]).toBe(same === 1);
    }
    expect(genuine).toBe(300);
  });

  it('keeps folds identity-disjoint when there are ≥ 20 identities, and does not repeat pairs', () => {
    const pairs = verificationPairs(test, { pairs: 600, seed: 1 });
    expect(pairs.identityDisjointFolds).toBe(true);
    const foldOf = new Map<number, number>();
    const seen = new Set<string>();
    for (let k = 0; k < 600; k++) {
      const fold = Math.floor(k / 60);
      for (const i of [pairs.first[k], pairs.second[k]]) {
        const label = test.labels[i];
        expect(foldOf.get(label) ?? fold).toBe(fold);
        foldOf.set(label, fold);
      }
      const key = [pairs.first[k], pairs.second[k]].sort((x, y) => x - y).join(',');
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
  });

  it('is deterministic from its seed', () => {
    const a = verificationPairs(test, { pairs: 200, seed: 3 });
    const b = verificationPairs(test, { pairs: 200, seed: 3 });
    const c = verificationPairs(test, { pairs: 200, seed: 4 });
    expect(Array.from(a.first)).toEqual(Array.from(b.first));
    expect(Array.from(a.second)).toEqual(Array.from(b.second));
    expect(Array.from(a.first)).not.toEqual(Array.from(c.first));
  });

  it('falls back to shared identities for small splits, and checks its arguments', () => {
    const small = syntheticFaceDataset({ trainIdentities: 1, testIdentities: 5, samplesPerIdentity: 3, imageSize: 16, seed: 5 }).test;
    const pairs = verificationPairs(small, { pairs: 100 });
    expect(pairs.identityDisjointFolds).toBe(false);
    for (let k = 0; k < 100; k++) expect(small.labels[pairs.first[k]] === small.labels[pairs.second[k]]).toBe(pairs.issame[k] === 1);
    expect(() => verificationPairs(test, { pairs: 610 })).toThrow(/multiple of 20/);
    const single = syntheticFaceDataset({ trainIdentities: 1, testIdentities: 1, samplesPerIdentity: 3, imageSize: 16, seed: 5 }).test;
    expect(() => verificationPairs(single, { pairs: 20 })).toThrow(TopofrRangeError);
  });
});

describe('encodePng', () => {
  it('writes a PNG signature, IHDR with the size, and rejects a wrong byte count', () => {
    const png = encodePng(renderFaceBytes(faceIdentity(1, 0), 0, { imageSize: 16 }), 16, 16);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.toString('ascii', 12, 16)).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(16);
    expect(png.readUInt32BE(20)).toBe(16);
    expect(() => encodePng(new Uint8Array(10), 16, 16)).toThrow(TopofrRangeError);
  });
});
