// What a distributed training run agrees on before its first step: the ranks' fingerprints and the
// config's shard count (one gradient shard per rank), then rank 0's weights, optimizer state and
// step (fresh or resumed), broadcast to every rank. For localWorld() both are no-ops.
import * as tf from '@tensorflow/tfjs';
import { TopofrRangeError } from '../errors.js';
import type { TrainConfig } from '../train/config.js';
import { checkFingerprints, fingerprint } from './fingerprint.js';
import type { World } from './world.js';

/** Refuses a config the world cannot run, and (several ranks) ranks that differ. */
export function agreeOnRun(world: World, config: TrainConfig): void {
  if (world.size > 1 && config.shards !== world.size)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `a distributed run computes one gradient shard per rank: shards is ${config.shards}, the job has ${world.size} ranks`);
  if (config.partialFc && world.size === 1 && config.shards > 1)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', 'partialFc splits the classes across ranks: in one process use shards 1');
  if (world.size > 1) checkFingerprints(world, fingerprint(config));
}

/** Every rank's `tensors` and step become rank 0's (one broadcast of all values); returns the step. */
export function shareState(world: World, tensors: Map<string, tf.Variable>, step: number): number {
  if (world.size === 1) return step;
  const variables = [...tensors.values()];
  const flat = new Float32Array(variables.reduce((n, v) => n + v.size, 0));
  let at = 0;
  for (const v of variables) {
    flat.set(v.dataSync() as Float32Array, at);
    at += v.size;
  }
  world.broadcast(flat, 0);
  at = 0;
  for (const v of variables) {
    v.assign(tf.tensor(flat.subarray(at, at + v.size), v.shape));
    at += v.size;
  }
  const shared = Float64Array.of(step);
  world.broadcast(shared, 0);
  return shared[0]!;
}
