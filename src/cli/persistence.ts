// `topofr persistence FILE`: the dimension-0 barcode of a Ripser-format input, printed by default
// exactly as Ripser 1.2.1 prints it (so the two can be diffed), or as JSON with the death edges.
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { pairwiseDistances, persistenceH0 } from '../index.js';
import { TopofrError } from '../errors.js';
import type { Device, DistanceMatrix, H0Result, Metric, PointCloud } from '../types.js';
import { parseRipserInput, RIPSER_FORMATS, type RipserFormat, type RipserInput } from '../io/ripser-input.js';
import {
  enclosingRadiusLine,
  intervalLine,
  intervalsHeaderLine,
  pointCloudLine,
  shortestFloat32,
  sparseMatrixLine,
  valueRangeLine,
} from '../io/ripser-output.js';

/** The H0 barcode as Ripser reports it: every class is born at 0; zero-length intervals are left out. */
export interface Dim0Barcode {
  n: number;
  /** Ripser's lines before "persistence intervals in dim 0:". */
  header: string[];
  /** The Rips threshold in force (float32); null where there is none. */
  threshold: number | null;
  /** Finite deaths, ascending, and the edge (u < v) whose length each one is. */
  deaths: number[];
  deathEdges: [number, number][];
  /** Classes that never die: the connected components at the threshold. */
  essential: number;
}

export interface Dim0Options {
  /** float32 value, ≥ 0; absent = Ripser's default (the enclosing radius for dense input). */
  threshold?: number;
  metric?: Metric;
  device?: Device;
}

/**
 * The Euclidean distance exactly as Ripser computes it: float32 squares summed in coordinate
 * order, then a float32 sqrt. Native distances (GEMM, other summation orders) differ in the last
 * bits, which can change the 6th printed digit; recomputing the few printed values this way
 * makes the text byte-identical.
 */
function ripserEuclidean(cloud: PointCloud, i: number, j: number): number {
  const { data, dim } = cloud;
  let sum = 0;
  for (let k = 0; k < dim; k++) {
    const diff = Math.fround(data[i * dim + k] - data[j * dim + k]);
    sum = Math.fround(sum + Math.fround(diff * diff));
  }
  return Math.fround(Math.sqrt(sum));
}

type PairDistance = (i: number, j: number) => number;

interface DenseStatistics {
  min: number;
  maxFinite: number;
  enclosingRadius: number;
  /** Entries ≤ threshold (Ripser's count for its sparse header line). */
  entriesWithin: number;
  /** The pairs that realise min, maxFinite and the enclosing radius, for exact recomputation. */
  minPair: [number, number];
  maxPair: [number, number];
  radiusPair: [number, number];
}

/** Ripser's header statistics over the strict lower triangle, and its enclosing radius
 *  min_i max_j d(i, j): the threshold beyond which the Rips complex is a cone. */
function denseStatistics(matrix: DistanceMatrix, threshold: number): DenseStatistics {
  const { data, n } = matrix;
  const stats: DenseStatistics = {
    min: Infinity,
    maxFinite: -Infinity,
    enclosingRadius: Infinity,
    entriesWithin: 0,
    minPair: [0, 0],
    maxPair: [0, 0],
    radiusPair: [0, 0],
  };
  for (let i = 0; i < n; i++) {
    let rowMax = -Infinity;
    let rowArgMax = i;
    for (let j = 0; j < n; j++) {
      const d = i === j ? 0 : data[i * n + j];
      if (d > rowMax) [rowMax, rowArgMax] = [d, j];
      if (j >= i) continue;
      if (d < stats.min) [stats.min, stats.minPair] = [d, [j, i]];
      if (d !== Infinity && d > stats.maxFinite) [stats.maxFinite, stats.maxPair] = [d, [j, i]];
      if (d <= threshold) stats.entriesWithin++;
    }
    if (rowMax < stats.enclosingRadius) [stats.enclosingRadius, stats.radiusPair] = [rowMax, [i, rowArgMax]];
  }
  return stats;
}

