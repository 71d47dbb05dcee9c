// Renders one photo of a synthetic identity: the identity's face (identity.ts) seen through one
// sample's nuisance (nuisance.ts), painted back to front with the shapes of raster.ts, then lit,
// exposed, blurred, noised and quantised to 8 bits like a camera file.
//
// Pose is a small 3-D model: features sit on an ellipsoid head (depth 1.15 × its half-width, the
// nose and lips standing out of it), yaw and pitch rotate that head and an orthographic camera
// projects it, so a turned face shows its features shifted towards one side and foreshortened on
// the far side; roll, scale and shift then place it in the image.
import type { FaceIdentity } from './identity.js';
import { clamp01, isFaceIdentity, mixRgb } from './identity.js';
import { faceNuisance, type FaceNuisance, type Occluder } from './nuisance.js';
import {
  above, addNoise, createCanvas, egg, ellipse, fillGradient, gaussianBlur, intersect, paint, quantise, rect, ring,
  shade, stroke, subtract, type Canvas, type Rgb, type Shape,
} from './raster.js';
import { mixSeed, mulberry32 } from '../util/random.js';
import { STREAM } from './seed.js';
import { TopofrRangeError, TopofrTypeError } from '../errors.js';
import { describeValue, optionsArg } from '../util/check.js';

export interface RenderOptions {
  /** Side of the square image in pixels (≥ 16); default 112, the ArcFace crop. */
  imageSize?: number;
  /** Nuisance scale in [0, 1] (see nuisance.ts); default 0.5. */
  hardness?: number;
}

export const DEFAULT_IMAGE_SIZE = 112;
export const DEFAULT_HARDNESS = 0.5;
/** The face centre's height in the image (fraction of the side): eyes, nose tip and mouth then
 *  land near the ArcFace template's landmarks. */
const FACE_CENTRE_Y = 0.55;

/** One image as 8-bit RGB, HWC, imageSize² × 3 bytes, written into `out` when given. */
export function renderFaceBytes(identity: FaceIdentity, sampleSeed: number, options: RenderOptions = {},
  out?: Uint8Array): Uint8Array {
  const { imageSize, hardness } = checkRenderOptions(options, 'renderFaceBytes');
  const notAnIdentity = () => new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE',
    `renderFace: identity must be a FaceIdentity (split.identities, faceIdentity()), got ${describeValue(identity)}`);
  if (typeof identity !== 'object' || identity === null || !Number.isInteger(identity.seed)) throw notAnIdentity();
  if (typeof sampleSeed !== 'number' || !Number.isInteger(sampleSeed))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `renderFace: sampleSeed must be an integer, got ${describeValue(sampleSeed)}`);
  if (out && out.length !== imageSize * imageSize * 3)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `renderFaceBytes: out must hold ${imageSize * imageSize * 3} bytes, got ${out.length}`);
  const draw = () => {
    const nuisance = faceNuisance(identity, sampleSeed, hardness);
    const canvas = scratchCanvas(imageSize);
    drawFace(canvas, identity, nuisance, mixSeed(STREAM.noise, identity.seed, sampleSeed));
    return quantise(canvas, out);
  };
  if (isFaceIdentity(identity)) return draw();
  // Not made here (cloned from a worker, or hand-made): a missing field shows up while drawing.
  try {
    return draw();
  } catch (err) {
    if (err instanceof TypeError) throw notAnIdentity();
    throw err;
  }
}

/** The float canvas is scratch space, reused from one render to the next (rendering is
 *  synchronous): ~150 KB at 112² that would otherwise be garbage after every image. */
let scratch: Canvas | undefined;
function scratchCanvas(size: number): Canvas {
  if (!scratch || scratch.width !== size) scratch = createCanvas(size, size);
  return scratch;
}

/** One image as float32 RGB, HWC, in [−1, 1]: the official normalisation (x/255 − 0.5)/0.5 of the
 *  8-bit image of renderFaceBytes. */
export function renderFace(identity: FaceIdentity, sampleSeed: number, options: RenderOptions = {}): Float32Array {
  return bytesToUnit(renderFaceBytes(identity, sampleSeed, options));
}

