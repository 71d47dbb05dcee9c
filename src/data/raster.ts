// A small RGB rasteriser for the synthetic faces: shapes are signed distance functions (in pixels,
// negative inside) painted over a float canvas with analytic edge coverage, so edges are
// anti-aliased with one sample per pixel at any image size. Plus the whole-image passes a camera
// adds: Gaussian blur and sensor noise.

export type Rgb = readonly [number, number, number];

/** Row-major RGB, HWC, values in [0, 1] (clamped only when quantised). */
export interface Canvas {
  readonly width: number;
  readonly height: number;
  readonly rgb: Float32Array;
}

/** Pixel bounds, inclusive-exclusive. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A shape: its signed distance (pixels) at a point and the box outside which it is empty. */
export interface Shape {
  readonly sdf: (x: number, y: number) => number;
  readonly box: Box;
}

export function createCanvas(width: number, height: number): Canvas {
  return { width, height, rgb: new Float32Array(width * height * 3) };
}

/** A vertical two-colour gradient over the whole canvas. */
export function fillGradient(canvas: Canvas, top: Rgb, bottom: Rgb): void {
  const { width, height, rgb } = canvas;
  for (let y = 0; y < height; y++) {
    const t = (y + 0.5) / height;
    const r = top[0] + (bottom[0] - top[0]) * t;
    const g = top[1] + (bottom[1] - top[1]) * t;
    const b = top[2] + (bottom[2] - top[2]) * t;
    for (let x = 0, o = y * width * 3; x < width; x++, o += 3) {
      rgb[o] = r;
      rgb[o + 1] = g;
      rgb[o + 2] = b;
    }
  }
}

/** Calls visit(offset, coverage) for every pixel a soft shape covers: offset into canvas.rgb, coverage
 *  in (0, 1] from the signed distance, `feather` pixels wide at the edge (1 = a crisp anti-aliased
 *  edge; more = a soft blob, for shading). The one coverage loop of paint and shade. */
function cover(canvas: Canvas, shape: Shape, feather: number, visit: (o: number, alpha: number) => void): void {
  const { width } = canvas;
  const box = clipBox(shape.box, canvas, feather);
  const sdf = shape.sdf;
  const inverse = 1 / Math.max(1, feather);
  for (let y = box.y0; y < box.y1; y++) {
    const py = y + 0.5;
    for (let x = box.x0, o = (y * width + box.x0) * 3; x < box.x1; x++, o += 3) {
      const alpha = 0.5 - sdf(x + 0.5, py) * inverse;
      if (alpha > 0) visit(o, alpha > 1 ? 1 : alpha);
    }
  }
}

/** Blends `color` over the canvas where the shape is, with `opacity`; `feather` as in cover. */
export function paint(canvas: Canvas, shape: Shape, color: Rgb, opacity = 1, feather = 1): void {
  const { rgb } = canvas;
  const [r, g, b] = color;
  cover(canvas, shape, feather, (o, coverage) => {
    const alpha = coverage * opacity;
    rgb[o] += (r - rgb[o]) * alpha;
    rgb[o + 1] += (g - rgb[o + 1]) * alpha;
    rgb[o + 2] += (b - rgb[o + 2]) * alpha;
  });
}

/** Multiplies the colour under a soft shape by `factor` (< 1 darkens: shadows; > 1 lightens). */
export function shade(canvas: Canvas, shape: Shape, factor: number, feather: number): void {
  const { rgb } = canvas;
  cover(canvas, shape, feather, (o, coverage) => {
    const f = 1 + (factor - 1) * coverage;
    rgb[o] *= f;
    rgb[o + 1] *= f;
    rgb[o + 2] *= f;
  });
}

function clipBox(box: Box, canvas: Canvas, feather: number): Box {
  const pad = Math.ceil(Math.max(1, feather) / 2) + 1;
  return {
    x0: Math.max(0, Math.floor(box.x0) - pad),
    y0: Math.max(0, Math.floor(box.y0) - pad),
    x1: Math.min(canvas.width, Math.ceil(box.x1) + pad),
    y1: Math.min(canvas.height, Math.ceil(box.y1) + pad),
  };
}

// ---------------------------------------------------------------------------------------------
// Shapes. Angles in radians, positive = clockwise on screen (y points down).

/** An ellipse with semi-axes rx, ry rotated by `angle`. The distance is Quílez's first-order
 *  approximation: exact on the axes, close enough near the edge for coverage. */
