// Who a synthetic person is: the face geometry and colours that stay fixed across every image of
// one identity. Drawn from population distributions wide enough that identities are told apart by
// many small cues together (as with real faces), narrow enough that no single cue gives it away.
//
// Units: lengths are fractions of the image side, positions are relative to the face centre
// (x right, y down), so an identity renders the same at any image size. The mean layout puts the
// eyes, nose tip and mouth corners near the ArcFace 112×112 alignment template.
import type { Rgb } from './raster.js';
import { gaussian, mixSeed, mulberry32 } from '../util/random.js';
import { STREAM } from './seed.js';

export type HairStyle = 'bald' | 'short' | 'fringe' | 'side-part' | 'long' | 'bun';
export type BeardStyle = 'none' | 'stubble' | 'moustache' | 'goatee' | 'full';

export interface FaceIdentity {
  /** The identity's index in its dataset (train identities first, then test identities). */
  readonly index: number;
  /** The seed its parameters were drawn from; sample seeds are mixed with it. */
  readonly seed: number;
  readonly face: { rx: number; ry: number; taper: number; skin: Rgb; blush: number };
  readonly ears: { y: number; rx: number; ry: number };
  readonly eyes: {
    halfSpacing: number; y: number; rx: number; ry: number; tilt: number;
    iris: Rgb; irisRatio: number; socket: number; lash: number;
  };
  readonly brows: { gap: number; thickness: number; arch: number; tilt: number; length: number; color: Rgb };
  readonly nose: { tipY: number; width: number; bridge: number; tip: number };
  readonly mouth: { y: number; halfWidth: number; lip: number; upperLip: number; curve: number; color: Rgb };
  readonly hair: { style: HairStyle; color: Rgb; hairline: number; volume: number; part: number; length: number };
  readonly beard: { style: BeardStyle; color: Rgb; density: number };
  readonly glasses: { shape: 'round' | 'square'; color: Rgb; rim: number; size: number } | null;
  readonly moles: ReadonlyArray<{ x: number; y: number; r: number }>;
}

const SKIN: readonly Rgb[] = [
  [0.97, 0.83, 0.72], [0.92, 0.73, 0.60], [0.80, 0.59, 0.44], [0.63, 0.44, 0.31], [0.42, 0.28, 0.19],
];
const HAIR: ReadonlyArray<readonly [Rgb, number]> = [
  [[0.07, 0.06, 0.05], 0.3], [[0.22, 0.14, 0.09], 0.25], [[0.42, 0.28, 0.17], 0.18],
  [[0.80, 0.66, 0.42], 0.12], [[0.56, 0.24, 0.11], 0.07], [[0.62, 0.61, 0.59], 0.08],
];
const IRIS: ReadonlyArray<readonly [Rgb, number]> = [
  [[0.30, 0.18, 0.09], 0.4], [[0.13, 0.09, 0.06], 0.2], [[0.28, 0.47, 0.72], 0.15],
  [[0.30, 0.48, 0.30], 0.1], [[0.47, 0.52, 0.57], 0.07], [[0.48, 0.38, 0.18], 0.08],
];
const HAIR_STYLES: ReadonlyArray<readonly [HairStyle, number]> = [
  ['bald', 0.06], ['short', 0.3], ['fringe', 0.16], ['side-part', 0.2], ['long', 0.2], ['bun', 0.08],
];
const BEARDS: ReadonlyArray<readonly [BeardStyle, number]> = [
  ['none', 0.62], ['stubble', 0.12], ['moustache', 0.08], ['goatee', 0.08], ['full', 0.1],
];

/** The identities faceIdentity made: the renderer draws only those (an object of the same shape
 *  from elsewhere could lack any of its fields). */
const MADE = new WeakSet<object>();

/** Whether `value` came from faceIdentity. */
export const isFaceIdentity = (value: unknown): value is FaceIdentity => typeof value === 'object' && value !== null && MADE.has(value);

