import { jpegDecoder } from './data/jpeg-turbo.js';
import { native } from './native.js';
import type { Capabilities } from './types.js';

/** What this build and machine offer: CUDA (compiled in? devices?), compute threads, GEMM backend,
 *  the JPEG decoder. */
export function capabilities(): Capabilities {
  return { ...native().capabilities(), jpeg: jpegDecoder() };
}