/** (x/255 − 0.5)/0.5 for every byte x, into `out` at `offset`. */
export function bytesToUnit<T extends Float32Array<ArrayBufferLike> = Float32Array<ArrayBuffer>>(bytes: Uint8Array, out: T = new Float32Array(bytes.length) as T, offset = 0): T {
  for (let k = 0; k < bytes.length; k++) out[offset + k] = NORMALISED[bytes[k]];
  return out;
}

const NORMALISED = Float32Array.from({ length: 256 }, (_, x) => (x / 255 - 0.5) / 0.5);

export function checkRenderOptions(options: RenderOptions, fn: string): Required<RenderOptions> {
  const { imageSize = DEFAULT_IMAGE_SIZE, hardness = DEFAULT_HARDNESS } = optionsArg<RenderOptions>(options, fn);
  if (!Number.isInteger(imageSize) || imageSize < 16 || imageSize > 4096)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: imageSize must be an integer in [16, 4096], got ${describeValue(imageSize)}`);
  if (typeof hardness !== 'number' || !(hardness >= 0 && hardness <= 1))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: hardness must be a number in [0, 1], got ${describeValue(hardness)}`);
  return { imageSize, hardness };
}

// ---------------------------------------------------------------------------------------------

/** A point of the head in pixels, with the local axes (pixels per face unit) of the surface there
 *  and how much of it faces the camera (≤ 0: turned away). */
interface Frame {
  x: number;
  y: number;
  ex: readonly [number, number];
  ey: readonly [number, number];
  facing: number;
}

class Camera {
  readonly pixelsPerUnit: number;
  readonly roll: number;
  private readonly cx: number;
  private readonly cy: number;
  private readonly cosRoll: number;
  private readonly sinRoll: number;
  private readonly cosYaw: number;
  private readonly sinYaw: number;
  private readonly cosPitch: number;
  private readonly sinPitch: number;
  private readonly rx: number;
  private readonly ry: number;
  readonly rz: number;

  constructor(identity: FaceIdentity, nuisance: FaceNuisance, size: number) {
    this.pixelsPerUnit = nuisance.scale * size;
    this.roll = nuisance.roll;
    this.cx = (0.5 + nuisance.shiftX) * size;
    this.cy = (FACE_CENTRE_Y + nuisance.shiftY) * size;
    this.cosRoll = Math.cos(nuisance.roll);
    this.sinRoll = Math.sin(nuisance.roll);
    this.cosYaw = Math.cos(nuisance.yaw);
    this.sinYaw = Math.sin(nuisance.yaw);
    this.cosPitch = Math.cos(nuisance.pitch);
    this.sinPitch = Math.sin(nuisance.pitch);
    this.rx = identity.face.rx;
    this.ry = identity.face.ry;
    this.rz = 1.15 * identity.face.rx;
  }

  /** Face-plane units (x, y from the face centre, y down) to pixels: roll, scale, shift only. */
  flat(x: number, y: number): [number, number] {
    const k = this.pixelsPerUnit;
    return [this.cx + k * (this.cosRoll * x - this.sinRoll * y), this.cy + k * (this.sinRoll * x + this.cosRoll * y)];
  }

  /** The point (x, y) on the head's surface, `depth` in front of it, rotated and projected:
   *  [pixel x, pixel y, depth towards the camera]. */
  project(x: number, y: number, depth = 0): [number, number, number] {
    const u = x / this.rx;
    const v = y / this.ry;
    const z = this.rz * Math.sqrt(Math.max(0, 1 - u * u - v * v)) + depth;
    const x1 = x * this.cosYaw + z * this.sinYaw;
    const z1 = z * this.cosYaw - x * this.sinYaw;
    const y2 = y * this.cosPitch - z1 * this.sinPitch;
    const z2 = z1 * this.cosPitch + y * this.sinPitch;
    const [px, py] = this.flat(x1, y2);
    return [px, py, z2];
  }

  frame(x: number, y: number, depth = 0): Frame {
    const e = 0.002;
    const [px, py, pz] = this.project(x, y, depth);
    const [ax, ay] = this.project(x + e, y, depth);
    const [bx, by] = this.project(x - e, y, depth);
    const [cx, cy] = this.project(x, y + e, depth);
    const [dx, dy] = this.project(x, y - e, depth);
    return { x: px, y: py, ex: [(ax - bx) / (2 * e), (ay - by) / (2 * e)], ey: [(cx - dx) / (2 * e), (cy - dy) / (2 * e)],
      facing: pz / this.rz };
  }