export function ellipse(cx: number, cy: number, rx: number, ry: number, angle = 0): Shape {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const irx = 1 / Math.max(rx, 1e-3);
  const iry = 1 / Math.max(ry, 1e-3);
  return {
    sdf: (x, y) => {
      const dx = x - cx;
      const dy = y - cy;
      const u = (dx * c + dy * s) * irx;
      const v = (dy * c - dx * s) * iry;
      const k0 = Math.sqrt(u * u + v * v);
      const k1 = Math.sqrt(u * u * irx * irx + v * v * iry * iry);
      return k1 > 1e-9 ? (k0 * (k0 - 1)) / k1 : -Math.min(rx, ry);
    },
    box: rotatedBox(cx, cy, rx, ry, c, s),
  };
}

/** An egg: an ellipse whose half-width shrinks towards its lower end by up to `taper` (a jaw). */
export function egg(cx: number, cy: number, rx: number, ry: number, taper: number, angle = 0): Shape {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const base = ellipse(0, 0, rx, ry);
  return {
    sdf: (x, y) => {
      const dx = x - cx;
      const dy = y - cy;
      const u = dx * c + dy * s;
      const v = dy * c - dx * s;
      const t = v > 0 ? Math.min(1, v / ry) : 0;
      const narrowing = 1 - taper * t * t;
      return base.sdf(u / narrowing, v);
    },
    box: rotatedBox(cx, cy, rx, ry, c, s),
  };
}

/** A rectangle with half-sizes hw, hh and rounded corners of radius `round`. */
export function rect(cx: number, cy: number, hw: number, hh: number, angle = 0, round = 0): Shape {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const r = Math.min(round, hw, hh);
  const bx = hw - r;
  const by = hh - r;
  return {
    sdf: (x, y) => {
      const dx = x - cx;
      const dy = y - cy;
      const qx = Math.abs(dx * c + dy * s) - bx;
      const qy = Math.abs(dy * c - dx * s) - by;
      const ox = Math.max(qx, 0);
      const oy = Math.max(qy, 0);
      return Math.sqrt(ox * ox + oy * oy) + Math.min(Math.max(qx, qy), 0) - r;
    },
    box: rotatedBox(cx, cy, hw, hh, c, s),
  };
}

/** A thick polyline: every point within `radius` of one of its segments (round caps). */
export function stroke(points: ReadonlyArray<readonly [number, number]>, radius: number): Shape {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const segments = points.length - 1;
  return {
    sdf: (x, y) => {
      let best = Infinity;
      for (let k = 0; k < segments; k++) {
        const ax = xs[k];
        const ay = ys[k];
        const ex = xs[k + 1] - ax;
        const ey = ys[k + 1] - ay;
        const px = x - ax;
        const py = y - ay;
        const length2 = ex * ex + ey * ey;
        const h = length2 > 0 ? Math.min(1, Math.max(0, (px * ex + py * ey) / length2)) : 0;
        const qx = px - ex * h;
        const qy = py - ey * h;
        const d2 = qx * qx + qy * qy;
        if (d2 < best) best = d2;
      }
      return Math.sqrt(best) - radius;
    },
    box: {
      x0: Math.min(...xs) - radius,
      y0: Math.min(...ys) - radius,
      x1: Math.max(...xs) + radius,
      y1: Math.max(...ys) + radius,
    },
  };
}

/** The outline of a shape, `thickness` wide (a spectacle rim). */
export function ring(shape: Shape, thickness: number): Shape {
  const half = thickness / 2;
  const { x0, y0, x1, y1 } = shape.box;
  return {
    sdf: (x, y) => Math.abs(shape.sdf(x, y)) - half,
    box: { x0: x0 - half, y0: y0 - half, x1: x1 + half, y1: y1 + half },
  };
}

/** Points in both shapes. */
export function intersect(a: Shape, b: Shape): Shape {
  return {
    sdf: (x, y) => Math.max(a.sdf(x, y), b.sdf(x, y)),
    box: {
      x0: Math.max(a.box.x0, b.box.x0),
      y0: Math.max(a.box.y0, b.box.y0),
      x1: Math.min(a.box.x1, b.box.x1),
      y1: Math.min(a.box.y1, b.box.y1),
    },
  };
}

/** Points in `a` but not in `b`. */
export function subtract(a: Shape, b: Shape): Shape {
  return { sdf: (x, y) => Math.max(a.sdf(x, y), -b.sdf(x, y)), box: a.box };
}

