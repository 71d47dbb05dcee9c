// Before a distributed run trains, every rank must be able to compute the same step: the same
// topofr, Node and tfjs, the same GEMM code path (the instruction set decides float rounding), the
// same backend and the same configuration. Each rank's fingerprint is all-gathered; any difference
// stops the job before the first step, naming the rank and the field.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { TopofrError } from '../errors.js';
import { native } from '../native.js';
import type { World } from './world.js';

export type Fingerprint = Record<string, string>;

const packageVersion = (): string =>
  (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** A stable hash of a plain object (keys sorted at every level). */
export function stableHash(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
      : v;
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex').slice(0, 16);
}

/** This process's fingerprint for a run of `config`. */
export function fingerprint(config: object): Fingerprint {
  return {
    topofr: packageVersion(),
    node: process.version,
    tfjs: tf.version_core,
    backend: tf.getBackend(),
    gemm: native().capabilities().blas,
    config: stableHash(config),
  };
}

/** All-gathers every rank's fingerprint; throws ERR_TOPOFR_DISTRIBUTED (on every rank) unless all equal rank 0's. */
export function checkFingerprints(world: World, mine: Fingerprint): void {
  if (world.size === 1) return;
  const bytes = new TextEncoder().encode(JSON.stringify(mine));
  const lengths = world.allGather(Int32Array.of(bytes.length));
  const all = world.allGatherv(bytes, Array.from(lengths));
  const decoder = new TextDecoder();
  const prints: Fingerprint[] = [];
  for (let q = 0, at = 0; q < world.size; at += lengths[q]!, q++) prints.push(JSON.parse(decoder.decode(all.subarray(at, at + lengths[q]!))) as Fingerprint);
  const differences: string[] = [];
  prints.forEach((print, q) => {
    for (const key of Object.keys(prints[0]!))
      if (print[key] !== prints[0]![key]) differences.push(`rank ${q} has ${key} ${print[key]}, rank 0 has ${key} ${prints[0]![key]}`);
  });
  if (differences.length > 0)
    throw new TopofrError('ERR_TOPOFR_DISTRIBUTED', `the ranks of this job would not compute the same step (${differences.join('; ')}): ` +
      'run the same topofr build, Node and settings on every machine');
}