  /** The head's outline: the silhouette of the rotated ellipsoid (half-width grows with yaw). */
  outline(taper: number, grow = 0): Shape {
    const k = this.pixelsPerUnit;
    const halfWidth = Math.hypot(this.rx * this.cosYaw, this.rz * this.sinYaw);
    const halfHeight = Math.hypot(this.ry * this.cosPitch, this.rz * this.sinPitch);
    const [cx, cy] = this.flat(0, 0);
    return egg(cx, cy, (halfWidth + grow) * k, (halfHeight + grow) * k, taper, this.roll);
  }
}

/** A point given in a feature's local axes (face units, rotated by `tilt`) in pixels. */
function local(f: Frame, lx: number, ly: number, tilt = 0): [number, number] {
  const c = Math.cos(tilt);
  const s = Math.sin(tilt);
  const u = lx * c - ly * s;
  const v = lx * s + ly * c;
  return [f.x + u * f.ex[0] + v * f.ey[0], f.y + u * f.ex[1] + v * f.ey[1]];
}

/** An ellipse of semi-axes rx, ry (face units) in a feature's local axes. */
function localEllipse(f: Frame, rx: number, ry: number, tilt = 0, dx = 0, dy = 0): Shape {
  const [x, y] = local(f, dx, dy);
  const sx = Math.hypot(f.ex[0], f.ex[1]);
  const sy = Math.hypot(f.ey[0], f.ey[1]);
  return ellipse(x, y, rx * sx, ry * sy, Math.atan2(f.ex[1], f.ex[0]) + tilt);
}

const scaleRgb = (c: Rgb, f: number): Rgb => [clamp01(c[0] * f), clamp01(c[1] * f), clamp01(c[2] * f)];
const visibility = (f: Frame): number => clamp01(f.facing / 0.25);

function drawFace(canvas: Canvas, id: FaceIdentity, n: FaceNuisance, noiseSeed: number): void {
  const size = canvas.width;
  const cam = new Camera(id, n, size);
  const k = cam.pixelsPerUnit;
  const skin = id.face.skin;

  fillGradient(canvas, n.background.top, n.background.bottom);

  // Body: neck, then clothes over the shoulders.
  const [nx, ny] = cam.flat(0, id.face.ry * 0.85);
  paint(canvas, rect(nx, ny, 0.5 * id.face.rx * k, 0.22 * k, cam.roll, 0.03 * k), scaleRgb(skin, 0.8));
  const [bx, by] = cam.flat(0, id.face.ry + 0.33);
  paint(canvas, ellipse(bx, by, 0.65 * k, 0.3 * k, cam.roll), n.clothing);

  drawHairBehind(canvas, cam, id);
  for (const side of [-1, 1]) {
    const ear = cam.frame(side * id.face.rx * 0.97, id.ears.y);
    paint(canvas, localEllipse(ear, id.ears.rx, id.ears.ry), scaleRgb(skin, 0.93));
    shade(canvas, localEllipse(ear, id.ears.rx * 0.5, id.ears.ry * 0.6, 0, side * 0.006, 0), 0.85, 0.01 * k);
  }
  const head = cam.outline(id.face.taper);
  paint(canvas, head, skin);

  // Skin details: cheeks, moles.
  for (const side of [-1, 1]) {
    const cheek = cam.frame(side * 0.17, 0.11);
    paint(canvas, localEllipse(cheek, 0.06, 0.045), [0.86, 0.42, 0.4], 0.22 * id.face.blush * visibility(cheek), 0.06 * k);
  }
  for (const mole of id.moles) {
    const f = cam.frame(mole.x, mole.y);
    if (f.facing > 0.2) paint(canvas, localEllipse(f, mole.r, mole.r), scaleRgb(skin, 0.45));
  }

  drawBeard(canvas, cam, id, head);
  drawNose(canvas, cam, id);
  for (const side of [-1, 1]) drawEye(canvas, cam, id, n, side);
  drawMouth(canvas, cam, id, n);
  drawHairFront(canvas, cam, id);
  if (id.glasses) drawGlasses(canvas, cam, id);
  for (const occluder of n.occluders) drawOccluder(canvas, cam, id, occluder);

  light(canvas, cam, id, n);
  gaussianBlur(canvas, n.blur * size);
  addNoise(canvas, n.noise, mulberry32(noiseSeed));
}

