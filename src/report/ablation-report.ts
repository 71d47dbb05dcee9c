// The ablation's report: one self-contained HTML page (runs/<name>/report.html, plots also as
// plots/<name>.svg) with the table of the rows (mean ± std over seeds) and, per row, the training
// curves averaged over its seeds:
//   discrepancy-training  the ISA structure discrepancy of the training batch per step, for the rows
//                         with a topology term: the paper's Fig. 2c (direct alignment, TopoFR-A,
//                         against PTSA/TopoFR: does the discrepancy collapse early?)
//   gamma, mst-ratio, participation   the embedding BN's mean γ, the latent ÷ input MST scale and
//                         the batch embedding's participation ratio: the mechanism behind the term.
//   discrepancy-test      the ISA discrepancy of each test batch under each row's trained models,
//                         one strip per row (the paper's Fig. 5 on the synthetic test identities).
// Curves are smoothed with a centred moving average over ~2 % of the steps (said in the captions).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RowResult } from '../train/ablation.js';
import { htmlDocument, sectionHtml, type ReportFigure, type ReportRecord, type ReportSection } from './report.js';
import { axisFor, escapeXml, finiteExtent, logAxis, PALETTE, Plot, type LegendEntry } from './svg.js';

export interface AblationRowCurves {
  name: string;
  runs: Array<{ seed: number; records: ReportRecord[] }>;
}

export interface AblationReportData {
  title: string;
  /** Lines shown above the table (command, date, settings). */
  notes: string[];
  results: readonly RowResult[];
  rows: readonly AblationRowCurves[];
  /** Per row, the test batches' ISA discrepancy under its trained models (all seeds). */
  testDiscrepancy?: ReadonlyArray<{ row: string; values: readonly number[] }>;
}

type Metric = 'topo' | 'gammaMean' | 'mstRatio' | 'participation';

/** Per step (1..max), the mean over the row's seeds of a metric (NaN where no seed has it). */
export function meanCurve(row: AblationRowCurves, metric: Metric): { steps: number[]; values: number[] } {
  const sums = new Map<number, { sum: number; n: number }>();
  for (const run of row.runs) {
    for (const r of run.records) {
      const v = r[metric];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const s = sums.get(r.step) ?? { sum: 0, n: 0 };
      s.sum += v;
      s.n++;
      sums.set(r.step, s);
    }
  }
  const steps = [...sums.keys()].sort((a, b) => a - b);
  return { steps, values: steps.map((k) => sums.get(k)!.sum / sums.get(k)!.n) };
}

/** Centred moving average over `window` points (shorter at the ends). */
export function smooth(values: readonly number[], window: number): number[] {
  const half = Math.floor(window / 2);
  return values.map((_, i) => {
    let sum = 0, n = 0;
    for (let j = Math.max(0, i - half); j <= Math.min(values.length - 1, i + half); j++) {
      if (Number.isFinite(values[j]!)) {
        sum += values[j]!;
        n++;
      }
    }
    return n > 0 ? sum / n : NaN;
  });
}

const FIGURES: Array<{ name: string; metric: Metric; title: string; yLabel: string; caption: string; topologyRowsOnly?: boolean }> = [
  { name: 'discrepancy-training', metric: 'topo', title: 'Structure discrepancy during training (Fig. 2c)', yLabel: 'ISA discrepancy (log scale)', topologyRowsOnly: true,
    caption: "The ISA discrepancy between each training batch and its embeddings (the topology term before α), per step, for the rows with a topology term: the paper's Fig. 2c compares direct alignment (TopoFR-A), which it says collapses to 0 early, with PTSA/TopoFR." },
  { name: 'gamma', metric: 'gammaMean', title: 'Embedding scale γ', yLabel: 'mean γ', caption: "Mean γ of the embedding BN ('features'): the latent cloud's scale, which the topology term can shrink only while γ trains." },
  { name: 'mst-ratio', metric: 'mstRatio', title: 'Latent / input MST scale', yLabel: 'median ratio (log scale)', caption: 'Median latent MST edge ÷ median input MST edge of the training batch, in the units the topology loss compares (1 = the scales the term aligns).' },
  { name: 'participation', metric: 'participation', title: 'Participation ratio of the batch embedding', yLabel: '(Σλ)²/Σλ²', caption: "Participation ratio of the training batch embedding's covariance: how many directions it spreads over (collapse → 1)." },
];

