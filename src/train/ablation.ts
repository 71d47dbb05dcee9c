// The paper's Table 3 ablation (TOPOFR.md §3.4) on the embedded synthetic benchmark: each row is a
// set of TopoFR switches over the same base config, trained and evaluated for several seeds; the
// table reports mean ± std (population) of the verification accuracy and TAR@FAR per row.
//
// Every row is the official method's switches (ω2 = the code's 1 − int(p_gt), D8). Under the default
// `precision: 'fp16-autocast'` that ω2 drops the samples whose p_gt rounds to 1 in binary16, as in
// the official AMP run; in float32 it would be 1 for practically every sample, which is why an
// earlier version of this table used the paper's continuous ω2 for these rows.
import type { TrainConfig } from './config.js';

export interface AblationRow {
  name: string;
  settings: Partial<TrainConfig>;
}

const NONE = { omega1: 'none', omega2: 'none' } as const;

export const TABLE3_ROWS: readonly AblationRow[] = [
  { name: 'ArcFace', settings: { alpha: 0, rspProbability: 0, ...NONE } },
  { name: '+RSP', settings: { alpha: 0, rspProbability: 0.2, ...NONE } },
  { name: 'TopoFR-A (direct alignment)', settings: { alpha: 0.1, rspProbability: 0, ...NONE } },
  { name: 'PTSA (RSP + ISA)', settings: { alpha: 0.1, rspProbability: 0.2, ...NONE } },
  { name: 'PTSA + ω2', settings: { alpha: 0.1, rspProbability: 0.2, omega1: 'none', omega2: 'code' } },
  { name: 'PTSA + ω1', settings: { alpha: 0.1, rspProbability: 0.2, omega1: 'code', omega2: 'none' } },
  { name: 'TopoFR (PTSA + SDE)', settings: { alpha: 0.1, rspProbability: 0.2, omega1: 'code', omega2: 'code' } },
];

/** The rows with a topology term once per α (named "row, α = a"); rows without one once, as they are. */
export function rowsAtAlphas(rows: readonly AblationRow[], alphas: readonly number[] | undefined): AblationRow[] {
  if (alphas === undefined || alphas.length === 0) return [...rows];
  return rows.flatMap((row) => ((row.settings.alpha ?? 0) > 0
    ? alphas.map((alpha) => ({ name: `${row.name}, α = ${alpha}`, settings: { ...row.settings, alpha } }))
    : [row]));
}

export interface RunResult {
  accuracy: number;
  tarAtFar: Record<string, number>;
}

export interface RowResult {
  name: string;
  seeds: number[];
  accuracy: { mean: number; std: number };
  tarAtFar: Record<string, { mean: number; std: number }>;
  runs: RunResult[];
}

export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  return { mean, std: Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length) };
}

export function aggregate(name: string, seeds: number[], runs: RunResult[]): RowResult {
  const fars = Object.keys(runs[0]?.tarAtFar ?? {});
  return {
    name,
    seeds,
    accuracy: meanStd(runs.map((r) => r.accuracy)),
    tarAtFar: Object.fromEntries(fars.map((f) => [f, meanStd(runs.map((r) => r.tarAtFar[f] ?? NaN))])),
    runs,
  };
}

/** A Markdown table: accuracy and TAR@FAR as mean ± std in %, with the difference to the first row. */
export function ablationTable(rows: readonly RowResult[]): string {
  const fars = Object.keys(rows[0]?.tarAtFar ?? {});
  const pct = (m: { mean: number; std: number }) => `${(100 * m.mean).toFixed(2)} ± ${(100 * m.std).toFixed(2)}`;
  const base = rows[0]?.accuracy.mean ?? NaN;
  const header = ['row', 'accuracy %', 'Δ vs first', ...fars.map((f) => `TAR@FAR=${f} %`)];
  const lines = rows.map((r) => [r.name, pct(r.accuracy), `${(100 * (r.accuracy.mean - base)).toFixed(2)}`, ...fars.map((f) => pct(r.tarAtFar[f]!))]);
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`)].join('\n');
}