function drawHairBehind(canvas: Canvas, cam: Camera, id: FaceIdentity): void {
  const { style, color, volume, length } = id.hair;
  if (style === 'bald') return;
  const k = cam.pixelsPerUnit;
  const dark = scaleRgb(color, 0.8);
  const [cx, cy] = cam.flat(0, -0.04);
  const top = ellipse(cx, cy, (id.face.rx + volume) * k, (id.face.ry + 0.7 * volume) * k, cam.roll);
  if (style === 'long') {
    const [lx, ly] = cam.flat(0, 0.12 + 0.3 * (length - 0.35));
    paint(canvas, rect(lx, ly, (id.face.rx + volume + 0.03) * k, (0.4 + 0.3 * length) * k, cam.roll, 0.15 * k), dark);
    paint(canvas, top, dark);
  } else {
    // Short hair covers the back of the head down to about ear level.
    const [hx, hy] = cam.flat(0, 0);
    paint(canvas, intersect(top, above(hx, hy, cam.roll, () => 0.05 * k, top.box)), dark);
  }
  if (style === 'bun') {
    const [ux, uy] = cam.flat(0, -id.face.ry - 0.06);
    paint(canvas, ellipse(ux, uy, 0.1 * k, 0.08 * k, cam.roll), dark);
  }
}

function drawHairFront(canvas: Canvas, cam: Camera, id: FaceIdentity): void {
  const { style, color, hairline, volume, part } = id.hair;
  if (style === 'bald') return;
  const k = cam.pixelsPerUnit;
  // The hairline: a curve y = f(x) on the forehead (face units), shifted with the head's yaw.
  const curves: Record<Exclude<typeof style, 'bald'>, (x: number) => number> = {
    short: (x) => hairline + 0.9 * x * x,
    bun: (x) => hairline - 0.02 + 1.1 * x * x,
    fringe: (x) => hairline + 0.13 + 0.25 * x * x + 0.008 * Math.sin(x * 70),
    'side-part': (x) => hairline + 0.07 + 0.14 * part * x + 0.7 * x * x,
    long: (x) => hairline + 0.03 + 1.4 * x * x,
  };
  const curve = curves[style];
  const [hx, hy] = cam.project(0, hairline);
  const [cx, cy] = cam.flat(0, 0);
  const shift = (hx - cx) * Math.cos(cam.roll) + (hy - cy) * Math.sin(cam.roll); // along the roll axis
  const hairlineShape = above(cx, cy, cam.roll, (u) => curve((u - shift) / k) * k, {
    x0: -Infinity, y0: -Infinity, x1: Infinity, y1: Infinity,
  });
  const [ex, ey] = cam.flat(0, -0.03);
  const cap = ellipse(ex, ey, (id.face.rx + volume) * k, (id.face.ry + 0.6 * volume) * k, cam.roll);
  paint(canvas, intersect(cap, hairlineShape), color);
  // A sheen near the crown.
  const [sx, sy] = cam.flat(-0.08, hairline - 0.06);
  shade(canvas, intersect(cap, ellipse(sx, sy, 0.12 * k, 0.04 * k, cam.roll - 0.3)), 1.25, 0.05 * k);
}

