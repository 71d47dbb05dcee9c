// What changes between two photos of one person: pose, expression, lighting, background, camera
// (blur, noise, exposure) and things in front of the face. `hardness` ∈ [0, 1] scales every
// magnitude and the rate of hard samples (the blurry, low-contrast, occluded or extreme-pose images
// of the paper's Fig. 8, which SDE is meant to find).
//
// Every random number is drawn on every call in a fixed order and hardness only maps the draws, so
// one (identity, sample seed) is the same photo at every hardness, only more or less degraded: an
// occluder present at hardness h is present at every h' > h.
import type { Rgb } from './raster.js';
import type { FaceIdentity } from './identity.js';
import { gaussian, mixSeed, mulberry32 } from '../util/random.js';
import { STREAM } from './seed.js';

export type HardKind = 'none' | 'blur' | 'low-contrast' | 'occlusion' | 'pose';

export interface Occluder {
  readonly kind: 'rect' | 'bar' | 'blob' | 'sunglasses' | 'mask';
  /** Centre and half-sizes in face units (fractions of the image side, from the face centre). */
  readonly x: number;
  readonly y: number;
  readonly hw: number;
  readonly hh: number;
  readonly angle: number;
  readonly color: Rgb;
}

export interface FaceNuisance {
  readonly hard: HardKind;
  /** In-plane rotation, yaw and pitch (radians); scale factor; shift (fraction of the side). */
  readonly roll: number;
  readonly yaw: number;
  readonly pitch: number;
  readonly scale: number;
  readonly shiftX: number;
  readonly shiftY: number;
  /** Expression: smile ∈ [−1, 1], mouth opening ∈ [0, 1], eye openness ∈ (0, 1], brow raise,
   *  gaze (fractions of the iris' free travel). */
  readonly smile: number;
  readonly mouthOpen: number;
  readonly eyeOpen: number;
  readonly browRaise: number;
  readonly gazeX: number;
  readonly gazeY: number;
  /** Lighting: direction in the image plane (radians), strength of the directional term. */
  readonly lightAngle: number;
  readonly lightStrength: number;
  /** Exposure: brightness offset, contrast factor, per-channel white balance gains. */
  readonly brightness: number;
  readonly contrast: number;
  readonly tint: Rgb;
  readonly background: { top: Rgb; bottom: Rgb };
  readonly clothing: Rgb;
  /** Camera: Gaussian blur σ (fraction of the side), noise σ (intensity, on [0, 1]). */
  readonly blur: number;
  readonly noise: number;
  readonly occluders: readonly Occluder[];
}

