// Checkpoints: named float32 tensors in one binary file per checkpoint, and a manifest
// (checkpoint.json) that names that file with its length and SHA-256, the run state (step,
// config) and the tensor table.
//
// The manifest's rename is the one commit point. A write is this sequence of file operations:
//   1. write tensors-<k>.bin, 2. fsync it   (k: one more than any tensors file there, so a new name:
//                                             the committed checkpoint is untouched)
//   3. write checkpoint.json.tmp, 4. fsync it
//   5. fsync the folder                           (both new entries are on disk before the commit)
//   6. rename checkpoint.json.tmp → checkpoint.json   ← commit
//   7. fsync the folder                           (the commit itself is on disk)
//   8… remove the files the manifest does not name (older tensors, a stale .tmp)
// Killed before 6, the folder still holds the previous checkpoint, complete; from 6 on, the new
// one. Loading checks the named file's length and hash, so a manifest can never be paired with
// another step's tensors. test/checkpoint-crash.test.ts kills a run after each operation in turn
// (src/io/crash-point.ts).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TopofrError } from '../errors.js';
import { afterFileOperation } from '../io/crash-point.js';
import { commitRename, syncFolder, writeDurably } from '../io/durable-file.js';

export interface CheckpointEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

export interface Checkpoint<State> {
  state: State;
  tensors: Map<string, { shape: number[]; values: Float32Array }>;
}

interface Manifest<State> {
  format: typeof FORMAT;
  /** The tensors' file, in the same folder. */
  file: string;
  bytes: number;
  sha256: string;
  state: State;
  entries: CheckpointEntry[];
}

const FORMAT = 'topofr-checkpoint-2';
const MANIFEST = 'checkpoint.json';
const STAGED_MANIFEST = `${MANIFEST}.tmp`;
const TENSOR_FILE = /^tensors-\d{8,}\.bin$/;
const tensorFile = (sequence: number): string => `tensors-${String(sequence).padStart(8, '0')}.bin`;

const damaged = (dir: string, why: string): TopofrError =>
  new TopofrError('ERR_TOPOFR_CHECKPOINT', `no usable checkpoint in ${dir}: ${why}`);

function readManifest<State>(dir: string): Manifest<State> | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, MANIFEST), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw damaged(dir, (err as Error).message);
  }
  let manifest: Manifest<State>;
  try {
    manifest = JSON.parse(text) as Manifest<State>;
  } catch {
    throw damaged(dir, `${MANIFEST} is not valid JSON`);
  }
  if (manifest === null || typeof manifest !== 'object' || manifest.format !== FORMAT)
    throw damaged(dir, `${MANIFEST} is not a ${FORMAT} manifest (written by another version of topofr?)`);
  if (typeof manifest.file !== 'string' || !TENSOR_FILE.test(manifest.file))
    throw damaged(dir, `${MANIFEST} names no tensors file of this folder`);
  if (!Number.isSafeInteger(manifest.bytes) || typeof manifest.sha256 !== 'string' || !Array.isArray(manifest.entries))
    throw damaged(dir, `${MANIFEST} lacks the tensors' length, hash or table`);
  return manifest;
}

/** The sequence number after the committed checkpoint's: each write gets a fresh file name. */
function nextSequence(dir: string): number {
  let last = 0;
  for (const name of readdirSync(dir)) if (TENSOR_FILE.test(name)) last = Math.max(last, Number(name.slice(8, -4)));
  return last + 1;
}

export function saveCheckpoint<State>(dir: string, state: State, tensors: Iterable<[string, { shape: number[]; values: Float32Array }]>): void {
  mkdirSync(dir, { recursive: true });
  const entries: CheckpointEntry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    entries.push({ name, shape: t.shape, offset, length: t.values.length });
    chunks.push(t.values);
    offset += t.values.length;
  }
  const data = new Float32Array(offset);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const file = tensorFile(nextSequence(dir));
  writeDurably(join(dir, file), bytes);
  const manifest: Manifest<State> = {
    format: FORMAT, file, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex'), state, entries,
  };
  writeDurably(join(dir, STAGED_MANIFEST), Buffer.from(JSON.stringify(manifest, null, 1)));
  syncFolder(dir);
  commitRename(dir, STAGED_MANIFEST, MANIFEST);  // the commit
  removeUnnamed(dir, file);
}

/** Removes every tensors file but `keep` (none: all of them), after a commit or before a fresh run. */
function removeUnnamed(dir: string, keep?: string): void {
  for (const name of readdirSync(dir))
    if ((TENSOR_FILE.test(name) && name !== keep) || name === STAGED_MANIFEST) {
      rmSync(join(dir, name), { force: true });
      afterFileOperation(`remove ${join(dir, name)}`);
    }
}

/** Makes `dir` hold no checkpoint (a fresh run in an old run's folder): the manifest goes first,
 *  so a crash halfway leaves no manifest pointing at a removed file. */
export function clearCheckpoint(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;  // no folder, no checkpoint
  }
  if (names.includes(MANIFEST)) {
    rmSync(join(dir, MANIFEST));
    afterFileOperation(`remove ${join(dir, MANIFEST)}`);
    syncFolder(dir);
  }
  removeUnnamed(dir);
}

/** The committed checkpoint of `dir`, verified; a TopofrError ERR_TOPOFR_CHECKPOINT says what is wrong. */
export function loadCheckpoint<State>(dir: string): Checkpoint<State> {
  const manifest = readManifest<State>(dir);
  if (manifest === undefined) throw damaged(dir, `${MANIFEST} is missing (train without --resume first)`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, manifest.file));
  } catch (err) {
    throw damaged(dir, `cannot read ${manifest.file}: ${(err as Error).message}`);
  }
  if (bytes.byteLength !== manifest.bytes || createHash('sha256').update(bytes).digest('hex') !== manifest.sha256)
    throw damaged(dir, `${manifest.file} does not match the manifest (length or SHA-256)`);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const e of manifest.entries) {
    const valid = e !== null && typeof e === 'object' && typeof e.name === 'string' && Array.isArray(e.shape) &&
      e.shape.every((d) => Number.isSafeInteger(d) && d >= 0) && Number.isSafeInteger(e.offset) && Number.isSafeInteger(e.length) &&
      e.offset >= 0 && e.length >= 0 && e.offset + e.length <= data.length && e.shape.reduce((a, b) => a * b, 1) === e.length;
    if (!valid || tensors.has(e.name)) throw damaged(dir, `${MANIFEST} has an invalid tensor entry ${JSON.stringify(e)?.slice(0, 80)}`);
    tensors.set(e.name, { shape: e.shape, values: data.subarray(e.offset, e.offset + e.length) });
  }
  return { state: manifest.state, tensors };
}

/** The run state of `dir`'s committed checkpoint, without reading its tensors; undefined if none. */
export function checkpointState<State>(dir: string): State | undefined {
  return readManifest<State>(dir)?.state;
}