function drawEye(canvas: Canvas, cam: Camera, id: FaceIdentity, n: FaceNuisance, side: number): void {
  const e = id.eyes;
  const f = cam.frame(side * e.halfSpacing, e.y, -0.01);
  const seen = visibility(f);
  if (seen <= 0) return;
  const k = cam.pixelsPerUnit;
  const tilt = side * e.tilt;
  shade(canvas, localEllipse(f, e.rx * 1.5, e.ry * 2.4, tilt, 0, -0.008), 1 - 0.5 * e.socket, 0.035 * k);
  const open = Math.max(0.05, n.eyeOpen);
  const sclera = localEllipse(f, e.rx, e.ry * open, tilt);
  paint(canvas, sclera, [0.93, 0.91, 0.88], seen);
  const irisR = e.rx * (0.3 + 0.2 * e.irisRatio);
  const gx = n.gazeX * (e.rx - irisR) * 0.7;
  const gy = n.gazeY * e.ry * 0.3;
  paint(canvas, intersect(localEllipse(f, irisR, irisR, 0, gx, gy), sclera), e.iris, seen);
  paint(canvas, intersect(localEllipse(f, irisR * 0.45, irisR * 0.45, 0, gx, gy), sclera), [0.04, 0.03, 0.03], seen);
  paint(canvas, intersect(localEllipse(f, irisR * 0.18, irisR * 0.18, 0, gx - irisR * 0.3, gy - irisR * 0.3), sclera),
    [1, 1, 1], 0.8 * seen);
  // Upper lid and lashes along the top of the eye opening.
  const lid: [number, number][] = [];
  for (let t = 0; t <= 6; t++) {
    const a = Math.PI + (Math.PI * t) / 6;
    lid.push(local(f, e.rx * 1.05 * Math.cos(a), e.ry * open * 1.05 * Math.sin(a), tilt));
  }
  const lash = mixRgb(id.hair.color, [0.05, 0.04, 0.04], 0.6);
  paint(canvas, stroke(lid, (0.002 + 0.003 * e.lash) * k), lash, seen);
  drawBrow(canvas, cam, id, n, side, seen);
}

function drawBrow(canvas: Canvas, cam: Camera, id: FaceIdentity, n: FaceNuisance, side: number, seen: number): void {
  const b = id.brows;
  const e = id.eyes;
  const f = cam.frame(side * e.halfSpacing, e.y - e.ry - b.gap - 0.012 * n.browRaise);
  const points: [number, number][] = [];
  for (let t = -1; t <= 1; t += 0.5) {
    // t = −1 is the inner end; the outer end is lifted or dropped by the tilt.
    points.push(local(f, side * t * b.length * e.rx, -b.arch * (1 - t * t) - b.tilt * 0.03 * t));
  }
  paint(canvas, stroke(points, b.thickness * cam.pixelsPerUnit * 0.5), b.color, seen);
}

function drawNose(canvas: Canvas, cam: Camera, id: FaceIdentity): void {
  const { tipY, width, bridge, tip } = id.nose;
  const k = cam.pixelsPerUnit;
  const skin = id.face.skin;
  const start = id.eyes.y + 0.03;
  const edge: [number, number][] = [];
  for (let t = 0; t <= 1; t += 0.25) {
    const [x, y] = cam.project(-width * (0.5 + 0.4 * t), start + (tipY - start) * t, 0.015 + 0.05 * t);
    edge.push([x, y]);
  }
  shade(canvas, stroke(edge, 0.01 * k), 1 - bridge, 0.03 * k);
  const under = cam.frame(0, tipY + 0.022, 0.04);
  shade(canvas, localEllipse(under, width * 1.1, 0.014), 0.8, 0.02 * k);
  const tipFrame = cam.frame(0, tipY - 0.01, 0.075);
  shade(canvas, localEllipse(tipFrame, width * 0.6 * tip, width * 0.5 * tip), 1.07, 0.02 * k);
  for (const side of [-1, 1]) {
    const f = cam.frame(side * width * 0.55, tipY + 0.012, 0.05);
    if (f.facing > 0) paint(canvas, localEllipse(f, 0.016, 0.008, side * 0.3), scaleRgb(skin, 0.42), visibility(f));
  }
}

