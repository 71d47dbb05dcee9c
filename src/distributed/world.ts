// The "world" the trainer and the tools see (DESIGN.md §1): this process's rank, the rank count,
// and the collectives, with sync forms and Promise forms (`world.async`). One code path serves one
// process and many: `localWorld()` is a world of size 1 whose collectives are identities (an
// all-reduce leaves the buffer as it is, an all-gather copies), and `mpiWorld()` runs the same
// calls over MPI (src/distributed/mpi.ts). Collectives must be called in the same order on every
// rank; Promise forms are issued one after another in call order, and a sync call while one is
// still pending is refused rather than reordered.
//
// Sums are deterministic by default: a rank-ordered reduce-scatter (Alltoall, then the W pieces
// added in rank order, then Allgather), so every rank gets the same bits, equal to adding the ranks'
// buffers in rank order in one process. `mode: 'fast'` uses the library's MPI_Allreduce instead.
import { TopofrError, TopofrRangeError } from '../errors.js';
import { native } from '../native.js';
import { assertPointCloud, resolveMetric, resolveThreads } from '../ops/validate.js';
import type { H0Result, Metric, PointCloud } from '../types.js';
import { mpiAddon, typedError, type AnyTypedArray, type FloatBuffer, type MpiAddon, type MpiWorldInfo, type Reduction } from './mpi.js';

export type { AnyTypedArray, FloatBuffer, Reduction } from './mpi.js';

export interface ReduceOptions {
  /** Default 'sum'. */
  op?: Reduction;
  /** Sums: 'deterministic' (default, rank-ordered) or 'fast' (MPI_Allreduce). Max and min are exact either way. */
  mode?: 'deterministic' | 'fast';
}

/** The collectives, in one form: R<T> is T (sync) or Promise<T> (world.async). */
interface CollectiveForms<Async extends boolean> {
  /** In place: every rank's buffer becomes the element-wise reduction over ranks. */
  allReduce(buffer: FloatBuffer, options?: ReduceOptions): Result<Async, void>;
  /** In place: every rank's buffer becomes root's. */
  broadcast(buffer: AnyTypedArray, root?: number): Result<Async, void>;
  /** Every rank's `send` (all of one length), concatenated in rank order. */
  allGather<T extends AnyTypedArray>(send: T): Result<Async, T>;
  /** Every rank's `send` (rank q sends counts[q] elements), concatenated in rank order. */
  allGatherv<T extends AnyTypedArray>(send: T, counts: readonly number[]): Result<Async, T>;
  /** This rank's slice (counts[rank] elements, at Σ counts[< rank]) of the sum over ranks of `send`. */
  reduceScatter<T extends FloatBuffer>(send: T, counts: readonly number[], options?: Pick<ReduceOptions, 'mode'>): Result<Async, T>;
  barrier(): Result<Async, void>;
  /**
   * persistenceH0 of a point cloud computed by all ranks together: every rank passes the same
   * points, computes its share of the distance tiles and owns a block of rows; the result,
   * returned on every rank, is exactly persistenceH0's (native/core/h0.cc). O(n·(dim + 16))
   * memory per rank: for clouds whose n×n matrix no machine could hold.
   */
  persistenceH0(points: PointCloud, options?: { metric?: Metric; threads?: number }): Result<Async, H0Result>;
}
type Result<Async extends boolean, T> = Async extends true ? Promise<T> : T;

export type Collectives = CollectiveForms<false>;
export type AsyncCollectives = CollectiveForms<true>;

export interface World extends Collectives {
  readonly rank: number;
  readonly size: number;
  /** Rank within this machine (one process per GPU/socket is chosen by it). */
  readonly localRank: number;
  /** True for an MPI world (even of size 1), false for localWorld(). */
  readonly distributed: boolean;
  /** "rank 1 of 2 on host-b" — for messages. */
  readonly description: string;
  readonly async: AsyncCollectives;
  /**
   * Ends this process and, in an MPI world, the whole job (MPI_Abort): prints
   * "topofr: rank r of W on HOST: <cause>" to stderr first, so the log names who failed and why.
   */
  abort(cause: unknown, code?: number): never;
  /** MPI_Finalize (a no-op for localWorld); collectives fail afterwards. */
  finalize(): void;
}

