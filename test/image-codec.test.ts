import { describe, expect, it } from 'vitest';
import { crc32, deflateSync } from 'node:zlib';
import { decodeImage, encodeJpeg, resizeImage } from '../src/data/image-codec.js';
import { encodePng } from '../src/data/png.js';
import { renderFaceBytes, faceIdentity } from '../src/data/synthetic-faces.js';
import { TopofrRangeError } from '../src/errors.js';

const face = (size: number, sample = 0): Uint8Array => renderFaceBytes(faceIdentity(5, 1), sample, { imageSize: size });

function meanAbs(a: Uint8Array, b: Uint8Array): number {
  let total = 0;
  for (let k = 0; k < a.length; k++) total += Math.abs(a[k]! - b[k]!);
  return total / a.length;
}

describe('image codec (sharp)', () => {
  it('decodes a PNG written by the project\'s own encoder exactly (lossless)', async () => {
    const rgb = face(48);
    const decoded = await decodeImage(encodePng(rgb, 48, 48));
    expect([decoded.width, decoded.height]).toEqual([48, 48]);
    expect(Buffer.from(decoded.data).equals(Buffer.from(rgb))).toBe(true);
  });

  it('round-trips a face through JPEG q95 within a JPEG\'s error, and lower quality is smaller and worse', async () => {
    const rgb = face(112);
    const q95 = await encodeJpeg(rgb, 112, 112, 95);
    const q30 = await encodeJpeg(rgb, 112, 112, 30);
    expect([q95[0], q95[1], q95[q95.length - 2], q95[q95.length - 1]]).toEqual([0xff, 0xd8, 0xff, 0xd9]); // SOI … EOI
    expect(q30.length).toBeLessThan(q95.length);
    const back95 = await decodeImage(q95);
    const back30 = await decodeImage(q30);
    expect(back95.data.length).toBe(112 * 112 * 3);
    expect(meanAbs(back95.data, rgb)).toBeLessThan(2);
    expect(meanAbs(back30.data, rgb)).toBeGreaterThan(meanAbs(back95.data, rgb));
  });

  it('gives RGB for a grey PNG (colour type 0)', async () => {
    // A 4×2 8-bit grey PNG built by hand: each row starts with filter byte 0.
    const grey = [0, 50, 100, 150, 200, 250, 25, 75];
    const raw = Buffer.from([0, ...grey.slice(0, 4), 0, ...grey.slice(4)]);
    const decoded = await decodeImage(greyPng(4, 2, raw));
    expect(decoded.data.length).toBe(4 * 2 * 3);
    for (let p = 0; p < 8; p++) for (let c = 0; c < 3; c++) expect(decoded.data[p * 3 + c]).toBe(grey[p]);
  });

  it('refuses corrupt and truncated images with a typed error naming the origin', async () => {
    const jpeg = await encodeJpeg(face(64), 64, 64);
    const truncated = jpeg.subarray(0, jpeg.length >> 1);
    await expect(decodeImage(truncated, 'faces/7/a.jpg')).rejects.toThrow(TopofrRangeError);
    await expect(decodeImage(truncated, 'faces/7/a.jpg')).rejects.toThrow(/faces\/7\/a\.jpg: not a decodable image/);
    const garbage = Uint8Array.from({ length: 500 }, (_, k) => (k * 37) & 255);
    await expect(decodeImage(garbage, 'train.rec @ 4096')).rejects.toMatchObject({ code: 'ERR_TOPOFR_PARSE', message: expect.stringContaining('train.rec @ 4096') });
    await expect(decodeImage(new Uint8Array(0), 'x')).rejects.toThrow(/empty image/);
  });

  it('resizes and validates shapes', async () => {
    const small = await resizeImage({ data: face(112), width: 112, height: 112 }, 56, 56);
    expect([small.width, small.height, small.data.length]).toEqual([56, 56, 56 * 56 * 3]);
    await expect(encodeJpeg(new Uint8Array(10), 2, 2)).rejects.toThrow(/expected 2×2×3 = 12 bytes/);
    await expect(encodeJpeg(new Uint8Array(12), 2, 2, 101)).rejects.toThrow(/quality/);
  });
});

/** A minimal 8-bit greyscale PNG (colour type 0), so the decoder sees a layout encodePng never writes. */
function greyPng(width: number, height: number, raw: Buffer): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'ascii');
    data.copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