/** Recomputes the statistics' values from their pairs with Ripser's own formula. */
function refineStatistics(stats: DenseStatistics, exact: PairDistance): void {
  const at = ([i, j]: [number, number]): number => (i === j ? 0 : exact(i, j));
  if (stats.min !== Infinity) stats.min = at(stats.minPair);
  if (stats.maxFinite !== -Infinity) stats.maxFinite = at(stats.maxPair);
  stats.enclosingRadius = at(stats.radiusPair);
}

/** Ripser's dimension-0 pairing from the MST: edges up to `cutoff` kill a class, the rest of the
 *  components live forever. `exact`, when given, recomputes each death as Ripser would. */
function barcodeFromMst(
  n: number,
  header: string[],
  threshold: number | null,
  cutoff: number,
  h0: H0Result,
  exact?: PairDistance,
): Dim0Barcode {
  const count = h0.deaths.length;
  const deaths = Float32Array.from(h0.deaths);
  const order = Array.from({ length: count }, (_, k) => k);
  if (exact) {
    for (let k = 0; k < count; k++) deaths[k] = exact(h0.edges[2 * k], h0.edges[2 * k + 1]);
    order.sort((a, b) => deaths[a] - deaths[b] || a - b);
  }
  const barcode: Dim0Barcode = { n, header, threshold, deaths: [], deathEdges: [], essential: n > 0 ? 1 : 0 };
  for (const k of order) {
    const death = deaths[k];
    if (!(death <= cutoff) || death === Infinity) barcode.essential++; // Infinity: no edge at all
    else if (death !== 0) {
      barcode.deaths.push(death);
      barcode.deathEdges.push([h0.edges[2 * k], h0.edges[2 * k + 1]]);
    }
  }
  return barcode;
}

/**
 * The dimension-0 barcode and Ripser's header for `input`. The header depends on the input's
 * kind, as in Ripser's main(): a point cloud announces itself; with --threshold it prints
 * nothing more; dense input prints its value range, then the enclosing radius it uses as the
 * threshold, or the number of entries within the given threshold; a sparse file prints its
 * entry count.
 */
export function computeDim0(input: RipserInput, options: Dim0Options = {}): Dim0Barcode {
  const { threshold, metric = 'euclidean', device } = options;
  if (input.kind === 'points') {
    const { cloud } = input;
    const header = [pointCloudLine(cloud.n, cloud.dim)];
    // Ripser's distances are Euclidean; for another metric our own values are the answer.
    const exact = metric === 'euclidean' ? (i: number, j: number) => ripserEuclidean(cloud, i, j) : undefined;
    if (threshold !== undefined) {
      return barcodeFromMst(cloud.n, header, threshold, threshold, persistenceH0(cloud, { metric, device }), exact);
    }
    const matrix = pairwiseDistances(cloud, { metric, device });
    const stats = denseStatistics(matrix, Infinity);
    if (exact) refineStatistics(stats, exact);
    header.push(valueRangeLine(stats.min, stats.maxFinite), enclosingRadiusLine(cloud.n, stats.enclosingRadius));
    const h0 = persistenceH0(matrix, { device });
    return barcodeFromMst(cloud.n, header, stats.enclosingRadius, stats.enclosingRadius, h0, exact);
  }

  const { matrix } = input;
  const n = matrix.n;
  const h0 = persistenceH0(matrix, { device });
  if (input.sparseEntries !== undefined) {
    // Ripser 1.2.1 pairs every edge of a sparse file in dimension 0, whatever --threshold says
    // (its sparse edge list skips the threshold test); we do the same so the output matches.
    const header = [sparseMatrixLine(n, input.sparseEntries, (n * (n - 1)) / 2)];
    return barcodeFromMst(n, header, threshold ?? null, Infinity, h0);
  }
  const stats = denseStatistics(matrix, threshold ?? Infinity);
  if (input.readerAppendsZero) {
    stats.min = Math.min(stats.min, 0);
    stats.entriesWithin++; // thresholds are ≥ 0
  }
  const header = [valueRangeLine(stats.min, stats.maxFinite)];
  if (threshold === undefined) {
    header.push(enclosingRadiusLine(n, stats.enclosingRadius));
    return barcodeFromMst(n, header, stats.enclosingRadius, stats.enclosingRadius, h0);
  }
  // Ripser 1.2.1 prints (n·n − 1)/2 here, not n(n − 1)/2: reproduced, integer division included.
  header.push(sparseMatrixLine(n, stats.entriesWithin, Math.floor((n * n - 1) / 2)));
  return barcodeFromMst(n, header, threshold, threshold, h0);
}

