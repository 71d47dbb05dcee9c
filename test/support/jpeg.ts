// Shared by the JPEG decoder tests: whether the system's libjpeg-turbo is loaded, and running a body
// with TOPOFR_JPEG set (the loader and decodeImage read it when they start / on each call).
import { native } from '../../src/native.js';

export const turboLoaded = ((): boolean => {
  try {
    return native().jpegLibrary().loaded;
  } catch {
    return false; // no addon: sharp decodes
  }
})();

export async function withJpeg<T>(value: string | undefined, body: () => Promise<T>): Promise<T> {
  const before = process.env.TOPOFR_JPEG;
  if (value === undefined) delete process.env.TOPOFR_JPEG;
  else process.env.TOPOFR_JPEG = value;
  try {
    return await body();
  } finally {
    if (before === undefined) delete process.env.TOPOFR_JPEG;
    else process.env.TOPOFR_JPEG = before;
  }
}
