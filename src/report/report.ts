// The training run report: one self-contained HTML page (inline SVG, light CSS, no script, no
// external resource) with the run's summary and configuration and its plots, each plot also as a
// standalone SVG file. The plots follow TOPOFR.md §4:
//   loss        total, cls and α·topo per step (log y when the positive values span > 2 decades)
//   lr, speed, omega   small panels: learning rate, images/s, mean SDS weight ω per step
//   gamma, mst-ratio, participation, pgt-one   small panels (when logged): the embedding BN's mean γ,
//               the latent ÷ input MST-median ratio, the batch embedding's participation ratio, and
//               the samples whose p_gt is exactly 1 (the official ω2's zeros, D8)
//   roc         ROC on a log FAR axis, the TAR@FAR points marked
//   scores      cosine similarity of genuine vs impostor verification pairs
//   discrepancy ISA discrepancy per test batch, untrained vs trained model (Fig. 2/5 style)
//   gum         one batch's GUM fit (Fig. 4 style)
//   diagram     H0–H2 persistence diagram of a test batch's embeddings (Fig. 1 style)
// A section whose data is absent is left out; one whose data is empty (0 steps, no pairs) says so.
// Non-finite values are skipped and counted in the captions, never written into the SVG.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GumVariant } from '../train/gum.js';
import {
  axisFor,
  escapeXml,
  extendAxis,
  finiteExtent,
  formatNumber,
  linearAxis,
  logAxis,
  PALETTE,
  Plot,
  sharedHistograms,
  histogram,
  type Histogram,
  type LegendEntry,
  type Marker,
} from './svg.js';

/** One training step's logged values (src/train/trainer.ts's StepRecord has these and more). */
export interface ReportRecord {
  step: number;
  /** The total loss: cls + α·topo. */
  loss: number;
  cls: number;
  /** The topological (ISA) term before the α weight. */
  topo: number;
  /** Mean SDS weight ω of the batch. */
  omega: number;
  lr: number;
  imgPerS: number;
  /** Batch geometry (src/train/geometry.ts), when logged. */
  gammaMean?: number;
  mstRatio?: number;
  participation?: number;
  pGtOne?: number;
}

/** One batch's GUM fit, as Fig. 4 draws it. A `GumFit` (src/train/gum.ts) spread with its variant,
 *  `{ ...fit, variant }`, is one; add `correct` for the paper's markers. */
export interface ReportGum {
  /** Which fit made it: it fixes the mixture drawn. 'code': π·N(x | 0, Σ + 10⁻³) + (1 − π)·c, the
   *  uniform part c everywhere and the +10⁻³ of GUM.py's E-step. 'paper': π·N(x | 0, Σ) +
   *  (1 − π)·c·1[|x| ≤ Ω] with c = 1/(2Ω). */
  variant: GumVariant;
  /** The values the fit ran on (GumFit.values): 'code' the sign-flipped, z-scored entropies,
   *  'paper' the randomly signed raw entropies Ê. The x axis of the plot. */
  values: ArrayLike<number>;
  /** P(easy | x_i), same order as values: the points' colour when `correct` is absent. */
  easyPosterior: ArrayLike<number>;
  /** The fitted Gaussian prior π, variance Σ (not the std) and uniform density c. */
  pi: number;
  sigma: number;
  uniformDensity: number;
  /** Optional, same order as values: 1 if the sample's prediction was right (argmax = label).
   *  Given, the points are Fig. 4's green ⋆ (correct) and black × (misclassified). */
  correct?: ArrayLike<number>;
}

export interface ReportData {
  title: string;
  /** Shown as a table, in insertion order. */
  config: Record<string, unknown>;
  summary: { accuracy: number; accuracyStd: number; chance: number; tarAtFar: Record<string, number>; auc: number; seconds: number; steps: number };
  /** Per logged training step. */
  records: ReportRecord[];
  /** The weight α of the topological term (the loss plot shows α·topo). */
  alpha: number;
  roc: { fpr: ArrayLike<number>; tpr: ArrayLike<number> };
  /** Cosine similarity and label (1 = same identity) per verification pair. */
  pairs: { scores: ArrayLike<number>; issame: ArrayLike<number> };
  /** ISA discrepancy per test batch for the untrained and the trained model (Fig. 2/5 style). */
  discrepancy?: { initial: ArrayLike<number>; final: ArrayLike<number>; labels?: [string, string] };
  /** One batch's GUM fit (Fig. 4 style). */
  gum?: ReportGum;
  /** Persistence pairs per homology dimension of a test batch's embeddings (Fig. 1 style);
   *  death = +Infinity marks an essential class. */
  diagram?: Array<{ dim: number; births: ArrayLike<number>; deaths: ArrayLike<number> }>;
  /** The verification callback's results on the `--val` sets, per callback step. */
  validation?: Array<{ step: number; val: Record<string, { accuracy: number; std: number }> }>;
}

