import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { encodeRecord, formatIndex, packRecord, parseIndex, RecordIOFile, RecordIOWriter, RECORDIO_MAGIC, unpackRecord } from '../src/data/recordio.js';
import { openRecordIO } from '../src/data/recordio-source.js';
import { decodeImage, encodeJpeg } from '../src/data/image-codec.js';
import { packFolder } from '../src/data/pack.js';
import { detectSource, openDataset } from '../src/data/source.js';
import { faceIdentity, renderFaceBytes } from '../src/data/synthetic-faces.js';
import { encodePng } from '../src/data/png.js';
import { TopofrRangeError } from '../src/errors.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'recordio');
const fixture = (name: string): string => join(FIXTURES, name);
const IMAGES = fixture('images');
const hasPython = spawnSync('python3', ['--version']).status === 0;
const tmp = (): string => mkdtempSync(join(tmpdir(), 'topofr-recordio-'));
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The fixture images in folder order, with their classes (the Python writer's input). */
function inputImages(): { file: string; label: number; bytes: Buffer }[] {
  return readdirSync(IMAGES).sort().flatMap((dir, label) =>
    readdirSync(join(IMAGES, dir)).sort().map((f) => ({ file: join(IMAGES, dir, f), label, bytes: readFileSync(join(IMAGES, dir, f)) })));
}

/** A copy of a fixture pair (PREFIX.rec + PREFIX.idx) in a fresh folder. */
function copyPair(name: string): { rec: string; idx: string } {
  const dir = tmp();
  copyFileSync(fixture(`${name}.rec`), join(dir, `${name}.rec`));
  copyFileSync(fixture(`${name}.idx`), join(dir, `${name}.idx`));
  return { rec: join(dir, `${name}.rec`), idx: join(dir, `${name}.idx`) };
}

function readPython(prefix: string): { key: number; flag: number; label: number; labels: number[] | null; id: number; bytes: number; sha256: string }[] {
  const result = spawnSync('python3', [fixture('recordio_tool.py'), 'read', prefix], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

describe('RecordIO frames (dmlc-core layout), against the independent Python writer', () => {
  const payloads = (JSON.parse(readFileSync(fixture('frames.json'), 'utf8')) as string[]).map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
  const index = parseIndex(readFileSync(fixture('frames.idx')), fixture('frames.idx'));

  it('reads every record, joining split parts with the magic between them', () => {
    const file = new RecordIOFile(fixture('frames.rec'));
    expect(Array.from(index.keys)).toEqual(payloads.map((_, k) => k));
    index.offsets.forEach((offset, k) => expect(Buffer.from(file.read(offset)).equals(Buffer.from(payloads[k]!))).toBe(true));
    file.close();
  });

  it('writes byte for byte what the Python writer wrote (splits at aligned magics only, zero padding)', () => {
    const expected = readFileSync(fixture('frames.rec'));
    expect(Buffer.concat(payloads.map((p) => encodeRecord(p))).equals(expected)).toBe(true);
    const dir = tmp();
    const fd = openSync(join(dir, 'w.rec'), 'w');
    const writer = new RecordIOWriter(fd);
    const offsets = payloads.map((p) => writer.write(p));
    closeSync(fd);
    expect(readFileSync(join(dir, 'w.rec')).equals(expected)).toBe(true);
    expect(formatIndex(payloads.map((_, k) => k), offsets)).toBe(readFileSync(fixture('frames.idx'), 'utf8'));
  });

  it('stops a partial read after the bytes asked for, across split parts', () => {
    const file = new RecordIOFile(fixture('frames.rec'));
    const k = 8; // 'abcd' + magic + magic + 'efgh' + magic: four parts
    expect(Buffer.from(file.read(index.offsets[k]!, 6)).equals(Buffer.from(payloads[k]!.subarray(0, 6)))).toBe(true);
    file.close();
  });
});

describe('insightface RecordIO face sets', () => {
  const inputs = inputImages();

  it('header layout (face2rec2, record 0 after the images, labels [class, 1]): images, labels, classes, split records', async () => {
    const source = openRecordIO({ kind: 'recordio', rec: fixture('insightface.rec'), idx: fixture('insightface.idx') });
    expect([source.size, source.classes, source.layout.layout]).toEqual([8, 3, 'header']);
    for (let i = 0; i < source.size; i++) {
      const sample = await source.read(i);
      expect(sample.label).toBe(inputs[i]!.label);
      // Records 2 and 4 carry magics in a JPEG comment (split records): the pixels are the file's.
      const original = await decodeImage(inputs[i]!.bytes);
      expect(Buffer.from(sample.image.data).equals(Buffer.from(original.data))).toBe(true);
    }
    // Record 3's id is the magic twice: the split falls inside the IRHeader.
    expect(source.header(2).id).toBe(BigInt(RECORDIO_MAGIC) | (BigInt(RECORDIO_MAGIC) << 32n));
    source.close();
  });

  it('no header (im2rec / rec2shufrec): every .idx key, scalar labels, classes from a scan', async () => {
    const labels = JSON.parse(readFileSync(fixture('plain.json'), 'utf8')) as number[];
    const source = await openDataset(fixture('plain.rec'));
    expect([source.format, source.size, source.classes]).toEqual(['recordio', 8, 3]);
    for (let i = 0; i < source.size; i++) expect((await source.read(i)).label).toBe(labels[i]);
    source.close();
  });

  it('finds the .rec from a folder holding train.rec, a prefix, or the .idx; refuses other paths', () => {
    const dir = tmp();
    copyFileSync(fixture('plain.rec'), join(dir, 'train.rec'));
    copyFileSync(fixture('plain.idx'), join(dir, 'train.idx'));
    expect(detectSource(dir)).toMatchObject({ kind: 'recordio', rec: join(dir, 'train.rec'), idx: join(dir, 'train.idx') });
    expect(detectSource(join(dir, 'train'))).toMatchObject({ kind: 'recordio', rec: join(dir, 'train.rec') });
    expect(detectSource(join(dir, 'train.idx'))).toMatchObject({ kind: 'recordio', rec: join(dir, 'train.rec') });
    expect(detectSource(IMAGES)).toEqual({ kind: 'folder', root: IMAGES });
    expect(() => detectSource(join(dir, 'nothing'))).toThrow(/not a dataset/);
  });

  it('honours insightface\'s property file for the class count of a set without header', () => {
    const { rec, idx } = copyPair('plain');
    writeFileSync(join(rec, '..', 'property'), '5,112,112\n');
    const source = openRecordIO({ kind: 'recordio', rec, idx });
    expect([source.classes, source.layout.classesFrom]).toEqual([5, 'property']);
    source.close();
  });
});

describe('bad RecordIO input: typed errors naming the file and the offset or line', () => {
  it('bad magic', async () => {
    const { rec, idx } = copyPair('plain');
    const offset = parseIndex(readFileSync(idx), idx).offsets[5]!;
    const bytes = readFileSync(rec);
    bytes.writeUInt32LE(0xdeadbeef, offset);
    writeFileSync(rec, bytes);
    const source = openRecordIO({ kind: 'recordio', rec, idx, classes: 3 });
    await expect(source.read(5)).rejects.toThrow(TopofrRangeError);
    await expect(source.read(5)).rejects.toThrow(new RegExp(`${rec}: record at offset ${offset}: bad magic 0xdeadbeef`));
    source.close();
  });

  it('truncated record', async () => {
    const { rec, idx } = copyPair('plain');
    const last = parseIndex(readFileSync(idx), idx).offsets[7]!;
    truncateSync(rec, last + 100);
    const source = openRecordIO({ kind: 'recordio', rec, idx, classes: 3 });
    await expect(source.read(7)).rejects.toMatchObject({ code: 'ERR_TOPOFR_PARSE', message: expect.stringMatching(new RegExp(`record at offset ${last}: truncated`)) });
    source.close();
  });

  it('.idx offsets past the end of the .rec, and malformed .idx lines', () => {
    const { rec, idx } = copyPair('plain');
    writeFileSync(idx, `${readFileSync(idx, 'utf8')}8\t99999996\n`);
    expect(() => openRecordIO({ kind: 'recordio', rec, idx })).toThrow(new RegExp(`${idx}: line 9: offset 99999996 of key 8 is past the end`));
    const skipping = openRecordIO({ kind: 'recordio', rec, idx, skipBadImages: true });
    expect([skipping.size, skipping.skippedAtOpen.length]).toEqual([8, 1]);
    skipping.close();
    writeFileSync(idx, '0\t0\nnot a line\n');
    expect(() => openRecordIO({ kind: 'recordio', rec, idx })).toThrow(/line 2: expected "key<TAB>offset"/);
    writeFileSync(idx, '0\t0\n0\t16\n');
    expect(() => openRecordIO({ kind: 'recordio', rec, idx })).toThrow(/line 2: key 0 appears twice/);
  });

  it('labels ≥ the class count, and a corrupt JPEG inside a record', async () => {
    const dir = tmp();
    const rec = join(dir, 'bad.rec'), idx = join(dir, 'bad.idx');
    const jpeg = await encodeJpeg(renderFaceBytes(faceIdentity(3, 0), 0, { imageSize: 32 }), 32, 32);
    const fd = openSync(rec, 'w');
    const writer = new RecordIOWriter(fd);
    // Header layout, 2 classes: image 1 fine, image 2 label 7, image 3 a truncated JPEG.
    const offsets = [
      writer.write(packRecord({ label: [4, 6] })),
      writer.write(packRecord({ label: 0, id: 1 }, jpeg)),
      writer.write(packRecord({ label: 7, id: 2 }, jpeg)),
      writer.write(packRecord({ label: 1, id: 3 }, jpeg.subarray(0, jpeg.length >> 1))),
    ];
    closeSync(fd);
    writeFileSync(idx, formatIndex([0, 1, 2, 3], offsets));
    const source = openRecordIO({ kind: 'recordio', rec, idx });
    expect([source.size, source.classes]).toEqual([3, 2]);
    expect((await source.read(0)).label).toBe(0);
    await expect(source.read(1)).rejects.toThrow(new RegExp(`${rec}: record key 2 at offset ${offsets[2]}: label 7 is not an integer in \\[0, 2\\)`));
    await expect(source.read(2)).rejects.toMatchObject({ code: 'ERR_TOPOFR_PARSE', message: expect.stringContaining(`${rec}: record key 3 at offset ${offsets[3]}: not a decodable image`) });
    source.close();
  });

  it('a record shorter than its IRHeader, or announcing more labels than it holds', () => {
    expect(() => unpackRecord(new Uint8Array(10), 'x.rec', 40)).toThrow(/x\.rec: record at offset 40: 10 bytes, shorter than the 24-byte IRHeader/);
    const lying = packRecord({ label: 0 });
    new DataView(lying.buffer).setUint32(0, 3, true);
    expect(() => unpackRecord(lying, 'x.rec', 0)).toThrow(/flag 3 announces 3 labels/);
  });
});

describe('topofr pack: folder → .rec/.idx', () => {
  const inputs = inputImages();

  it('writes insightface\'s header layout that our reader reads back, JPEGs stored as they are', async () => {
    const out = join(tmp(), 'faces', 'train');
    const result = await packFolder(IMAGES, out);
    expect(result).toMatchObject({ layout: 'header', images: 8, classes: 3, reencoded: 0, skipped: [] });
    const source = openRecordIO({ kind: 'recordio', rec: `${out}.rec`, idx: `${out}.idx` });
    expect([source.size, source.classes, source.layout.layout]).toEqual([8, 3, 'header']);
    for (let i = 0; i < 8; i++) expect((await source.read(i)).label).toBe(inputs[i]!.label);
    source.close();
  });

  it.skipIf(!hasPython)('is read back by the independent Python reader: header, identity records, payloads', async () => {
    const out = join(tmp(), 'train');
    await packFolder(IMAGES, out);
    const entries = readPython(out);
    const byKey = new Map(entries.map((e) => [e.key, e]));
    expect(entries.length).toBe(8 + 1 + 3);
    expect(byKey.get(0)).toMatchObject({ flag: 2, labels: [9, 12], bytes: 0 });
    inputs.forEach((input, k) => expect(byKey.get(k + 1)).toMatchObject({ flag: 0, label: input.label, id: k + 1, sha256: sha(input.bytes) }));
    expect([9, 10, 11].map((k) => byKey.get(k)!.labels)).toEqual([[1, 4], [4, 6], [6, 9]]);
  });

  it.skipIf(!hasPython)('--shuffle: a seeded order without header records, read back by Python and by us', async () => {
    const out = join(tmp(), 'shuffled');
    const result = await packFolder(IMAGES, out, { shuffle: true, seed: 3 });
    expect(result.layout).toBe('plain');
    const entries = readPython(out);
    expect(entries.map((e) => e.key)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const bySha = new Map(inputs.map((input) => [sha(input.bytes), input.label]));
    entries.forEach((e) => expect(e.label).toBe(bySha.get(e.sha256)));
    expect(entries.map((e) => bySha.get(e.sha256))).not.toEqual(inputs.map((i) => i.label)); // shuffled
    const source = await openDataset(`${out}.rec`);
    expect([source.size, source.classes]).toEqual([8, 3]);
    source.close();
  });

  it('re-encodes non-JPEG images, refuses a corrupt one naming it, and --skip-bad-images leaves it out', async () => {
    const root = tmp();
    for (const [id, files] of [['a', ['1.png', '2.png']], ['b', ['1.png', 'bad.jpg']]] as const) {
      for (const f of files) {
        const path = join(root, id, f);
        (await import('node:fs')).mkdirSync(join(root, id), { recursive: true });
        writeFileSync(path, f === 'bad.jpg' ? Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]) : encodePng(renderFaceBytes(faceIdentity(1, id.charCodeAt(0)), 0, { imageSize: 24 }), 24, 24));
      }
    }
    await expect(packFolder(root, join(root, 'out'))).rejects.toThrow(new RegExp(`${join(root, 'b', 'bad.jpg')}: not a decodable image`));
    expect(readdirSync(root).sort()).toEqual(['a', 'b']); // nothing half-written
    const result = await packFolder(root, join(root, 'out'), { skipBadImages: true });
    expect(result).toMatchObject({ images: 3, classes: 2, reencoded: 3 });
    expect(result.skipped).toHaveLength(1);
    const source = openRecordIO({ kind: 'recordio', rec: join(root, 'out.rec'), idx: join(root, 'out.idx') });
    expect((await source.read(2)).image.width).toBe(24);
    source.close();
  });
});