/** Ripser's text: header, "persistence intervals in dim 0:", " [0,d)" lines, then " [0, )". */
export function formatRipserText(barcode: Dim0Barcode): string {
  const lines = [...barcode.header, intervalsHeaderLine(0)];
  for (const death of barcode.deaths) lines.push(intervalLine(0, death));
  for (let k = 0; k < barcode.essential; k++) lines.push(intervalLine(0, Infinity));
  return `${lines.join('\n')}\n`;
}

/** One JSON object; essential classes have death null and no death edge. Values are the
 *  shortest decimals that read back as the same float32. */
export function formatJson(barcode: Dim0Barcode): string {
  const essentials: null[] = new Array<null>(barcode.essential).fill(null);
  const h0 = {
    dim: 0,
    births: new Array<number>(barcode.deaths.length + barcode.essential).fill(0),
    deaths: [...barcode.deaths.map(shortestFloat32), ...essentials],
    deathEdges: [...barcode.deathEdges, ...essentials],
  };
  const threshold = barcode.threshold === null ? null : shortestFloat32(barcode.threshold);
  return `${JSON.stringify({ n: barcode.n, threshold, barcodes: [h0] })}\n`;
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

function parseDim(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a non-negative integer');
  const dim = Number(value);
  if (dim > 0) {
    throw new InvalidArgumentError(
      'H1 and above need the Rips engine, which is not in this version of topofr; only --dim 0 is supported',
    );
  }
  return dim;
}

function parseThreshold(value: string): number {
  const t = Number(value);
  if (value.trim() === '' || !Number.isFinite(t) || t < 0) throw new InvalidArgumentError('expected a finite number ≥ 0');
  // Ripser reads the threshold as a float32 and compares float32 distances with it.
  const asFloat32 = Math.fround(t);
  if (!Number.isFinite(asFloat32)) throw new InvalidArgumentError('outside the float32 range');
  return asFloat32;
}

interface PersistenceFlags {
  format: RipserFormat;
  dim: number;
  threshold?: number;
  json?: boolean;
  metric?: Metric;
  device?: Device;
}

export function registerPersistence(program: Command): void {
  program
    .command('persistence')
    .description('dimension-0 persistence barcode of a Ripser input file, printed as Ripser 1.2.1 prints it')
    .argument('<file>', "input file, or '-' for standard input")
    .addOption(new Option('--format <format>', 'input format (as Ripser names them)').choices(RIPSER_FORMATS).default('lower-distance'))
    .option('--dim <k>', 'compute persistent homology up to dimension k (only 0 in this version)', parseDim, 0)
    .option('--threshold <t>', 'compute Rips complexes up to diameter t (default: the enclosing radius)', parseThreshold)
    .option('--json', 'print one JSON object (n, threshold, births, deaths, death edges) instead of Ripser text')
    .addOption(new Option('--metric <metric>', 'distance between points (point-cloud only; Ripser: euclidean)').choices(['euclidean', 'sqeuclidean', 'cosine']))
    .addOption(new Option('--device <device>', 'where to compute').choices(['cpu', 'cuda', 'auto']))
    .action(async (file: string, flags: PersistenceFlags, command: Command) => {
      if (flags.metric !== undefined && flags.format !== 'point-cloud') {
        command.error(`error: --metric applies only to --format point-cloud, not ${flags.format}`, { exitCode: 2 });
      }
      const { bytes, name } = await readInput(file);
      const input = parseRipserInput(bytes, flags.format, name);
      const barcode = computeDim0(input, { threshold: flags.threshold, metric: flags.metric, device: flags.device });
      process.stdout.write(flags.json ? formatJson(barcode) : formatRipserText(barcode));
    });
}