export interface ReportOptions {
  /** Log y axis for the loss plot: 'auto' (default) when the positive values span more than two
   *  decades; true/false to force. */
  lossLogY?: boolean | 'auto';
}

export interface ReportFigure {
  /** File name stem (plots/<name>.svg) and element id; unique in the report. */
  name: string;
  svg: string;
  caption: string;
  /** Rendered in a row of small figures. */
  small?: boolean;
}

export interface ReportSection {
  id: string;
  title: string;
  figures: ReportFigure[];
  /** Shown when there is nothing to plot, or beside the figures. */
  notes: string[];
}

/** Every plot name the report can write (stale files of these names are removed by writeReport). */
export const PLOT_NAMES = ['loss', 'lr', 'speed', 'omega', 'gamma', 'mst-ratio', 'participation', 'pgt-one', 'roc', 'scores', 'discrepancy', 'gum', 'diagram'] as const;

const COLORS = { total: '#222222', cls: PALETTE[0], topo: PALETTE[1], genuine: PALETTE[2], impostor: PALETTE[3], initial: PALETTE[7], final: PALETTE[0] };

// ---------------------------------------------------------------------------------------------
// Helpers

const toArray = (values: ArrayLike<number> | undefined): number[] => (values ? Array.from(values, Number) : []);

function countNonFinite(...series: ArrayLike<number>[]): number {
  let n = 0;
  for (const s of series) for (let i = 0; i < s.length; i++) if (!Number.isFinite(s[i]!)) n++;
  return n;
}