function curvesSection(rows: readonly AblationRowCurves[]): ReportSection {
  const section: ReportSection = { id: 'curves', title: 'Training curves (mean over seeds)', figures: [], notes: [] };
  for (const f of FIGURES) {
    const shown = rows
      .map((row, k) => ({ row, color: PALETTE[k % PALETTE.length]!, curve: meanCurve(row, f.metric) }))
      .filter(({ curve }) => curve.values.some((v) => Number.isFinite(v) && (!f.topologyRowsOnly || v > 0)));
    if (shown.length === 0) continue;
    const window = Math.max(1, Math.round(Math.max(...shown.map((s) => s.curve.steps.length)) / 50));
    const series = shown.map((s) => ({ ...s, ys: smooth(s.curve.values, window) }));
    const logY = f.metric === 'topo' || f.metric === 'mstRatio';
    const positive = finiteExtent(series.map((s) => s.ys), true);
    const y = logY && positive.count > 0 ? logAxis(positive.min, positive.max) : axisFor(series.map((s) => s.ys), { include: f.metric === 'gammaMean' ? [0, 1] : [0] });
    const legend: LegendEntry[] = series.map((s) => ({ label: s.row.name, color: s.color, mark: 'line' }));
    const plot = new Plot({ id: f.name, title: f.title, x: axisFor(series.map((s) => s.curve.steps)), y, xLabel: 'step', yLabel: f.yLabel, legend });
    for (const s of series) plot.line(s.curve.steps, logY ? s.ys.map((v) => (v > 0 ? v : NaN)) : s.ys, { color: s.color, width: 1.6 });
    const seeds = Math.max(...series.map((s) => s.row.runs.length));
    section.figures.push({ name: f.name, svg: plot.toString(), caption: `${f.caption} Mean over ${seeds} seeds, moving average over ${window} steps.` } satisfies ReportFigure);
  }
  if (section.figures.length === 0) section.notes.push('No per-step records.');
  return section;
}

function testSection(rows: NonNullable<AblationReportData['testDiscrepancy']>): ReportSection {
  const section: ReportSection = { id: 'test-discrepancy', title: 'Structure discrepancy of the test batches (Fig. 5)', figures: [], notes: [] };
  const positive = finiteExtent(rows.map((r) => r.values), true);
  if (positive.count === 0) {
    section.notes.push('No test discrepancies.');
    return section;
  }
  const x = logAxis(positive.min, positive.max);
  const plot = new Plot({ id: 'discrepancy-test', title: 'ISA discrepancy per test batch, trained models', height: 90 + 42 * rows.length, x,
    y: { scale: 'linear', min: -0.7, max: rows.length - 0.3, ticks: [], labels: [], minor: [] }, xLabel: 'discrepancy (log scale)', grid: false });
  rows.forEach((r, k) => {
    const color = PALETTE[k % PALETTE.length]!;
    const values = r.values.filter((v) => v > 0);
    plot.points(values, values.map(() => rows.length - 1 - k), { color, size: 3, opacity: 0.7 });
    const median = [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    plot.text(x.min, rows.length - 1 - k, `${r.row}${median !== undefined ? ` (median ${median.toPrecision(3)})` : ''}`, { dx: 4, dy: -8, size: 11, color });
  });
  section.figures.push({ name: 'discrepancy-test', svg: plot.toString(),
    caption: "The ISA discrepancy between each test batch (64 faces of the unseen identities) and its embeddings under each row's trained models, one point per batch and seed: the paper's Fig. 5 compares TopoFR with TopoFR-A this way on IJB-C." });
  return section;
}

function resultsTable(results: readonly RowResult[]): string {
  const fars = Object.keys(results[0]?.tarAtFar ?? {});
  const pct = (m: { mean: number; std: number }) => `${(100 * m.mean).toFixed(2)} ± ${(100 * m.std).toFixed(2)}`;
  const base = results[0]?.accuracy.mean ?? NaN;
  const head = ['row', 'seeds', 'accuracy %', 'Δ vs first', ...fars.map((f) => `TAR@FAR=${f} %`)];
  const rows = results.map((r) => [r.name, r.seeds.join(', '), pct(r.accuracy), (100 * (r.accuracy.mean - base)).toFixed(2), ...fars.map((f) => pct(r.tarAtFar[f]!))]);
  return `<table>\n<tr>${head.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>\n${rows
    .map((cells) => `<tr>${cells.map((c, i) => `<td${i >= 2 ? ' class="num"' : ''}>${escapeXml(c)}</td>`).join('')}</tr>`).join('\n')}\n</table>`;
}

/** Writes <dir>/report.html and its plots as <dir>/plots/<name>.svg; returns the HTML path. */
export function writeAblationReport(dir: string, data: AblationReportData): string {
  const curves = curvesSection(data.rows);
  const test = data.testDiscrepancy ? testSection(data.testDiscrepancy) : undefined;
  mkdirSync(join(dir, 'plots'), { recursive: true });
  for (const f of [...curves.figures, ...(test?.figures ?? [])]) writeFileSync(join(dir, 'plots', `${f.name}.svg`), `<?xml version="1.0" encoding="UTF-8"?>\n${f.svg}\n`);
  const html = join(dir, 'report.html');
  writeFileSync(html, htmlDocument(data.title, [
    `<section id="results"><h2>Results</h2>\n${data.notes.map((n) => `<p>${escapeXml(n)}</p>`).join('\n')}\n${resultsTable(data.results)}\n</section>`,
    sectionHtml(curves),
    ...(test ? [sectionHtml(test)] : []),
  ]));
  return html;
}
