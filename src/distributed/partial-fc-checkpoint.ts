// Partial FC's class shards in checkpoints: each rank writes its own centres and their momentum
// (checkpoint/partial-fc/rank-<r>-of-<W>/step-<S>/, the format of src/train/checkpoint.ts) before
// rank 0 commits the step's main checkpoint; once every rank is past that commit, older steps'
// shards go. So the shards of the step rank 0's checkpoint names always exist, whenever a crash
// comes. Resuming on W' ranks (a shared filesystem, or W' = W on the same machines) reads the rows
// [lo', hi') of the new split from the old shards that hold them.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TopofrRangeError } from '../errors.js';
import { loadCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import type { PartialFc } from './partial-fc.js';
import type { World } from './world.js';

interface ShardState {
  step: number;
  lo: number;
  hi: number;
}

const shardsDir = (checkpointDir: string) => join(checkpointDir, 'partial-fc');
const rankDir = (checkpointDir: string, rank: number, ranks: number) => join(shardsDir(checkpointDir), `rank-${rank}-of-${ranks}`);

/** Writes this rank's shard for `step` and removes its shards of earlier steps that a committed checkpoint no longer needs. */
export function savePartialFcShard(checkpointDir: string, step: number, world: World, pfc: PartialFc, tensors: Map<string, tf.Variable>): void {
  const mine = rankDir(checkpointDir, world.rank, world.size);
  saveCheckpoint(join(mine, `step-${step}`), { step, lo: pfc.lo, hi: pfc.hi } satisfies ShardState,
    [...tensors].map(([name, v]) => [name, { shape: v.shape, values: v.dataSync() as Float32Array }]));
  // Steps before the previous save were superseded by a checkpoint every rank has passed (the
  // barrier after each commit); the previous one may still be the committed one until rank 0 writes.
  const steps = readdirSync(mine).filter((d) => /^step-\d+$/.test(d)).map((d) => Number(d.slice(5))).sort((a, b) => a - b);
  for (const s of steps.slice(0, -2)) rmSync(join(mine, `step-${s}`), { recursive: true, force: true });
}

/** Loads rows [pfc.lo, pfc.hi) of `step`'s shards (any earlier rank count) into this rank's tensors. */
export function loadPartialFcShard(checkpointDir: string, step: number, pfc: PartialFc, tensors: Map<string, tf.Variable>): void {
  const root = shardsDir(checkpointDir);
  const sets = existsSync(root) ? readdirSync(root).map((d) => /^rank-(\d+)-of-(\d+)$/.exec(d)).filter((m) => m !== null) : [];
  const ranks = [...new Set(sets.map((m) => Number(m[2])))].find((w) =>
    Array.from({ length: w }, (_, r) => existsSync(join(rankDir(checkpointDir, r, w), `step-${step}`, 'checkpoint.json'))).every(Boolean));
  if (ranks === undefined)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `no complete set of partial FC shards for step ${step} in ${root} (a shared filesystem is needed to resume on other machines)`);
  for (const [name, variable] of tensors) {
    const [rows, cols] = variable.shape as [number, number];
    const values = new Float32Array(rows * cols);
    for (let r = 0; r < ranks; r++) {
      const shard = loadCheckpoint<ShardState>(join(rankDir(checkpointDir, r, ranks), `step-${step}`));
      const { lo, hi } = shard.state;
      const from = Math.max(lo, pfc.lo), to = Math.min(hi, pfc.hi);
      if (from >= to) continue;
      values.set(shard.tensors.get(name)!.values.subarray((from - lo) * cols, (to - lo) * cols), (from - pfc.lo) * cols);
    }
    variable.assign(tf.tensor2d(values, [rows, cols]));
  }
}
