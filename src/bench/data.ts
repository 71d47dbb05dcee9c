// The bench inputs: seeded points (Gaussian, or clustered unit vectors like face embeddings),
// written once to files so that our child process and every anchor read exactly the same float32
// values; and the Ripser examples shipped in bench/data.
import { readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { PointCloud } from '../types.js';
import { syntheticFaceBatch } from '../data/face-embeddings.js';
import { gaussian, mulberry32 } from '../util/random.js';
import type { CaseSpec } from './types.js';

/** n×dim standard normal points, float32, row-major. */
export function gaussianPoints(n: number, dim: number, seed: number): PointCloud {
  const normal = gaussian(mulberry32(seed));
  return { data: Float32Array.from({ length: n * dim }, normal), n, dim };
}

/** The points of a case: its clustered source, or standard normal points. */
export function casePoints(spec: CaseSpec, seed: number): PointCloud {
  const source = spec.rips?.source;
  if (source && 'identities' in source) return syntheticFaceBatch({ ...source, dim: spec.dim, seed }).points;
  return gaussianPoints(spec.n, spec.dim, seed);
}

/** A file of bench/data (next to bench/anchors, in the repository and the package alike). */
export const benchDataFile = (name: string): string => fileURLToPath(new URL(`../../bench/data/${name}`, import.meta.url));

export function writeBinary(path: string, points: PointCloud): void {
  writeFileSync(path, new Uint8Array(points.data.buffer, points.data.byteOffset, points.data.byteLength));
}

export function readBinary(path: string, n: number, dim: number): PointCloud {
  const bytes = readFileSync(path);
  if (bytes.byteLength !== n * dim * 4) {
    throw new Error(`${path}: ${bytes.byteLength} bytes, expected ${n}×${dim} float32`);
  }
  // Copy into a fresh, aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
  const data = new Float32Array(n * dim);
  new Uint8Array(data.buffer).set(bytes);
  return { data, n, dim };
}

/** Ripser's point-cloud format: one point per line, comma-separated. 9 significant digits
 *  round-trip a float32 exactly, so Ripser sees the same values as we do. */
export async function writePointCloudText(path: string, points: PointCloud): Promise<void> {
  const out = createWriteStream(path);
  const row: string[] = new Array<string>(points.dim);
  for (let i = 0; i < points.n; i++) {
    for (let j = 0; j < points.dim; j++) row[j] = points.data[i * points.dim + j].toPrecision(9);
    if (!out.write(row.join(',') + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
