// The ISA topology loss (src/train/isa.ts) and its tfjs op (src/tf/topological-loss.ts) against an
// independent float64 implementation from TOPOFR.md, central finite differences of that
// implementation, tie-heavy inputs, edge cases and bad input.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ripsPersistenceSync } from '../src/ops/rips.js';
import { topologicalLoss } from '../src/tf/topological-loss.js';
import { defaultInputScale, structureAlignment } from '../src/train/isa.js';
import { randomPoints } from './support/oracle.js';
import { alignmentLoss64, alignmentSlack, alignmentWeight, centralDifference } from './support/topology-oracle.js';

tf.enableProdMode();

const cloud = (data: Float32Array, n: number) => ({ data, n, dim: data.length / n });

/** ⟨∇, v⟩ from our gradient against the central difference of `at` (the float64 definition along
 *  v): within the difference's own error plus what float32 distances cost the gradient. */
function expectDirectional(grad: Float32Array, v: Float32Array, at: (t: number) => number, h: number, slack: number): void {
  const analytic = grad.reduce((s, g, k) => s + g * v[k]!, 0);
  const numeric = centralDifference(at, h);
  expect(Math.abs(analytic - numeric.value)).toBeLessThanOrEqual(numeric.error + slack);
}

describe('structureAlignment equals the float64 definition', () => {
  it.each([
    ['code', 16, 48, 8],
    ['code', 64, 300, 32],
    ['symmetric', 16, 48, 8],
    ['symmetric', 40, 120, 16],
  ] as const)('%s, n = %i, input dim %i, latent dim %i', (variant, n, dx, dz) => {
    const x = randomPoints(n, dx, 1), z = randomPoints(n, dz, 2);
    const r = structureAlignment(cloud(x, n), cloud(z, n), { variant });
    const ref = alignmentLoss64(x, z, n, variant, defaultInputScale(dx), 1);
    const slack = alignmentSlack(x, z, n, alignmentWeight(n, variant), defaultInputScale(dx), 1);
    expect(Math.abs(r.loss - ref.loss)).toBeLessThanOrEqual(slack.loss(ref.loss));
    expect(Array.from(r.inputEdges)).toEqual(ref.inputEdges);
    expect(Array.from(r.latentEdges)).toEqual(ref.latentEdges);
    // the gradient along random directions = central differences of the definition
    for (const seed of [3, 4, 5]) {
      const v = randomPoints(n, dz, seed);
      const at = (t: number) => alignmentLoss64(x, Float64Array.from(z, (q, k) => q + t * v[k]!), n, variant, defaultInputScale(dx), 1).loss;
      expectDirectional(r.gradLatent, v, at, 1e-4, slack.directional(v, dz));
    }
  });

  it('scales divide the distances (latent scale 2.5, input scale 10)', () => {
    const n = 12, x = randomPoints(n, 20, 6), z = randomPoints(n, 6, 7);
    const r = structureAlignment(cloud(x, n), cloud(z, n), { variant: 'code', inputScale: 10, latentScale: 2.5 });
    const ref = alignmentLoss64(x, z, n, 'code', 10, 2.5);
    const slack = alignmentSlack(x, z, n, alignmentWeight(n, 'code'), 10, 2.5);
    expect(Math.abs(r.loss - ref.loss)).toBeLessThanOrEqual(slack.loss(ref.loss));
    const v = randomPoints(n, 6, 8);
    const at = (t: number) => alignmentLoss64(x, Float64Array.from(z, (q, k) => q + t * v[k]!), n, 'code', 10, 2.5).loss;
    expectDirectional(r.gradLatent, v, at, 1e-4, slack.directional(v, 6));
  });

  it('the input gradient, on request, matches finite differences in x', () => {
    const n = 10, x = randomPoints(n, 12, 9), z = randomPoints(n, 4, 10);
    for (const variant of ['code', 'symmetric'] as const) {
      const r = structureAlignment(cloud(x, n), cloud(z, n), { variant, inputGradient: true });
      const v = randomPoints(n, 12, 11);
      const at = (t: number) => alignmentLoss64(Float64Array.from(x, (q, k) => q + t * v[k]!), z, n, variant, defaultInputScale(12), 1).loss;
      // (the input side's slack: the same bound with the input scale in the derivative)
      const slack = alignmentSlack(x, z, n, alignmentWeight(n, variant), defaultInputScale(12), defaultInputScale(12));
      expectDirectional(r.gradInput!, v, at, 1e-3, slack.directional(v, 12));
    }
    expect(structureAlignment(cloud(x, n), cloud(z, n)).gradInput).toBeUndefined();
  });

  it('ties: integer lattices pair by the official rule, the loss and gradient match', () => {
    // 4×4 grids: many equal distances in both spaces; the tie rule decides the gradient.
    const grid = (s: number) => Float32Array.from({ length: 32 }, (_, k) => (k % 2 === 0 ? Math.floor(k / 8) : Math.floor(k / 2) % 4) * s);
    const x = grid(1), z = Float32Array.from(grid(2), (q, k) => q + (k === 5 ? 0.5 : 0));
    for (const variant of ['code', 'symmetric'] as const) {
      const r = structureAlignment(cloud(x, 16), cloud(z, 16), { variant, inputScale: 1 });
      const ref = alignmentLoss64(x, z, 16, variant, 1, 1);
      expect(Array.from(r.latentEdges)).toEqual(ref.latentEdges);
      expect(Math.abs(r.loss - ref.loss)).toBeLessThanOrEqual(alignmentSlack(x, z, 16, alignmentWeight(16, variant), 1, 1).loss(ref.loss));
    }
  });

  it('dims [0, 1] (symmetric) adds the H1 critical edges of both spaces', () => {
    const n = 24, x = randomPoints(n, 3, 12), z = randomPoints(n, 2, 13);
    const h1Edges = (p: Float32Array, dim: number) => {
      const b = ripsPersistenceSync({ data: p, n, dim }, { maxDim: 1 }).find((c) => c.dim === 1)!;
      const e: number[] = [];
      for (let k = 0; k < b.births.length; k++) {
        e.push(b.birthEdges[2 * k]!, b.birthEdges[2 * k + 1]!);
        if (b.deathEdges[2 * k]! >= 0) e.push(b.deathEdges[2 * k]!, b.deathEdges[2 * k + 1]!);
      }
      return e;
    };
    const ex = h1Edges(x, 3);
    expect(ex.length).toBeGreaterThan(0);
    const r = structureAlignment(cloud(x, n), cloud(z, n), { variant: 'symmetric', dims: [0, 1], inputScale: 1 });
    const ez = h1Edges(z, 2);
    const ref = alignmentLoss64(x, z, n, 'symmetric', 1, 1, ex, ez);
    const slack = alignmentSlack(x, z, n, alignmentWeight(n, 'symmetric', (ex.length + ez.length) / 2), 1, 1);
    expect(Math.abs(r.loss - ref.loss)).toBeLessThanOrEqual(slack.loss(ref.loss));
    expect(r.loss).toBeGreaterThan(structureAlignment(cloud(x, n), cloud(z, n), { variant: 'symmetric', inputScale: 1 }).loss);
    const v = randomPoints(n, 2, 14);
    const at = (t: number) => {
      // the critical edges stay those at z for a step this small
      return alignmentLoss64(x, Float64Array.from(z, (q, k) => q + t * v[k]!), n, 'symmetric', 1, 1, ex, ez).loss;
    };
    expectDirectional(r.gradLatent, v, at, 1e-4, slack.directional(v, 2));
  });

  it('edge cases: n = 0, 1, 2 and duplicate latent points (zero distance ⇒ zero gradient)', () => {
    expect(structureAlignment({ data: new Float32Array(0), n: 0, dim: 6 }, { data: new Float32Array(0), n: 0, dim: 4 }).loss).toBe(0);
    const one = structureAlignment({ data: new Float32Array([1, 2]), n: 1, dim: 2 }, { data: new Float32Array([3]), n: 1, dim: 1 });
    expect(one.loss).toBe(0);
    expect(Array.from(one.gradLatent)).toEqual([0]);
    const two = structureAlignment({ data: new Float32Array([0, 0, 3, 4]), n: 2, dim: 2 }, { data: new Float32Array([1, 1]), n: 2, dim: 1 }, { inputScale: 1 });
    expect(two.loss).toBe(25 / 2);  // (5 − 0)² / n, exact: 3-4-5 distances
    expect(Array.from(two.gradLatent)).toEqual([0, 0]);
    const x = randomPoints(6, 5, 15), z = randomPoints(6, 3, 16);
    z.set(z.subarray(0, 3), 3);  // z1 = z0
    const r = structureAlignment(cloud(x, 6), cloud(z, 6), { variant: 'symmetric' });
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.gradLatent.every(Number.isFinite)).toBe(true);
  });
});

