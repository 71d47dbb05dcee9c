// One rank of test/mpi.test.ts's collectives check (run under mpirun): runs every collective of
// the MPI world on seeded inputs and writes its inputs and results to OUT/rank-<r>.json. The
// test computes what each result must be from all ranks' inputs (the definitions).
import { writeFileSync } from 'node:fs';
import { mpiWorld, mpiWorldInfo } from '../../dist/distributed/world.js';
import { mixSeed, mulberry32 } from '../../dist/util/random.js';

const out = process.argv[2];
const world = mpiWorld();
const { rank, size } = world;
const uniform = mulberry32(mixSeed(12, rank));
// Mixed magnitudes and signs, so that the order of a float sum shows in the last bits.
const floats = (n, Type) => Type.from({ length: n }, () => (uniform() - 0.5) * 2 ** Math.floor(uniform() * 40 - 20));
const result = { rank, size, localRank: world.localRank, info: mpiWorldInfo(), inputs: {}, outputs: {}, errors: {} };
const keep = (name, input, output) => {
  result.inputs[name] = Array.from(input);
  result.outputs[name] = Array.from(output);
};

// all-reduce: deterministic and fast sums in float32 and float64, max, min
for (const [name, Type, options] of [
  ['sum32', Float32Array, {}], ['sum32fast', Float32Array, { mode: 'fast' }], ['sum64', Float64Array, {}],
  ['max32', Float32Array, { op: 'max' }], ['min64', Float64Array, { op: 'min' }],
]) {
  const input = floats(1001, Type);
  const buffer = input.slice();
  world.allReduce(buffer, options);
  keep(name, input, buffer);
}
// broadcast from a non-zero root, several element types
for (const [name, Type, root] of [['bcastInt32', Int32Array, size - 1], ['bcastUint8', Uint8Array, 0], ['bcastFloat64', Float64Array, size - 1]]) {
  const input = Type.from({ length: 37 }, () => Math.floor(uniform() * 200));
  const buffer = input.slice();
  world.broadcast(buffer, root);
  keep(name, input, buffer);
}
// all-gather (equal) and all-gatherv (uneven, one rank sends nothing)
const gatherCounts = Array.from({ length: size }, (_, q) => (q === 1 ? 0 : 3 + q));
{
  const input = floats(5, Float32Array);
  keep('gather', input, world.allGather(input));
  const v = Int32Array.from({ length: gatherCounts[rank] }, () => Math.floor(uniform() * 1e6));
  keep('gatherv', v, world.allGatherv(v, gatherCounts));
}
// reduce-scatter, deterministic and fast
const scatterCounts = Array.from({ length: size }, (_, q) => (q === 1 ? 0 : 4 + 3 * q));
for (const [name, options] of [['scatter', {}], ['scatterFast', { mode: 'fast' }]]) {
  const input = floats(scatterCounts.reduce((a, b) => a + b, 0), Float32Array);
  keep(name, input, world.reduceScatter(input, scatterCounts, options));
}
// Promise forms: three issued at once run in call order, each with its own result
{
  const inputs = [floats(64, Float32Array), floats(64, Float64Array), floats(64, Float32Array)];
  const buffers = inputs.map((x) => x.slice());
  let refused = 'none';
  const pending = [world.async.allReduce(buffers[0]), world.async.allReduce(buffers[1]), world.async.allReduce(buffers[2], { op: 'max' })];
  try {
    world.barrier();  // a sync call while Promise forms are pending must be refused
  } catch (err) {
    refused = `${err.name}:${err.code}`;
  }
  const gathered = world.async.allGather(Int32Array.of(rank * 10));
  await Promise.all(pending);
  keep('asyncSum32', inputs[0], buffers[0]);
  keep('asyncSum64', inputs[1], buffers[1]);
  keep('asyncMax32', inputs[2], buffers[2]);
  keep('asyncGather', [rank * 10], await gathered);
  result.errors.syncWhilePending = refused;
}
// The event loop lives while a collective waits: rank 0's barrier waits ~300 ms for the last rank.
{
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  if (rank === size - 1) await new Promise((resolve) => setTimeout(resolve, 300));
  const ticksBefore = ticks;
  await world.async.barrier();
  clearInterval(timer);
  result.outputs.ticksDuringBarrier = [ticks - ticksBefore];
}
// Bad arguments: typed errors, raised before anything is sent (the ranks stay in step)
const caught = (f) => {
  try {
    f();
    return 'none';
  } catch (err) {
    return `${err.name}:${err.code}`;
  }
};
result.errors.int32Sum = caught(() => world.allReduce(new Int32Array(4)));
result.errors.badCounts = caught(() => world.reduceScatter(new Float32Array(4), [4]));
result.errors.badRoot = caught(() => world.broadcast(new Float32Array(4), size));
result.errors.badMode = caught(() => world.allReduce(new Float32Array(4), { mode: 'exact' }));
world.barrier();
// An error inside the MPI library (MPI_ERRORS_RETURN): the last rank announces one element more
// than the others expect from it, so rank 0's receive is truncated; with 2 ranks (a plain
// exchange) the job carries on; with more, the algorithm's later stages would wait forever.
if (size === 2) {
  const counts = Array(size).fill(1);
  if (rank === size - 1) counts[rank] = 2;
  result.errors.truncated = caught(() => world.allGatherv(new Float32Array(counts[rank]), counts));
}
world.barrier();
writeFileSync(`${out}/rank-${rank}.json`, JSON.stringify(result));
world.finalize();
