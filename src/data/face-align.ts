// Face alignment as insightface's IJB evaluation (arcface_torch eval_ijbc.py, TOPOFR.md §5.2) does
// it: the similarity transform that maps the 5 detected landmarks onto the ArcFace 112×112 template
// (skimage's SimilarityTransform.estimate, i.e. Umeyama's least squares with scale), then
// cv2.warpAffine(image, M, (112, 112), borderValue=0) with bilinear interpolation.
//
// * The similarity is Umeyama's estimate in closed form (for 2-D points the SVD reduces to one
//   angle): with centred points p (source) and q (target), s·cosθ = Σ(p·q)/Σ|p|², s·sinθ =
//   Σ(p × q)/Σ|p|², t = mean(q) − s·R·mean(p). Same optimum as skimage, in float64 (the script's
//   float32 landmarks make numpy run that step in float32; the matrices differ by ~1e−5 px, which
//   moves about 1 sample in 10⁴ into the neighbouring 1/32 px bin).
// * The warp reproduces OpenCV's fixed-point bilinear path (warpAffine + remap, OpenCV ≤ 4.10):
//   M is inverted in double, source coordinates are rounded to 1/32 px (AB_BITS 10, INTER_BITS 5,
//   round-half-even), the four weights are (32−fy)(32−fx)·32 … in units of 2^−15 (exact for
//   bilinear), the sum is rounded with +2^14 >> 15, and neighbours outside the image read the border
//   value 0 (a pixel whose whole neighbourhood is outside is 0). Byte-exact against cv2 4.6 in the
//   tests. OpenCV ≥ 4.11 has a float warp for this case, whose bytes can differ by 1.
import { TopofrRangeError } from '../errors.js';

/** The ArcFace 112×112 template: left eye, right eye, nose tip, left and right mouth corners —
 *  insightface's 96×112 reference points with x + 8, in float32 as eval_ijbc.py holds them. */
export const ARCFACE_TEMPLATE: readonly (readonly [number, number])[] = [
  [30.2946, 51.6963],
  [65.5318, 51.5014],
  [48.0252, 71.7366],
  [33.5493, 92.3655],
  [62.7299, 92.2041],
].map(([x, y]) => [Math.fround(Math.fround(x!) + 8), Math.fround(y!)] as const);

/** A 2×3 affine matrix, row-major: [a, b, tx, c, d, ty] maps (x, y) to (a·x + b·y + tx, c·x + d·y + ty). */
export type Affine = [number, number, number, number, number, number];

/**
 * The least-squares similarity (rotation, uniform scale, translation) taking `source` points onto
 * `target` points (skimage SimilarityTransform.estimate(source, target)). Points are [x, y] pairs;
 * at least 2, the same count on both sides. Throws when the source points all coincide.
 */
export function similarityTransform(source: readonly (readonly number[])[], target: readonly (readonly number[])[] = ARCFACE_TEMPLATE): Affine {
  const n = source.length;
  if (n < 2 || target.length !== n)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `similarityTransform: needs ≥ 2 source points and as many targets, got ${n} and ${target.length}`);
  let px = 0, py = 0, qx = 0, qy = 0;
  for (let i = 0; i < n; i++) {
    const [x, y] = source[i]!;
    const [u, v] = target[i]!;
    if (![x, y, u, v].every(Number.isFinite))
      throw new TopofrRangeError('ERR_TOPOFR_NON_FINITE', `similarityTransform: point ${i} is not finite`);
    px += x!; py += y!; qx += u!; qy += v!;
  }
  px /= n; py /= n; qx /= n; qy /= n;
  let dot = 0, cross = 0, norm = 0;
  for (let i = 0; i < n; i++) {
    const x = source[i]![0]! - px, y = source[i]![1]! - py;
    const u = target[i]![0]! - qx, v = target[i]![1]! - qy;
    dot += x * u + y * v;
    cross += x * v - y * u;
    norm += x * x + y * y;
  }
  if (!(norm > 0)) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', 'similarityTransform: the source points all coincide; no similarity is defined');
  const a = dot / norm, b = cross / norm; // s·cosθ, s·sinθ
  return [a, -b, qx - (a * px - b * py), b, a, qy - (b * px + a * py)];
}

/** OpenCV's cvRound for doubles: round half to even, saturated to int32. */
function cvRound(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  const r = d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
  return Math.max(-2147483648, Math.min(2147483647, r));
}

const AB_BITS = 10;
const AB_SCALE = 1 << AB_BITS;
const INTER_BITS = 5;
const INTER_TAB_SIZE = 1 << INTER_BITS;
const ROUND_DELTA = AB_SCALE / INTER_TAB_SIZE / 2;