/** The nuisance of sample `sampleSeed` of an identity at a given hardness. */
export function faceNuisance(identity: FaceIdentity, sampleSeed: number, hardness: number): FaceNuisance {
  const h = Math.min(1, Math.max(0, hardness));
  const uniform = mulberry32(mixSeed(STREAM.nuisance, identity.seed, sampleSeed));
  const normal = gaussian(uniform);
  const signed = (): number => 2 * uniform() - 1;
  const colour = (lo: number, hi: number): Rgb => {
    const base = lo + (hi - lo) * uniform();
    return [clampUnit(base + 0.12 * signed()), clampUnit(base + 0.12 * signed()), clampUnit(base + 0.12 * signed())];
  };

  // Draws first (fixed order), hardness applied after.
  const pose = { roll: normal(), yaw: signed(), pitch: signed(), scale: normal(), sx: normal(), sy: normal() };
  const expression = { smile: normal(), open: uniform(), openAmount: uniform(), eye: uniform(), blink: uniform(),
    brow: normal(), gazeX: signed(), gazeY: signed() };
  const light = { angle: 2 * Math.PI * uniform(), strength: uniform(), brightness: normal(), contrast: normal(),
    tint: [normal(), normal(), normal()] as const };
  const background = { top: colour(0.15, 0.9), bottom: colour(0.1, 0.8) };
  const clothing = colour(0.05, 0.85);
  const camera = { blurOn: uniform(), blur: uniform(), noise: uniform() };
  const occluderDraws = [0, 1].map(() => ({ on: uniform(), kind: uniform(), x: signed(), y: signed(),
    w: uniform(), h: uniform(), angle: signed(), color: colour(0.05, 0.95) }));
  const hardDraw = { on: uniform(), kind: uniform(), a: uniform(), b: signed(), c: uniform() };

  let roll = pose.roll * (0.03 + 0.13 * h);
  let yaw = pose.yaw * (0.08 + 0.42 * h);
  const pitch = pose.pitch * (0.03 + 0.12 * h);
  const scale = Math.exp(pose.scale * (0.015 + 0.05 * h));
  const shiftX = pose.sx * (0.008 + 0.03 * h);
  const shiftY = pose.sy * (0.008 + 0.025 * h);

  const smile = clampSigned(expression.smile * (0.2 + 0.4 * h));
  const mouthOpen = expression.open < 0.1 + 0.35 * h ? expression.openAmount * (0.3 + 0.7 * h) : 0;
  const eyeOpen = expression.blink < 0.08 * h ? 0.12 : 1 - expression.eye * (0.1 + 0.4 * h);
  const browRaise = clampSigned(expression.brow * (0.2 + 0.5 * h));

  const lightStrength = (0.08 + 0.4 * h) * (0.4 + 0.6 * light.strength);
  let brightness = light.brightness * (0.025 + 0.1 * h);
  let contrast = Math.exp(light.contrast * (0.04 + 0.2 * h));
  const tint: Rgb = [Math.exp(light.tint[0] * (0.015 + 0.06 * h)), Math.exp(light.tint[1] * (0.015 + 0.06 * h)),
    Math.exp(light.tint[2] * (0.015 + 0.06 * h))];

  let blur = camera.blurOn < 0.6 * h ? h * camera.blur * camera.blur * 0.014 : 0;
  const noise = h * camera.noise * 0.045;

  const occluders: Occluder[] = [];
  const occluderRates = [0.35 * h, 0.12 * h];
  occluderDraws.forEach((d, k) => {
    if (d.on >= occluderRates[k]) return;
    const kind = d.kind < 0.45 ? 'rect' : d.kind < 0.75 ? 'bar' : 'blob';
    const size = 0.3 + 0.7 * h;
    occluders.push({
      kind, x: 0.3 * d.x, y: 0.35 * d.y,
      hw: kind === 'bar' ? (0.15 + 0.3 * d.w) * size : (0.05 + 0.12 * d.w) * size,
      hh: kind === 'bar' ? 0.015 + 0.03 * d.h : (0.05 + 0.12 * d.h) * size,
      angle: kind === 'bar' ? 0.6 * d.angle : 0.3 * d.angle, color: d.color,
    });
  });

  let hard: HardKind = 'none';
  if (hardDraw.on < 0.3 * h) {
    const kinds: HardKind[] = ['blur', 'low-contrast', 'occlusion', 'pose'];
    hard = kinds[Math.min(3, Math.floor(hardDraw.kind * 4))];
    if (hard === 'blur') blur = Math.max(blur, 0.018 + 0.022 * hardDraw.a);
    else if (hard === 'low-contrast') {
      contrast *= 0.2 + 0.2 * hardDraw.a;
      brightness += 0.25 * hardDraw.b;
    } else if (hard === 'pose') {
      yaw = Math.sign(hardDraw.b || 1) * (0.6 + 0.3 * hardDraw.a);
      roll += Math.sign(roll || 1) * (0.15 + 0.3 * hardDraw.c);
    } else {
      const style = hardDraw.c;
      if (style < 0.35) occluders.push({ kind: 'sunglasses', x: 0, y: -0.09, hw: 0.3, hh: 0.05, angle: 0,
        color: [0.04 + 0.1 * hardDraw.a, 0.04, 0.05] });
      else if (style < 0.7) occluders.push({ kind: 'mask', x: 0, y: 0.25, hw: 0.3, hh: 0.2, angle: 0,
        color: hardDraw.a < 0.5 ? [0.55, 0.75, 0.85] : [0.92, 0.92, 0.9] });
      else occluders.push({ kind: 'blob', x: 0.22 * Math.sign(hardDraw.b || 1), y: 0.1 * hardDraw.b,
        hw: 0.17 + 0.08 * hardDraw.a, hh: 0.24, angle: 0.4 * hardDraw.b, color: [0.85, 0.62, 0.5] });
    }
  }

  return {
    hard, roll, yaw, pitch, scale, shiftX, shiftY, smile, mouthOpen, eyeOpen, browRaise,
    gazeX: expression.gazeX * (0.2 + 0.5 * h), gazeY: expression.gazeY * (0.1 + 0.3 * h),
    lightAngle: light.angle, lightStrength, brightness, contrast, tint,
    background, clothing, blur, noise, occluders,
  };
}

function clampUnit(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function clampSigned(v: number): number {
  return v < -1 ? -1 : v > 1 ? 1 : v;
}
