import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../src/train/config.js';
import { trainingSource } from '../src/data/training-source.js';
import { createLoader, type LoadedBatch } from '../src/data/loader.js';
import { BatchPlan } from '../src/data/sampler.js';
import { openDataset, type FaceSource } from '../src/data/source.js';
import { decodeImage, encodeJpeg } from '../src/data/image-codec.js';
import { parseIndex } from '../src/data/recordio.js';
import { faceIdentity, renderFaceBytes } from '../src/data/synthetic-faces.js';
import { TopofrRangeError } from '../src/errors.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'recordio');
const tmp = (): string => mkdtempSync(join(tmpdir(), 'topofr-loader-'));
const digest = (b: LoadedBatch): string =>
  createHash('sha256').update(new Uint8Array(b.images.buffer, b.images.byteOffset, b.images.byteLength)).update(new Uint8Array(b.labels.buffer)).digest('hex');

/** A folder per identity of synthetic faces written as JPEG q95 (ids × per images of `size`). */
async function jpegFolder(ids: number, per: number, size: number): Promise<string> {
  const root = tmp();
  for (let id = 0; id < ids; id++) {
    mkdirSync(join(root, `person${String(id).padStart(3, '0')}`));
    for (let s = 0; s < per; s++) {
      const rgb = renderFaceBytes(faceIdentity(21, id), s, { imageSize: size, hardness: 0.3 });
      writeFileSync(join(root, `person${String(id).padStart(3, '0')}`, `${s}.jpg`), await encodeJpeg(rgb, size, size, 95));
    }
  }
  return root;
}

describe('the demo\'s batches are bit-identical to the first trainer\'s', () => {
  // SHA-256 of (images, labels) of the demo config's batches, computed with the trainer as it was
  // before the loader (batchAt: FaceSplit.epochOrder + FaceSplit.batch + flipHalf on the floats).
  const BEFORE: Record<number, string> = {
    0: '73eacf78d3219cc33c6b6e80a809b9955cc42eb39832f2497ce9178bba5c6d7f',
    1: 'f208b3275a18842f1e453d4d7db6c4bc4e580b6a63b0494cf6c675cda18d129b',
    49: 'ef7df7bd4168589691e310471c2190a775cae131f2636d310aa3398a2e90453b',
    50: 'b22660d3437d73584b76eab704c61ac46bf6c813588e79aa2a7d618cfa534543',
    77: '291223ddde182842502e10a096eee8dd96a56b2b07488fcaeb59bb582bbf5eaf',
    299: 'a763976b3e2b66127f3acc4bc08cc1a304ed0ecf97ec2b93d1eacb631e28977f',
  };

  it('steps 0, 1, 49, 50 (next epoch), 77 and 299 (the last), through the loader createSession builds', async () => {
    const config = resolveConfig({}, {});
    const source = await trainingSource(config);
    expect([source.format, source.size, source.classes]).toEqual(['synthetic', 3200, 200]);
    const loader = createLoader(source, { batchSize: config.batchSize, imageSize: config.imageSize, seed: config.seed, workers: config.dataWorkers });
    expect(loader.perEpoch).toBe(50);
    for (const step of [0, 1, 49, 50, 77, 299]) expect(digest(await loader.batch(step)), `step ${step}`).toBe(BEFORE[step]);
    await loader.close();
  });
});

