// The one place images are decoded and encoded: JPEG/PNG (and whatever else libvips reads) to 8-bit
// RGB, and RGB to JPEG. Backed by sharp (prebuilt libvips from npm, no install script, no compiler);
// JPEGs are decoded by the system's libjpeg-turbo instead where the addon can load it, with sharp's
// pixels exactly (jpeg-turbo.ts). docs/decisions.md says why, with the measurements.
//
// Every call is asynchronous (libvips works on libuv's thread pool); the data loader runs these
// calls inside its worker threads. Errors are typed and name the image's origin (a file, or a
// file and byte offset inside a .rec), never sharp's bare message alone.
import sharp from 'sharp';
import { turboJpeg } from './jpeg-turbo.js';
import { TopofrRangeError, TopofrTypeError } from '../errors.js';

/** An 8-bit RGB image, row-major HWC: `data.length === width · height · 3`. */
export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
}

// libvips' own operation cache holds recent pipelines and their pixels: useless for a loader that
// reads every image once per epoch, and it would grow the process by its budget.
sharp.cache(false);

/** Decodes an encoded image (JPEG, PNG, WebP, …) to RGB. Grey and CMYK images are converted to
 *  sRGB, alpha is dropped. `origin` names the image in errors (e.g. "train.rec @ 1234"). A file that
 *  is truncated or corrupt anywhere fails (libvips' and libjpeg-turbo's warnings are errors here): a
 *  half-decoded face would train silently on garbage. */
export async function decodeImage(bytes: Uint8Array, origin = 'image'): Promise<DecodedImage> {
  if (!(bytes instanceof Uint8Array))
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `decodeImage: ${origin}: expected the encoded bytes as a Uint8Array`);
  if (bytes.length === 0) throw new TopofrRangeError('ERR_TOPOFR_PARSE', `${origin}: empty image (0 bytes)`);
  const fast = turboJpeg()?.jpegDecode(bytes);
  if (fast?.outcome === 'decoded') return { data: fast.data, width: fast.width, height: fast.height };
  // Declined (not for libjpeg-turbo) or failed: sharp decodes, or it cannot either. The reason given
  // is libjpeg-turbo's where it failed (sharp's text for one file varies from call to call).
  try {
    return await sharpDecode(bytes);
  } catch (err) {
    const reason = fast?.outcome === 'failed' ? `libjpeg-turbo: ${fast.message}` : firstLine(err);
    throw new TopofrRangeError('ERR_TOPOFR_PARSE', `${origin}: not a decodable image (${reason})`);
  }
}

/** sharp's decode, the reference (and the fallback of the libjpeg-turbo path). */
export async function sharpDecode(bytes: Uint8Array): Promise<DecodedImage> {
  const { data, info } = await sharp(bytes, { failOn: 'warning' }).toColourspace('srgb').removeAlpha().raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** Resizes RGB to `width` × `height` (bilinear-family, libvips' default kernel for shrinking). */
export async function resizeImage(image: DecodedImage, width: number, height: number): Promise<DecodedImage> {
  checkRgb(image.data, image.width, image.height, 'resizeImage');
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' }).raw().toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height };
}

/** Encodes RGB (HWC) as a baseline JPEG, 4:2:0 chroma, at `quality` (1–100; cv2's and insightface's
 *  default is 95). */
export async function encodeJpeg(rgb: Uint8Array, width: number, height: number, quality = 95): Promise<Uint8Array> {
  checkRgb(rgb, width, height, 'encodeJpeg');
  if (!Number.isInteger(quality) || quality < 1 || quality > 100)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `encodeJpeg: quality must be an integer in [1, 100], got ${String(quality)}`);
  const data = await sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality, chromaSubsampling: '4:2:0' }).toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

function checkRgb(rgb: Uint8Array, width: number, height: number, fn: string): void {
  if (!(rgb instanceof Uint8Array)) throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: pixels must be a Uint8Array`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || rgb.length !== width * height * 3)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: expected ${width}×${height}×3 = ${width * height * 3} bytes, got ${rgb.length}`);
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