function drawMouth(canvas: Canvas, cam: Camera, id: FaceIdentity, n: FaceNuisance): void {
  const m = id.mouth;
  const k = cam.pixelsPerUnit;
  const f = cam.frame(0, m.y, 0.02);
  const w = m.halfWidth * (1 + 0.12 * n.smile);
  const curve = m.curve + 0.02 * n.smile;
  const open = 0.04 * n.mouthOpen;
  const line = (t: number): number => -curve * t * t;
  const lip = (offset: (t: number) => number): [number, number][] => {
    const points: [number, number][] = [];
    for (let t = -1; t <= 1.001; t += 0.25) points.push(local(f, t * w, line(t) + offset(t)));
    return points;
  };
  const bulge = (t: number): number => Math.sqrt(Math.max(0, 1 - t * t));
  if (open > 0.004) {
    const [ix, iy] = local(f, 0, line(0) * 0.5 + open * 0.3);
    const inside = ellipse(ix, iy, w * 0.8 * Math.hypot(f.ex[0], f.ex[1]), open * 0.65 * Math.hypot(f.ey[0], f.ey[1]),
      Math.atan2(f.ex[1], f.ex[0]));
    paint(canvas, inside, [0.25, 0.07, 0.08]);
    const [tx, ty] = local(f, 0, line(0) * 0.5 + open * 0.3 - open * 0.35);
    paint(canvas, intersect(inside, above(tx, ty, cam.roll, () => 0, inside.box)), [0.92, 0.9, 0.84]);
  } else {
    paint(canvas, stroke(lip(() => 0), 0.003 * k), scaleRgb(m.color, 0.55));
  }
  const upper = m.lip * m.upperLip;
  paint(canvas, stroke(lip((t) => -(upper * 0.8 + open * 0.2) * bulge(t) - 0.002), upper * 0.75 * k), m.color);
  paint(canvas, stroke(lip((t) => (m.lip * 0.9 + open * 0.8) * bulge(t) + 0.002), m.lip * 0.85 * k),
    scaleRgb(m.color, 1.08));
}

function drawBeard(canvas: Canvas, cam: Camera, id: FaceIdentity, head: Shape): void {
  const { style, color, density } = id.beard;
  if (style === 'none') return;
  const k = cam.pixelsPerUnit;
  const [cx, cy] = cam.flat(0, 0);
  const anywhere = { x0: -Infinity, y0: -Infinity, x1: Infinity, y1: Infinity };
  const m = id.mouth;
  const moustache = (): void => {
    const points: [number, number][] = [];
    for (let t = -1; t <= 1.001; t += 0.5)
      points.push(cam.project(t * m.halfWidth * 0.95, m.y - 0.032 - 0.008 * (1 - t * t), 0.03).slice(0, 2) as [number, number]);
    paint(canvas, stroke(points, 0.016 * k), color, density);
  };
  if (style === 'stubble' || style === 'full') {
    // The beard line runs under the nose and up the cheeks to the sideburns.
    const line = id.nose.tipY + 0.025;
    const region = subtract(cam.outline(id.face.taper, style === 'full' ? 0.012 : 0),
      above(cx, cy, cam.roll, (u) => (line - 0.8 * (u / k) * (u / k)) * k, anywhere));
    paint(canvas, region, color, style === 'full' ? density : 0.3 * density, 0.015 * k);
    if (style === 'full') moustache();
  } else if (style === 'moustache') {
    moustache();
  } else {
    const chin = cam.frame(0, m.y + 0.085, 0.01);
    paint(canvas, intersect(localEllipse(chin, 0.07, 0.075), head), color, density, 0.01 * k);
    moustache();
  }
}

function drawGlasses(canvas: Canvas, cam: Camera, id: FaceIdentity): void {
  const g = id.glasses!;
  const e = id.eyes;
  const k = cam.pixelsPerUnit;
  const inner: [number, number][] = [];
  for (const side of [-1, 1]) {
    const f = cam.frame(side * e.halfSpacing, e.y, 0.03);
    if (f.facing <= 0) continue;
    const hw = e.rx * g.size;
    const hh = e.rx * g.size * 0.72;
    const sx = Math.hypot(f.ex[0], f.ex[1]);
    const sy = Math.hypot(f.ey[0], f.ey[1]);
    const angle = Math.atan2(f.ex[1], f.ex[0]);
    const lens = g.shape === 'round'
      ? ellipse(f.x, f.y, hw * sx, hh * sy, angle)
      : rect(f.x, f.y, hw * sx, hh * sy, angle, 0.3 * hh * sy);
    paint(canvas, lens, [0.9, 0.95, 1], 0.1);
    paint(canvas, ring(lens, g.rim * k), g.color, visibility(f));
    inner.push(local(f, -side * hw, -0.2 * hh));
    const outer = local(f, side * hw, -0.2 * hh);
    const [ex, ey, ez] = cam.project(side * id.face.rx * 0.98, e.y - 0.01);
    if (ez > -0.05) paint(canvas, stroke([outer, [ex, ey]], g.rim * 0.6 * k), g.color);
  }
  if (inner.length === 2) paint(canvas, stroke(inner, g.rim * 0.6 * k), g.color);
}