describe('the batch plan', () => {
  it('splits each global step\'s W·B samples across ranks: the ranks\' shares concatenated are the W = 1 batch of W·B', () => {
    const single = new BatchPlan(1000, { batchSize: 24, seed: 9 });
    const ranks = new BatchPlan(1000, { batchSize: 8, seed: 9, worldSize: 3 });
    expect(ranks.perEpoch).toBe(single.perEpoch);
    for (const step of [0, 5, 41, 42, 100]) {
      const whole = single.step(step);
      const parts = [0, 1, 2].map((r) => ranks.step(step, r));
      expect(Array.from(parts.flatMap((p) => Array.from(p.indices)))).toEqual(Array.from(whole.indices));
      expect(parts.flatMap((p) => Array.from(p.flips))).toEqual(Array.from(whole.flips));
    }
    expect(() => ranks.step(0, 3)).toThrow(TopofrRangeError);
    expect(() => new BatchPlan(10, { batchSize: 8, seed: 0, worldSize: 2 })).toThrow(/fewer than one global batch/);
  });

  it('covers every sample once per epoch (drop_last), differently per epoch, about half flipped', () => {
    const plan = new BatchPlan(100, { batchSize: 10, seed: 1 });
    const epoch = (e: number): number[] => Array.from({ length: 10 }, (_, k) => Array.from(plan.step(e * 10 + k).indices)).flat();
    expect([...epoch(0)].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(epoch(1)).not.toEqual(epoch(0));
    const flips = Array.from({ length: 100 }, (_, k) => Array.from(plan.step(k).flips)).flat();
    const share = flips.reduce((a, b) => a + b, 0) / flips.length;
    expect(share).toBeGreaterThan(0.45);
    expect(share).toBeLessThan(0.55);
  });
});

describe('the worker-thread loader', () => {
  it('gives the same batches with 0, 1, 2 or 3 workers, in any order of asking (resume mid-epoch)', async () => {
    const root = await jpegFolder(6, 5, 40);
    const source = await openDataset(root);
    const options = { batchSize: 7, imageSize: 40, seed: 5 };
    const reference = createLoader(source, { ...options, workers: 0 });
    const expected = [];
    for (let step = 0; step < 9; step++) expected.push(digest(await reference.batch(step)));
    for (const workers of [1, 2, 3]) {
      const loader = createLoader(source, { ...options, workers, prefetch: 3 });
      for (const step of [5, 6, 0, 1, 2, 8, 3, 4, 7]) expect(digest(await loader.batch(step)), `${workers} workers, step ${step}`).toBe(expected[step]);
      await loader.close();
    }
    await reference.close();
  });

  it('decodes, flips and normalises exactly: (x/255 − 0.5)/0.5 of the decoded pixels, mirrored where the plan flips', async () => {
    const source = await openDataset(join(FIXTURES, 'insightface.rec'));
    const loader = createLoader(source, { batchSize: 8, imageSize: 112, seed: 2, workers: 2 });
    const batch = await loader.batch(0);
    const { flips } = loader.plan.step(0);
    expect(flips.some((f) => f === 1) && flips.some((f) => f === 0)).toBe(true);
    const px = 112 * 112 * 3;
    for (let b = 0; b < 8; b++) {
      const sample = await source.read(batch.indices[b]!);
      expect(batch.labels[b]).toBe(sample.label);
      for (const [y, x, c] of [[0, 0, 0], [5, 7, 1], [60, 20, 2], [111, 111, 0], [40, 55, 1]] as const) {
        const sx = flips[b] ? 111 - x : x;
        const value = (sample.image.data[(y * 112 + sx) * 3 + c]! / 255 - 0.5) / 0.5;
        expect(batch.images[b * px + (y * 112 + x) * 3 + c]).toBe(Math.fround(value));
      }
    }
    await loader.close();
    source.close();
  });

  it('resizes images of another size, with one warning', async () => {
    const root = await jpegFolder(2, 3, 48);
    const source = await openDataset(root);
    const warnings: string[] = [];
    const loader = createLoader(source, { batchSize: 3, imageSize: 32, seed: 0, workers: 2, onWarning: (w) => warnings.push(w) });
    const batch = await loader.batch(1);
    expect(batch.images.length).toBe(3 * 32 * 32 * 3);
    expect(Math.max(...batch.images)).toBeLessThanOrEqual(1);
    expect(warnings).toEqual([`${root}: images are 48×48, not 32×32; they are resized (train at the data's size with --image-size)`]);
    await loader.close();
  });

  it('a corrupt image rejects its batch with a typed error naming file and offset; --skip-bad-images counts and replaces it', async () => {
    const dir = tmp();
    const rec = join(dir, 'train.rec'), idx = join(dir, 'train.idx');
    copyFileSync(join(FIXTURES, 'plain.rec'), rec);
    copyFileSync(join(FIXTURES, 'plain.idx'), idx);
    const offset = parseIndex(readFileSync(idx), idx).offsets[3]!;
    const bytes = readFileSync(rec);
    bytes.fill(0x55, offset + 8 + 24 + 200, offset + 8 + 24 + 1200); // inside the JPEG's entropy-coded data
    bytes[offset + 8 + 24 + 20] = 0x00; // and a broken marker segment
    writeFileSync(rec, bytes);
    const options = { batchSize: 8, imageSize: 112, seed: 4 };

    for (const workers of [0, 2]) {
      const source = await openDataset(dir);
      const failing = createLoader(source, { ...options, workers });
      const error = await failing.batch(0).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TopofrRangeError);
      expect((error as Error).message).toContain(`${rec}: record key 3 at offset ${offset}: not a decodable image`);
      await failing.close();
      source.close();
    }

    const source: FaceSource = await openDataset(dir, { skipBadImages: true });
    const skipping = createLoader(source, { ...options, workers: 2, skipBadImages: true });
    const batch = await skipping.batch(0);
    expect(skipping.skipped).toHaveLength(1);
    expect(skipping.skipped[0]).toContain('record key 3');
    // Sample 3 was replaced by sample 4 (the next good one): its row holds sample 4's pixels and label.
    const row = batch.indices.indexOf(3);
    const replacement = await source.read(4);
    expect(batch.labels[row]).toBe(replacement.label);
    const flip = skipping.plan.step(0).flips[row] === 1;
    const x = flip ? 111 : 0;
    expect(batch.images[row * 112 * 112 * 3]).toBe(Math.fround((replacement.image.data[x * 3]! / 255 - 0.5) / 0.5));
    const again = createLoader(source, { ...options, workers: 1, skipBadImages: true });
    expect(digest(await again.batch(0))).toBe(digest(batch));
    await skipping.close();
    await again.close();
    source.close();
  });

  it('decoded pixels match decoding the .rec\'s own JPEG bytes', async () => {
    const source = await openDataset(join(FIXTURES, 'plain.rec'));
    const sample = await source.read(0);
    const rec = readFileSync(join(FIXTURES, 'plain.rec'));
    const length = rec.readUInt32LE(4) & (2 ** 29 - 1);
    const direct = await decodeImage(rec.subarray(8 + 24, 8 + length));
    expect(Buffer.from(sample.image.data).equals(Buffer.from(direct.data))).toBe(true);
    source.close();
  });
});
