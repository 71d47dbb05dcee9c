// The World of one process (localWorld: the collectives' identities, sync and Promise forms, the
// same argument checks as MPI's) and the canonical sharded step's arithmetic, without MPI.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { stepGradients, type StepPlan } from '../src/distributed/canonical-step.js';
import { shardRange } from '../src/distributed/shard.js';
import { localWorld } from '../src/distributed/world.js';
import { emptyParts, type StepParts } from '../src/train/step.js';
import { persistenceH0 } from '../src/ops/h0.js';
import { thrownCode as code } from './support/error-code.js';

describe('localWorld', () => {
  it('is rank 0 of 1; collectives are identities, sync and async', async () => {
    const world = localWorld();
    expect([world.rank, world.size, world.localRank, world.distributed]).toEqual([0, 1, 0, false]);
    const x = Float32Array.of(1, 2, 3);
    world.allReduce(x);
    world.broadcast(x, 0);
    await world.async.allReduce(x, { op: 'max' });
    expect(Array.from(x)).toEqual([1, 2, 3]);
    const gathered = world.allGather(Int32Array.of(4, 5));
    expect(gathered).toBeInstanceOf(Int32Array);
    expect(Array.from(gathered)).toEqual([4, 5]);
    expect(Array.from(await world.async.allGatherv(Float64Array.of(7), [1]))).toEqual([7]);
    expect(Array.from(world.reduceScatter(Float32Array.of(1, 2), [2]))).toEqual([1, 2]);
    world.barrier();
    const points = { data: Float32Array.from({ length: 40 }, (_, i) => Math.sin(i)), n: 10, dim: 4 };
    expect(world.persistenceH0(points)).toEqual(persistenceH0(points));
    expect(await world.async.persistenceH0(points)).toEqual(persistenceH0(points));
  });

  it('checks arguments as the MPI world does', () => {
    const world = localWorld();
    expect(code(() => world.allGatherv(Float32Array.of(1), [1, 1]))).toBe('TopofrRangeError:ERR_TOPOFR_INVALID_SHAPE');
    expect(code(() => world.reduceScatter(Float32Array.of(1), [-1]))).toBe('TopofrRangeError:ERR_TOPOFR_INVALID_SHAPE');
    expect(code(() => world.broadcast(Float32Array.of(1), 1))).toBe('TopofrRangeError:ERR_TOPOFR_INVALID_VALUE');
    expect(code(() => world.allReduce(Float32Array.of(1), { mode: 'exact' as never }))).toBe('TopofrRangeError:ERR_TOPOFR_INVALID_VALUE');
    expect(code(() => world.persistenceH0({ data: new Float32Array(3), n: 2, dim: 2 }))).toBe('TopofrRangeError:ERR_TOPOFR_INVALID_SHAPE');
  });

  it('refuses a sync collective while a Promise form is pending', async () => {
    const world = localWorld();
    const pending = world.async.barrier();
    expect(code(() => world.barrier())).toBe('TopofrError:ERR_TOPOFR_MPI');
    await pending;
    expect(code(() => world.barrier())).toBe('none');
  });
});

describe('the canonical sharded step (one process)', () => {
  it('splits a batch into contiguous equal shards', () => {
    expect([0, 1, 2, 3].map((s) => shardRange(8, s, 4))).toEqual([[0, 2], [2, 4], [4, 6], [6, 8]]);
    expect(code(() => shardRange(8, 0, 3))).toBe('TopofrRangeError:ERR_TOPOFR_INVALID_VALUE');
  });

  it('sums shard gradients in shard order in float32, divides by S, keeps shard 0 statistics', () => {
    const w = tf.variable(tf.zeros([3]), true, 'cs-w');
    const local = tf.variable(tf.zeros([2]), true, 'cs-local');
    const stats = tf.variable(tf.zeros([1]), false, 'cs-stats');
    // three shards whose float32 sum depends on the order: 1e8 + 1 − 1e8 ≠ 1e8 − 1e8 + 1
    const shardGrads = [[1e8, 1, 0.1], [1, -1e8, 0.2], [-1e8, 1e8, 0.3]];
    const plan: StepPlan = { world: localWorld(), shards: 3, replicated: [w], local: [], runningStats: [stats] };
    const parts = (s: number): StepParts => ({ ...emptyParts(), loss: s, cls: 2 * s, topo: 0, omega: 1, perturbed: s, pGtOne: 1, mstRatio: s });
    const { grads, parts: mean } = stepGradients(plan, (s) => {
      stats.assign(tf.tensor1d([10 + s]));  // a forward pass updates the running statistics
      return { grads: { [w.name]: tf.tensor1d(shardGrads[s]!) }, parts: parts(s) };
    });
    const expected = [0, 1, 2].map((i) => Math.fround(Math.fround(Math.fround(shardGrads[0]![i]! + shardGrads[1]![i]!) + shardGrads[2]![i]!) / 3));
    expect(Array.from(grads[w.name]!.dataSync())).toEqual(expected.map(Math.fround));
    expect(expected[0]).toBe(0);  // 1e8 + 1 rounds to 1e8 in float32: the shard-order sum, not the exact 1/3
    expect(mean).toMatchObject({ loss: 1, cls: 2, perturbed: 3, omega: 1, pGtOne: 3, mstRatio: 1 });
    expect(mean.gammaMean).toBeNaN();  // read after the update, not a shard's
    expect(stats.dataSync()[0]).toBe(10);  // shard 0's statistics, as rank 0's
    // one shard in one process: the shard's own gradients, untouched
    const g = tf.tensor1d([1, 2, 3]);
    const single = stepGradients({ ...plan, shards: 1 }, () => ({ grads: { [w.name]: g }, parts: parts(0) }));
    expect(single.grads[w.name]).toBe(g);
    expect(single.norm).toBeUndefined();
    // rank-local variables (Partial FC): divided by S, and the clipping norm covers both kinds
    const withLocal = stepGradients({ ...plan, shards: 2, local: [local] }, (s) =>
      ({ grads: { [w.name]: tf.tensor1d([3, 0, 0]), [local.name]: tf.tensor1d([4 * (s + 1), 0]) }, parts: parts(s) }));
    expect(Array.from(withLocal.grads[local.name]!.dataSync())).toEqual([6, 0]);
    expect(withLocal.norm).toBeCloseTo(Math.sqrt(3 * 3 + 6 * 6), 12);
  });
});
