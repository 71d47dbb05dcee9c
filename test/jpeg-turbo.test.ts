// The JPEG fast path (the system's libjpeg-turbo, opened at run time) against the reference, sharp:
// the same pixels byte for byte where it decodes, sharp's answer wherever it declines or fails, a
// typed error naming the origin for corrupt data, and sharp whenever the library cannot be used.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage, encodeJpeg, sharpDecode, type DecodedImage } from '../src/data/image-codec.js';
import { jpegDecoder } from '../src/data/jpeg-turbo.js';
import { placeImage } from '../src/data/augment.js';
import { encodePng } from '../src/data/png.js';
import { faceIdentity, renderFaceBytes } from '../src/data/synthetic-faces.js';
import { capabilities } from '../src/index.js';
import { native } from '../src/native.js';
import { turboLoaded, withJpeg } from './support/jpeg.js';
import { TopofrRangeError } from '../src/errors.js';

const ROOT = join(import.meta.dirname, '..');
const FIXTURES = [join(import.meta.dirname, 'fixtures', 'jpeg'), ...['id0', 'id1', 'id2'].map((id) => join(import.meta.dirname, 'fixtures', 'recordio', 'images', id))]
  .flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.jpg')).map((f) => join(dir, f)));
const turbo = () => native();
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const sha = (a: Uint8Array): string => createHash('sha256').update(a).digest('hex');

/** Synthetic faces (several identities and nuisances) encoded by sharp at q95, 4:2:0 and 4:4:4. */
async function renderedJpegs(): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let k = 0; k < 12; k++) {
    const rgb = renderFaceBytes(faceIdentity(40 + k, 3), k, { imageSize: 112, hardness: (k % 4) / 3 });
    out.push(await encodeJpeg(rgb, 112, 112, 95));
    if (k % 3 === 0) out.push(new Uint8Array(await sharp(rgb, { raw: { width: 112, height: 112, channels: 3 } }).jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer()));
  }
  return out;
}

describe('JPEG decoder choice', () => {
  it('capabilities() reports the decoder in use; TOPOFR_JPEG=sharp forces sharp; a bad value is a typed error', async () => {
    const caps = await withJpeg(undefined, async () => capabilities());
    expect(caps.jpeg.decoder).toBe(turboLoaded ? 'libjpeg-turbo' : 'sharp');
    if (turboLoaded) expect(caps.jpeg.detail).toMatch(/^libturbojpeg\.so\.0 \(libjpeg-turbo [23]\.x\)$/);
    await withJpeg('sharp', async () => expect(capabilities().jpeg).toEqual({ decoder: 'sharp', detail: 'TOPOFR_JPEG=sharp' }));
    await withJpeg('fast', async () => expect(() => jpegDecoder()).toThrow(expect.objectContaining({ code: 'ERR_TOPOFR_INVALID_VALUE', message: expect.stringMatching(/TOPOFR_JPEG must be one of auto, sharp, libjpeg-turbo/) })));
  });
});