function drawOccluder(canvas: Canvas, cam: Camera, id: FaceIdentity, o: Occluder): void {
  const k = cam.pixelsPerUnit;
  if (o.kind === 'sunglasses') {
    const lenses: [number, number][] = [];
    for (const side of [-1, 1]) {
      const f = cam.frame(side * id.eyes.halfSpacing, id.eyes.y, 0.03);
      if (f.facing <= 0) continue;
      paint(canvas, localEllipse(f, id.eyes.rx * 1.7, id.eyes.rx * 1.25), o.color);
      lenses.push(local(f, -side * id.eyes.rx * 1.6, -0.01));
    }
    if (lenses.length === 2) paint(canvas, stroke(lenses, 0.008 * k), o.color);
    return;
  }
  if (o.kind === 'mask') {
    const [cx, cy] = cam.flat(0, 0);
    const top = id.nose.tipY - 0.03;
    const cover = subtract(cam.outline(id.face.taper, 0.01),
      above(cx, cy, cam.roll, (u) => (top + 0.4 * (u / k) * (u / k)) * k, { x0: -Infinity, y0: -Infinity, x1: Infinity, y1: Infinity }));
    paint(canvas, cover, o.color);
    return;
  }
  const [x, y] = cam.flat(o.x, o.y);
  const shape = o.kind === 'blob'
    ? ellipse(x, y, o.hw * k, o.hh * k, cam.roll + o.angle)
    : rect(x, y, o.hw * k, o.hh * k, cam.roll + o.angle, (o.kind === 'bar' ? o.hh : 0.01) * k);
  paint(canvas, shape, o.color);
}

/** Directional light (a shading gradient across the image plus Lambert-like shading on the head's
 *  ellipsoid), then exposure: white balance, contrast about mid-grey, brightness. */
function light(canvas: Canvas, cam: Camera, id: FaceIdentity, n: FaceNuisance): void {
  const { width, height, rgb } = canvas;
  const size = width;
  const dx = Math.cos(n.lightAngle);
  const dy = Math.sin(n.lightAngle);
  const [cx, cy] = cam.flat(0, 0);
  const k = cam.pixelsPerUnit;
  const c = Math.cos(cam.roll);
  const s = Math.sin(cam.roll);
  const irx = 1 / (id.face.rx * k);
  const iry = 1 / (id.face.ry * k);
  const edge = Math.min(id.face.rx, id.face.ry) * k; // pixels per unit of normalised radius
  const gradient = 0.5 * n.lightStrength / size;
  const relief = 0.7 * n.lightStrength;
  const [tr, tg, tb] = n.tint;
  const contrast = n.contrast;
  const offset = 0.5 - 0.5 * contrast + n.brightness;
  for (let y = 0; y < height; y++) {
    const py = y + 0.5 - cy;
    for (let x = 0, o = y * width * 3; x < width; x++, o += 3) {
      const px = x + 0.5 - cx;
      let factor = 1 + gradient * (px * dx + py * dy);
      const u = (px * c + py * s) * irx;
      const v = (py * c - px * s) * iry;
      const r2 = u * u + v * v;
      if (r2 < 1.2) {
        // Screen-plane part of the ellipsoid normal, rotated back into the image, faded out
        // across the outline over one pixel.
        const weight = clamp01((1 - Math.sqrt(r2)) * edge + 0.5);
        const nx = u * c - v * s;
        const ny = u * s + v * c;
        factor += weight * relief * (nx * dx + ny * dy);
      }
      const f = factor * contrast;
      rgb[o] = rgb[o] * tr * f + offset;
      rgb[o + 1] = rgb[o + 1] * tg * f + offset;
      rgb[o + 2] = rgb[o + 2] * tb * f + offset;
    }
  }
}