/** The side of a curve y = f(x) (in a frame rotated by `angle` about (cx, cy)) where the frame's
 *  v < f(u): "above" a hairline. The distance is vertical, fine for gentle curves. */
export function above(cx: number, cy: number, angle: number, f: (u: number) => number, box: Box): Shape {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return {
    sdf: (x, y) => {
      const dx = x - cx;
      const dy = y - cy;
      const u = dx * c + dy * s;
      const v = dy * c - dx * s;
      return v - f(u);
    },
    box,
  };
}

function rotatedBox(cx: number, cy: number, hx: number, hy: number, c: number, s: number): Box {
  const ex = Math.sqrt(hx * hx * c * c + hy * hy * s * s);
  const ey = Math.sqrt(hx * hx * s * s + hy * hy * c * c);
  return { x0: cx - ex, y0: cy - ey, x1: cx + ex, y1: cy + ey };
}

// ---------------------------------------------------------------------------------------------
// Camera passes.

/** Separable Gaussian blur with standard deviation `sigma` pixels (edges clamped). */
export function gaussianBlur(canvas: Canvas, sigma: number): void {
  if (!(sigma > 0.2)) return;
  const radius = Math.min(Math.ceil(3 * sigma), Math.max(canvas.width, canvas.height));
  const kernel = new Float32Array(2 * radius + 1);
  let total = 0;
  for (let k = -radius; k <= radius; k++) total += kernel[k + radius] = Math.exp((-k * k) / (2 * sigma * sigma));
  for (let k = 0; k < kernel.length; k++) kernel[k] /= total;
  const { width, height, rgb } = canvas;
  const line = new Float32Array(Math.max(width, height) * 3);
  // Rows, then columns: copy one line out, convolve it back in.
  for (let y = 0; y < height; y++) convolveLine(rgb, y * width * 3, 3, width, kernel, radius, line);
  for (let x = 0; x < width; x++) convolveLine(rgb, x * 3, width * 3, height, kernel, radius, line);
}

function convolveLine(
  rgb: Float32Array, start: number, step: number, length: number,
  kernel: Float32Array, radius: number, line: Float32Array,
): void {
  for (let i = 0, o = start; i < length; i++, o += step) {
    line[3 * i] = rgb[o];
    line[3 * i + 1] = rgb[o + 1];
    line[3 * i + 2] = rgb[o + 2];
  }
  const last = length - 1;
  for (let i = 0, o = start; i < length; i++, o += step) {
    let r = 0;
    let g = 0;
    let b = 0;
    for (let k = -radius; k <= radius; k++) {
      let j = i + k;
      j = j < 0 ? 0 : j > last ? last : j;
      const w = kernel[k + radius];
      r += w * line[3 * j];
      g += w * line[3 * j + 1];
      b += w * line[3 * j + 2];
    }
    rgb[o] = r;
    rgb[o + 1] = g;
    rgb[o + 2] = b;
  }
}

/** Adds zero-mean, nearly Gaussian noise of standard deviation `sigma` to every channel: half of
 *  its variance shared by the three channels of a pixel (luminance noise), half per channel (colour
 *  noise). Each normal is the standardised sum of the four bytes of one 32-bit word of `uniform`
 *  (Irwin–Hall, n = 4: Gaussian in the bulk, tails cut at 3.5σ), several times cheaper than
 *  Box–Muller, which made noise the largest cost of a degraded image. */
export function addNoise(canvas: Canvas, sigma: number, uniform: () => number): void {
  if (!(sigma > 0)) return;
  const { rgb } = canvas;
  // Sum of four bytes: mean 510, variance 4 · (256² − 1)/12.
  const scale = (sigma * Math.SQRT1_2) / Math.sqrt((4 * (256 * 256 - 1)) / 12);
  const normal = (): number => {
    const w = uniform() * 4294967296;
    return (w & 255) + ((w >>> 8) & 255) + ((w >>> 16) & 255) + (w >>> 24) - 510;
  };
  for (let o = 0; o < rgb.length; o += 3) {
    const common = normal();
    rgb[o] += scale * (common + normal());
    rgb[o + 1] += scale * (common + normal());
    rgb[o + 2] += scale * (common + normal());
  }
}

/** Rounds to 8-bit RGB (what a camera file stores), clamping to [0, 1] first. */
export function quantise(canvas: Canvas, out: Uint8Array = new Uint8Array(canvas.rgb.length)): Uint8Array {
  const { rgb } = canvas;
  for (let k = 0; k < rgb.length; k++) {
    const v = rgb[k];
    out[k] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
  }
  return out;
}
