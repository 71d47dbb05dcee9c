// The loader's batches do not depend on the JPEG decoder: libjpeg-turbo (decoding whole blocks
// into the float batch) and sharp (TOPOFR_JPEG=sharp) give the same bytes, with any worker count,
// for every kind of image the fast path takes or leaves to sharp; and a worker stopped in the middle
// of a native decode does not take the process down, nor does closing with blocks in flight.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createLoader, type LoadedBatch } from '../src/data/loader.js';
import { openDataset } from '../src/data/source.js';
import { packFolder } from '../src/data/pack.js';
import { parseIndex } from '../src/data/recordio.js';
import { encodePng } from '../src/data/png.js';
import { faceIdentity, renderFaceBytes } from '../src/data/synthetic-faces.js';
import { native } from '../src/native.js';
import { turboLoaded, withJpeg } from './support/jpeg.js';
import { TopofrRangeError } from '../src/errors.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const dirs: string[] = [];
const tmp = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'topofr-loader-jpeg-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const digest = (b: LoadedBatch): string =>
  createHash('sha256').update(new Uint8Array(b.images.buffer, b.images.byteOffset, b.images.byteLength)).update(new Uint8Array(b.labels.buffer, b.labels.byteOffset, b.labels.byteLength)).digest('hex');

/** Three identities of 112×112 images the fast path decodes (every subsampling, grey, progressive,
 *  sharp-encoded faces) and ones it leaves to sharp (PNG, ICC profile, CMYK, 113×97, bytes before EOI). */
async function mixedFolder(): Promise<string> {
  const root = tmp();
  const put = (id: string, name: string, bytes: Uint8Array): void => {
    mkdirSync(join(root, id), { recursive: true });
    writeFileSync(join(root, id, name), bytes);
  };
  const fixture = (path: string): Buffer => readFileSync(join(FIXTURES, path));
  for (const s of ['420', '444', 'gray', '420-progressive']) put('a', `${s}.jpg`, fixture(`jpeg/face-q95-${s}.jpg`));
  for (const s of ['422', '440', '411']) put('b', `${s}.jpg`, fixture(`jpeg/face-q95-${s}.jpg`));
  put('b', 'r0.jpg', fixture('recordio/images/id0/0.jpg'));
  put('b', 'r1.jpg', fixture('recordio/images/id1/1.jpg'));
  const rgb = renderFaceBytes(faceIdentity(9, 4), 2, { imageSize: 112 });
  const raw = { raw: { width: 112, height: 112, channels: 3 as const } };
  put('c', 'png.png', encodePng(rgb, 112, 112));
  put('c', 'icc.jpg', await sharp(rgb, raw).withIccProfile('p3').jpeg({ quality: 95 }).toBuffer());
  put('c', 'cmyk.jpg', await sharp(rgb, raw).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer());
  put('c', 'odd.jpg', fixture('jpeg/face-q95-420-113x97.jpg'));
  const jpeg = fixture('jpeg/face-q95-444.jpg');
  put('c', 'padded.jpg', Buffer.concat([jpeg.subarray(0, -2), Buffer.alloc(9, 0x55), jpeg.subarray(-2)]));
  return root;
}

/** The digests of `steps` (batches of 6, or the whole source with skipBadImages), the warnings and the skip count. */
async function batches(path: string, jpeg: string, workers: number, steps: number[], skipBadImages = false): Promise<{ digests: string[]; warnings: string[]; skipped: number }> {
  return withJpeg(jpeg, async () => {
    const source = await openDataset(path, { skipBadImages });
    const warnings: string[] = [];
    const batchSize = skipBadImages ? source.size : 6;
    const loader = createLoader(source, { batchSize, imageSize: 112, seed: 3, workers, skipBadImages, onWarning: (w) => warnings.push(w) });
    try {
      const digests = [];
      for (const step of steps) digests.push(digest(await loader.batch(step)));
      return { digests, warnings, skipped: loader.skipped.length };
    } finally {
      await loader.close();
      source.close();
    }
  });
}

