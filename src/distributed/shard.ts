// Which samples of a step's batch a gradient shard (a rank) takes: the global batch of B samples
// in S contiguous shards of B/S, shard s = samples [s·B/S, (s + 1)·B/S). The data pipeline asks
// only this, so a loader that serves "sample i of step k" shards the same way.
import { TopofrRangeError } from '../errors.js';

export function shardRange(batchSize: number, shard: number, shards: number): [number, number] {
  if (!Number.isInteger(shards) || shards < 1 || batchSize % shards !== 0 || !Number.isInteger(shard) || shard < 0 || shard >= shards)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `shard ${shard} of ${shards}: the batch of ${batchSize} must split into ${shards} equal shards`);
  const size = batchSize / shards;
  return [shard * size, (shard + 1) * size];
}
