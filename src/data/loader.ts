// The training data loader: batches of a FaceSource as the trainer consumes them, step by step.
//
//   plan     which samples and flips step k holds (sampler.ts: a function of seed, epoch, step, rank)
//   workers  decode (libjpeg-turbo where loadable, else sharp: the same pixels), resize, flip and
//            normalise, each into its rows of a shared batch buffer; a batch is split into one
//            contiguous block per worker, so its bytes do not depend on how many workers there are
//   prefetch up to `prefetch` batches are in flight ahead of the one asked for (a bounded queue)
//
// Any step can be asked for at any time (resume mid-epoch): the loader restarts its prefetch there.
// Sources without a worker spec (the synthetic split) are read in this thread with the same code.
// A bad sample (corrupt image, broken record, label out of range) rejects the batch with a typed
// error naming the file and offset; with skipBadImages it is counted and replaced by the next good
// sample of the source (i + 1, i + 2, … mod size), so the batch stays deterministic.
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { jpegDecoder } from './jpeg-turbo.js';
import { BatchPlan } from './sampler.js';
import { loadBlock, type BlockRequest, type BlockResult } from './load-block.js';
import type { FaceSource } from './source.js';
import { TopofrError, TopofrRangeError, TopofrTypeError, type TopofrErrorCode } from '../errors.js';

export interface LoaderOptions {
  /** Samples per rank and step (B). */
  batchSize: number;
  /** Side of the square training images; sources of another size are resized (with a warning). */
  imageSize: number;
  seed: number;
  /** This process's rank and the number of ranks (W); each global step holds W·B samples. */
  rank?: number;
  worldSize?: number;
  /** Decoding threads; default min(2, cores); 0 reads in this thread. Ignored for sources without a spec. */
  workers?: number;
  /** Batches decoded ahead of the one asked for, by the workers; default 2. */
  prefetch?: number;
  /** Count and skip bad samples instead of failing. */
  skipBadImages?: boolean;
  /** Told once per source when its images are resized. */
  onWarning?: (message: string) => void;
}

export interface LoadedBatch {
  step: number;
  epoch: number;
  /** NHWC float32 in [−1, 1], flips applied (over a SharedArrayBuffer when workers loaded it). */
  images: Float32Array;
  labels: Int32Array;
  /** The source's sample indices the plan chose (before any substitution of a skipped sample). */
  indices: Int32Array;
}

export interface DataLoader {
  readonly source: FaceSource;
  readonly plan: BatchPlan;
  /** Steps per epoch. */
  readonly perEpoch: number;
  /** The batch of global step `step`. */
  batch(step: number): Promise<LoadedBatch>;
  /** The distinct bad samples skipped so far (skipBadImages), entries left out at open included. */
  readonly skipped: readonly string[];
  /** Stops the workers. */
  close(): Promise<void>;
}

// Under vitest the sources run as .ts, and a worker needs JavaScript: it runs the compiled file.
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? '../../dist/data/loader-worker.js' : './loader-worker.js', import.meta.url);

interface Pending {
  promise: Promise<LoadedBatch>;
}

/** Rebuilds a typed error that crossed a thread boundary (structured clone keeps only the message). */
export function reviveError(e: { name: string; code?: string; message: string }): Error {
  if (e.code?.startsWith('ERR_TOPOFR_')) {
    const code = e.code as TopofrErrorCode;
    if (e.name === 'TopofrTypeError') return new TopofrTypeError(code, e.message);
    if (e.name === 'TopofrRangeError') return new TopofrRangeError(code, e.message);
    return new TopofrError(code, e.message);
  }
  return new Error(e.message);
}

