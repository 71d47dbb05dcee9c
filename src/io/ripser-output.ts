// Ripser 1.2.1's text output, byte for byte: its header lines, which intervals it prints in which
// order, and how it prints a value. Ripser stores every value as a C++ float and prints it with
// `std::cout << value`, which is printf's "%g" (6 significant digits, trailing zeros dropped,
// exponent form outside 1e-4 ≤ |x| < 1e6). Also the JSON form, which adds the critical edges.
import type { Barcode } from '../types.js';

const SIGNIFICANT_DIGITS = 6;

/** Half-to-even rounding of a digit string to `keep` digits (glibc's printf rounds the exact
 *  binary value, so only a true tie such as 1024.125 → "1024.12" rounds to even). Returns the
 *  kept digits and whether rounding carried into a new leading digit ("999999|7" → "100000"). */
function roundDigits(digits: string, keep: number): { kept: string; carried: boolean } {
  const kept = digits.slice(0, keep);
  const rest = digits.slice(keep);
  const first = rest.charCodeAt(0) - 48;
  const tie = first === 5 && /^50*$/.test(rest);
  const lastKeptIsOdd = (kept.charCodeAt(keep - 1) - 48) % 2 === 1;
  const roundUp = first > 5 || (first === 5 && (!tie || lastKeptIsOdd));
  if (!roundUp) return { kept, carried: false };
  const bumped = (BigInt(kept) + 1n).toString();
  return bumped.length > keep ? { kept: bumped.slice(0, keep), carried: true } : { kept: bumped, carried: false };
}