function percent(v: number): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(2)} %` : formatNumber(v);
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return formatNumber(seconds);
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), s = whole % 60;
  return `${whole} s (${h > 0 ? `${h} h ` : ''}${m} min ${s} s)`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "; 3 non-finite values skipped" or "". */
function skippedNote(n: number, what = 'non-finite value'): string {
  return n > 0 ? `; ${plural(n, what)} not drawn` : '';
}

// ---------------------------------------------------------------------------------------------
// Sections

function trainingSection(data: ReportData, options: ReportOptions): ReportSection {
  const section: ReportSection = { id: 'training', title: 'Training', figures: [], notes: [] };
  const records = [...(data.records ?? [])].filter((r) => r !== null && typeof r === 'object').sort((a, b) => a.step - b.step);
  if (records.length === 0) {
    section.notes.push('No training steps recorded.');
    return section;
  }
  const steps = records.map((r) => r.step);
  const alpha = data.alpha;
  const total = records.map((r) => r.loss);
  const cls = records.map((r) => r.cls);
  const topo = records.map((r) => (Number.isFinite(alpha) ? alpha : NaN) * r.topo);
  const positive = finiteExtent([total, cls, topo], true);
  const finite = finiteExtent([total, cls, topo]);
  const mode = options.lossLogY ?? 'auto';
  const logY = positive.count > 0 && (mode === 'auto' ? finite.count === positive.count && positive.max / positive.min > 100 : mode);
  const x = axisFor([steps]);
  const few = records.length <= 30;
  const alphaText = Number.isFinite(alpha) ? formatNumber(alpha) : 'n/a';
  const loss = new Plot({
    id: 'loss', title: 'Training loss', x, y: logY ? logAxis(positive.min, positive.max) : axisFor([total, cls, topo]),
    xLabel: 'step', yLabel: logY ? 'loss (log scale)' : 'loss',
    legend: [
      { label: 'total', color: COLORS.total, mark: 'line' },
      { label: 'cls', color: COLORS.cls, mark: 'line' },
      { label: `α·topo (α = ${alphaText})`, color: COLORS.topo, mark: 'line', dash: '5 3' },
    ],
  });
  for (const [ys, color, dash] of [[cls, COLORS.cls, undefined], [topo, COLORS.topo, '5 3'], [total, COLORS.total, undefined]] as const) {
    loss.line(steps, ys, { color, dash, width: color === COLORS.total ? 2 : 1.6 });
    if (few) loss.points(steps, ys, { color, size: 2.5 });
  }
  const hidden = countNonFinite(total, cls, topo);
  const nonPositive = logY ? finite.count - positive.count : 0;
  section.figures.push({
    name: 'loss', svg: loss.toString(),
    caption: `Loss per logged step (${plural(records.length, 'record')}, steps ${formatNumber(steps[0]!)}–${formatNumber(steps[steps.length - 1]!)}): total = cls + α·topo${logY ? ', log scale' : ''}${skippedNote(hidden)}${skippedNote(nonPositive, 'value ≤ 0')}.`,
  });

  const small: Array<{ name: string; title: string; values: number[]; yLabel: string; color: string; caption: string }> = [
    { name: 'lr', title: 'Learning rate', values: records.map((r) => r.lr), yLabel: 'lr', color: PALETTE[4], caption: 'Learning rate per step.' },
    { name: 'speed', title: 'Throughput', values: records.map((r) => r.imgPerS), yLabel: 'images / s', color: PALETTE[5], caption: 'Training images per second.' },
    { name: 'omega', title: 'Mean SDS weight ω', values: records.map((r) => r.omega), yLabel: 'ω', color: PALETTE[9], caption: 'Mean sample weight ω of the batch (SDS re-weighting).' },
    { name: 'gamma', title: 'Embedding scale γ', values: records.map((r) => r.gammaMean ?? NaN), yLabel: 'mean γ', color: PALETTE[6], caption: "Mean γ of the embedding BN ('features'), the latent cloud's scale." },
    { name: 'mst-ratio', title: 'Latent / input MST scale', values: records.map((r) => r.mstRatio ?? NaN), yLabel: 'ratio', color: PALETTE[1], caption: 'Median latent MST edge ÷ median input MST edge of the batch, in the units the topology loss compares.' },
    { name: 'participation', title: 'Participation ratio', values: records.map((r) => r.participation ?? NaN), yLabel: '(Σλ)²/Σλ²', color: PALETTE[2], caption: "Participation ratio of the batch embedding's covariance: the number of directions it spreads over." },
    { name: 'pgt-one', title: 'Samples with p_gt = 1', values: records.map((r) => r.pGtOne ?? NaN), yLabel: 'samples', color: PALETTE[3], caption: "Samples of the batch whose p_gt is exactly 1 in the run's precision: the official ω2 = 1 − int(p_gt) is 0 for them (D8)." },
  ];
  for (const s of small) {
    if (finiteExtent([s.values]).count === 0) continue;
    const plot = new Plot({ id: s.name, title: s.title, width: 340, height: 220, x, y: axisFor([s.values], { include: [0], target: 4 }), xLabel: 'step', yLabel: s.yLabel });
    plot.line(steps, s.values, { color: s.color });
    if (few) plot.points(steps, s.values, { color: s.color, size: 2.5 });
    section.figures.push({ name: s.name, svg: plot.toString(), caption: s.caption.replace(/\.$/, `${skippedNote(countNonFinite(s.values))}.`), small: true });
  }
  return section;
}

function verificationSection(data: ReportData): ReportSection {
  const section: ReportSection = { id: 'verification', title: 'Verification', figures: [], notes: [] };
  // ROC with a log FAR axis: points with FAR = 0 cannot be drawn there.
  const fpr = toArray(data.roc?.fpr), tpr = toArray(data.roc?.tpr);
  const n = Math.min(fpr.length, tpr.length);
  const xs: number[] = [], ys: number[] = [];
  for (let i = 0; i < n; i++)
    if (fpr[i]! > 0 && Number.isFinite(fpr[i]!) && Number.isFinite(tpr[i]!)) {
      xs.push(fpr[i]!);
      ys.push(tpr[i]!);
    }
  if (xs.length === 0) section.notes.push(n === 0 ? 'No ROC curve.' : 'The ROC curve has no point with FAR > 0 to draw on a log axis.');
  else {
    const targets = Object.entries(data.summary?.tarAtFar ?? {})
      .map(([key, tar]) => ({ key, far: Number(key), tar }))
      .filter((t) => t.far > 0 && Number.isFinite(t.far) && Number.isFinite(t.tar));
    const x = logAxis(Math.min(...xs, ...targets.map((t) => t.far)), 1);
    const y = axisFor([ys, targets.map((t) => t.tar)], { include: [1] });
    const aucText = formatNumber(data.summary?.auc ?? NaN);
    // The chance diagonal TAR = FAR only where the TAR axis reaches down to it (a high TAR axis would
    // show it as a stray near-vertical line at FAR → 1).
    const showChance = y.min <= 0.5;
    const plot = new Plot({
      id: 'roc', title: 'ROC', x, y, xLabel: 'FAR (false accept rate)', yLabel: 'TAR (true accept rate)',
      legend: [
        { label: `ROC (AUC = ${aucText})`, color: PALETTE[0], mark: 'line' },
        ...(showChance ? [{ label: 'chance', color: '#999999', mark: 'line' as const, dash: '4 3' }] : []),
        ...(targets.length > 0 ? [{ label: 'TAR @ FAR', color: PALETTE[3], mark: 'circle' as const }] : []),
      ],
    });
    const chance = Array.from({ length: 121 }, (_, i) => x.min * (1 / x.min) ** (i / 120));
    if (showChance) plot.line(chance, chance, { color: '#999999', dash: '4 3', width: 1 });
    plot.line(xs, ys, { color: PALETTE[0], width: 2 });
    plot.points(targets.map((t) => t.far), targets.map((t) => t.tar), { color: PALETTE[3], size: 3.5 });
    for (const t of targets) plot.text(t.far, t.tar, `${(t.tar * 100).toFixed(2)} %`, { dx: 6, dy: 14, color: PALETTE[3], size: 10 });
    section.figures.push({
      name: 'roc', svg: plot.toString(),
      caption: `ROC of the verification pairs (${plural(xs.length, 'point')} with FAR > 0; FAR = 0 has no place on the log axis), TAR@FAR marked${skippedNote(countNonFinite(fpr.slice(0, n), tpr.slice(0, n)))}.`,
    });
  }

  const scores = toArray(data.pairs?.scores), issame = toArray(data.pairs?.issame);
  const m = Math.min(scores.length, issame.length);
  const genuine: number[] = [], impostor: number[] = [];
  for (let i = 0; i < m; i++) (issame[i] ? genuine : impostor).push(scores[i]!);
  if (m === 0) section.notes.push('No verification pairs.');
  else {
    const [g, im] = sharedHistograms([genuine, impostor]) as [Histogram, Histogram];
    const plot = new Plot({
      id: 'scores', title: 'Pair similarity', x: linearAxis(g.edges[0]!, g.edges[g.edges.length - 1]!), y: axisFor([Plot.barHeights(g), Plot.barHeights(im)], { include: [0] }),
      xLabel: 'cosine similarity', yLabel: 'pairs',
      legend: [
        { label: `genuine (n = ${g.total})`, color: COLORS.genuine, mark: 'box' },
        { label: `impostor (n = ${im.total})`, color: COLORS.impostor, mark: 'box' },
      ],
    });
    plot.bars(im, { color: COLORS.impostor, opacity: 0.45 }).bars(g, { color: COLORS.genuine, opacity: 0.45 });
    section.figures.push({ name: 'scores', svg: plot.toString(), caption: `Cosine similarity of the flip-summed, normalised embeddings per pair${skippedNote(g.skipped + im.skipped)}.` });
  }
  return section;
}

function discrepancySection(d: NonNullable<ReportData['discrepancy']>): ReportSection {
  const section: ReportSection = { id: 'discrepancy', title: 'Structure discrepancy', figures: [], notes: [] };
  const initial = toArray(d.initial), final = toArray(d.final);
  const [initialLabel, finalLabel] = d.labels ?? ['untrained', 'trained'];
  if (initial.length === 0 && final.length === 0) {
    section.notes.push('No discrepancy values.');
    return section;
  }
  // An untrained model's discrepancy can be orders of magnitude above the trained one's: then the
  // histogram is of log10 values, or the trained batches would all fall into the first bin.
  const all = [...initial, ...final].filter(Number.isFinite);
  const logScale = all.length > 0 && Math.min(...all) > 0 && Math.max(...all) / Math.min(...all) > 100;
  const scaled = (v: number[]) => (logScale ? v.map((x) => (x > 0 ? Math.log10(x) : NaN)) : v);
  const [a, b] = sharedHistograms([scaled(initial), scaled(final)]) as [Histogram, Histogram];
  const stats = (h: Histogram, values: number[]) => {
    const v = values.filter(Number.isFinite);
    return v.length === 0 ? 'no finite values' : `mean ${formatNumber(v.reduce((s, x) => s + x, 0) / v.length)}, n = ${h.total}`;
  };
  const legend: LegendEntry[] = [];
  if (initial.length > 0) legend.push({ label: `${initialLabel} (${stats(a, initial)})`, color: COLORS.initial, mark: 'box' });
  if (final.length > 0) legend.push({ label: `${finalLabel} (${stats(b, final)})`, color: COLORS.final, mark: 'box' });
  const plot = new Plot({
    id: 'discrepancy', title: 'ISA discrepancy per test batch', x: linearAxis(a.edges[0]!, a.edges[a.edges.length - 1]!),
    y: axisFor([Plot.barHeights(a), Plot.barHeights(b)], { include: [0] }), xLabel: logScale ? 'log10(discrepancy)' : 'discrepancy',
    yLabel: 'batches', legend,
  });
  plot.bars(a, { color: COLORS.initial, opacity: 0.45 }).bars(b, { color: COLORS.final, opacity: 0.45 });
  section.figures.push({
    name: 'discrepancy', svg: plot.toString(),
    caption: `Histogram of the ISA structure discrepancy between the input batch and its embeddings, per test batch, ${oneLine(initialLabel)} vs ${oneLine(finalLabel)} model (TOPOFR.md Fig. 2/5)${skippedNote(a.skipped + b.skipped)}.`,
  });
  return section;
}

/** A label on one line (captions are escaped when the page is assembled). */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ');
}

function gumSection(gum: ReportGum): ReportSection {
  const section: ReportSection = { id: 'gum', title: 'GUM fit (SDE)', figures: [], notes: [] };
  const values = toArray(gum.values);
  const posterior = toArray(gum.easyPosterior);
  const correct = gum.correct ? toArray(gum.correct) : undefined;
  if (values.length === 0) {
    section.notes.push('No GUM values.');
    return section;
  }
  const { pi, sigma, uniformDensity: c, variant } = gum;
  const variance = variant === 'code' ? sigma + 1e-3 : sigma;
  const haveFit = variance > 0 && Number.isFinite(variance) && pi >= 0 && pi <= 1 && c >= 0 && Number.isFinite(c);
  const omega = variant === 'paper' && c > 0 ? 1 / (2 * c) : Infinity;
  const gaussian = (x: number) => Math.exp((-0.5 * x * x) / variance) / Math.sqrt(2 * Math.PI * variance);
  const uniform = (x: number) => (variant === 'code' ? c : Math.abs(x) <= omega ? c : 0);
  const mixture = (x: number) => pi * gaussian(x) + (1 - pi) * uniform(x);

  const hist = histogram(values);
  const extent = finiteExtent([values]);
  const reach = Math.max(Math.abs(extent.min), Math.abs(extent.max));
  const xInclude = haveFit && Number.isFinite(omega) && omega <= 3 * reach ? [-omega, omega] : [];
  const x = axisFor([values, [hist.edges[0]!, hist.edges[hist.edges.length - 1]!], xInclude]);
  const curveX: number[] = Array.from({ length: 241 }, (_, i) => x.min + ((x.max - x.min) * i) / 240);
  if (xInclude.length > 0) {
    // The uniform's jumps at ±Ω drawn as vertical steps.
    const eps = (x.max - x.min) * 1e-6;
    curveX.push(-omega - eps, -omega, omega, omega + eps);
    curveX.sort((a, b) => a - b);
  }
  const mixtureY = haveFit ? curveX.map(mixture) : [];
  const gaussY = haveFit ? curveX.map(gaussian) : [];
  const pointY = haveFit ? values.map((v) => (Number.isFinite(v) ? gaussian(v) : NaN)) : [];
  const y = axisFor([Plot.barHeights(hist, true), mixtureY, gaussY], { include: [0] });

  // The Gaussian as the fit evaluated it (GUM.py's E-step adds 10⁻³ to Σ), so curve, points and
  // posterior colours belong together.
  const gaussianText = variant === 'code' ? 'N(x | 0, Σ̂ + 10⁻³)' : 'N(x | 0, Σ̂)';
  const legend: LegendEntry[] = [{ label: 'values (density)', color: '#bbbbbb', mark: 'box' }];
  if (haveFit) {
    legend.push({ label: gaussianText, color: PALETTE[0], mark: 'line' }, { label: 'mixture', color: '#222222', mark: 'line', dash: '5 3' });
    if (correct) legend.push({ label: 'correct', color: PALETTE[2], mark: 'star' }, { label: 'misclassified', color: '#000000', mark: 'cross' });
    else legend.push({ label: 'easy (γ = 1)', color: posteriorColor(1), mark: 'circle' }, { label: 'hard (γ = 0)', color: posteriorColor(0), mark: 'circle' });
  }
  const plot = new Plot({
    id: 'gum', title: `GUM fit, '${variant}' variant`, x, y, legend,
    xLabel: variant === 'code' ? 'sign-flipped, z-scored entropy' : 'randomly signed entropy Ê', yLabel: 'density',
  });
  plot.bars(hist, { color: '#bbbbbb', opacity: 0.6, density: true });
  if (haveFit) {
    plot.line(curveX, gaussY, { color: PALETTE[0], width: 2 });
    plot.line(curveX, mixtureY, { color: '#222222', width: 1.4, dash: '5 3' });
    if (correct) {
      const pick = (want: boolean) => values.map((v, i) => (Boolean(correct[i]) === want ? v : NaN));
      plot.points(pick(true), pointY, { color: PALETTE[2], marker: 'star', size: 3 });
      plot.points(pick(false), pointY, { color: '#000000', marker: 'cross', size: 3 });
    } else {
      plot.points(values, pointY, { color: values.map((_, i) => posteriorColor(posterior[i] ?? NaN)), size: 2.5, opacity: 0.85 });
    }
  } else section.notes.push(`The fitted parameters cannot be drawn (π = ${formatNumber(pi)}, Σ = ${formatNumber(sigma)}, c = ${formatNumber(c)}); only the values are shown.`);
  const model = variant === 'code'
    ? 'π·N(x | 0, Σ̂ + 10⁻³) + (1 − π)·c with c applied everywhere, as GUM.py evaluates it; x = the sign-flipped, z-scored entropies the fit saw'
    : 'π·N(x | 0, Σ̂) + (1 − π)·c on [−Ω, Ω], c = 1/(2Ω); x = the randomly signed entropies Ê the fit saw';
  section.figures.push({
    name: 'gum', svg: plot.toString(),
    caption: `Gaussian–uniform mixture of one batch (TOPOFR.md Fig. 4): π = ${formatNumber(pi)}, Σ̂ = ${formatNumber(sigma)}, c = ${formatNumber(c)}${Number.isFinite(omega) ? `, Ω = ${formatNumber(omega)}` : ''}; mixture ${model}. Each sample sits at (x, ${gaussianText}), ${correct ? 'green ⋆ correctly classified, black × misclassified' : 'coloured by its easy posterior γ'}${skippedNote(hist.skipped)}.`,
  });
  return section;
}

/** Black (hard, γ = 0) to green (easy, γ = 1); grey for a missing posterior. */
function posteriorColor(gamma: number): string {
  if (!Number.isFinite(gamma)) return '#999999';
  const t = Math.min(1, Math.max(0, gamma));
  const channel = (a: number, b: number) => Math.round(a + (b - a) * t).toString(16).padStart(2, '0');
  return `#${channel(0x11, 0x2c)}${channel(0x11, 0xa0)}${channel(0x11, 0x2c)}`;
}

