// `topofr persistence FILE`: the Vietoris–Rips barcodes of a Ripser-format input in dimensions
// 0…K, printed by default exactly as Ripser 1.2.1 prints them (so the two can be diffed), or as
// JSON with the critical edges of every interval.
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { parseCount, parseFloat32, parsePrime } from './arguments.js';
import { pairwiseDistances, ripsPersistence } from '../index.js';
import { assertSparseFits } from '../ops/rips.js';
import { TopofrError } from '../errors.js';
import type { Device, LowerDistanceMatrix, Metric, RipsInput } from '../types.js';
import { parseRipserInput, RIPSER_FORMATS, type RipserFormat, type RipserInput } from '../io/ripser-input.js';
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

// ---------------------------------------------------------------------------------------------
// The command

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

interface PersistenceFlags extends PersistenceOptions {
  format: RipserFormat;
  json?: boolean;
}

export function registerPersistence(program: Command): void {
  program
    .command('persistence')
    .description('Vietoris–Rips persistence barcodes of a Ripser input file, printed as Ripser 1.2.1 prints them')
    .argument('<file>', "input file, or '-' for standard input")
    .addOption(new Option('--format <format>', 'input format (as Ripser names them)').choices(RIPSER_FORMATS).default('lower-distance'))
    .option('--dim <k>', 'compute persistent homology up to dimension k', (v) => parseCount(v, 0), 1)
    .option('--threshold <t>', 'compute Rips complexes up to diameter t (default: the enclosing radius)', parseFloat32(0))
    .option('--modulus <p>', 'compute homology with coefficients in the prime field Z/pZ', parsePrime, 2)
    // Below 1 Ripser would also print zero-length pairs, which the engine does not report.
    .option('--ratio <r>', 'only show persistence pairs with death/birth ratio > r', parseFloat32(1))
    .option('--json', 'print one JSON object (n, threshold, births, deaths, critical edges) instead of Ripser text')
    .option('--threads <n>', 'threads to use (default: all cores; the result does not depend on it)', (v) => parseCount(v, 1))
    .addOption(new Option('--metric <metric>', 'distance between points (point-cloud only; Ripser: euclidean)').choices(['euclidean', 'sqeuclidean', 'cosine']))
    .addOption(new Option('--device <device>', 'where to compute').choices(['cpu', 'cuda', 'auto']))
    .option('--distributed', 'under mpirun/srun: H0 of a point cloud (--dim 0) computed by all ranks, rows sharded (docs/distributed.md)')
    .action(async (file: string, flags: PersistenceFlags & { distributed?: boolean }, command: Command) => {
      if (flags.distributed) {
        const { persistenceDistributed } = await import('./persistence-distributed.js');
        return persistenceDistributed(file, flags);
      }
      if (flags.metric !== undefined && flags.format !== 'point-cloud') {
        command.error(`error: --metric applies only to --format point-cloud, not ${flags.format}`, { exitCode: 2 });
      }
      const { bytes, name } = await readInput(file);
      const report = await computePersistence(parseRipserInput(bytes, flags.format, name), flags);
      process.stdout.write(flags.json ? formatJson(report) : formatRipserText(report));
    });
}