/**
 * cv2.warpAffine(src, M, (width, height), flags=INTER_LINEAR, borderMode=BORDER_CONSTANT,
 * borderValue=0) for 8-bit HWC images with `channels` channels: output pixel (x, y) samples the
 * source at M⁻¹·(x, y).
 */
export function warpAffine(src: Uint8Array, srcWidth: number, srcHeight: number, channels: number, m: Affine, width: number, height: number): Uint8Array {
  if (src.length !== srcWidth * srcHeight * channels)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `warpAffine: ${src.length} bytes is not ${srcWidth}×${srcHeight}×${channels}`);
  // Invert M exactly as OpenCV does (double arithmetic, same order).
  let [m0, m1, m2, m3, m4, m5] = m;
  let det = m0 * m4 - m1 * m3;
  det = det !== 0 ? 1 / det : 0;
  const a11 = m4 * det, a22 = m0 * det;
  m0 = a11; m1 *= -det; m3 *= -det; m4 = a22;
  const b1 = -m0 * m2 - m1 * m5;
  const b2 = -m3 * m2 - m4 * m5;
  m2 = b1; m5 = b2;

  const out = new Uint8Array(width * height * channels);
  const adelta = Int32Array.from({ length: width }, (_, x) => cvRound(m0 * x * AB_SCALE));
  const bdelta = Int32Array.from({ length: width }, (_, x) => cvRound(m3 * x * AB_SCALE));
  const rowStride = srcWidth * channels;
  for (let y = 0; y < height; y++) {
    const x0 = cvRound((m1 * y + m2) * AB_SCALE) + ROUND_DELTA;
    const y0 = cvRound((m4 * y + m5) * AB_SCALE) + ROUND_DELTA;
    for (let x = 0; x < width; x++) {
      const X = (x0 + adelta[x]!) >> (AB_BITS - INTER_BITS);
      const Y = (y0 + bdelta[x]!) >> (AB_BITS - INTER_BITS);
      const sx = X >> INTER_BITS, sy = Y >> INTER_BITS;
      const fx = X & (INTER_TAB_SIZE - 1), fy = Y & (INTER_TAB_SIZE - 1);
      const w00 = (INTER_TAB_SIZE - fy) * (INTER_TAB_SIZE - fx) * 32, w01 = (INTER_TAB_SIZE - fy) * fx * 32;
      const w10 = fy * (INTER_TAB_SIZE - fx) * 32, w11 = fy * fx * 32;
      const o = (y * width + x) * channels;
      if (sx >= 0 && sx < srcWidth - 1 && sy >= 0 && sy < srcHeight - 1) {
        const p = sy * rowStride + sx * channels;
        for (let c = 0; c < channels; c++)
          out[o + c] = (src[p + c]! * w00 + src[p + channels + c]! * w01 + src[p + rowStride + c]! * w10 + src[p + rowStride + channels + c]! * w11 + (1 << 14)) >> 15;
      } else if (sx >= srcWidth || sx + 1 < 0 || sy >= srcHeight || sy + 1 < 0) {
        // whole neighbourhood outside: the border value, already 0
      } else {
        const inX0 = sx >= 0 && sx < srcWidth, inX1 = sx + 1 >= 0 && sx + 1 < srcWidth;
        const inY0 = sy >= 0 && sy < srcHeight, inY1 = sy + 1 >= 0 && sy + 1 < srcHeight;
        for (let c = 0; c < channels; c++) {
          const at = (yy: number, xx: number) => src[yy * rowStride + xx * channels + c]!;
          const v00 = inY0 && inX0 ? at(sy, sx) : 0, v01 = inY0 && inX1 ? at(sy, sx + 1) : 0;
          const v10 = inY1 && inX0 ? at(sy + 1, sx) : 0, v11 = inY1 && inX1 ? at(sy + 1, sx + 1) : 0;
          out[o + c] = (v00 * w00 + v01 * w01 + v10 * w10 + v11 * w11 + (1 << 14)) >> 15;
        }
      }
    }
  }
  return out;
}

/** The aligned 112×112 RGB crop of a face given its 5 landmarks (eval_ijbc.py's Embedding.get,
 *  before the flip). */
export function alignFace(rgb: Uint8Array, width: number, height: number, landmarks: readonly (readonly number[])[], size = 112): Uint8Array {
  return warpAffine(rgb, width, height, 3, similarityTransform(landmarks), size, size);
}
