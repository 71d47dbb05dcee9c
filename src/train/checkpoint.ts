// Checkpoints: named float32 tensors in one binary file plus a JSON manifest (step, names, shapes,
// offsets, and whatever run state the trainer adds). Written to a temporary name and renamed, so an
// interrupted write never leaves a half checkpoint where `--resume` would find it.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TopofrRangeError } from '../errors.js';

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
  writeFileSync(join(dir, 'tensors.bin.tmp'), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  writeFileSync(join(dir, 'checkpoint.json.tmp'), JSON.stringify({ state, entries }, null, 1));
  renameSync(join(dir, 'tensors.bin.tmp'), join(dir, 'tensors.bin'));
  renameSync(join(dir, 'checkpoint.json.tmp'), join(dir, 'checkpoint.json'));
}

export function loadCheckpoint<State>(dir: string): Checkpoint<State> {
  let manifest: { state: State; entries: CheckpointEntry[] };
  let bytes: Buffer;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as typeof manifest;
    bytes = readFileSync(join(dir, 'tensors.bin'));
  } catch (err) {
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `no usable checkpoint in ${dir}: ${(err as Error).message}`);
  }
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const e of manifest.entries) {
    if (e.offset + e.length > data.length)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `checkpoint ${dir} is truncated (tensor ${e.name})`);
    tensors.set(e.name, { shape: e.shape, values: data.slice(e.offset, e.offset + e.length) });
  }
  return { state: manifest.state, tensors };
}