describe.skipIf(!turboLoaded)('the loader with libjpeg-turbo and with sharp', () => {
  it('gives the same batches from a folder and from a .rec of mixed images, with 0 and 2 workers', async () => {
    const folder = await mixedFolder();
    const rec = (await packFolder(folder, join(tmp(), 'mixed'))).rec;
    const steps = [0, 1, 2, 5];
    for (const path of [folder, rec]) {
      const reference = await batches(path, 'sharp', 0, steps);
      expect(reference.warnings).toEqual([expect.stringContaining('images are 113×97, not 112×112')]);
      for (const [jpeg, workers] of [['sharp', 2], ['libjpeg-turbo', 0], ['libjpeg-turbo', 2]] as const)
        expect(await batches(path, jpeg, workers, steps), `${path} ${jpeg} ${workers}`).toEqual(reference);
    }
  });

  it('decodes the JPEGs natively and leaves exactly the others to sharp', async () => {
    const folder = await mixedFolder();
    const spy = vi.spyOn(native(), 'jpegDecodeBatch');
    try {
      await withJpeg('libjpeg-turbo', async () => {
        const source = await openDataset(folder);
        const loader = createLoader(source, { batchSize: source.size, imageSize: 112, seed: 3, workers: 0 });
        await loader.batch(0);
        await loader.close();
      });
      expect(spy).toHaveBeenCalledTimes(1);
      const outcomes = spy.mock.results[0]!.value as ({ outcome: string; message: string } | null)[];
      expect(outcomes.filter((o) => o === null)).toHaveLength(9);
      expect(outcomes.filter((o) => o !== null).map((o) => o!.message).sort()).toEqual([
        '113×97, not 112×112', 'CMYK', 'an embedded ICC profile', expect.stringMatching(/^decode: Corrupt JPEG data: \d+ extraneous bytes before marker 0xd9$/), 'not a JPEG']);
    } finally {
      spy.mockRestore();
    }
  });

  it('a corrupt JPEG in a .rec: a typed error naming file and offset with either decoder; skipped the same way by both', async () => {
    const dir = tmp();
    const rec = join(dir, 'train.rec'), idx = join(dir, 'train.idx');
    copyFileSync(join(FIXTURES, 'recordio', 'plain.rec'), rec);
    copyFileSync(join(FIXTURES, 'recordio', 'plain.idx'), idx);
    const offset = parseIndex(readFileSync(idx), idx).offsets[5]!;
    const bytes = readFileSync(rec);
    bytes.set([0xff, 0xd9], offset + 8 + 24 + 900); // an EOI marker inside the entropy-coded data
    writeFileSync(rec, bytes);
    for (const jpeg of ['sharp', 'libjpeg-turbo'])
      for (const workers of [0, 2]) {
        const error = await batches(dir, jpeg, workers, [0, 1]).catch((e: unknown) => e); // 2 batches of 6 of the 8 samples: sample 5 is in one
        expect(error, `${jpeg} ${workers}`).toBeInstanceOf(TopofrRangeError);
        expect((error as Error).message).toContain(`${rec}: record key ${parseIndex(readFileSync(idx), idx).keys[5]} at offset ${offset}: not a decodable image (`);
        if (jpeg === 'libjpeg-turbo') expect((error as Error).message).toMatch(/\(libjpeg-turbo: decode: Corrupt JPEG data: premature end of data segment\)$/);
      }
    const reference = await batches(dir, 'sharp', 2, [0, 1], true);
    expect(reference.skipped).toBe(1);
    expect(await batches(dir, 'libjpeg-turbo', 2, [0, 1], true)).toEqual(reference);
  });
});

describe('closing the loader while its workers work', () => {
  it('with blocks in flight, the caller\'s await of close() ends normally (a late answer once unref\'d a stopping worker: exit code 13)', () => {
    const dist = new URL('../dist/data/', import.meta.url).href;
    const script = `import { createLoader } from '${dist}loader.js'; import { openDataset } from '${dist}source.js';
      const source = await openDataset('${join(FIXTURES, 'recordio', 'plain.rec')}');
      for (let k = 0; k < 20; k++) {
        const l = createLoader(source, { batchSize: 8, imageSize: 112, seed: k, workers: 2, prefetch: 2 });
        await l.batch(0);
        await l.batch(1);
        await l.close(); // steps 2 and 3 are being loaded
      }
      console.log('closed');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
    expect([r.status, r.stdout.trim()], r.stderr).toEqual([0, 'closed']);
  });

  it('closing loaders in the middle of native decodes ends the process normally (no abort)', () => {
    const root = tmp();
    for (let id = 0; id < 4; id++) {
      mkdirSync(join(root, `p${id}`));
      for (let k = 0; k < 64; k++) copyFileSync(join(FIXTURES, 'recordio', 'images', 'id0', `${k % 3}.jpg`), join(root, `p${id}`, `${k}.jpg`));
    }
    const dist = new URL('../dist/data/', import.meta.url).href;
    const script = `import { createLoader } from '${dist}loader.js'; import { openDataset } from '${dist}source.js';
      const source = await openDataset('${root}');
      for (let k = 0; k < 3; k++) {
        const l = createLoader(source, { batchSize: 128, imageSize: 112, seed: k, workers: 2 });
        for (let step = 0; step < 8; step++) await l.batch(step);
        await l.close(); // while the workers decode the next two batches
      }
      console.log('done');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).not.toMatch(/terminate called|Aborted/);
    expect([r.status, r.stdout.trim()]).toEqual([0, 'done']);
  });
});