export function createLoader(source: FaceSource, options: LoaderOptions): DataLoader {
  const { batchSize, imageSize, seed, rank = 0, worldSize = 1, prefetch = 2, skipBadImages = false } = options;
  if (!Number.isInteger(imageSize) || imageSize < 1)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `createLoader: imageSize must be an integer ≥ 1, got ${String(imageSize)}`);
  if (!Number.isInteger(prefetch) || prefetch < 1)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `createLoader: prefetch must be an integer ≥ 1, got ${String(prefetch)}`);
  const plan = new BatchPlan(source.size, { batchSize, seed, worldSize });
  const wanted = options.workers ?? Math.min(2, availableParallelism());
  if (!Number.isInteger(wanted) || wanted < 0)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `createLoader: workers must be an integer ≥ 0, got ${String(wanted)}`);
  const spec = source.spec;
  const workerCount = spec ? Math.min(wanted, batchSize) : 0;
  if (workerCount > 0 && !existsSync(fileURLToPath(WORKER_URL)))
    throw new TopofrError('ERR_TOPOFR_NO_NATIVE', `the loader's worker ${fileURLToPath(WORKER_URL)} is missing: run \`npm run build\``);

  // Keyed by sample (entries left out at open by their message): one bad file counts once, even
  // when its decoder words the error differently on another read (sharp does).
  const skipped = new Map<number | string, string>(source.skippedAtOpen.map((m) => [m, m]));
  const warned = new Set<string>();
  const warn = (message: string): void => {
    if (warned.has(message)) return;
    warned.add(message);
    options.onWarning?.(message);
  };
  // One JPEG decoder for the whole run, told to the workers (sources of raw pixels decode nothing).
  const common = { imageSize, skipBadImages, jpeg: source.readEncoded ? jpegDecoder().decoder : 'sharp' as const };

  // Workers: each opens its own copy of the source and answers block requests by id.
  let broken: Error | undefined;
  let closing = false;
  const waiting = new Map<number, { resolve: (r: BlockResult) => void; reject: (e: Error) => void }>();
  const workers = Array.from({ length: workerCount }, () => {
    // No inherited flags: the worker runs one compiled file, and flags such as `node -e`'s
    // --input-type would stop it (while process-wide ones such as --expose-gc are refused).
    const worker = new Worker(WORKER_URL, { workerData: { spec, ...common }, execArgv: [] });
    worker.on('message', (m: { id: number; result?: BlockResult; error?: { name: string; code?: string; message: string }; warning?: string }) => {
      if (m.warning) return warn(m.warning);
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      holdProcess();
      if (m.error) w?.reject(reviveError(m.error));
      else w?.resolve(m.result!);
    });
    // A worker that dies (an error, or an exit the loader did not ask for) fails what is pending and
    // every later request: nothing may wait on a thread that is gone.
    const fail = (err: Error): void => {
      broken ??= err;
      for (const w of waiting.values()) w.reject(err);
      waiting.clear();
      holdProcess();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!closing) fail(new TopofrError('ERR_TOPOFR_INVALID_VALUE', `a data loader worker stopped (exit code ${code})`));
    });
    worker.unref(); // after the listeners: adding a 'message' listener refs the worker again
    return worker;
  });
  // Workers keep the process alive while a block is pending (the caller is waiting for it), never
  // while idle: a loader left open does not hold the process at its end.
  let held = false;
  function holdProcess(): void {
    // Once closing, close() holds them until they exit: a block answered meanwhile must not unref a
    // worker whose exit is still awaited (the process then ended mid-await, with exit code 13).
    if (closing || held === waiting.size > 0) return;
    held = waiting.size > 0;
    for (const w of workers) held ? w.ref() : w.unref();
  }
  let nextId = 0;
  const inWorker = (w: number, request: BlockRequest): Promise<BlockResult> =>
    new Promise((resolve, reject) => {
      if (broken) return reject(broken);
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      holdProcess();
      workers[w]!.postMessage({ id, request });
    });

  async function load(step: number): Promise<LoadedBatch> {
    const { epoch, indices, flips } = plan.step(step, rank);
    const pixels = batchSize * imageSize * imageSize * 3;
    const shared = workerCount > 0;
    const imageBuffer = shared ? new SharedArrayBuffer(pixels * 4) : new ArrayBuffer(pixels * 4);
    const labelBuffer = shared ? new SharedArrayBuffer(batchSize * 4) : new ArrayBuffer(batchSize * 4);
    const block = (from: number, to: number): BlockRequest => ({ indices: indices.subarray(from, to), flips: flips.subarray(from, to), row: from, images: imageBuffer, labels: labelBuffer });
    let results: BlockResult[];
    if (!shared) {
      results = [await loadBlock(source, block(0, batchSize), common, warn)];
    } else {
      const per = Math.ceil(batchSize / workerCount);
      results = await Promise.all(workers.map((_, w) => inWorker(w, block(Math.min(batchSize, w * per), Math.min(batchSize, (w + 1) * per)))));
    }
    for (const r of results) for (const { sample, message } of r.skipped) if (!skipped.has(sample)) skipped.set(sample, message);
    // The batch is the buffer its workers wrote (each batch has its own; no worker writes to it
    // again): copying it out of shared memory cost the training thread ~90 µs per 112×112 image.
    return { step, epoch, images: new Float32Array(imageBuffer), labels: new Int32Array(labelBuffer), indices };
  }

  // The prefetch queue: steps in flight, keyed by step. Reading in this thread gains nothing from
  // reading ahead (the work would only move), so only workers prefetch.
  const ahead = workerCount > 0 ? prefetch : 0;
  const inFlight = new Map<number, Pending>();
  const start = (step: number): Pending => {
    const pending = { promise: load(step) };
    pending.promise.catch(() => {}); // observed when asked for; never an unhandled rejection before that
    inFlight.set(step, pending);
    return pending;
  };
  return {
    source,
    plan,
    perEpoch: plan.perEpoch,
    get skipped() {
      return [...skipped.values()];
    },
    batch(step: number) {
      const pending = inFlight.get(step) ?? start(step);
      // Drop what the caller will not ask for (a jump, e.g. a resume), then top the queue up.
      for (const k of inFlight.keys()) if (k < step || k > step + ahead) inFlight.delete(k);
      for (let k = step + 1; k <= step + ahead; k++) if (!inFlight.has(k)) start(k);
      inFlight.delete(step);
      return pending.promise;
    },
    async close() {
      closing = true;
      inFlight.clear();
      // Referenced while they stop: an unreferenced worker's exit does not keep the caller's await alive.
      await Promise.all(workers.map((w) => (w.ref(), w.terminate())));
      for (const w of waiting.values()) w.reject(new TopofrError('ERR_TOPOFR_INVALID_VALUE', 'the data loader was closed'));
      waiting.clear();
    },
  };
}