const DIM_MARKERS: Marker[] = ['circle', 'triangle', 'square', 'diamond', 'star'];

function diagramSection(diagram: NonNullable<ReportData['diagram']>): ReportSection {
  const section: ReportSection = { id: 'diagram', title: 'Persistence diagram', figures: [], notes: [] };
  const dims = [...diagram]
    .filter((d) => d !== null && typeof d === 'object')
    .map((d) => {
      const births = toArray(d.births), deaths = toArray(d.deaths);
      const n = Math.min(births.length, deaths.length);
      const fb: number[] = [], fd: number[] = [], eb: number[] = [];
      let skipped = Math.abs(births.length - deaths.length);
      for (let i = 0; i < n; i++) {
        const b = births[i]!, e = deaths[i]!;
        if (!Number.isFinite(b)) skipped++;
        else if (e === Infinity) eb.push(b);
        else if (Number.isFinite(e)) {
          fb.push(b);
          fd.push(e);
        } else skipped++;
      }
      return { dim: d.dim, fb, fd, eb, skipped };
    })
    .sort((a, b) => a.dim - b.dim);
  const shown = dims.filter((d) => d.fb.length + d.eb.length > 0);
  const skipped = dims.reduce((s, d) => s + d.skipped, 0);
  if (shown.length === 0) {
    section.notes.push(`No persistence pairs${skipped > 0 ? ` (${plural(skipped, 'non-finite pair')} skipped)` : ''}.`);
    return section;
  }
  const range = finiteExtent(shown.flatMap((d) => [d.fb, d.fd, d.eb]));
  const base = linearAxis(Math.min(0, range.min), range.max);
  const anyEssential = shown.some((d) => d.eb.length > 0);
  const span = base.max - base.min;
  const y = anyEssential ? extendAxis(base, 0.12) : base;
  const infinityY = base.max + 0.07 * span;
  const legend: LegendEntry[] = shown.map((d) => ({
    label: `H${d.dim} (${d.fb.length}${d.eb.length > 0 ? ` + ${d.eb.length} ∞` : ''})`,
    color: PALETTE[((d.dim % PALETTE.length) + PALETTE.length) % PALETTE.length]!,
    mark: DIM_MARKERS[((d.dim % DIM_MARKERS.length) + DIM_MARKERS.length) % DIM_MARKERS.length]!,
  }));
  legend.push({ label: 'birth = death', color: '#888888', mark: 'line', dash: '4 3' });
  const plot = new Plot({ id: 'diagram', title: 'Persistence diagram', width: 520, height: 500, x: base, y, xLabel: 'Birth', yLabel: 'Death', legend });
  if (anyEssential) {
    plot.hband(base.max + 0.02 * span, y.max, '#000000', 0.05);
    plot.pixelText(plot.left - 8, plot.py(infinityY) + 4, '∞', { anchor: 'end', size: 13 });
  }
  plot.line([base.min, base.max], [base.min, base.max], { color: '#888888', dash: '4 3', width: 1 });
  shown.forEach((d, k) => {
    const style = { color: legend[k]!.color, marker: legend[k]!.mark as Marker, size: 3, opacity: 0.8 };
    plot.points(d.fb, d.fd, style);
    plot.points(d.eb, d.eb.map(() => infinityY), style);
  });
  const counts = shown.map((d) => `H${d.dim}: ${d.fb.length} finite${d.eb.length > 0 ? `, ${d.eb.length} essential` : ''}`).join('; ');
  section.figures.push({
    name: 'diagram', svg: plot.toString(),
    caption: `Vietoris–Rips persistence pairs (birth, death) of a test batch's embeddings, one marker per dimension (TOPOFR.md Fig. 1 style); essential classes (death = ∞) on the top band. ${counts}${skippedNote(skipped, 'non-finite pair')}.`,
  });
  return section;
}

