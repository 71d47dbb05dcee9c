// Fault behaviour of a distributed run: nothing may hang. A rank that throws (or leaves a rejection
// or an exception unhandled) prints "topofr: rank r of W on HOST: <cause>" and calls MPI_Abort,
// which ends every rank of the job at once; a rank that dies outright is noticed by the launcher
// (mpirun ends the job when a rank exits without MPI_Finalize; under Slurm, use --kill-on-bad-exit).
// Without this, the surviving ranks would wait forever in their next collective.
import type { World } from './world.js';

/**
 * Runs `body` on `world`; on success finalizes MPI and returns the result, on any failure aborts
 * the whole job from this rank (never returns). A local world just runs `body` and rethrows.
 */
export async function runDistributed<T>(world: World, body: () => Promise<T>): Promise<T> {
  if (!world.distributed) return body();
  const fault = (err: unknown) => world.abort(err);
  process.on('uncaughtException', fault);
  process.on('unhandledRejection', fault);
  let result: T;
  try {
    result = await body();
  } catch (err) {
    return world.abort(err);
  }
  world.finalize();
  process.off('uncaughtException', fault);
  process.off('unhandledRejection', fault);
  return result;
}
