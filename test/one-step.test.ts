// trainingStep (src/train/one-step.ts) against one official TopoFR step recomputed in float64 by
// PyTorch from the same weights, batch and RSP decisions (test/fixtures/torch/generate.py): loss
// parts, SDE's entropies and posterior, the MST pairings, every updated weight and momentum
// buffer. Then the embedding BN's γ: gradient and weight decay by default, untouched when frozen.
// And AMP's effect: the official ω2 drops a sample whose p_gt rounds to 1 in binary16.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTorchCheckpoint, torchStateDict, type TorchTensor } from '../src/io/torch-checkpoint.js';
import { loadTorchIResNet, torchLayout } from '../src/model/iresnet-torch.js';
import { registerNativeKernels, unregisterNativeKernels } from '../src/tf/native-kernels.js';
import type { TrainConfig } from '../src/train/config.js';
import { trainingStep, type TrainingStepInput } from '../src/train/one-step.js';
import type { RspRecord } from '../src/train/rsp.js';

tf.enableProdMode();
beforeAll(() => registerNativeKernels());
afterAll(() => unregisterNativeKernels());

const fixture = (name: string) => new URL(`./fixtures/torch/${name}`, import.meta.url);
const meta = JSON.parse(readFileSync(fixture('cases.json'), 'utf8')) as {
  step: {
    config: Partial<TrainConfig>;
    decisions: (RspRecord | null)[];
    parts: { loss: number; cls: number; topo: number; omega: number; pi: number; gradNorm: number; pGtOne: number };
    entropies: number[];
    easyPosterior: number[];
    inputEdges: [number, number][];
    latentEdges: [number, number][];
  };
};
const cases = torchStateDict(readTorchCheckpoint(new Uint8Array(readFileSync(fixture('cases.pt')))));
const ref = (name: string): TorchTensor => cases.get(name)!;
const images = ref('images').values as Float32Array;
const labels = Int32Array.from(ref('labels').values);
const modelPath = fixture('iresnet18-w1_32.pt').pathname;

function run(extra: Partial<TrainingStepInput> = {}, options: { freezeEmbeddingScale?: boolean } = {}) {
  const { model, centres } = loadTorchIResNet(modelPath, options);
  const before = new Map(model.weights.map((w) => [w.originalName, Float32Array.from(w.read().dataSync())]));
  const result = trainingStep({ model, centres: centres!.values, images, labels, rsp: meta.step.decisions, config: meta.step.config, ...extra });
  return { model, before, result, centres0: centres!.values };
}

/** max |a − b| over one tensor. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * An updated tensor against the reference: |got − want| ≤ rtol·‖want − start‖∞ + floor + 2⁻²²·‖want‖∞:
 * the update's own error; `floor`, the float32 noise of the whole backward (a gradient that is a
 * cancellation, e.g. the β of a BN followed by another BN that removes shifts, is that noise,
 * whatever its own size); and the float32 storage of the weights (half an ulp on each side plus our
 * update's rounding).
 */
function expectUpdate(got: ArrayLike<number>, want: ArrayLike<number>, start: ArrayLike<number>, rtol: number, floor: number, name: string): void {
  const step = maxDiff(want, start);
  expect(step, `${name}: the reference moved`).toBeGreaterThan(0);
  expect(maxDiff(got, want), name).toBeLessThanOrEqual(rtol * step + floor + 2 ** -22 * maxDiff(want, new Float32Array(want.length)));
}

describe('trainingStep equals the official step recomputed in float64 (PyTorch)', () => {
  const { model, before, result, centres0 } = run();
  const want = meta.step;

  it('loss parts, clipping norm, SDE and the pairings', () => {
    // Relative 1e−5 on values that float32 forward passes give to ~1e−6 (a 20-layer net, batch 8).
    for (const key of ['loss', 'cls', 'topo', 'omega', 'pi'] as const)
      expect(Math.abs(result.parts[key] - want.parts[key]) / Math.abs(want.parts[key]), key).toBeLessThan(1e-5);
    expect(Math.abs(result.gradNorm - want.parts.gradNorm) / want.parts.gradNorm).toBeLessThan(1e-4);
    expect(result.parts.pGtOne).toBe(want.parts.pGtOne);
    expect(result.parts.perturbed).toBe(3);
    result.gum!.entropies.forEach((e, i) => expect(Math.abs(e - want.entropies[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.entropies[i]!))));
    result.gum!.fit.easyPosterior.forEach((g, i) => expect(Math.abs(g - want.easyPosterior[i]!)).toBeLessThan(1e-5));
  });

  it('every updated weight, BN statistic, class centre and momentum buffer', () => {
    // Each tensor's update to 1e−4 of its size (measured ≤ 8e−5: float32 gradients through BN over
    // a batch of 8), with a floor of 1e−6 of the largest update of all (the float32 noise of the
    // backward: measured ≤ 2e−8 of it, on the β that a following BN makes nearly gradient-free;
    // for the weights, lr times that).
    const start = torchLayout(model, before);
    const after = torchLayout(model, result.weights);
    const velocity = torchLayout(model, result.velocity);
    const names = [...after.keys()].filter((n) => velocity.has(n));
    const largest = Math.max(...names.map((n) => maxDiff(ref(`velocity.${n}`).values, new Float32Array(velocity.get(n)!.values.length))));
    const floor = 1e-6 * largest, lr = meta.step.config.lr!;
    for (const [name, got] of after) expectUpdate(got.values, ref(`step.${name}`).values, start.get(name)!.values, 1e-4, lr * floor, name);
    expect(after.size).toBe(before.size);
    expectUpdate(result.centres, ref('step.weight').values, centres0, 1e-4, lr * floor, 'weight');
    for (const [name, got] of velocity) {
      const w = ref(`velocity.${name}`).values;
      expectUpdate(got.values, w, new Float32Array(w.length), 1e-4, floor, `velocity ${name}`);
    }
    expect(velocity.size + 1).toBe(result.velocity.size);  // + the centres
    expectUpdate(result.velocity.get('centres')!, ref('velocity.weight').values, new Float32Array(centres0.length), 1e-4, floor, 'velocity weight');
  });
});