/** Accuracy on each `--val` set at each verification callback (arcface_torch's Accuracy-Flip). */
function validationSection(validation: NonNullable<ReportData['validation']>): ReportSection {
  const section: ReportSection = { id: 'validation', title: 'Verification sets during training', figures: [], notes: [] };
  const names = [...new Set(validation.flatMap((v) => Object.keys(v.val)))];
  const steps = validation.map((v) => v.step);
  const series = names.map((name) => validation.map((v) => v.val[name]?.accuracy ?? NaN));
  const plot = new Plot({ id: 'validation', title: 'Verification accuracy (10-fold, flip test)', x: axisFor([steps]), y: axisFor(series),
    xLabel: 'step', yLabel: 'accuracy', legend: names.map((label, k) => ({ label, color: PALETTE[k % PALETTE.length]!, mark: 'line' as const })) });
  series.forEach((ys, k) => {
    plot.line(steps, ys, { color: PALETTE[k % PALETTE.length]! });
    plot.points(steps, ys, { color: PALETTE[k % PALETTE.length]!, size: 2.5 });
  });
  section.figures.push({ name: 'validation', svg: plot.toString(), caption: `Accuracy ± std per set at ${plural(steps.length, 'callback')} (steps ${steps.join(', ')}).` });
  const last = validation[validation.length - 1]!;
  section.notes.push(`Step ${last.step}: ${names.map((n) => `${n} ${last.val[n] ? `${formatNumber(last.val[n].accuracy)} ± ${formatNumber(last.val[n].std)}` : 'n/a'}`).join(', ')}.`);
  return section;
}

