// Loads topofr_mpi.node, the MPI binding (native/mpi/), on first use only: the main addon and the
// prebuild never link MPI, and nothing MPI is touched unless a caller asks for distributed mode.
// TOPOFR_MPI_ADDON=/path/to/topofr_mpi.node loads a specific binary. The binding's errors are
// rethrown as topofr's typed errors (TopofrError, TopofrRangeError, TopofrTypeError), code kept.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TopofrError, TopofrRangeError, TopofrTypeError, type TopofrErrorCode } from '../errors.js';
import type { RawH0 } from '../native.js';

export type FloatBuffer = Float32Array | Float64Array;
export type AnyTypedArray = Float32Array | Float64Array | Int32Array | Uint32Array | Int16Array | Uint16Array |
  Int8Array | Uint8Array | Uint8ClampedArray | BigInt64Array | BigUint64Array;
export type Reduction = 'sum' | 'max' | 'min';

export interface MpiWorldInfo {
  rank: number;
  size: number;
  /** Rank and rank count within this node (MPI_COMM_TYPE_SHARED). */
  localRank: number;
  localSize: number;
  /** What MPI_Init_thread provided ('funneled' is all the binding needs). */
  threadLevel: string;
  /** e.g. "Open MPI v4.1.4". */
  library: string;
  /** The host name MPI reports. */
  processor: string;
}

/** The binding's functions; `async` true returns a Promise (the call runs on the MPI thread either way). */
export interface MpiAddon {
  init(): MpiWorldInfo;
  finalize(): void;
  abort(code: number): never;
  allReduce(buffer: FloatBuffer, op: Reduction, deterministic: boolean, async: boolean): void | Promise<void>;
  reduceScatter(send: FloatBuffer, recv: FloatBuffer, counts: number[], deterministic: boolean, async: boolean): void | Promise<void>;
  broadcast(buffer: AnyTypedArray, root: number, async: boolean): void | Promise<void>;
  allGatherv(send: AnyTypedArray, recv: AnyTypedArray, counts: number[], async: boolean): void | Promise<void>;
  barrier(async: boolean): void | Promise<void>;
  persistenceH0Points(points: Float32Array, n: number, dim: number, metric: string, threads: number, async: boolean): RawH0 | Promise<RawH0>;
}

const require = createRequire(import.meta.url);
// src/distributed/ and dist/distributed/ both sit two levels below the package root.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CANDIDATES = ['build/Release/mpi/topofr_mpi.node', 'build/Debug/mpi/topofr_mpi.node'];

let addon: MpiAddon | undefined;

/** Where the binding is looked for: TOPOFR_MPI_ADDON, else the CMake build's mpi/ folder. */
export function mpiAddonPath(): string | undefined {
  const explicit = process.env.TOPOFR_MPI_ADDON;
  if (explicit) return path.resolve(explicit);
  return CANDIDATES.map((c) => path.join(root, c)).find((p) => existsSync(p));
}

/** A native error with an ERR_TOPOFR_* code becomes the matching typed topofr error. */
export function typedError(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (!(err instanceof Error) || typeof code !== 'string' || !code.startsWith('ERR_TOPOFR_')) return err;
  if (err instanceof TopofrError || err instanceof TopofrRangeError || err instanceof TopofrTypeError) return err;
  const Kind = err instanceof TypeError ? TopofrTypeError : err instanceof RangeError ? TopofrRangeError : TopofrError;
  return new Kind(code as TopofrErrorCode, err.message);
}

/** The binding, loaded on first use; a TopofrError ERR_TOPOFR_NO_MPI says how to get it. */
export function mpiAddon(): MpiAddon {
  if (addon) return addon;
  const file = mpiAddonPath();
  const how = 'install an MPI library (Debian/Ubuntu: apt-get install libopenmpi-dev openmpi-bin) and build topofr from ' +
    'source (`npm run build:native` in a checkout, `npx cmake-js rebuild` in node_modules/topofr): the binding links ' +
    "the machine's own MPI, so no prebuilt binary ships it";
  if (!file) throw new TopofrError('ERR_TOPOFR_NO_MPI', `topofr's MPI binding (topofr_mpi.node) is not built: ${how}`);
  try {
    addon = require(file) as MpiAddon;
  } catch (cause) {
    throw new TopofrError('ERR_TOPOFR_NO_MPI', `topofr's MPI binding ${file} does not load (${(cause as Error).message.split('\n')[0]}): ${how}`);
  }
  return addon;
}

/** Whether the binding is present (it may still fail to load). */
export function mpiAvailable(): boolean {
  return mpiAddonPath() !== undefined;
}