/** Drops the trailing zeros of a fraction, and the point if nothing is left after it (%g does). */
function trimFraction(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/**
 * `x` rounded to float32, printed as C++ `std::cout << float` prints it (printf "%g"):
 * 0.1 → "0.1", 1e6 → "1e+06", 1e-5 → "1e-05", 123456.7 → "123457", Infinity → "inf".
 */
export function formatRipserFloat(x: number): string {
  const value = Math.fround(x);
  if (Number.isNaN(value)) return 'nan';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const magnitude = Math.abs(value);
  if (magnitude === Infinity) return `${sign}inf`;
  if (magnitude === 0) return `${sign}0`;

  // toExponential(100) is the exact decimal expansion of any float32 in the range we print
  // (a float32 has at most ~100 significant decimal digits above the subnormals).
  const [mantissa, exponentText] = magnitude.toExponential(100).split('e');
  const { kept, carried } = roundDigits(mantissa.replace('.', ''), SIGNIFICANT_DIGITS);
  const exponent = Number(exponentText) + (carried ? 1 : 0);

  if (exponent < -4 || exponent >= SIGNIFICANT_DIGITS) {
    const digits = trimFraction(`${kept[0]}.${kept.slice(1)}`);
    const exponentDigits = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits}e${exponent < 0 ? '-' : '+'}${exponentDigits}`;
  }
  if (exponent < 0) return `${sign}${trimFraction(`0.${'0'.repeat(-exponent - 1)}${kept}`)}`;
  return `${sign}${trimFraction(`${kept.slice(0, exponent + 1)}.${kept.slice(exponent + 1)}`)}`;
}

/** The shortest decimal that reads back as the same float32 (for JSON: 0.0448418, not
 *  0.044841811060905457). */
export function shortestFloat32(x: number): number {
  const value = Math.fround(x);
  if (!Number.isFinite(value)) return value;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return Number(value.toPrecision(9)); // 9 significant digits always round-trip a float32
}

export const pointCloudLine = (n: number, dim: number): string =>
  `point cloud with ${n} points in dimension ${dim}`;

export const valueRangeLine = (min: number, maxFinite: number): string =>
  `value range: [${formatRipserFloat(min)},${formatRipserFloat(maxFinite)}]`;

export const enclosingRadiusLine = (n: number, radius: number): string =>
  `distance matrix with ${n} points, using threshold at enclosing radius ${formatRipserFloat(radius)}`;

export const sparseMatrixLine = (n: number, entries: number, possibleEntries: number): string =>
  `sparse distance matrix with ${n} points and ${entries}/${possibleEntries} entries`;

export const intervalsHeaderLine = (dim: number): string => `persistence intervals in dim ${dim}:`;

/** " [birth,death)", or " [birth, )" for an essential class (death = Infinity). */
export function intervalLine(birth: number, death: number): string {
  const end = death === Infinity ? ' ' : formatRipserFloat(death);
  return ` [${formatRipserFloat(birth)},${end})`;
}

type Edge = [number, number];

/** One printed interval; an edge is null where the Barcode has −1, −1. */
export interface PrintedInterval {
  birth: number;
  /** Infinity for an essential class. */
  death: number;
  birthEdge: Edge | null;
  deathEdge: Edge | null;
}

/** What `topofr persistence` prints: Ripser's header lines, then dimensions 0, 1, … */
export interface PersistenceReport {
  n: number;
  header: string[];
  /** The Rips threshold in force (float32); null where there is none. */
  threshold: number | null;
  dims: PrintedInterval[][];
}

const edgeAt = (edges: Int32Array, k: number): Edge | null => (edges[2 * k] < 0 ? null : [edges[2 * k], edges[2 * k + 1]]);

/**
 * A barcode's intervals as Ripser prints them. Order: in dimension 0 ascending deaths, essential
 * classes last (Ripser's Kruskal pass, then the surviving roots); above, descending births
 * (Ripser reduces columns by decreasing diameter and prints each pair as it finds it), ties in
 * the engine's order. `--ratio r`: Ripser prints a finite pair only if death > birth·r in float32
 * (in dimension 0 every birth is 0, so every pair passes).
 */
export function ripserIntervals(barcode: Barcode, ratio: number): PrintedInterval[] {
  const intervals: PrintedInterval[] = [];
  for (let k = 0; k < barcode.births.length; k++) {
    const birthEdge = edgeAt(barcode.birthEdges, k);
    const deathEdge = edgeAt(barcode.deathEdges, k);
    const birth = barcode.births[k];
    const death = barcode.deaths[k];
    if (death === Infinity || death > Math.fround(birth * ratio)) intervals.push({ birth, death, birthEdge, deathEdge });
  }
  // Array.prototype.sort is stable: ties keep the engine's order.
  if (barcode.dim === 0) return intervals.sort((a, b) => (a.death === b.death ? 0 : a.death < b.death ? -1 : 1));
  return intervals.sort((a, b) => (a.birth === b.birth ? 0 : a.birth > b.birth ? -1 : 1));
}

/** Ripser's text: the header, then per dimension its title line and " [b,d)" / " [b, )" lines. */
export function formatRipserText(report: PersistenceReport): string {
  const lines = [...report.header];
  report.dims.forEach((intervals, dim) => {
    lines.push(intervalsHeaderLine(dim));
    for (const { birth, death } of intervals) lines.push(intervalLine(birth, death));
  });
  return `${lines.join('\n')}\n`;
}

/** One JSON object; essential classes have death null and no death edge, dimension 0 no birth
 *  edge. Values are the shortest decimals that read back as the same float32. */
export function formatJson(report: PersistenceReport): string {
  const barcodes = report.dims.map((intervals, dim) => ({
    dim,
    births: intervals.map((i) => shortestFloat32(i.birth)),
    deaths: intervals.map((i) => (i.death === Infinity ? null : shortestFloat32(i.death))),
    birthEdges: intervals.map((i) => i.birthEdge),
    deathEdges: intervals.map((i) => i.deathEdge),
  }));
  const threshold = report.threshold === null ? null : shortestFloat32(report.threshold);
  return `${JSON.stringify({ n: report.n, threshold, barcodes })}\n`;
}