/** The identity `index` of the dataset seeded `datasetSeed`. */
export function faceIdentity(datasetSeed: number, index: number): FaceIdentity {
  const seed = mixSeed(STREAM.identity, datasetSeed, index);
  const uniform = mulberry32(seed);
  const normal = gaussian(uniform);
  const between = (lo: number, hi: number): number => lo + (hi - lo) * uniform();
  const around = (mean: number, sd: number, lo = -Infinity, hi = Infinity): number =>
    Math.min(hi, Math.max(lo, mean + sd * normal()));
  const jitter = (c: Rgb, sd: number): Rgb => [
    clamp01(c[0] + sd * normal()), clamp01(c[1] + sd * normal()), clamp01(c[2] + sd * normal()),
  ];

  const tone = uniform() * (SKIN.length - 1);
  const skin = jitter(mixRgb(SKIN[Math.floor(tone)], SKIN[Math.ceil(tone)], tone % 1), 0.025);
  const hairColor = jitter(choose(HAIR, uniform()), 0.03);
  const style = choose(HAIR_STYLES, uniform());

  const face = { rx: around(0.335, 0.025, 0.27, 0.4), ry: around(0.45, 0.022, 0.39, 0.51),
    taper: between(0.05, 0.4), skin, blush: between(0, 0.5) };
  const eyes = {
    halfSpacing: around(0.158, 0.011, 0.13, 0.19), y: around(-0.088, 0.013, -0.13, -0.05),
    rx: around(0.052, 0.006, 0.038, 0.068), ry: around(0.024, 0.004, 0.015, 0.034),
    tilt: around(0, 0.07), iris: jitter(choose(IRIS, uniform()), 0.03), irisRatio: between(0.55, 0.8),
    socket: between(0.05, 0.3), lash: between(0.4, 1),
  };
  const brows = {
    gap: around(0.05, 0.009, 0.03, 0.075), thickness: around(0.012, 0.003, 0.006, 0.02),
    arch: around(0.015, 0.008, -0.005, 0.035), tilt: around(0, 0.08), length: around(1.25, 0.12, 0.9, 1.6),
    color: mixRgb(hairColor, [0.05, 0.04, 0.03], between(0.2, 0.6)),
  };
  const nose = { tipY: around(0.09, 0.016, 0.05, 0.13), width: around(0.04, 0.007, 0.026, 0.058),
    bridge: between(0.05, 0.2), tip: between(0.9, 1.1) };
  const mouth = { y: around(0.265, 0.016, 0.22, 0.31), halfWidth: around(0.125, 0.013, 0.09, 0.16),
    lip: around(0.014, 0.003, 0.008, 0.022), upperLip: between(0.6, 1.1), curve: around(0, 0.008),
    color: mixRgb(skin, [0.72, 0.3, 0.32], between(0.3, 0.65)) };
  const hair = { style, color: hairColor, hairline: around(-0.28, 0.03, -0.36, -0.2),
    volume: between(0.02, 0.07), part: between(-1, 1), length: between(0.35, 0.6) };
  const beardStyle = choose(BEARDS, uniform());
  const beard = { style: beardStyle, color: mixRgb(hairColor, skin, 0.15), density: between(0.55, 0.95) };
  const wearsGlasses = uniform() < 0.2;
  const glassesShape: 'round' | 'square' = uniform() < 0.5 ? 'round' : 'square';
  const glasses = wearsGlasses
    ? { shape: glassesShape, color: choose<Rgb>([[[0.05, 0.05, 0.05], 0.5], [[0.45, 0.3, 0.15], 0.25], [[0.7, 0.7, 0.72], 0.25]], uniform()),
      rim: between(0.006, 0.014), size: between(1.25, 1.6) }
    : null;
  const moles: { x: number; y: number; r: number }[] = [];
  const moleCount = Math.floor(uniform() * 3);
  for (let k = 0; k < moleCount; k++)
    moles.push({ x: between(-0.22, 0.22), y: between(-0.05, 0.3), r: between(0.005, 0.01) });

  const identity: FaceIdentity = { index, seed, face, ears: { y: around(0.0, 0.02), rx: around(0.04, 0.006), ry: around(0.075, 0.01) },
    eyes, brows, nose, mouth, hair, beard, glasses, moles };
  MADE.add(identity);
  return identity;
}

export function mixRgb(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** The item whose cumulative weight first exceeds u · total. */
function choose<T>(items: ReadonlyArray<readonly [T, number]>, u: number): T {
  let total = 0;
  for (const [, w] of items) total += w;
  let threshold = u * total;
  for (const [item, w] of items) {
    threshold -= w;
    if (threshold < 0) return item;
  }
  return items[items.length - 1][0];
}
