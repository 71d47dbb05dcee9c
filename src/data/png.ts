// A minimal PNG encoder (8-bit RGB, no interlace, zlib from node:zlib): enough to look at
// synthetic faces and to put image grids into reports without an image library.
import { crc32, deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { TopofrRangeError } from '../errors.js';

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** PNG file bytes of an RGB image stored row-major, HWC, 3 bytes per pixel. */
export function encodePng(rgb: Uint8Array, width: number, height: number): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || rgb.length !== width * height * 3)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE',
      `encodePng: expected ${width}×${height}×3 = ${width * height * 3} bytes, got ${rgb.length}`);
  // Each row starts with its filter type (0: none).
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type 2 (RGB), deflate, filter 0, no interlace
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

export function writePng(path: string, rgb: Uint8Array, width: number, height: number): void {
  writeFileSync(path, encodePng(rgb, width, height));
}

/** Float RGB in [−1, 1] (the network's input range) back to bytes, for viewing. */
export function unitToBytes(image: Float32Array): Uint8Array {
  const out = new Uint8Array(image.length);
  for (let k = 0; k < image.length; k++) out[k] = Math.max(0, Math.min(255, Math.round((image[k] * 0.5 + 0.5) * 255)));
  return out;
}

/** Tiles equal-sized RGB images (row-major order) into one grid image with `gap` pixels between. */
export function tileImages(images: readonly Uint8Array[], size: number, columns: number, gap = 2):
  { rgb: Uint8Array; width: number; height: number } {
  const rows = Math.ceil(images.length / columns);
  const width = columns * size + (columns - 1) * gap;
  const height = rows * size + (rows - 1) * gap;
  const rgb = new Uint8Array(width * height * 3).fill(255);
  images.forEach((image, i) => {
    const ox = (i % columns) * (size + gap);
    const oy = Math.floor(i / columns) * (size + gap);
    for (let y = 0; y < size; y++) rgb.set(image.subarray(y * size * 3, (y + 1) * size * 3), ((oy + y) * width + ox) * 3);
  });
  return { rgb, width, height };
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
