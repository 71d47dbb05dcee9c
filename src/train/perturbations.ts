// The four image operations of RSP (TOPOFR.md §1.3 [CODE]), as the official train.py calls them:
// torchvision GaussianBlur, Grayscale and ColorJitter on the de-normalised [0, 1] image, and timm
// RandomErasing on the normalised [−1, 1] tensor. Images are one NHWC sample, RGB interleaved,
// values normalised as the official loader does (x/255 → (x − 0.5)/0.5). Every operation is a
// pure function: it returns a fresh Float32Array and never writes its input (src/train/rsp.ts
// decides whether an erasure also lands in the caller's batch, D3).
//
// The arithmetic is done in float64 and stored as float32; torchvision rounds to float32 after
// every step, so values agree to float32 rounding, not bit for bit. The random draws come from the
// caller's uniform source (src/util/random.ts), not from PyTorch's and Python's streams.
import { TopofrRangeError, TopofrTypeError } from '../errors.js';
import { describeValue, isFloat32Array } from '../util/check.js';

/** RGB: every image here has 3 interleaved channels. */
export const CHANNELS = 3;

// ── shared checks and the normalisation the official loader applies ──────────────────────────

/** Throws unless `img` is a Float32Array holding `count` images of h×w×3. Exported for rsp.ts. */
export function assertImages(img: unknown, count: number, h: number, w: number, fn: string): Float32Array {
  for (const [name, v, min] of [['n', count, 0], ['h', h, 1], ['w', w, 1]] as const)
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: ${name} must be an integer ≥ ${min}, got ${describeValue(v)}`);
  if (!isFloat32Array(img))
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: images must be a Float32Array (NHWC, RGB, values in [−1, 1])`);
  if (img.length !== count * h * w * CHANNELS)
    throw new TopofrRangeError(
      'ERR_TOPOFR_INVALID_SHAPE',
      `${fn}: got ${img.length} values but ${count}·${h}·${w}·3 = ${count * h * w * CHANNELS} (NHWC with 3 channels)`,
    );
  return img;
}

/** A caller's uniform source, checked on every draw: a value outside [0, 1) would pick no
 *  operation or an impossible box. Exported for rsp.ts. */
export function checkedUniform(source: unknown, fn: string): () => number {
  if (typeof source !== 'function')
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: the random source must be a function returning uniforms in [0, 1), got ${describeValue(source)}`);
  return () => {
    const u: unknown = source();
    if (typeof u !== 'number' || !(u >= 0 && u < 1))
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: the random source returned ${describeValue(u)}, not a number in [0, 1)`);
    return u;
  };
}

/** [−1, 1] → [0, 1]: the official code's `x·0.5 + 0.5` before a torchvision transform. */
function toUnit(img: Float32Array): Float64Array {
  const out = new Float64Array(img.length);
  for (let i = 0; i < img.length; i++) out[i] = img[i] * 0.5 + 0.5;
  return out;
}

/** [0, 1] → [−1, 1]: the official code's `(x − 0.5)/0.5` after it. */
function toSigned(unit: Float64Array): Float32Array {
  const out = new Float32Array(unit.length);
  for (let i = 0; i < unit.length; i++) out[i] = (unit[i] - 0.5) / 0.5;
  return out;
}

// ── A2: GaussianBlur(kernel_size=(5, 9), sigma=(0.1, 5)) ─────────────────────────────────────

/** torchvision's kernel_size=(5, 9) is (x, y): 5 taps along the width, 9 along the height. */
export const BLUR_TAPS = { x: 5, y: 9 } as const;
/** σ ~ U[0.1, 5], one σ for both axes (torchvision GaussianBlur.get_params). */
export const BLUR_SIGMA_RANGE = [0.1, 5.0] as const;

export function sampleBlurSigma(uniform: () => number): number {
  const [lo, hi] = BLUR_SIGMA_RANGE;
  return lo + (hi - lo) * uniform();
}

/** exp(−½(t/σ)²) on t = linspace(−(k−1)/2, (k−1)/2, k), normalised to sum 1. */
export function gaussianKernel1d(taps: number, sigma: number): Float64Array {
  const kernel = new Float64Array(taps);
  let sum = 0;
  for (let i = 0; i < taps; i++) {
    const t = i - (taps - 1) / 2;
    kernel[i] = Math.exp(-0.5 * (t / sigma) ** 2);
    sum += kernel[i];
  }
  for (let i = 0; i < taps; i++) kernel[i] /= sum;
  return kernel;
}

