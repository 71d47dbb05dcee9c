// Reads the Ripser example data and Ripser 1.2.1's own barcodes (test/fixtures/ripser/README.md).
// Deliberately independent of topofr's own parsers: this is the external truth.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'ripser');

/** A full n×n matrix from Ripser's lower-distance format (rows of the strict lower triangle). */
export function readLowerDistance(file: string): { data: Float32Array; n: number } {
  const rows = readFileSync(path.join(FIXTURES, file), 'utf8')
    .split('\n')
    .map((line) => line.split(/[,\s]+/).filter(Boolean).map(Number));
  const values = rows.flat();
  const n = Math.round((1 + Math.sqrt(1 + 8 * values.length)) / 2);
  const data = new Float32Array(n * n);
  let k = 0;
  for (let i = 1; i < n; i++)
    for (let j = 0; j < i; j++) {
      data[i * n + j] = values[k];
      data[j * n + i] = values[k++];
    }
  return { data, n };
}

export function readPointCloud(file: string): { data: Float32Array; n: number; dim: number } {
  const rows = readFileSync(path.join(FIXTURES, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => line.split(/[,\s]+/).filter(Boolean).map(Number));
  return { data: Float32Array.from(rows.flat()), n: rows.length, dim: rows[0].length };
}

/** Ripser's dim-k intervals: finite deaths and the number of essential classes. */
export function readBarcode(file: string, dim: number): { births: number[]; deaths: number[]; essential: number } {
  const lines = readFileSync(path.join(FIXTURES, file), 'utf8').split('\n');
  const start = lines.indexOf(`persistence intervals in dim ${dim}:`);
  if (start < 0) throw new Error(`${file} has no dim ${dim}`);
  const out = { births: [] as number[], deaths: [] as number[], essential: 0 };
  for (const line of lines.slice(start + 1)) {
    const m = /^ \[([^,]+),([^)]*)\)$/.exec(line);
    if (!m) break;
    if (m[2] === ' ') out.essential++;
    else {
      out.births.push(Number(m[1]));
      out.deaths.push(Number(m[2]));
    }
  }
  return out;
}