/** The report's sections with their figures, in page order (without the summary and config tables). */
export function reportSections(data: ReportData, options: ReportOptions = {}): ReportSection[] {
  const sections = [trainingSection(data, options), verificationSection(data)];
  if (data.validation?.length) sections.push(validationSection(data.validation));
  if (data.discrepancy) sections.push(discrepancySection(data.discrepancy));
  if (data.gum) sections.push(gumSection(data.gum));
  if (data.diagram) sections.push(diagramSection(data.diagram));
  return sections;
}

// ---------------------------------------------------------------------------------------------
// The page

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;background:#f7f7f7;max-width:1120px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 12px}
h2{font-size:17px;margin:28px 0 8px;padding-bottom:4px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;background:#fff;margin:4px 0}
th,td{border:1px solid #ddd;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f0f0f0;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td code{white-space:pre-wrap;word-break:break-word}
details summary{cursor:pointer;margin:8px 0}
.figures{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
figure{margin:0;background:#fff;border:1px solid #e2e2e2;padding:6px;max-width:100%}
figure svg{display:block;max-width:100%;height:auto}
figcaption{font-size:12px;color:#555;margin-top:4px;max-width:640px}
figure.small figcaption{max-width:340px}
.note{color:#777;font-style:italic}
footer{margin:32px 0 8px;color:#999;font-size:12px}
`;

function configValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : formatNumber(value);
  if (value === undefined) return '—';
  if (typeof value === 'bigint' || typeof value === 'boolean' || typeof value === 'symbol' || typeof value === 'function') return String(value);
  try {
    return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v)) ?? String(value);
  } catch {
    return String(value); // circular
  }
}

function summaryTable(summary: ReportData['summary']): string {
  const s = summary ?? ({} as ReportData['summary']);
  const rows: Array<[string, string]> = [
    ['Verification accuracy (mean ± std over folds)', `${percent(s.accuracy)} ± ${percent(s.accuracyStd)}`],
    ['Chance', percent(s.chance)],
  ];
  const tar = Object.entries(s.tarAtFar ?? {}).map(([key, value], order) => ({ key, value, far: Number(key), order }));
  tar.sort((a, b) => (Number.isFinite(a.far) && Number.isFinite(b.far) ? b.far - a.far : Number.isFinite(a.far) ? -1 : Number.isFinite(b.far) ? 1 : a.order - b.order));
  for (const t of tar) rows.push([`TAR @ FAR = ${t.key}`, percent(t.value)]);
  rows.push(['AUC', formatNumber(s.auc)], ['Training time', duration(s.seconds)], ['Steps', Number.isFinite(s.steps) ? String(Math.round(s.steps)) : formatNumber(s.steps)]);
  const body = rows.map(([k, v]) => `<tr><th scope="row">${escapeXml(k)}</th><td class="num">${escapeXml(v)}</td></tr>`).join('\n');
  return `<table class="summary">\n${body}\n</table>`;
}

function configTable(config: Record<string, unknown>): string {
  const entries = config !== null && typeof config === 'object' ? Object.entries(config) : [];
  if (entries.length === 0) return '<p class="note">No configuration recorded.</p>';
  const body = entries.map(([k, v]) => `<tr><th scope="row">${escapeXml(k)}</th><td><code>${escapeXml(configValue(v))}</code></td></tr>`).join('\n');
  return `<details open="open"><summary>${escapeXml(plural(entries.length, 'setting'))}</summary>\n<table class="config">\n${body}\n</table>\n</details>`;
}

/** One section as HTML (figures in rows, notes above). */
export function sectionHtml(section: ReportSection): string {
  const parts = [`<section id="${section.id}">`, `<h2>${escapeXml(section.title)}</h2>`];
  for (const note of section.notes) parts.push(`<p class="note">${escapeXml(note)}</p>`);
  const figure = (f: ReportFigure) => `<figure id="fig-${f.name}"${f.small ? ' class="small"' : ''}>${f.svg}<figcaption>${escapeXml(f.caption)}</figcaption></figure>`;
  const large = section.figures.filter((f) => !f.small), small = section.figures.filter((f) => f.small);
  if (large.length > 0) parts.push(`<div class="figures">${large.map(figure).join('\n')}</div>`);
  if (small.length > 0) parts.push(`<div class="figures">${small.map(figure).join('\n')}</div>`);
  parts.push('</section>');
  return parts.join('\n');
}

/** A self-contained HTML page (the report's style) around the given body parts. */
export function htmlDocument(title: string, body: string[]): string {
  const t = escapeXml(title);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/><title>${t}</title><style>${CSS}</style></head>`,
    '<body>',
    `<h1>${t}</h1>`,
    ...body,
    '<footer>Written by topofr. Self-contained: inline SVG, no scripts, no external resources.</footer>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function page(data: ReportData, sections: ReportSection[]): string {
  return htmlDocument(String(data.title ?? 'topofr run'), [
    `<section id="summary"><h2>Summary</h2>\n${summaryTable(data.summary)}\n</section>`,
    `<section id="config"><h2>Configuration</h2>\n${configTable(data.config)}\n</section>`,
    ...sections.map(sectionHtml),
  ]);
}

/** One self-contained HTML page (inline SVGs, no script, no external resource). */
export function renderReport(data: ReportData, options: ReportOptions = {}): string {
  return page(data, reportSections(data, options));
}

/** Writes <dir>/report.html and each plot as <dir>/plots/<name>.svg (removing plot files of this
 *  report's names that this run no longer has); returns the HTML path. */
export function writeReport(dir: string, data: ReportData, options: ReportOptions = {}): string {
  const sections = reportSections(data, options);
  const plots = join(dir, 'plots');
  mkdirSync(plots, { recursive: true });
  const written = new Set<string>();
  for (const figure of sections.flatMap((s) => s.figures)) {
    writeFileSync(join(plots, `${figure.name}.svg`), `<?xml version="1.0" encoding="UTF-8"?>\n${figure.svg}\n`);
    written.add(figure.name);
  }
  for (const name of PLOT_NAMES) if (!written.has(name)) rmSync(join(plots, `${name}.svg`), { force: true });
  const html = join(dir, 'report.html');
  writeFileSync(html, page(data, sections));
  return html;
}