/** What a world runs its collectives on: the MPI binding, or identities for one process. */
type Transport = Pick<MpiAddon, 'allReduce' | 'reduceScatter' | 'broadcast' | 'allGatherv' | 'barrier' | 'abort' | 'finalize' |
  'persistenceH0Points'>;

const LOCAL_TRANSPORT: Transport = {
  allReduce: () => undefined,
  reduceScatter: (send, recv) => void recv.set(send as never),
  broadcast: () => undefined,
  allGatherv: (send, recv) => void recv.set(send as never),
  barrier: () => undefined,
  abort: (code) => process.exit(code),
  finalize: () => undefined,
  persistenceH0Points: (points, n, dim, metric, threads, async) =>
    async ? native().persistenceH0Points(points, n, dim, metric, threads, true, 'cpu') : native().persistenceH0Points(points, n, dim, metric, threads, false, 'cpu'),
};

function message(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const code = (cause as { code?: unknown }).code;
  // topofr's own errors are the whole story; anything else is a bug, worth its stack.
  return typeof code === 'string' && code.startsWith('ERR_TOPOFR_') ? cause.message : (cause.stack ?? cause.message);
}

class CommWorld implements World {
  readonly async: AsyncCollectives;
  readonly description: string;
  private pending = 0;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly transport: Transport, readonly rank: number, readonly size: number, readonly localRank: number,
    readonly distributed: boolean, host: string) {
    this.description = `rank ${rank} of ${size}${host ? ` on ${host}` : ''}`;
    this.async = {
      allReduce: (buffer, options) => this.queue(() => this.reduceCall(buffer, options, true), undefined),
      broadcast: (buffer, root = 0) => this.queue(() => transport.broadcast(buffer, this.checkRoot(root), true), undefined),
      allGather: (send) => this.gather(send, Array<number>(this.size).fill(send.length), true),
      allGatherv: (send, counts) => this.gather(send, counts, true),
      reduceScatter: (send, counts, options) => this.scatter(send, counts, options, true),
      barrier: () => this.queue(() => transport.barrier(true), undefined),
      persistenceH0: (points, options) => this.h0(points, options, true),
    };
  }

  allReduce(buffer: FloatBuffer, options?: ReduceOptions): void {
    this.now(() => this.reduceCall(buffer, options, false));
  }
  broadcast(buffer: AnyTypedArray, root = 0): void {
    this.now(() => this.transport.broadcast(buffer, this.checkRoot(root), false));
  }
  allGather<T extends AnyTypedArray>(send: T): T {
    return this.gather(send, Array<number>(this.size).fill(send.length), false);
  }
  allGatherv<T extends AnyTypedArray>(send: T, counts: readonly number[]): T {
    return this.gather(send, counts, false);
  }
  reduceScatter<T extends FloatBuffer>(send: T, counts: readonly number[], options?: Pick<ReduceOptions, 'mode'>): T {
    return this.scatter(send, counts, options, false);
  }
  barrier(): void {
    this.now(() => this.transport.barrier(false));
  }
  persistenceH0(points: PointCloud, options?: { metric?: Metric; threads?: number }): H0Result {
    return this.h0(points, options, false);
  }

  abort(cause: unknown, code = 1): never {
    process.stderr.write(`topofr: ${this.description}: ${message(cause)}\n`);
    return this.transport.abort(code);
  }

  finalize(): void {
    this.now(() => this.transport.finalize());
  }

  private reduceCall(buffer: FloatBuffer, options: ReduceOptions = {}, async: boolean) {
    const { op = 'sum', mode = 'deterministic' } = options;
    if (mode !== 'deterministic' && mode !== 'fast')
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `allReduce: mode must be 'deterministic' or 'fast', got ${String(mode)}`);
    return this.transport.allReduce(buffer, op, mode === 'deterministic', async);
  }

  private gather<A extends boolean, T extends AnyTypedArray>(send: T, counts: readonly number[], async: A): Result<A, T> {
    const recv = this.allocate(send, this.checkCounts(counts, 'allGatherv'));
    return this.issue(async, () => this.transport.allGatherv(send, recv, [...counts], async), recv);
  }

  private scatter<A extends boolean, T extends FloatBuffer>(send: T, counts: readonly number[], options: Pick<ReduceOptions, 'mode'> = {},
    async: A): Result<A, T> {
    this.checkCounts(counts, 'reduceScatter');
    const recv = this.allocate(send, counts[this.rank]!);
    const { mode = 'deterministic' } = options;
    return this.issue(async, () => this.transport.reduceScatter(send, recv, [...counts], mode === 'deterministic', async), recv);
  }

  private h0<A extends boolean>(points: PointCloud, options: { metric?: Metric; threads?: number } = {}, async: A): Result<A, H0Result> {
    const fn = 'world.persistenceH0';
    const { data, n, dim } = assertPointCloud(points, fn);
    const metric = resolveMetric(options.metric, fn), threads = resolveThreads(options.threads, fn);
    const result: H0Result = { edges: new Int32Array(0), deaths: new Float32Array(0) };
    const fill = (raw: H0Result) => Object.assign(result, raw);
    return this.issue(async, () => {
      const raw = this.transport.persistenceH0Points(data, n, dim, metric, threads, async);
      return raw instanceof Promise ? raw.then(fill) : fill(raw);
    }, result);
  }

  private allocate<T extends AnyTypedArray>(like: T, length: number): T {
    if (!ArrayBuffer.isView(like)) throw new TopofrRangeError('ERR_TOPOFR_INVALID_TYPE', 'expected a typed array');
    return new (like.constructor as new (n: number) => T)(length);
  }

  private checkCounts(counts: readonly number[], fn: string): number {
    if (!Array.isArray(counts) || counts.length !== this.size || !counts.every((c) => Number.isInteger(c) && c >= 0))
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: counts must hold ${this.size} integers ≥ 0 (one per rank), got ${JSON.stringify(counts)}`);
    return counts.reduce((a, b) => a + b, 0);
  }

  private checkRoot(root: number): number {
    if (!Number.isInteger(root) || root < 0 || root >= this.size)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `broadcast: root must be a rank in [0, ${this.size}), got ${String(root)}`);
    return root;
  }

  private issue<A extends boolean, T>(async: A, call: () => unknown, result: T): Result<A, T> {
    return (async ? this.queue(call, result) : (this.now(call), result)) as Result<A, T>;
  }

  /** A sync call: refused while a Promise form is pending (it would overtake it). */
  private now(call: () => unknown): void {
    if (this.pending > 0)
      throw new TopofrError('ERR_TOPOFR_MPI', `a collective is still in flight on ${this.description}; await it before a sync call (collectives run in the same order on every rank)`);
    try {
      call();
    } catch (err) {
      throw typedError(err);
    }
  }

  /** A Promise form: issued after the previous one settles, in call order. */
  private queue<T>(call: () => unknown, result: T): Promise<T> {
    this.pending++;
    const run = this.tail.then(async () => {
      try {
        await call();
        return result;
      } catch (err) {
        throw typedError(err);
      } finally {
        this.pending--;
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }
}

/** The world of one process: rank 0 of 1, collectives are identities. */
export function localWorld(): World {
  return new CommWorld(LOCAL_TRANSPORT, 0, 1, 0, false, '');
}

let mpi: { world: World; info: MpiWorldInfo } | undefined;

/**
 * The MPI world of this process (MPI_Init_thread on first call; loads topofr_mpi.node). Launch
 * with `mpirun -np W …` or `srun --mpi=pmix …`; a process started alone is a world of size 1.
 */
export function mpiWorld(): World {
  if (mpi) return mpi.world;
  const addon = mpiAddon();
  let info: MpiWorldInfo;
  try {
    info = addon.init();
  } catch (err) {
    throw typedError(err);
  }
  mpi = { world: new CommWorld(addon, info.rank, info.size, info.localRank, true, info.processor), info };
  return mpi.world;
}

/** What MPI_Init reported (library, thread level, …), once mpiWorld() has run. */
export function mpiWorldInfo(): MpiWorldInfo | undefined {
  return mpi?.info;
}

/** The rank count an MPI launcher announces to each process it starts (Open MPI's mpirun; MPICH's
 *  and Slurm's PMI), or 0 when there is none. */
export function launcherWorldSize(env: NodeJS.ProcessEnv = process.env): number {
  const size = env.OMPI_COMM_WORLD_SIZE ?? env.PMI_SIZE;
  return size ? Number(size) || 0 : 0;
}
