// What `topofr persistence` runs (src/cli/persistence.ts registers the command and imports this
// when it runs): read the input, decide as Ripser 1.2.1's main() does, compute, print.
import { readFile } from 'node:fs/promises';
import { pairwiseDistances } from '../ops/distances.js';
import { assertSparseFits, ripsPersistence } from '../ops/rips.js';
import { TopofrError } from '../errors.js';
import type { Device, LowerDistanceMatrix, Metric, RipsInput } from '../types.js';
import { parseRipserInput, type RipserFormat, type RipserInput } from '../io/ripser-input.js';
import { denseStatistics } from '../io/ripser-statistics.js';
import { native } from '../native.js';
import {
  enclosingRadiusLine,
  formatJson,
  formatRipserText,
  pointCloudLine,
  ripserIntervals,
  sparseMatrixLine,
  valueRangeLine,
  type PersistenceReport,
} from '../io/ripser-output.js';

export interface PersistenceOptions {
  /** Highest dimension (Ripser's --dim). */
  dim: number;
  /** float32 value, ≥ 0; absent = Ripser's default (the enclosing radius for dense input). */
  threshold?: number;
  /** A prime: coefficients in Z/p. */
  modulus?: number;
  /** Ripser's --ratio: finite intervals are printed only if death > birth·ratio. */
  ratio?: number;
  metric?: Metric;
  device?: Device;
  threads?: number;
}

/** Peak memory per interval of the engine's result once printed (its arrays, the interval objects
 *  and the text): measured 3.4 GB for the 16.8 M essential classes of "0 16777215 1". */
const PRINTED_BYTES_PER_INTERVAL = 160;

/** What Ripser's main() decides before computing: its header lines, the threshold, and what the
 *  engine gets. */
interface Plan {
  n: number;
  header: string[];
  threshold?: number;
  engineInput: RipsInput;
}

/** The strict lower triangle of a full row-major matrix, Ripser's compressed layout. */
function lowerTriangle({ data, n }: { data: Float32Array; n: number }): LowerDistanceMatrix {
  const lower = new Float32Array((n * (n - 1)) / 2);
  for (let i = 1, k = 0; i < n; i++) {
    lower.set(data.subarray(i * n, i * n + i), k);
    k += i;
  }
  return { lower, n };
}

/**
 * The header depends on the input's kind, as in Ripser's main(): a point cloud announces itself;
 * with --threshold it prints nothing more; dense input prints its value range, then the enclosing
 * radius it uses as the threshold, or the number of entries within the given threshold; a sparse
 * file prints its entry count.
 */
function plan(input: RipserInput, options: PersistenceOptions): Plan {
  const { threshold, metric = 'euclidean', device } = options;
  if (input.kind === 'sparse') {
    const { sparse } = input;
    assertSparseFits(sparse.n, sparse.d.length, options.dim, 'persistence', PRINTED_BYTES_PER_INTERVAL);
    const possible = (sparse.n * (sparse.n - 1)) / 2;
    return { n: sparse.n, header: [sparseMatrixLine(sparse.n, sparse.i.length, possible)], threshold, engineInput: sparse };
  }
  if (input.kind === 'points') {
    const { cloud } = input;
    // Euclidean distances in Ripser's own float32 arithmetic, so that the text is Ripser's byte for
    // byte; other metrics are topofr's own. Either way the engine gets the lower triangle.
    const matrix: LowerDistanceMatrix =
      metric === 'euclidean'
        ? { lower: native().ripserEuclideanLower(cloud.data, cloud.n, cloud.dim), n: cloud.n }
        : lowerTriangle(pairwiseDistances(cloud, { metric, device }));
    const header = [pointCloudLine(cloud.n, cloud.dim)];
    if (threshold !== undefined) return { n: cloud.n, header, threshold, engineInput: matrix };
    const stats = denseStatistics(matrix, Infinity);
    header.push(valueRangeLine(stats.min, stats.maxFinite), enclosingRadiusLine(cloud.n, stats.enclosingRadius));
    return { n: cloud.n, header, threshold: stats.enclosingRadius, engineInput: matrix };
  }
  const { matrix } = input;
  const n = matrix.n;
  const stats = denseStatistics(matrix, threshold ?? Infinity);
  if (input.readerAppendsZero) {
    stats.min = Math.min(stats.min, 0);
    stats.entriesWithin++; // thresholds are ≥ 0
  }
  const header = [valueRangeLine(stats.min, stats.maxFinite)];
  if (threshold === undefined) {
    header.push(enclosingRadiusLine(n, stats.enclosingRadius));
    return { n, header, threshold: stats.enclosingRadius, engineInput: matrix };
  }
  // Ripser 1.2.1 prints (n·n − 1)/2 here, not n(n − 1)/2: reproduced, integer division included.
  header.push(sparseMatrixLine(n, stats.entriesWithin, Math.floor((n * n - 1) / 2)));
  return { n, header, threshold, engineInput: matrix };
}

/** Barcodes of dimensions 0…options.dim and Ripser's header for `input`. */
export async function computePersistence(input: RipserInput, options: PersistenceOptions): Promise<PersistenceReport> {
  const { n, header, threshold, engineInput } = plan(input, options);
  const { dim: maxDim, modulus, threads, device } = options;
  const barcodes = await ripsPersistence(engineInput, { maxDim, threshold, modulus, threads, device });
  const ratio = options.ratio ?? 1;
  return { n, header, threshold: threshold ?? null, dims: barcodes.map((b) => ripserIntervals(b, ratio)) };
}

const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
};

async function readInput(file: string): Promise<{ bytes: Uint8Array; name: string }> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return { bytes: Buffer.concat(chunks), name: '<stdin>' };
  }
  try {
    return { bytes: await readFile(file), name: file };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new TopofrError('ERR_TOPOFR_INVALID_VALUE', `cannot read ${file}: ${SYSTEM_ERRORS[code] ?? (err as Error).message}`);
  }
}

/** The command's work: `file` ('-': standard input) → barcodes on stdout, Ripser's text or JSON. */
export async function runPersistence(file: string, options: PersistenceOptions & { format: RipserFormat; json?: boolean }): Promise<void> {
  const { bytes, name } = await readInput(file);
  const report = await computePersistence(parseRipserInput(bytes, options.format, name), options);
  process.stdout.write(options.json ? formatJson(report) : formatRipserText(report));
}