describe.skipIf(!turboLoaded)('libjpeg-turbo gives sharp\'s pixels', () => {
  it('on every committed JPEG fixture (real photo, 4:4:4/4:2:2/4:2:0/4:4:0/4:1:1, grey, progressive, odd sizes)', async () => {
    expect(FIXTURES.length).toBe(18);
    for (const file of FIXTURES) {
      const bytes = readFileSync(file);
      const fast = turbo().jpegDecode(bytes);
      const reference = await sharpDecode(bytes);
      expect(fast.outcome, file).toBe('decoded');
      if (fast.outcome !== 'decoded') continue;
      expect([fast.width, fast.height], file).toEqual([reference.width, reference.height]);
      expect(same(fast.data, reference.data), file).toBe(true);
    }
  });

  it('on rendered faces encoded at q95, and decodeImage takes the fast path for them', async () => {
    for (const jpeg of await renderedJpegs()) {
      const fast = turbo().jpegDecode(jpeg);
      expect(fast.outcome).toBe('decoded');
      const reference = await sharpDecode(jpeg);
      expect(same((fast as { data: Uint8Array }).data, reference.data)).toBe(true);
      expect(same((await decodeImage(jpeg)).data, reference.data)).toBe(true);
    }
  });

  it('declines what only sharp decodes as sharp does (PNG, an ICC profile, CMYK); decodeImage gives sharp\'s pixels for them', async () => {
    const rgb = renderFaceBytes(faceIdentity(7, 2), 1, { imageSize: 112 });
    const raw = { raw: { width: 112, height: 112, channels: 3 as const } };
    const cases: [string, Uint8Array, RegExp][] = [
      ['png', encodePng(rgb, 112, 112), /not a JPEG/],
      ['icc', new Uint8Array(await sharp(rgb, raw).withIccProfile('p3').jpeg({ quality: 95 }).toBuffer()), /ICC profile/],
      ['cmyk', new Uint8Array(await sharp(rgb, raw).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer()), /CMYK/],
    ];
    for (const [name, bytes, why] of cases) {
      expect(turbo().jpegDecode(bytes), name).toEqual({ outcome: 'declined', message: expect.stringMatching(why) });
      expect(same((await decodeImage(bytes)).data, (await sharpDecode(bytes)).data), name).toBe(true);
    }
    // The profile matters: sharp converts with it, so ignoring it would change the pixels.
    const withProfile = await sharpDecode(cases[1]![1]);
    const stripped = await sharpDecode(new Uint8Array(await sharp(cases[1]![1]).jpeg({ quality: 95 }).toBuffer()));
    expect(same(withProfile.data, stripped.data)).toBe(false);
  });

  it('corrupt and truncated JPEGs: libjpeg-turbo fails, and decodeImage throws a typed error naming the origin and its reason', async () => {
    const jpeg = readFileSync(join(import.meta.dirname, 'fixtures', 'jpeg', 'face-q95-420.jpg'));
    const truncated = jpeg.subarray(0, jpeg.length >> 1);
    expect(turbo().jpegDecode(truncated)).toEqual({ outcome: 'failed', message: 'decode: Premature end of JPEG file' });
    await expect(decodeImage(truncated, 'faces/3/b.jpg')).rejects.toThrow(TopofrRangeError);
    await expect(decodeImage(truncated, 'faces/3/b.jpg')).rejects.toMatchObject({
      code: 'ERR_TOPOFR_PARSE', message: 'faces/3/b.jpg: not a decodable image (libjpeg-turbo: decode: Premature end of JPEG file)' });
    const badTables = Uint8Array.from(jpeg);
    badTables.fill(0xee, 20, 200); // the quantisation and Huffman tables
    expect(turbo().jpegDecode(badTables).outcome).not.toBe('decoded');
    await expect(decodeImage(badTables, 'train.rec: record key 9 at offset 4096')).rejects.toMatchObject({
      code: 'ERR_TOPOFR_PARSE', message: expect.stringContaining('train.rec: record key 9 at offset 4096: not a decodable image') });
  });

  it('the one difference, documented: bytes between the last scan and EOI are a libjpeg-turbo warning sharp ignores; decodeImage follows sharp', async () => {
    const jpeg = readFileSync(join(import.meta.dirname, 'fixtures', 'jpeg', 'face-q95-420.jpg'));
    const padded = new Uint8Array(jpeg.length + 16);
    padded.set(jpeg.subarray(0, jpeg.length - 2));
    padded.fill(0x55, jpeg.length - 2, jpeg.length + 14);
    padded.set([0xff, 0xd9], jpeg.length + 14);
    expect(turbo().jpegDecode(padded)).toEqual({ outcome: 'failed', message: expect.stringMatching(/^decode: Corrupt JPEG data: \d+ extraneous bytes before marker 0xd9$/) });
    const reference = await sharpDecode(jpeg);
    expect(same((await sharpDecode(padded)).data, reference.data)).toBe(true);
    expect(same((await decodeImage(padded)).data, reference.data)).toBe(true);
  });

  it('on 240 seeded corruptions: whatever libjpeg-turbo decodes, sharp decodes to the same bytes; what sharp refuses, libjpeg-turbo never decodes', async () => {
    const sources = ['face-q95-420.jpg', 'face-q95-420-progressive.jpg', 'face-q95-gray.jpg'].map((f) => readFileSync(join(import.meta.dirname, 'fixtures', 'jpeg', f)));
    let state = 2024;
    const next = (n: number): number => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const outcomes = new Map<string, number>();
    for (let t = 0; t < 240; t++) {
      const source = sources[t % sources.length]!;
      let bytes = Uint8Array.from(source);
      if (t % 3 === 0) for (let k = 0; k < 3; k++) bytes[next(bytes.length)] = next(256);
      else if (t % 3 === 1) bytes = bytes.subarray(0, next(bytes.length));
      else bytes[600 + next(bytes.length - 700)] ^= 1 << next(8);
      const fast = turbo().jpegDecode(bytes);
      const reference = await sharpDecode(bytes).catch(() => undefined);
      const key = `${fast.outcome}/${reference ? 'sharp decodes' : 'sharp refuses'}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      if (fast.outcome === 'decoded') expect(reference && same(fast.data, reference.data), `corruption ${t}`).toBe(true);
      const decoded = await decodeImage(bytes).catch((err: Error) => err);
      if (!reference) expect(decoded, `corruption ${t}`).toBeInstanceOf(TopofrRangeError);
      else expect(!(decoded instanceof Error) && same(decoded.data, reference.data), `corruption ${t}`).toBe(true);
    }
    // The draw covers all three outcomes that occur (decoded by both, refused by both, libjpeg-turbo stricter).
    expect([...outcomes.keys()].sort()).toEqual(expect.arrayContaining(['decoded/sharp decodes', 'failed/sharp refuses', 'failed/sharp decodes']));
    expect(outcomes.get('decoded/sharp refuses')).toBeUndefined();
  });

  it('jpegDecodeBatch writes (x/255 − 0.5)/0.5 of sharp\'s pixels, mirrored where flipped, and declines other sizes; bad arguments are typed errors', async () => {
    const files = FIXTURES.filter((f) => !/113x97|grace_hopper/.test(f)).slice(0, 6);
    const images = files.map((f) => readFileSync(f));
    images.splice(2, 0, readFileSync(join(import.meta.dirname, 'fixtures', 'jpeg', 'face-q95-420-113x97.jpg')));
    const flips = Uint8Array.from(images, (_, j) => j % 2);
    const size = 112, pixels = size * size * 3, offset = 5;
    const out = new Float32Array(offset + images.length * pixels).fill(7);
    const outcomes = turbo().jpegDecodeBatch(images, size, flips, out, offset);
    expect(outcomes[2]).toEqual({ outcome: 'declined', message: '113×97, not 112×112' });
    expect(out.subarray(0, offset).every((v) => v === 7)).toBe(true);
    for (let j = 0; j < images.length; j++) {
      if (j === 2) continue;
      expect(outcomes[j]).toBeNull();
      const reference: DecodedImage = await sharpDecode(images[j]!);
      const expected = new Float32Array(pixels);
      placeImage(reference.data, size, flips[j] === 1, expected, 0);
      const got = out.subarray(offset + j * pixels, offset + (j + 1) * pixels);
      expect(same(new Uint8Array(got.buffer, got.byteOffset, got.byteLength), new Uint8Array(expected.buffer))).toBe(true);
    }
    expect(out.subarray(offset + 2 * pixels, offset + 3 * pixels).every((v) => v === 7)).toBe(true); // the declined row is left alone
    expect(() => turbo().jpegDecodeBatch(images, size, new Uint8Array(2), out, 0)).toThrow(expect.objectContaining({ code: 'ERR_TOPOFR_INVALID_SHAPE', message: 'flips has 2 entries for 7 images' }));
    expect(() => turbo().jpegDecodeBatch(images, size, flips, out, offset + 1)).toThrow(expect.objectContaining({ code: 'ERR_TOPOFR_INVALID_SHAPE', message: expect.stringMatching(/do not fit in out/) }));
    expect(() => turbo().jpegDecodeBatch([new Float32Array(3) as unknown as Uint8Array], size, new Uint8Array(1), out, 0)).toThrow(expect.objectContaining({ code: 'ERR_TOPOFR_INVALID_TYPE', message: 'images[0] must be a Uint8Array' }));
  });
});

/** Runs `script` (ESM) in a fresh node with extra environment, from the repo root; returns stdout's JSON and the status. */
function child(script: string, env: Record<string, string>): { status: number | null; out: unknown; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  let out: unknown;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    out = r.stdout;
  }
  return { status: r.status, out, stderr: r.stderr };
}

const hasCc = spawnSync('cc', ['--version']).status === 0;
const PROBE = `
  import { readFileSync } from 'node:fs';
  import { createHash } from 'node:crypto';
  const { capabilities } = await import('./dist/index.js');
  const { decodeImage } = await import('./dist/data/image-codec.js');
  const jpeg = capabilities().jpeg;
  const image = await decodeImage(readFileSync('test/fixtures/jpeg/face-q95-444.jpg'));
  console.log(JSON.stringify({ jpeg, sha: createHash('sha256').update(image.data).digest('hex') }));`;

describe('without a usable libjpeg-turbo, sharp decodes and nothing crashes', () => {
  const reference = async (): Promise<string> => sha((await sharpDecode(readFileSync(join(import.meta.dirname, 'fixtures', 'jpeg', 'face-q95-444.jpg')))).data);

  it('a file that is not a shared library (dlopen fails)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'topofr-tj-'));
    writeFileSync(join(dir, 'libturbojpeg.so.0'), 'not an ELF file\n'.repeat(100));
    const r = child(PROBE, { LD_LIBRARY_PATH: dir, TOPOFR_JPEG: 'auto' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.out).toEqual({ jpeg: { decoder: 'sharp', detail: expect.stringMatching(/^libjpeg-turbo not loaded: .*libturbojpeg\.so\.0: invalid ELF header/) }, sha: await reference() });
    // Asked for explicitly, its absence is an error that says what to install.
    const forced = child(PROBE, { LD_LIBRARY_PATH: dir, TOPOFR_JPEG: 'libjpeg-turbo' });
    expect(forced.status).not.toBe(0);
    expect(forced.stderr).toMatch(/TopofrError: TOPOFR_JPEG=libjpeg-turbo, but it cannot be loaded \(.*invalid ELF header\): install libturbojpeg0/);
  });

  it.skipIf(!hasCc)('an older libturbojpeg.so.0 without tjGetErrorStr2 (libjpeg-turbo 1.x ABI) is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'topofr-tj-'));
    // libjpeg-turbo 1.x's decompression entry points (none of them working): no tjGetErrorStr2.
    writeFileSync(join(dir, 'tj1.c'), [
      'void *tjInitDecompress(void) { return 0; }',
      'int tjDecompressHeader3(void *h, const unsigned char *b, unsigned long n, int *w, int *ht, int *s, int *c) { return -1; }',
      'int tjDecompress2(void *h, const unsigned char *b, unsigned long n, unsigned char *d, int w, int p, int ht, int f, int fl) { return -1; }',
      'int tjDestroy(void *h) { return 0; }',
      'char *tjGetErrorStr(void) { return "1.x"; }',
    ].join('\n'));
    expect(spawnSync('cc', ['-shared', '-fPIC', '-o', join(dir, 'libturbojpeg.so.0'), join(dir, 'tj1.c')]).status).toBe(0);
    const r = child(PROBE, { LD_LIBRARY_PATH: dir, TOPOFR_JPEG: 'auto' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.out).toEqual({ jpeg: { decoder: 'sharp', detail: 'libjpeg-turbo not loaded: libturbojpeg.so.0 has no tjGetErrorStr2: libjpeg-turbo ≥ 2.0 is needed' }, sha: await reference() });
  });
});