/**
 * Reflect padding ('reflect': mirror about the edge pixel, which is not repeated), extended to any
 * offset by folding again, i.e. index i read on the period-2(n−1) mirror of 0..n−1 (n = 1: always
 * 0). Where torchvision is defined (pad < n: width ≥ 3, height ≥ 5 for this kernel) this is its
 * single reflection; on smaller images torch raises, and folding keeps the operation defined,
 * symmetric, and a constant image constant.
 */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const k = ((i % period) + period) % period;
  return k < n ? k : period - k;
}

/** Blur one h×w RGB image: separable y ⊗ x kernel, reflect padding, on the de-normalised image. */
export function gaussianBlur(img: Float32Array, h: number, w: number, sigma: number): Float32Array {
  assertImages(img, 1, h, w, 'gaussianBlur');
  if (typeof sigma !== 'number' || !(sigma > 0) || !Number.isFinite(sigma))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `gaussianBlur: sigma must be a finite number > 0, got ${describeValue(sigma)}`);
  const kx = gaussianKernel1d(BLUR_TAPS.x, sigma);
  const ky = gaussianKernel1d(BLUR_TAPS.y, sigma);
  const rx = (BLUR_TAPS.x - 1) / 2;
  const ry = (BLUR_TAPS.y - 1) / 2;
  const src = toUnit(img);
  const rows = new Float64Array(src.length); // after the horizontal pass
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < CHANNELS; c++) {
        let acc = 0;
        for (let t = 0; t < BLUR_TAPS.x; t++) acc += kx[t] * src[(y * w + reflectIndex(x + t - rx, w)) * CHANNELS + c];
        rows[(y * w + x) * CHANNELS + c] = acc;
      }
  const out = new Float64Array(src.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < CHANNELS; c++) {
        let acc = 0;
        for (let t = 0; t < BLUR_TAPS.y; t++) acc += ky[t] * rows[(reflectIndex(y + t - ry, h) * w + x) * CHANNELS + c];
        out[(y * w + x) * CHANNELS + c] = acc;
      }
  return toSigned(out);
}

// ── A3: Grayscale(num_output_channels=3) ─────────────────────────────────────────────────────

/** torchvision rgb_to_grayscale weights (ITU-R 601-2 luma). */
export const LUMA = [0.2989, 0.587, 0.114] as const;

/** Luma of each pixel of a [0, 1] image, one value per pixel (no clamp: torchvision has none). */
function luma(rgb: Float64Array): Float64Array {
  const out = new Float64Array(rgb.length / CHANNELS);
  for (let p = 0; p < out.length; p++) out[p] = LUMA[0] * rgb[3 * p] + LUMA[1] * rgb[3 * p + 1] + LUMA[2] * rgb[3 * p + 2];
  return out;
}

export function grayscale(img: Float32Array, h: number, w: number): Float32Array {
  assertImages(img, 1, h, w, 'grayscale');
  const unit = toUnit(img);
  const gray = luma(unit);
  for (let p = 0; p < gray.length; p++) unit[3 * p] = unit[3 * p + 1] = unit[3 * p + 2] = gray[p];
  return toSigned(unit);
}

// ── A4: ColorJitter(brightness=[0.1,0.5], contrast=[0.3,0.6], saturation=[0.2,0.5], hue=[−0.1,0.3]) ──
// The unit-range operations below take and return interleaved RGB in [0, 1] (float64), the
// semantics of torchvision's functional ops on float tensors.

export type JitterOp = 'brightness' | 'contrast' | 'saturation' | 'hue';
/** torchvision's fn_id order: randperm(4) indexes this list. */
export const JITTER_OPS: readonly JitterOp[] = ['brightness', 'contrast', 'saturation', 'hue'];
export const COLOR_JITTER_RANGES: Readonly<Record<JitterOp, readonly [number, number]>> = {
  brightness: [0.1, 0.5],
  contrast: [0.3, 0.6],
  saturation: [0.2, 0.5],
  hue: [-0.1, 0.3],
};

export interface ColorJitterParams {
  /** The order the four operations run in (a permutation of JITTER_OPS). */
  order: JitterOp[];
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
}

