// Which JPEG decoder the codec and the loader use: the system's libjpeg-turbo (libturbojpeg.so.0,
// opened at run time by the addon, ~7× less CPU per 112×112 face than sharp) where it can be loaded,
// sharp everywhere else. sharp is the reference: libjpeg-turbo decodes only what gives sharp's
// pixels byte for byte (baseline/progressive YCbCr, RGB and grey JPEGs without an ICC profile) and
// declines the rest (PNG, WebP, ICC profiles, CMYK, unusual sampling), which sharp then decodes.
//
// TOPOFR_JPEG chooses: unset or `auto` → libjpeg-turbo when loadable, else sharp; `sharp` → sharp
// always; `libjpeg-turbo` → libjpeg-turbo, and an error where it cannot be loaded (CI uses it so the
// fast path is not silently skipped).
import { native, type NativeAddon } from '../native.js';
import { TopofrError, TopofrRangeError } from '../errors.js';

export type JpegDecoderName = 'libjpeg-turbo' | 'sharp';

export interface JpegDecoderInfo {
  decoder: JpegDecoderName;
  /** The library loaded, or why sharp decodes (TOPOFR_JPEG, the loader's error). */
  detail: string;
}

export type JpegOutcome =
  | { outcome: 'decoded'; data: Uint8Array; width: number; height: number }
  | { outcome: 'declined' | 'failed'; message: string };

/** The addon's decoding functions (native/addon/jpeg_binding.cc). */
export type TurboJpeg = Pick<NativeAddon, 'jpegDecode' | 'jpegDecodeBatch'>;

const CHOICES = ['auto', 'sharp', 'libjpeg-turbo'] as const;

function choice(): (typeof CHOICES)[number] {
  const value = process.env.TOPOFR_JPEG ?? 'auto';
  if (!(CHOICES as readonly string[]).includes(value))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `TOPOFR_JPEG must be one of ${CHOICES.join(', ')}, got ${JSON.stringify(value)}`);
  return value as (typeof CHOICES)[number];
}

function library(): { loaded: boolean; detail: string } {
  try {
    return native().jpegLibrary();
  } catch (err) {
    return { loaded: false, detail: (err as Error).message }; // no addon: sharp decodes
  }
}

/** The decoder in use now (reads TOPOFR_JPEG on every call; the library is opened once). */
export function jpegDecoder(): JpegDecoderInfo {
  const wanted = choice();
  if (wanted === 'sharp') return { decoder: 'sharp', detail: 'TOPOFR_JPEG=sharp' };
  const { loaded, detail } = library();
  if (loaded) return { decoder: 'libjpeg-turbo', detail };
  if (wanted === 'libjpeg-turbo')
    throw new TopofrError('ERR_TOPOFR_NO_NATIVE', `TOPOFR_JPEG=libjpeg-turbo, but it cannot be loaded (${detail}): install libturbojpeg0 or unset TOPOFR_JPEG`);
  return { decoder: 'sharp', detail: `libjpeg-turbo not loaded: ${detail}` };
}

/** libjpeg-turbo's functions when it is the decoder in use, else undefined. */
export function turboJpeg(decoder: JpegDecoderName = jpegDecoder().decoder): TurboJpeg | undefined {
  return decoder === 'libjpeg-turbo' ? native() : undefined;
}
