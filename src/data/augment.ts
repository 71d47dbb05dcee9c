// What the loader does to one decoded sample: bring it to the training size (resizing, with a
// warning, when the source's images differ: insightface's sets are aligned 112×112 crops), mirror
// it when its flip is drawn, and normalise it as the official transform does, (x/255 − 0.5)/0.5.
import { resizeImage, type DecodedImage } from './image-codec.js';
import { bytesToUnit } from './render.js';

/** `image` at size × size: itself when it already is, else resized (`onResize` is told the first size seen). */
export async function fitSize(image: DecodedImage, size: number, onResize: (from: string) => void): Promise<Uint8Array> {
  if (image.width === size && image.height === size) return image.data;
  onResize(`${image.width}×${image.height}`);
  return (await resizeImage(image, size, size)).data;
}

/** Writes the normalised image (HWC, size × size × 3 bytes), mirrored left–right when `flip`, into
 *  `out` at `offset`. Mirroring the bytes and then normalising gives the same floats as the reverse. */
export function placeImage(rgb: Uint8Array, size: number, flip: boolean, out: Float32Array, offset: number): void {
  if (!flip) {
    bytesToUnit(rgb, out, offset);
    return;
  }
  const row = size * 3;
  const mirrored = new Uint8Array(rgb.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const from = y * row + (size - 1 - x) * 3, to = y * row + x * 3;
      mirrored[to] = rgb[from]!;
      mirrored[to + 1] = rgb[from + 1]!;
      mirrored[to + 2] = rgb[from + 2]!;
    }
  }
  bytesToUnit(mirrored, out, offset);
}
