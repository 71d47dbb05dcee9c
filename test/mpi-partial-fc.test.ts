// Partial FC (src/distributed/partial-fc.ts) under mpirun against the full softmax of one process:
// with sampleRate 1, every rank's ce, p_gt, entropies, embedding gradient and class-shard gradient
// equal those of the full margin softmax over all classes (2 and 3 ranks, an uneven class split);
// with sampleRate 0.5, they equal the full softmax restricted to the union of the ranks' samples,
// which hold every positive and the expected number of classes. Skipped where MPI is absent.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { classRange, initialCentres, sampleClasses } from '../src/distributed/partial-fc.js';
import { ARCFACE, marginLogits } from '../src/model/heads.js';
import { MPIRUN, mpirun, requireBinding, ROOT } from './support/mpirun.js';

const dir = mkdtempSync(join(tmpdir(), 'topofr-mpi-pfc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A small scale (8) keeps p_gt away from 0, so its gradient path matters.
const SETUP = { CLASSES: 11, DIM: 8, BATCH: 5, SEED: 9, HEAD: { ...ARCFACE, scale: 8, margin: 0.3 } };

interface RankOut {
  rank: number; lo: number; hi: number; z: number[]; labels: number[]; a: number[]; b: number[];
  ce: number[]; pGt: number[]; entropies: number[]; sample: number[]; dz: number[]; dW: number[];
}

/**
 * Each logit is float32 (|L| ≤ s = 8: a rounding of up to 5e−7) here and in the ranks, whose
 * softmax then runs in float64 where tfjs's runs in float32; probabilities and gradients move by
 * ~1e−5 of the largest entry. 1e−4 of the largest entry leaves a tenfold margin.
 */
/** −Σ_k p_k log(p_k + 1e−5) of each row, in float64, clamped at 0 (Partial FC's definition). */
function entropiesOf(probs: ArrayLike<number>, rows: number, classes: number): Float64Array {
  return Float64Array.from({ length: rows }, (_, i) => {
    let e = 0;
    for (let k = 0; k < classes; k++) e -= probs[i * classes + k]! * Math.log(probs[i * classes + k]! + 1e-5);
    return Math.max(0, e);
  });
}

function expectClose(actual: number[], expected: ArrayLike<number>, what: string): void {
  const scale = Math.max(1, ...Array.from(expected, Math.abs));
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((x, i) => expect(Math.abs(x - expected[i]!), `${what}[${i}]`).toBeLessThanOrEqual(1e-4 * scale));
}

/** The full margin softmax over `classes` (global ids) of all ranks' rows, one rank's loss at a time. */
function reference(ranks: RankOut[], classes: number[]) {
  const { DIM, BATCH, CLASSES, SEED } = SETUP;
  const centres = tf.tensor2d(initialCentres(0, CLASSES, DIM, SEED), [CLASSES, DIM]);
  const Z = tf.tensor2d(ranks.flatMap((r) => r.z), [ranks.length * BATCH, DIM]);
  const Y = ranks.flatMap((r) => r.labels).map((c) => classes.indexOf(c));
  const per = ranks.map((r, q) => {
    const f = (z: tf.Tensor, w: tf.Tensor) => {
      const logits = marginLogits(z as tf.Tensor2D, tf.gather(w, classes) as tf.Tensor2D, tf.tensor1d(Y, 'int32'), SETUP.HEAD);
      const logp = tf.slice(tf.logSoftmax(logits), [q * BATCH, 0], [BATCH, classes.length]);
      const onehot = tf.oneHot(tf.tensor1d(Y.slice(q * BATCH, (q + 1) * BATCH), 'int32'), classes.length);
      const ce = tf.neg(tf.sum(tf.mul(logp, onehot), 1));
      const pGt = tf.sum(tf.mul(tf.exp(logp), onehot), 1);
      return { ce, pGt, p: tf.exp(logp), loss: tf.add(tf.sum(tf.mul(ce, r.a)), tf.sum(tf.mul(pGt, r.b))) as tf.Scalar };
    };
    const v = f(Z, centres);
    const [dZ, dW] = tf.grads((z, w) => f(z, w).loss)([Z, centres]);
    return { ce: v.ce.dataSync(), pGt: v.pGt.dataSync(), entropies: entropiesOf(v.p.dataSync(), BATCH, classes.length),
      dz: tf.slice(dZ!, [q * BATCH, 0], [BATCH, DIM]).dataSync(), dW: dW! };
  });
  const dW = tf.addN(per.map((p) => p.dW)).dataSync();
  return { per, dW };
}

function launch(ranks: number, sampleRate: number): RankOut[] {
  requireBinding();
  const out = mkdtempSync(join(dir, `np${ranks}-`));
  const run = mpirun(['-np', String(ranks), process.execPath, join(ROOT, 'test', 'mpi', 'partial-fc.mjs'), out, String(sampleRate), JSON.stringify(SETUP)], 60_000);
  expect(run.timedOut, run.stderr).toBe(false);
  expect(run.status, run.stderr).toBe(0);
  return Array.from({ length: ranks }, (_, r) => JSON.parse(readFileSync(join(out, `rank-${r}.json`), 'utf8')) as RankOut);
}

function compare(results: RankOut[], classes: number[]): void {
  const ref = reference(results, classes);
  for (const r of results) {
    expectClose(r.ce, ref.per[r.rank]!.ce, `rank ${r.rank} ce`);
    expectClose(r.pGt, ref.per[r.rank]!.pGt, `rank ${r.rank} p_gt`);
    expectClose(r.entropies, ref.per[r.rank]!.entropies, `rank ${r.rank} entropies`);
    expectClose(r.dz, ref.per[r.rank]!.dz, `rank ${r.rank} dL/dz`);
    // the class shard's gradient: the sum over every rank's loss, rows [lo, hi) of the full one
    expectClose(r.dW, ref.dW.subarray(r.lo * SETUP.DIM, r.hi * SETUP.DIM), `rank ${r.rank} dL/dW`);
  }
}

describe('Partial FC pieces', () => {
  it("splits classes as insightface and samples every positive plus seeded negatives", () => {
    expect([0, 1, 2].map((r) => classRange(11, r, 3))).toEqual([[0, 4], [4, 8], [8, 11]]);
    expect(Array.from(sampleClasses(new Set([3, 7]), 10, 1, 5))).toEqual([...Array(10).keys()]);
    const s = sampleClasses(new Set([3, 7]), 10, 0.5, 5);
    expect(s.length).toBe(5);
    expect(Array.from(s)).toEqual([...s].sort((x, y) => x - y));
    expect(s.includes(3) && s.includes(7)).toBe(true);
    expect(Array.from(sampleClasses(new Set([3, 7]), 10, 0.5, 5))).toEqual(Array.from(s));  // seeded
    expect(Array.from(sampleClasses(new Set([1, 3, 7]), 10, 0.2, 5))).toEqual([1, 3, 7]);   // positives beyond the rate
    // the initial centres do not depend on the split
    expect(Array.from(initialCentres(4, 8, 3, 2))).toEqual(Array.from(initialCentres(0, 11, 3, 2).subarray(12, 24)));
  });
});

describe.skipIf(!MPIRUN)('Partial FC (mpirun, TCP loopback)', () => {
  it.each([2, 3])('sampleRate 1 on %i ranks equals the full softmax: ce, p_gt, entropies, gradients', (ranks) => {
    const results = launch(ranks, 1);
    expect(results.map((r) => [r.lo, r.hi])).toEqual(results.map((_, q) => classRange(SETUP.CLASSES, q, ranks)));
    compare(results, [...Array(SETUP.CLASSES).keys()]);
  });

  it('sampleRate 0.5 on 2 ranks equals the full softmax over the sampled classes', () => {
    const results = launch(2, 0.5);
    const labels = new Set(results.flatMap((r) => r.labels));
    for (const r of results) {
      const positives = [...labels].filter((c) => c >= r.lo && c < r.hi);
      expect(r.sample.length).toBe(Math.max(positives.length, Math.floor(0.5 * (r.hi - r.lo))));
      for (const c of positives) expect(r.sample).toContain(c);
    }
    const union = results.flatMap((r) => r.sample);
    expect(union.length).toBeLessThan(SETUP.CLASSES);  // something was left out
    compare(results, union);
  });
});