describe('the embedding BN γ (features.weight)', () => {
  const gamma = (w: Map<string, Float32Array>) => w.get('features/gamma')!;

  it('trains by default, with weight decay: Δγ(wd 0) − Δγ(wd) = lr·wd·γ exactly as PyTorch adds it', () => {
    const a = run({ config: { ...meta.step.config, weightDecay: 0 } });
    const b = run({ config: { ...meta.step.config, weightDecay: 5e-4 } });
    const g0 = gamma(a.before);
    expect(Array.from(gamma(a.result.weights)).some((v, i) => v !== g0[i])).toBe(true);  // it received a gradient
    expect(a.result.velocity.has('features/gamma')).toBe(true);
    // The same gradient and clip factor in both runs; the difference is the decay term, to the float32
    // rounding of the two updated γ (≤ 1 ulp of γ).
    gamma(a.result.weights).forEach((v, i) =>
      expect(Math.abs(v - gamma(b.result.weights)[i]! - 0.1 * 5e-4 * g0[i]!)).toBeLessThanOrEqual(2 ** -23 * Math.abs(v)));
  });

  it('stays as it was with freezeEmbeddingScale (arcface_torch), with no momentum buffer', () => {
    const { before, result } = run({}, { freezeEmbeddingScale: true });
    expect(Array.from(gamma(result.weights))).toEqual(Array.from(gamma(before)));
    expect(result.velocity.has('features/gamma')).toBe(false);
    expect(Array.from(result.weights.get('features/beta')!)).not.toEqual(Array.from(before.get('features/beta')!));
  });
});

describe("precision 'fp16-autocast': what the official AMP run computes", () => {
  // Centres that make sample 0 confident: its class centre along its embedding, class 1's at
  // cos 0.73 from it, so 1 − p_gt ≈ e^{64·(0.73 − cos 0.5)} ≈ 8e−5: below binary16's 2⁻¹² (p_gt
  // rounds to 1), far above float32's 2⁻²⁴.
  function confidentCase() {
    const { model, centres } = loadTorchIResNet(modelPath);
    const z = (model.apply(tf.tensor4d(images, [8, 32, 32, 3]), { training: true }) as tf.Tensor2D).arraySync()[0]!;
    model.dispose();
    const d = z.length, norm = Math.hypot(...z);
    const u = z.map((v) => v / norm);
    const other = Array.from({ length: d }, (_, k) => (k % 2 === 0 ? 1 : -1)) as number[];
    const dot = other.reduce((s, v, k) => s + v * u[k]!, 0);
    const perp = other.map((v, k) => v - dot * u[k]!);
    const perpNorm = Math.hypot(...perp);
    const w = Float32Array.from(centres!.values);
    const c = 0.73, s = Math.sqrt(1 - c * c);
    for (let k = 0; k < d; k++) {
      w[0 * d + k] = u[k]!;
      w[1 * d + k] = c * u[k]! + (s * perp[k]!) / perpNorm;
    }
    return { w, labels: Int32Array.from(labels, (y, i) => (i === 0 ? 0 : y === 0 || y === 1 ? 2 + i : y)) };
  }

  it('p_gt of the confident sample is 1 in binary16, not in float32; the code ω2 drops only it', () => {
    const { w, labels: y } = confidentCase();
    const step = (precision: 'fp16-autocast' | 'fp32') => {
      const { model } = loadTorchIResNet(modelPath);
      const r = trainingStep({ model, centres: w, images, labels: y, config: { precision, omega1: 'none', omega2: 'code', alpha: 0 } });
      model.dispose();
      return r.parts;
    };
    const half = step('fp16-autocast'), single = step('fp32');
    expect(half.pGtOne).toBe(1);
    expect(single.pGtOne).toBe(0);
    expect(half.omega).toBeCloseTo(7 / 8, 12);
    expect(single.omega).toBe(1);
  });

  it('is the default, and differs from fp32 by binary16 rounding only', () => {
    const a = run({ config: { ...meta.step.config, precision: 'fp16-autocast' } }).result.parts;
    const b = run().result.parts;  // the fixture's config: fp32
    expect(Math.abs(a.loss - b.loss) / b.loss).toBeLessThan(2e-3);
    expect(a.loss).not.toBe(b.loss);
  });
});