/** ColorJitter.get_params: a random permutation (Fisher–Yates), then b, c, s, h uniform in range. */
export function sampleColorJitter(uniform: () => number): ColorJitterParams {
  const order = [...JITTER_OPS];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const draw = (op: JitterOp) => COLOR_JITTER_RANGES[op][0] + (COLOR_JITTER_RANGES[op][1] - COLOR_JITTER_RANGES[op][0]) * uniform();
  return { order, brightness: draw('brightness'), contrast: draw('contrast'), saturation: draw('saturation'), hue: draw('hue') };
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** x·b, clamped to [0, 1]. */
export function adjustBrightness(rgb: Float64Array, factor: number): Float64Array {
  return rgb.map((v) => clamp01(factor * v));
}

/** c·x + (1 − c)·m, clamped, m = the mean luma of the whole image. */
export function adjustContrast(rgb: Float64Array, factor: number): Float64Array {
  const gray = luma(rgb);
  let mean = 0;
  for (const g of gray) mean += g;
  mean /= gray.length;
  return rgb.map((v) => clamp01(factor * v + (1 - factor) * mean));
}

/** s·x + (1 − s)·luma(pixel), clamped. */
export function adjustSaturation(rgb: Float64Array, factor: number): Float64Array {
  const gray = luma(rgb);
  return rgb.map((v, i) => clamp01(factor * v + (1 - factor) * gray[Math.floor(i / CHANNELS)]));
}

/** torchvision _rgb2hsv: H in [0, 1) (H = 0 for gray pixels), S = range/max, V = max. */
export function rgbToHsv(rgb: Float64Array): Float64Array {
  const hsv = new Float64Array(rgb.length);
  for (let p = 0; p < rgb.length; p += 3) {
    const r = rgb[p], g = rgb[p + 1], b = rgb[p + 2];
    const max = Math.max(r, g, b), min = Math.min(r, g, b);
    const range = max - min;
    const flat = max === min;
    const divisor = flat ? 1 : range;
    const rc = (max - r) / divisor, gc = (max - g) / divisor, bc = (max - b) / divisor;
    // Ties go to red, then green, as torchvision's masks (max == r) and (max == g & max != r).
    const sector = max === r ? bc - gc : max === g ? 2 + rc - bc : 4 + gc - rc;
    const hue = (sector / 6 + 1) % 1; // fmod of a positive number
    hsv[p] = hue;
    hsv[p + 1] = range / (flat ? 1 : max);
    hsv[p + 2] = max;
  }
  return hsv;
}

/** torchvision _hsv2rgb: sector i = ⌊6H⌋ mod 6, p/q/t clamped to [0, 1]. */
export function hsvToRgb(hsv: Float64Array): Float64Array {
  const rgb = new Float64Array(hsv.length);
  for (let p = 0; p < hsv.length; p += 3) {
    const h = hsv[p], s = hsv[p + 1], v = hsv[p + 2];
    const i6 = Math.floor(h * 6);
    const f = h * 6 - i6;
    const lo = clamp01(v * (1 - s));
    const q = clamp01(v * (1 - s * f));
    const t = clamp01(v * (1 - s * (1 - f)));
    const sector = ((i6 % 6) + 6) % 6;
    const [r, g, b] = [[v, t, lo], [q, v, lo], [lo, v, t], [lo, q, v], [t, lo, v], [v, lo, q]][sector];
    rgb[p] = r;
    rgb[p + 1] = g;
    rgb[p + 2] = b;
  }
  return rgb;
}

/** RGB → HSV, H ← (H + h) mod 1 (floored, as torch's %), → RGB. */
export function adjustHue(rgb: Float64Array, factor: number): Float64Array {
  const hsv = rgbToHsv(rgb);
  for (let p = 0; p < hsv.length; p += 3) {
    const shifted = hsv[p] + factor;
    hsv[p] = shifted - Math.floor(shifted);
  }
  return hsvToRgb(hsv);
}

const JITTER_FNS: Record<JitterOp, (rgb: Float64Array, factor: number) => Float64Array> = {
  brightness: adjustBrightness,
  contrast: adjustContrast,
  saturation: adjustSaturation,
  hue: adjustHue,
};

/** Parameters as sampleColorJitter draws them: the order a permutation of the four operations,
 *  each factor a finite number (brightness, contrast, saturation ≥ 0; hue in [−0.5, 0.5]). */
function checkJitter(params: unknown): ColorJitterParams {
  const fn = 'colorJitter';
  if (typeof params !== 'object' || params === null)
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: params must be { order, brightness, contrast, saturation, hue } (see sampleColorJitter), got ${describeValue(params)}`);
  const p = params as ColorJitterParams;
  const order: unknown = p.order;
  if (!Array.isArray(order) || order.length !== JITTER_OPS.length || !JITTER_OPS.every((op) => order.includes(op)))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: params.order must be a permutation of ${JITTER_OPS.join(', ')}, got ${describeValue(order)}`);
  for (const op of JITTER_OPS) {
    const v: unknown = p[op];
    const range = op === 'hue' ? [-0.5, 0.5] : [0, Infinity];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < range[0]! || v > range[1]!)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: params.${op} must be a finite number in [${range[0]}, ${range[1]}], got ${describeValue(v)}`);
  }
  return p;
}

/** The four operations in `params.order` on the de-normalised image, then re-normalised. */
export function colorJitter(img: Float32Array, h: number, w: number, params: ColorJitterParams): Float32Array {
  assertImages(img, 1, h, w, 'colorJitter');
  checkJitter(params);
  let unit = toUnit(img);
  for (const op of params.order) unit = JITTER_FNS[op](unit, params[op]);
  return toSigned(unit);
}

// ── A1: timm RandomErasing(probability=1), mode 'const', count 1 ─────────────────────────────

export const ERASING = { minArea: 0.02, maxArea: 1 / 3, minAspect: 0.3, maxAspect: 1 / 0.3, attempts: 10 } as const;

/** The accepted block, with the draws that made it (for the trainer's log). */
export interface ErasingBox {
  top: number;
  left: number;
  height: number;
  width: number;
  /** The drawn target area as a fraction of h·w, U[0.02, 1/3]. */
  areaFraction: number;
  /** The drawn aspect (height/width), log-uniform in [0.3, 1/0.3]. */
  aspect: number;
  /** Which attempt (1..10) was accepted. */
  attempt: number;
}

/** Python's round(): to nearest, ties to even (timm's int(round(...))). */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff !== 0.5) return diff < 0.5 ? floor : floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * timm's box search: up to 10 attempts of area = U(0.02, 1/3)·h·w, aspect = exp(U(ln 0.3, ln 1/0.3)),
 * height = round(√(area·aspect)), width = round(√(area/aspect)); the first with height < h and
 * width < w is accepted, top ~ randint[0, h − height], left ~ randint[0, w − width]. Null when all
 * attempts fail. On tiny images an accepted box can have zero height or width (timm accepts it and
 * erases nothing).
 */
export function sampleErasingBox(h: number, w: number, uniform: () => number): ErasingBox | null {
  const logMin = Math.log(ERASING.minAspect), logMax = Math.log(ERASING.maxAspect);
  for (let attempt = 1; attempt <= ERASING.attempts; attempt++) {
    const areaFraction = ERASING.minArea + (ERASING.maxArea - ERASING.minArea) * uniform();
    const aspect = Math.exp(logMin + (logMax - logMin) * uniform());
    const area = areaFraction * h * w;
    const height = roundHalfEven(Math.sqrt(area * aspect));
    const width = roundHalfEven(Math.sqrt(area / aspect));
    if (height < h && width < w) {
      const top = Math.floor(uniform() * (h - height + 1));
      const left = Math.floor(uniform() * (w - width + 1));
      return { top, left, height, width, areaFraction, aspect, attempt };
    }
  }
  return null;
}

/** A copy of the normalised image with the box set to 0 in all 3 channels (timm mode 'const'). */
export function eraseBox(img: Float32Array, h: number, w: number, box: ErasingBox | null): Float32Array {
  assertImages(img, 1, h, w, 'eraseBox');
  const out = img.slice();
  if (box === null) return out;
  for (let y = box.top; y < box.top + box.height; y++)
    out.fill(0, (y * w + box.left) * CHANNELS, (y * w + box.left + box.width) * CHANNELS);
  return out;
}

/** RandomErasing(probability=1) on one normalised image: draw a box, erase it. */
export function randomErasing(img: Float32Array, h: number, w: number, uniform: () => number): { image: Float32Array; box: ErasingBox | null } {
  assertImages(img, 1, h, w, 'randomErasing');
  const box = sampleErasingBox(h, w, checkedUniform(uniform, 'randomErasing'));
  return { image: eraseBox(img, h, w, box), box };
}
