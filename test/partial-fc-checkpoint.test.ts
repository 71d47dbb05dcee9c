// Partial FC's shard checkpoints without MPI: shards written by W ranks are read back on W' ranks
// (rows re-split), only the last two steps' shards stay, and an incomplete set is refused.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { classRange, type PartialFc } from '../src/distributed/partial-fc.js';
import { loadPartialFcShard, savePartialFcShard } from '../src/distributed/partial-fc-checkpoint.js';
import type { World } from '../src/distributed/world.js';

const dir = mkdtempSync(join(tmpdir(), 'topofr-pfc-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLASSES = 10, DIM = 3;
const full = (scale: number) => Float32Array.from({ length: CLASSES * DIM }, (_, i) => scale * i);
/** Rank r of w's shard of the full matrices, as Partial FC would hold them. */
function shard(rank: number, ranks: number, scale: number) {
  const [lo, hi] = classRange(CLASSES, rank, ranks);
  const world = { rank, size: ranks } as World;
  const pfc = { lo, hi } as PartialFc;
  const tensors = new Map([
    ['head/centres', tf.variable(tf.tensor2d(full(scale).slice(lo * DIM, hi * DIM), [hi - lo, DIM]))],
    ['velocity/centres', tf.variable(tf.tensor2d(full(-scale).slice(lo * DIM, hi * DIM), [hi - lo, DIM]))],
  ]);
  return { world, pfc, tensors };
}

describe('Partial FC shard checkpoints', () => {
  it('3 ranks write, 2 ranks read their new rows; old steps pruned; incomplete sets refused', () => {
    for (const step of [2, 4, 6]) for (let r = 0; r < 3; r++) {
      const { world, pfc, tensors } = shard(r, 3, step);
      savePartialFcShard(dir, step, world, pfc, tensors);
    }
    expect(existsSync(join(dir, 'partial-fc', 'rank-0-of-3', 'step-2'))).toBe(false);
    expect(existsSync(join(dir, 'partial-fc', 'rank-0-of-3', 'step-4'))).toBe(true);
    for (let r = 0; r < 2; r++) {
      const { pfc, tensors } = shard(r, 2, 0);
      loadPartialFcShard(dir, 6, pfc, tensors);
      expect(Array.from(tensors.get('head/centres')!.dataSync())).toEqual(Array.from(full(6).slice(pfc.lo * DIM, pfc.hi * DIM)));
      expect(Array.from(tensors.get('velocity/centres')!.dataSync())).toEqual(Array.from(full(-6).slice(pfc.lo * DIM, pfc.hi * DIM)));
    }
    rmSync(join(dir, 'partial-fc', 'rank-1-of-3', 'step-6'), { recursive: true });
    const { pfc, tensors } = shard(0, 2, 0);
    expect(() => loadPartialFcShard(dir, 6, pfc, tensors)).toThrow(/no complete set of partial FC shards for step 6/);
  });
});