describe('topologicalLoss (tf.customGrad)', () => {
  it('value and gradient equal structureAlignment, through the chain rule', () => {
    const n = 20, xv = randomPoints(n, 3 * 4 * 4, 20), zv = randomPoints(n, 8, 21);
    const x = tf.tensor(xv, [n, 4, 4, 3]), z = tf.tensor(zv, [n, 8]);
    const r = structureAlignment(cloud(xv, n), cloud(zv, n), { variant: 'code' });
    // the same computation: only the float32 rounding of the value, and of 3·∇ in the chain rule
    expect(topologicalLoss(x, z).dataSync()[0]).toBe(Math.fround(r.loss));
    const g = tf.grad((zz: tf.Tensor) => tf.mul(topologicalLoss(x, zz), 3))(z);
    const got = g.dataSync();
    r.gradLatent.forEach((v, k) => expect(got[k]).toBe(Math.fround(3 * v)));
    const [gx, gz] = tf.grads((a: tf.Tensor, b: tf.Tensor) => topologicalLoss(a, b, { variant: 'symmetric', inputGradient: true }))([x, z]);
    const rs = structureAlignment(cloud(xv, n), cloud(zv, n), { variant: 'symmetric', inputGradient: true });
    expect(gx!.shape).toEqual([n, 4, 4, 3]);
    expect(Array.from(gx!.dataSync())).toEqual(Array.from(rs.gradInput!));
    expect(Array.from(gz!.dataSync())).toEqual(Array.from(rs.gradLatent));
  });

  it('rejects bad input with typed errors', () => {
    const x = tf.ones([4, 6]), z = tf.ones([4, 2]);
    // the class (TypeError / RangeError) and the code; native errors are plain RangeErrors with a code
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return `${e instanceof TypeError ? 'TypeError' : e instanceof RangeError ? 'RangeError' : 'Error'}:${(e as { code?: string }).code}`;
      }
      return 'none';
    };
    expect(err(() => topologicalLoss(x, tf.ones([3, 2])))).toBe('RangeError:ERR_TOPOFR_INVALID_SHAPE');
    expect(err(() => topologicalLoss(tf.ones([4]), z))).toBe('RangeError:ERR_TOPOFR_INVALID_SHAPE');
    expect(err(() => topologicalLoss(x, tf.ones([4, 2], 'int32')))).toBe('TypeError:ERR_TOPOFR_INVALID_TYPE');
    expect(err(() => topologicalLoss(x, z, { variant: 'paper' as never }))).toBe('RangeError:ERR_TOPOFR_INVALID_VALUE');
    expect(err(() => topologicalLoss(x, z, { dims: [0, 1] }))).toBe('RangeError:ERR_TOPOFR_INVALID_VALUE');
    expect(err(() => topologicalLoss(x, z, { dims: [1] }))).toBe('RangeError:ERR_TOPOFR_INVALID_VALUE');
    expect(err(() => topologicalLoss(x, z, { latentScale: 0 }))).toBe('RangeError:ERR_TOPOFR_INVALID_VALUE');
    expect(err(() => topologicalLoss(x, tf.tensor([[0, 1], [NaN, 2], [1, 1], [2, 2]])))).toBe('RangeError:ERR_TOPOFR_NON_FINITE');
  });
});
