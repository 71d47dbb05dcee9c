// The canonical data-parallel step: a step's batch of B samples is S shards of B/S samples; each
// shard is a full forward/backward with its own topology loss and GUM fit (as one rank of the
// official DDP run); the step's gradient is the shard gradients summed in shard order in float32,
// ((g0 + g1) + g2) + …, then divided by S. One process with `shards: S` computes the shards one
// after another and adds them here; S MPI ranks compute one shard each and add them with the
// world's deterministic all-reduce, which adds in rank order with the same float32 roundings — so
// both end with the same bits, and clip + SGD then run on identical inputs everywhere.
//
// Batch-norm running statistics are not reduced (DDP's broadcast_buffers=False): each rank keeps
// those of its own shards, and rank 0 checkpoints its own. One process keeps shard 0's, the
// statistics rank 0 would have.
//
// Variables come in two kinds: replicated ones (the backbone, a full classifier), whose gradients
// are flattened into one buffer and all-reduced, and rank-local ones (a Partial FC class shard),
// whose gradient already sums every shard's loss (src/distributed/partial-fc.ts) and is only
// divided by S. With local variables the clipping norm is computed here over both kinds
// (the local part all-reduced), the same number on every rank.
import * as tf from '@tensorflow/tfjs';
import type { StepParts } from '../train/step.js';
import type { World } from './world.js';

export interface ShardResult {
  grads: tf.NamedTensorMap;
  parts: StepParts;
}

export interface StepPlan {
  world: World;
  /** Shards per step: 1 per rank in a distributed run, any divisor of the batch in one process. */
  shards: number;
  /** All-reduced: the same on every rank. */
  replicated: readonly tf.Variable[];
  /** This rank's own (Partial FC's class shard). */
  local: readonly tf.Variable[];
  /** Batch-norm moving statistics (kept from shard 0 when one process runs several shards). */
  runningStats: readonly tf.Variable[];
}

export interface StepGradients extends ShardResult {
  /** The global gradient norm for clipping, when the plan has local variables (else the optimizer's own). */
  norm?: number;
}

// Counts are summed over the shards, the rest averaged; gammaMean is read after the update.
const PART_KEYS = ['loss', 'cls', 'topo', 'omega', 'pi', 'perturbed', 'pGtOne', 'mstRatio', 'participation'] as const;
const COUNTS: ReadonlySet<string> = new Set(['perturbed', 'pGtOne']);

/** The shards this process computes. */
export function localShards(plan: Pick<StepPlan, 'world' | 'shards'>): number[] {
  const { world, shards } = plan;
  if (world.size === 1) return Array.from({ length: shards }, (_, s) => s);
  return [world.rank];
}

/** The replicated gradients, flattened in variable order (variables without a gradient are left out). */
function flatten(grads: tf.NamedTensorMap, variables: readonly tf.Variable[]): Float32Array {
  const flat = new Float32Array(variables.reduce((n, v) => n + v.size, 0));
  let at = 0;
  for (const v of variables) {
    flat.set(grads[v.name]!.dataSync() as Float32Array, at);
    at += v.size;
  }
  return flat;
}

function unflatten(flat: Float32Array, variables: readonly tf.Variable[]): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  let at = 0;
  for (const v of variables) {
    out[v.name] = tf.tensor(flat.subarray(at, at + v.size), v.shape);
    at += v.size;
  }
  return out;
}

/**
 * One step's gradient under the plan: computes this process's shards with `computeShard(s)`, adds
 * them in shard order, all-reduces across ranks (deterministic), divides by S; the parts (loss, …)
 * are averaged the same way (perturbed and pGtOne are counts: summed). With one shard in one process, the
 * shard's own gradients are returned untouched.
 */
export function stepGradients(plan: StepPlan, computeShard: (shard: number) => ShardResult): StepGradients {
  const { world, shards, local, runningStats } = plan;
  if (shards === 1 && world.size === 1) return computeShard(0);
  if (world.size > 1 && shards !== world.size)
    throw new RangeError(`a distributed step runs one shard per rank: shards ${shards} ≠ ${world.size} ranks`);
  let sum: Float32Array | undefined;
  let replicated: tf.Variable[] = [];
  const localSums = new Map<tf.Variable, tf.Tensor>();
  const partSums = new Float64Array(PART_KEYS.length);
  let shard0Stats: tf.Tensor[] | undefined;
  for (const s of localShards(plan)) {
    const { grads, parts } = computeShard(s);
    if (s === 0 && world.size === 1) shard0Stats = runningStats.map((v) => tf.clone(v));
    replicated = plan.replicated.filter((v) => grads[v.name]);  // the same graph, the same set, every shard
    const flat = flatten(grads, replicated);
    if (!sum) sum = flat;
    else for (let i = 0; i < flat.length; i++) sum[i] += flat[i]!;
    for (const v of local.filter((x) => grads[x.name])) {
      const previous = localSums.get(v);
      localSums.set(v, previous ? tf.add(previous, grads[v.name]!) : tf.clone(grads[v.name]!));
      tf.dispose(previous);
    }
    PART_KEYS.forEach((key, i) => (partSums[i] += parts[key]));
    tf.dispose(Object.values(grads));
  }
  if (shard0Stats) runningStats.forEach((v, i) => v.assign(shard0Stats![i]!));
  tf.dispose(shard0Stats ?? []);

  world.allReduce(sum!);
  for (let i = 0; i < sum!.length; i++) sum![i] /= shards;
  world.allReduce(partSums);
  const parts = Object.fromEntries([...PART_KEYS.map((key, i) => [key, COUNTS.has(key) ? partSums[i]! : partSums[i]! / shards]), ['gammaMean', NaN]]) as unknown as StepParts;
  const grads = unflatten(sum!, replicated);
  if (localSums.size === 0) return { grads, parts };

  // Local gradients: divided by S; the clipping norm over everything, the same on every rank.
  const squares = new Float64Array(1);
  for (const [v, g] of localSums) {
    grads[v.name] = tf.div(g, shards);
    for (const x of grads[v.name]!.dataSync()) squares[0]! += x * x;
  }
  tf.dispose([...localSums.values()]);
  world.allReduce(squares);
  for (const x of sum!) squares[0]! += x * x;
  return { grads, parts, norm: Math.sqrt(squares[0]!) };
}
