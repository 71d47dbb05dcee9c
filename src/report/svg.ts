// Small SVG plotting primitives for the run report (src/report/report.ts): "nice" axis ticks (linear
// and log10), histograms, and a chart frame (title, axes, grid, axis labels, legend) that takes
// line, point, bar and text marks. SVG is written directly as text (DESIGN.md §4: no browser, no
// canvas, no dependency).
//
// Robustness and determinism:
// * Every number written into an attribute goes through `fmt`: 2 decimals, trailing zeros cut, −0 as
//   0, clamped to ±1e6, never exponent notation. The same input gives the same bytes everywhere.
// * Data that cannot be drawn is skipped, never written: NaN and ±Infinity, and values ≤ 0 on a log
//   axis. A line is broken where such a point sits. So no attribute ever holds "NaN", "Infinity" or
//   "undefined" (`fmt` throws on NaN: reaching it is a bug here, not bad data).
// * All text goes through `escapeXml`. The output is well-formed XML (inline in HTML, or standalone:
//   the root element carries the SVG namespace).
// * Element ids (clip paths) are derived from the plot's `id`, which must be unique within a page.

// ---------------------------------------------------------------------------------------------
// Text and numbers

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe for XML content and attribute values: the five special characters as entities, and
 *  characters XML 1.0 forbids (C0 controls except tab/newline/return, U+FFFE/U+FFFF, lone
 *  surrogates) replaced by U+FFFD. */
export function escapeXml(text: string): string {
  return String(text)
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

const COORDINATE_LIMIT = 1e6;

/** A coordinate or length for an attribute: at most 2 decimals, no trailing zeros, no "-0", clamped
 *  to ±1e6 (so ±Infinity clamps too). NaN throws: callers skip non-finite data before this. */
export function fmt(value: number): string {
  if (Number.isNaN(value)) throw new Error('svg fmt: NaN coordinate (a non-finite data point was not skipped)');
  const clamped = Math.min(COORDINATE_LIMIT, Math.max(-COORDINATE_LIMIT, value));
  const rounded = Math.round(clamped * 100) / 100;
  return rounded === 0 ? '0' : String(rounded);
}

/** A number for reading (tables, captions): `digits` significant digits, fixed notation for
 *  magnitudes in [1e−4, 1e6), otherwise exponent notation like "2.5e-7"; trailing zeros cut.
 *  NaN → "n/a", ±Infinity → "∞" / "−∞". Deterministic (no locale). */
export function formatNumber(value: number, digits = 4): string {
  if (typeof value !== 'number' || Number.isNaN(value)) return 'n/a';
  if (value === Infinity) return '∞';
  if (value === -Infinity) return '−∞';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-4 && magnitude < 1e6) {
    const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(magnitude)));
    return trimZeros(value.toFixed(Math.min(20, decimals)));
  }
  return exponent(value, digits - 1);
}

function trimZeros(text: string): string {
  if (!text.includes('.')) return text === '-0' ? '0' : text;
  const trimmed = text.replace(/\.?0+$/, '');
  return trimmed === '-0' ? '0' : trimmed;
}

/** "2.5e-7" style: the mantissa with `decimals` decimals, trailing zeros cut, no "+" in the exponent. */
function exponent(value: number, decimals: number): string {
  const [mantissa, power] = value.toExponential(Math.max(0, Math.min(20, decimals))).split('e');
  return `${trimZeros(mantissa!)}e${Number(power)}`;
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/** "10⁻³" for k = −3. */
export function powerOfTenLabel(k: number): string {
  return `10${String(k).replace(/./g, (c) => SUPERSCRIPT[c] ?? c)}`;
}

/** k·step with the float noise of the product removed (0.1·3 → 0.3): rounded to `decimals`
 *  decimals, or to 15 significant digits where toFixed cannot go (more than 100 decimals). No −0. */
function roundTo(value: number, decimals: number): number {
  return (decimals <= 100 ? Number(value.toFixed(decimals)) : Number(value.toPrecision(15))) + 0;
}

/** 10^k exactly as the decimal literal "1ek" reads (V8's 10 ** −k can be one ulp off). */
function powerOfTen(k: number): number {
  return Number(`1e${k}`);
}

// ---------------------------------------------------------------------------------------------
// Axes and ticks

export interface Axis {
  scale: 'linear' | 'log';
  /** The drawn domain (for 'log': positive). Usually the outer ticks; `extendAxis` can widen it. */
  min: number;
  max: number;
  /** Labelled tick positions, ascending, inside [min, max]. */
  ticks: number[];
  labels: string[];
  /** Unlabelled short ticks ('log': 2…9 × 10^k when few decades are shown). */
  minor: number[];
}

/** The nice step (1, 2 or 5 × 10^k) that cuts `span` into about `target` pieces. */
export function niceStep(span: number, target = 5): number {
  const raw = span / Math.max(1, target);
  const power = Math.floor(Math.log10(raw));
  const base = powerOfTen(power);
  const f = raw / base;
  const factor = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  return factor === 10 ? powerOfTen(power + 1) : factor * base;
}

/** Ticks on multiples of a nice step covering [lo, hi]; the domain is widened to the outer ticks.
 *  Order of lo/hi does not matter. Non-finite bounds fall back to the other bound, or to [0, 1]. A
 *  zero-width range (a constant series) is widened around its value: ±10 % of |v|, or ±1 at 0. */
export function linearAxis(lo: number, hi: number, target = 5): Axis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = Number.isFinite(lo) ? [lo, lo] : Number.isFinite(hi) ? [hi, hi] : [0, 1];
  if (lo > hi) [lo, hi] = [hi, lo];
  // Also treats a width lost to float64 resolution (1e9 … 1e9 + 1e−9) as constant.
  if (hi - lo <= 1e-12 * Math.max(Math.abs(lo), Math.abs(hi))) {
    const centre = (lo + hi) / 2;
    const pad = centre === 0 ? 1 : Math.abs(centre) * 0.1;
    lo = centre - pad;
    hi = centre + pad;
  }
  // Keep the span finite (−1e308 … 1e308 would overflow to Infinity).
  const span = Math.min(hi - lo, Number.MAX_VALUE);
  const step = niceStep(span, target);
  const power = Math.floor(Math.log10(step) + 1e-9);
  const decimals = Math.max(0, -power);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(roundTo(k * step, decimals));
  const largest = Math.max(Math.abs(ticks[0]!), Math.abs(ticks[ticks.length - 1]!));
  const useExponent = largest >= 1e6 || step < 1e-4;
  const mantissaDecimals = Math.max(0, Math.floor(Math.log10(largest) + 1e-9) - power);
  const labels = ticks.map((t) => (useExponent ? (t === 0 ? '0' : exponent(t, mantissaDecimals)) : t.toFixed(decimals)));
  return { scale: 'linear', min: ticks[0]!, max: ticks[ticks.length - 1]!, ticks, labels, minor: [] };
}

/** Decade ticks 10^k covering [lo, hi] (both > 0; a non-positive or non-finite lo becomes hi/10,
 *  a bad hi becomes 1). At most ~8 labelled decades (every 2nd, 3rd, … decade beyond that); minor
 *  ticks 2…9 × 10^k when 6 decades or fewer are shown. */
export function logAxis(lo: number, hi: number): Axis {
  if (!(hi > 0) || !Number.isFinite(hi)) hi = 1;
  if (!(lo > 0) || !Number.isFinite(lo)) lo = hi / 10;
  if (lo > hi) [lo, hi] = [hi, lo];
  let kLo = Math.floor(Math.log10(lo) + 1e-12);
  let kHi = Math.ceil(Math.log10(hi) - 1e-12);
  kLo = Math.max(kLo, -300);
  kHi = Math.min(Math.max(kHi, kLo + 1), 300);
  const decades = kHi - kLo;
  const stride = Math.ceil(decades / 8);
  kLo = Math.floor(kLo / stride) * stride;
  kHi = Math.ceil(kHi / stride) * stride;
  const ticks: number[] = [];
  const labels: string[] = [];
  for (let k = kLo; k <= kHi; k += stride) {
    ticks.push(powerOfTen(k));
    labels.push(powerOfTenLabel(k));
  }
  const minor: number[] = [];
  if (decades <= 6) for (let k = kLo; k < kHi; k++) for (let m = 2; m <= 9; m++) minor.push(Number(`${m}e${k}`));
  return { scale: 'log', min: powerOfTen(kLo), max: powerOfTen(kHi), ticks, labels, minor };
}

/** The finite values of several series (and, for a log axis, only the positive ones). */
export function finiteExtent(series: Iterable<ArrayLike<number>>, positiveOnly = false): { min: number; max: number; count: number } {
  let min = Infinity, max = -Infinity, count = 0;
  for (const values of series)
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v) || (positiveOnly && !(v > 0))) continue;
      if (v < min) min = v;
      if (v > max) max = v;
      count++;
    }
  return { min, max, count };
}

/** An axis that shows every finite value of the series ('log': every positive one). `include` adds
 *  values the domain must contain (e.g. 0 for bar charts, 1 for a rate). With no usable value:
 *  [0, 1] ('linear') or [0.1, 1] ('log'). */
export function axisFor(series: Iterable<ArrayLike<number>>, options: { log?: boolean; include?: number[]; target?: number } = {}): Axis {
  const all = [...series, options.include ?? []];
  const { min, max, count } = finiteExtent(all, options.log === true);
  if (options.log) return count === 0 ? logAxis(0.1, 1) : logAxis(min, max);
  return count === 0 ? linearAxis(0, 1, options.target) : linearAxis(min, max, options.target);
}

/** The same axis with its domain (not its ticks) widened: `below`/`above` as fractions of the span
 *  (of the log span for 'log'). Room for a band such as a persistence diagram's "∞" row. */
export function extendAxis(axis: Axis, above: number, below = 0): Axis {
  if (axis.scale === 'log') {
    const a = Math.log10(axis.min), b = Math.log10(axis.max);
    return { ...axis, min: 10 ** (a - below * (b - a)), max: 10 ** (b + above * (b - a)) };
  }
  const span = axis.max - axis.min;
  return { ...axis, min: axis.min - below * span, max: axis.max + above * span };
}

/** Where `value` falls on the axis as a fraction of its length (0 at min, 1 at max); NaN where it
 *  cannot be drawn (non-finite, or ≤ 0 on a log axis). Values outside the domain give fractions
 *  outside [0, 1] (the clip path hides them). */
export function axisFraction(axis: Axis, value: number): number {
  if (!Number.isFinite(value)) return NaN;
  if (axis.scale === 'log') {
    if (!(value > 0)) return NaN;
    const a = Math.log10(axis.min), b = Math.log10(axis.max);
    return (Math.log10(value) - a) / (b - a);
  }
  return (value - axis.min) / (axis.max - axis.min);
}

// ---------------------------------------------------------------------------------------------
// Histograms

export interface Histogram {
  /** bins + 1 ascending bin edges; bin i is [edges[i], edges[i+1]), the last bin also holds its right edge. */
  edges: number[];
  /** Values per bin. */
  counts: number[];
  /** Values binned: Σ counts. */
  total: number;
  /** Values not binned: non-finite ones, and finite ones outside [edges[0], edges[bins]]. */
  skipped: number;
}

/** About `bins` equal bins with nice edges (multiples of a 1/2/5 × 10^k width) covering [lo, hi]. */
export function histogramEdges(lo: number, hi: number, bins = 30): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) lo = hi = Number.isFinite(lo) ? lo : Number.isFinite(hi) ? hi : 0;
  if (lo > hi) [lo, hi] = [hi, lo];
  if (hi - lo <= 1e-12 * Math.max(Math.abs(lo), Math.abs(hi))) {
    // A constant sample: one bin around the value (plus empty neighbours from the nice rounding).
    const pad = lo === 0 ? 0.5 : Math.abs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  const width = niceStep(Math.min(hi - lo, Number.MAX_VALUE), Math.max(1, bins));
  const decimals = Math.max(0, -Math.floor(Math.log10(width) + 1e-9));
  const first = Math.floor(lo / width + 1e-9);
  let last = Math.ceil(hi / width - 1e-9);
  if (last <= first) last = first + 1;
  const edges: number[] = [];
  for (let k = first; k <= last; k++) edges.push(roundTo(k * width, decimals));
  return edges;
}

/** The default bin count for n values: √n, between 8 and 40. */
export function defaultBins(n: number): number {
  return Math.max(8, Math.min(40, Math.ceil(Math.sqrt(Math.max(0, n)))));
}

/** The Freedman–Diaconis bin width 2·IQR·n^(−1/3) of the finite values (quartiles by linear
 *  interpolation); NaN when it is not positive (fewer than 2 values, or IQR 0). */
export function freedmanDiaconisWidth(values: ArrayLike<number>): number {
  const v = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length < 2) return NaN;
  const quantile = (q: number) => {
    const at = q * (v.length - 1), i = Math.floor(at);
    return i + 1 < v.length ? v[i]! + (at - i) * (v[i + 1]! - v[i]!) : v[i]!;
  };
  const width = (2 * (quantile(0.75) - quantile(0.25))) / Math.cbrt(v.length);
  return width > 0 ? width : NaN;
}

/** Bins for samples drawn on one set of edges over [lo, hi]: fine enough for the narrowest sample
 *  (the smallest Freedman–Diaconis width, so a sample that collapses near one value still shows its
 *  shape next to a wide one), between 5 and 100 bins; √n bins when no width is defined. */
export function binsFor(samples: ArrayLike<number>[], lo: number, hi: number): number {
  const widths = samples.map(freedmanDiaconisWidth).filter((w) => w > 0);
  if (widths.length === 0) return defaultBins(Math.max(0, ...samples.map((s) => finiteExtent([s]).count)));
  return Math.max(5, Math.min(100, Math.ceil((hi - lo) / Math.min(...widths))));
}

/** Counts `values` into the bins of `edges` (ascending). Without edges: nice edges over the finite
 *  values' range with `binsFor` bins, so every finite value is binned. */
export function histogram(values: ArrayLike<number>, edges?: number[]): Histogram {
  if (edges === undefined) {
    const { min, max, count } = finiteExtent([values]);
    edges = count === 0 ? histogramEdges(0, 1, 1) : histogramEdges(min, max, binsFor([values], min, max));
  }
  const bins = edges.length - 1;
  const counts = new Array<number>(Math.max(0, bins)).fill(0);
  let total = 0, skipped = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (bins < 1 || !Number.isFinite(v) || v < edges[0]! || v > edges[bins]!) {
      skipped++;
      continue;
    }
    // Binary search for the last edge ≤ v (the right edge belongs to the last bin).
    let a = 0, b = bins - 1;
    while (a < b) {
      const m = (a + b + 1) >> 1;
      if (edges[m]! <= v) a = m;
      else b = m - 1;
    }
    counts[a]!++;
    total++;
  }
  return { edges, counts, total, skipped };
}

/** Histograms of several samples on shared nice edges (for overlays), over all their finite values;
 *  about `bins` bins (default `binsFor`). */
export function sharedHistograms(samples: ArrayLike<number>[], bins?: number): Histogram[] {
  const { min, max, count } = finiteExtent(samples);
  const edges = count === 0 ? histogramEdges(0, 1, 1) : histogramEdges(min, max, bins ?? binsFor(samples, min, max));
  return samples.map((s) => histogram(s, edges));
}

// ---------------------------------------------------------------------------------------------
// The chart frame and its marks

export type Marker = 'circle' | 'square' | 'triangle' | 'diamond' | 'cross' | 'plus' | 'star';

export interface LegendEntry {
  label: string;
  color: string;
  /** How the swatch looks: a line (optionally dashed), a filled box, or a marker. */
  mark: 'line' | 'box' | Marker;
  dash?: string;
}

export interface PlotOptions {
  /** Unique within the page, [A-Za-z0-9_-]; clip path ids derive from it. */
  id: string;
  title?: string;
  width?: number;
  height?: number;
  x: Axis;
  y: Axis;
  xLabel?: string;
  yLabel?: string;
  /** Legend swatches, drawn in rows between the title and the plotting area. */
  legend?: LegendEntry[];
  /** Grid lines at the ticks (default true). */
  grid?: boolean;
}

export interface LineStyle {
  color: string;
  width?: number;
  /** stroke-dasharray, e.g. "4 3". */
  dash?: string;
  opacity?: number;
}

export interface PointStyle {
  /** One colour, or one per point (same index as the data). */
  color: string | readonly string[];
  marker?: Marker;
  /** Marker radius in px (default 3). */
  size?: number;
  opacity?: number;
}

export interface TextStyle {
  anchor?: 'start' | 'middle' | 'end';
  color?: string;
  size?: number;
  /** Pixel offsets from the anchor point. */
  dx?: number;
  dy?: number;
  bold?: boolean;
  /** Draw outside the clip region too (default false: clipped to the plotting area). */
  unclipped?: boolean;
}

/** The palette used by the report (colour-blind friendly "tab10"-like hues). */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'] as const;

const FONT = 'font-family="system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif"';
/** Rough width of a character of 11 px sans-serif text, for layout only. */
const CHAR_WIDTH = 6.2;

/** A chart: an outer frame with title, legend, axes and grid, and marks added in data coordinates.
 *  `toString()` gives the finished `<svg>` element. */
export class Plot {
  readonly width: number;
  readonly height: number;
  /** The plotting area in pixels. */
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  private readonly options: PlotOptions;
  private readonly clipped: string[] = [];
  private readonly overlay: string[] = [];
  private readonly legendRows: LegendEntry[][];
  private readonly clipId: string;

  constructor(options: PlotOptions) {
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(options.id)) throw new Error(`Plot: id must match [A-Za-z][A-Za-z0-9_-]*, got '${options.id}'`);
    this.options = options;
    this.clipId = `clip-${options.id}`;
    this.width = options.width ?? 640;
    this.height = options.height ?? 360;
    const longestYLabel = Math.max(1, ...options.y.labels.map((l) => [...l].length));
    this.left = Math.round(14 + CHAR_WIDTH * longestYLabel + (options.yLabel ? 18 : 0));
    this.right = this.width - 16;
    this.legendRows = this.layoutLegend(options.legend ?? []);
    this.top = (options.title ? 30 : 12) + 17 * this.legendRows.length;
    this.bottom = this.height - (options.xLabel ? 44 : 28);
  }

  /** Pixel x of a data value; NaN where it cannot be drawn. */
  px(x: number): number {
    return this.left + axisFraction(this.options.x, x) * (this.right - this.left);
  }

  /** Pixel y of a data value; NaN where it cannot be drawn. */
  py(y: number): number {
    return this.bottom - axisFraction(this.options.y, y) * (this.bottom - this.top);
  }

  /** A polyline through the points, broken at points that cannot be drawn. Very long series are
   *  thinned to the first, lowest, highest and last point per pixel column (the drawn shape of a
   *  monotone-x series stays the same). */
  line(xs: ArrayLike<number>, ys: ArrayLike<number>, style: LineStyle): this {
    const n = Math.min(xs.length, ys.length);
    const segments: Array<Array<[number, number]>> = [];
    let current: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) {
      const x = this.px(xs[i]!), y = this.py(ys[i]!);
      if (Number.isFinite(x) && Number.isFinite(y)) current.push([x, y]);
      else if (current.length > 0) {
        segments.push(current);
        current = [];
      }
    }
    if (current.length > 0) segments.push(current);
    const d = segments
      .map((s) => thin(s, this.right - this.left))
      .map((s) => (s.length === 1 ? `M${fmt(s[0]![0])} ${fmt(s[0]![1])}h0.01` : `M${s.map(([x, y]) => `${fmt(x)} ${fmt(y)}`).join('L')}`))
      .join('');
    if (d) this.clipped.push(`<path d="${d}" fill="none" stroke="${escapeXml(style.color)}" stroke-width="${fmt(style.width ?? 1.6)}" stroke-linejoin="round" stroke-linecap="round"${dashAttr(style.dash)}${opacityAttr(style.opacity, 'stroke-opacity')}/>`);
    return this;
  }

  /** Markers at the points that can be drawn (the others are skipped). */
  points(xs: ArrayLike<number>, ys: ArrayLike<number>, style: PointStyle): this {
    const n = Math.min(xs.length, ys.length);
    const marker = style.marker ?? 'circle';
    const size = style.size ?? 3;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      const x = this.px(xs[i]!), y = this.py(ys[i]!);
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      const color = typeof style.color === 'string' ? style.color : (style.color[i] ?? PALETTE[0]);
      parts.push(markerElement(marker, x, y, size, color));
    }
    if (parts.length > 0) this.clipped.push(`<g class="points"${opacityAttr(style.opacity, 'opacity')}>${parts.join('')}</g>`);
    return this;
  }

  /** A histogram as bars from the x axis (or the axis minimum if that is above 0), one `<rect>` per
   *  non-empty bin carrying `data-count`. `density`: heights are count / (total · width), so
   *  samples of different sizes, or a density curve, can share the axis. */
  bars(hist: Histogram, style: { color: string; opacity?: number; density?: boolean }): this {
    const base = this.baseline();
    const parts: string[] = [];
    for (let i = 0; i < hist.counts.length; i++) {
      const count = hist.counts[i]!;
      if (count === 0) continue;
      const x0 = this.px(hist.edges[i]!), x1 = this.px(hist.edges[i + 1]!);
      const value = style.density ? count / (hist.total * (hist.edges[i + 1]! - hist.edges[i]!)) : count;
      const y = this.py(value);
      if (![x0, x1, y, base].every(Number.isFinite)) continue;
      parts.push(`<rect x="${fmt(x0)}" y="${fmt(Math.min(y, base))}" width="${fmt(Math.max(0, x1 - x0))}" height="${fmt(Math.abs(base - y))}" data-count="${count}"/>`);
    }
    if (parts.length > 0)
      this.clipped.push(`<g class="bars" fill="${escapeXml(style.color)}" fill-opacity="${fmt(style.opacity ?? 0.55)}" stroke="${escapeXml(style.color)}" stroke-width="0.6">${parts.join('')}</g>`);
    return this;
  }

  /** Heights a histogram's bars reach (for choosing the y axis). */
  static barHeights(hist: Histogram, density = false): number[] {
    return hist.counts.map((c, i) => (density ? (hist.total > 0 ? c / (hist.total * (hist.edges[i + 1]! - hist.edges[i]!)) : 0) : c));
  }

  /** A horizontal line across the plotting area at data y. */
  hline(y: number, style: LineStyle): this {
    const py = this.py(y);
    if (Number.isFinite(py)) this.clipped.push(`<line x1="${fmt(this.left)}" x2="${fmt(this.right)}" y1="${fmt(py)}" y2="${fmt(py)}" stroke="${escapeXml(style.color)}" stroke-width="${fmt(style.width ?? 1)}"${dashAttr(style.dash)}${opacityAttr(style.opacity, 'stroke-opacity')}/>`);
    return this;
  }

  /** A vertical line across the plotting area at data x. */
  vline(x: number, style: LineStyle): this {
    const px = this.px(x);
    if (Number.isFinite(px)) this.clipped.push(`<line x1="${fmt(px)}" x2="${fmt(px)}" y1="${fmt(this.top)}" y2="${fmt(this.bottom)}" stroke="${escapeXml(style.color)}" stroke-width="${fmt(style.width ?? 1)}"${dashAttr(style.dash)}${opacityAttr(style.opacity, 'stroke-opacity')}/>`);
    return this;
  }

  /** A filled horizontal band between data y0 and y1 over the whole width. */
  hband(y0: number, y1: number, color: string, opacity = 0.08): this {
    const a = this.py(y0), b = this.py(y1);
    if (Number.isFinite(a) && Number.isFinite(b))
      this.clipped.push(`<rect x="${fmt(this.left)}" y="${fmt(Math.min(a, b))}" width="${fmt(this.right - this.left)}" height="${fmt(Math.abs(a - b))}" fill="${escapeXml(color)}" fill-opacity="${fmt(opacity)}"/>`);
    return this;
  }

  /** Text at data coordinates (skipped if they cannot be drawn). */
  text(x: number, y: number, text: string, style: TextStyle = {}): this {
    const px = this.px(x) + (style.dx ?? 0), py = this.py(y) + (style.dy ?? 0);
    if (Number.isFinite(px) && Number.isFinite(py)) (style.unclipped ? this.overlay : this.clipped).push(textElement(px, py, text, style));
    return this;
  }

  /** Text at pixel coordinates of the whole SVG, drawn unclipped (annotations in the margins). */
  pixelText(px: number, py: number, text: string, style: TextStyle = {}): this {
    if (Number.isFinite(px) && Number.isFinite(py)) this.overlay.push(textElement(px + (style.dx ?? 0), py + (style.dy ?? 0), text, style));
    return this;
  }

  /** The finished SVG element. */
  toString(): string {
    const o = this.options;
    const w = this.right - this.left, h = this.bottom - this.top;
    const out: string[] = [];
    out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${fmt(this.width)}" height="${fmt(this.height)}" viewBox="0 0 ${fmt(this.width)} ${fmt(this.height)}" ${FONT} font-size="11" role="img" aria-label="${escapeXml(o.title ?? o.id)}">`);
    if (o.title) out.push(`<title>${escapeXml(o.title)}</title>`);
    out.push(`<defs><clipPath id="${this.clipId}"><rect x="${fmt(this.left)}" y="${fmt(this.top)}" width="${fmt(w)}" height="${fmt(h)}"/></clipPath></defs>`);
    out.push(`<rect x="0" y="0" width="${fmt(this.width)}" height="${fmt(this.height)}" fill="#ffffff"/>`);
    if (o.title) out.push(textElement(this.width / 2, 19, o.title, { anchor: 'middle', size: 13, color: '#222222', bold: true }));
    out.push(this.renderLegend());
    out.push(this.renderAxes());
    out.push(`<g clip-path="url(#${this.clipId})">${this.clipped.join('')}</g>`);
    out.push(`<rect x="${fmt(this.left)}" y="${fmt(this.top)}" width="${fmt(w)}" height="${fmt(h)}" fill="none" stroke="#444444" stroke-width="1"/>`);
    out.push(this.overlay.join(''));
    out.push('</svg>');
    return out.join('');
  }

  private baseline(): number {
    const y = this.options.y;
    const zero = y.scale === 'log' ? y.min : Math.min(Math.max(0, y.min), y.max);
    return this.py(zero);
  }

  private layoutLegend(entries: LegendEntry[]): LegendEntry[][] {
    const rows: LegendEntry[][] = [];
    const available = this.width - 32;
    let row: LegendEntry[] = [], used = 0;
    for (const e of entries) {
      const width = legendEntryWidth(e);
      if (row.length > 0 && used + width > available) {
        rows.push(row);
        row = [];
        used = 0;
      }
      row.push(e);
      used += width;
    }
    if (row.length > 0) rows.push(row);
    return rows;
  }

  private renderLegend(): string {
    const parts: string[] = [];
    const y0 = (this.options.title ? 30 : 12) + 2;
    this.legendRows.forEach((row, r) => {
      const total = row.reduce((s, e) => s + legendEntryWidth(e), 0);
      let x = Math.max(16, (this.width - total) / 2);
      const y = y0 + 17 * r + 6;
      for (const e of row) {
        const color = escapeXml(e.color);
        if (e.mark === 'line') parts.push(`<line x1="${fmt(x)}" x2="${fmt(x + 18)}" y1="${fmt(y)}" y2="${fmt(y)}" stroke="${color}" stroke-width="2"${dashAttr(e.dash)}/>`);
        else if (e.mark === 'box') parts.push(`<rect x="${fmt(x + 3)}" y="${fmt(y - 5)}" width="12" height="10" fill="${color}" fill-opacity="0.55" stroke="${color}"/>`);
        else parts.push(markerElement(e.mark, x + 9, y, 3.5, e.color));
        parts.push(textElement(x + 23, y + 4, e.label, { color: '#222222' }));
        x += legendEntryWidth(e);
      }
    });
    return parts.length > 0 ? `<g class="legend">${parts.join('')}</g>` : '';
  }

  private renderAxes(): string {
    const o = this.options;
    const grid = o.grid !== false;
    const parts: string[] = [];
    const xTicks = o.x.ticks.map((t, i) => ({ t, label: o.x.labels[i] ?? '', p: this.px(t) })).filter((t) => Number.isFinite(t.p) && t.p >= this.left - 0.5 && t.p <= this.right + 0.5);
    const yTicks = o.y.ticks.map((t, i) => ({ t, label: o.y.labels[i] ?? '', p: this.py(t) })).filter((t) => Number.isFinite(t.p) && t.p >= this.top - 0.5 && t.p <= this.bottom + 0.5);
    if (grid) {
      const lines = [
        ...xTicks.map((t) => `<line x1="${fmt(t.p)}" x2="${fmt(t.p)}" y1="${fmt(this.top)}" y2="${fmt(this.bottom)}"/>`),
        ...yTicks.map((t) => `<line x1="${fmt(this.left)}" x2="${fmt(this.right)}" y1="${fmt(t.p)}" y2="${fmt(t.p)}"/>`),
      ];
      if (lines.length > 0) parts.push(`<g class="grid" stroke="#e4e4e4" stroke-width="1">${lines.join('')}</g>`);
    }
    const marks: string[] = [];
    for (const t of xTicks) marks.push(`<line x1="${fmt(t.p)}" x2="${fmt(t.p)}" y1="${fmt(this.bottom)}" y2="${fmt(this.bottom + 5)}"/>`);
    for (const t of yTicks) marks.push(`<line x1="${fmt(this.left - 5)}" x2="${fmt(this.left)}" y1="${fmt(t.p)}" y2="${fmt(t.p)}"/>`);
    for (const m of o.x.minor) {
      const p = this.px(m);
      if (Number.isFinite(p) && p > this.left && p < this.right) marks.push(`<line x1="${fmt(p)}" x2="${fmt(p)}" y1="${fmt(this.bottom)}" y2="${fmt(this.bottom + 3)}"/>`);
    }
    for (const m of o.y.minor) {
      const p = this.py(m);
      if (Number.isFinite(p) && p > this.top && p < this.bottom) marks.push(`<line x1="${fmt(this.left - 3)}" x2="${fmt(this.left)}" y1="${fmt(p)}" y2="${fmt(p)}"/>`);
    }
    if (marks.length > 0) parts.push(`<g class="ticks" stroke="#444444" stroke-width="1">${marks.join('')}</g>`);
    const labels: string[] = [];
    for (const t of xTicks) labels.push(textElement(t.p, this.bottom + 17, t.label, { anchor: 'middle' }));
    for (const t of yTicks) labels.push(textElement(this.left - 8, t.p + 4, t.label, { anchor: 'end' }));
    if (o.xLabel) labels.push(textElement((this.left + this.right) / 2, this.height - 8, o.xLabel, { anchor: 'middle', size: 12 }));
    if (o.yLabel) {
      const cx = 14, cy = (this.top + this.bottom) / 2;
      labels.push(`<text x="${fmt(cx)}" y="${fmt(cy)}" text-anchor="middle" font-size="12" fill="#333333" transform="rotate(-90 ${fmt(cx)} ${fmt(cy)})">${escapeXml(o.yLabel)}</text>`);
    }
    parts.push(`<g class="axis-labels" fill="#333333">${labels.join('')}</g>`);
    return parts.join('');
  }
}

function legendEntryWidth(e: LegendEntry): number {
  return 23 + CHAR_WIDTH * [...e.label].length + 18;
}

function dashAttr(dash: string | undefined): string {
  return dash ? ` stroke-dasharray="${escapeXml(dash)}"` : '';
}

function opacityAttr(opacity: number | undefined, name: string): string {
  return opacity === undefined || !Number.isFinite(opacity) ? '' : ` ${name}="${fmt(Math.min(1, Math.max(0, opacity)))}"`;
}

function textElement(x: number, y: number, text: string, style: TextStyle): string {
  const anchor = style.anchor && style.anchor !== 'start' ? ` text-anchor="${style.anchor}"` : '';
  const size = style.size ? ` font-size="${fmt(style.size)}"` : '';
  const color = style.color ? ` fill="${escapeXml(style.color)}"` : '';
  const weight = style.bold ? ' font-weight="600"' : '';
  return `<text x="${fmt(x)}" y="${fmt(y)}"${anchor}${size}${weight}${color}>${escapeXml(text)}</text>`;
}

/** One marker centred at pixel (x, y) with radius r. */
function markerElement(marker: Marker, x: number, y: number, r: number, color: string): string {
  const c = escapeXml(color);
  switch (marker) {
    case 'circle':
      return `<circle cx="${fmt(x)}" cy="${fmt(y)}" r="${fmt(r)}" fill="${c}"/>`;
    case 'square':
      return `<rect x="${fmt(x - r)}" y="${fmt(y - r)}" width="${fmt(2 * r)}" height="${fmt(2 * r)}" fill="${c}"/>`;
    case 'triangle':
      return `<path d="M${fmt(x)} ${fmt(y - r * 1.2)}L${fmt(x + r * 1.1)} ${fmt(y + r * 0.8)}L${fmt(x - r * 1.1)} ${fmt(y + r * 0.8)}Z" fill="${c}"/>`;
    case 'diamond':
      return `<path d="M${fmt(x)} ${fmt(y - r * 1.3)}L${fmt(x + r)} ${fmt(y)}L${fmt(x)} ${fmt(y + r * 1.3)}L${fmt(x - r)} ${fmt(y)}Z" fill="${c}"/>`;
    case 'cross':
      return `<path d="M${fmt(x - r)} ${fmt(y - r)}L${fmt(x + r)} ${fmt(y + r)}M${fmt(x - r)} ${fmt(y + r)}L${fmt(x + r)} ${fmt(y - r)}" stroke="${c}" stroke-width="1.5" fill="none"/>`;
    case 'plus':
      return `<path d="M${fmt(x - r)} ${fmt(y)}L${fmt(x + r)} ${fmt(y)}M${fmt(x)} ${fmt(y - r)}L${fmt(x)} ${fmt(y + r)}" stroke="${c}" stroke-width="1.5" fill="none"/>`;
    case 'star': {
      const points: string[] = [];
      for (let k = 0; k < 10; k++) {
        const radius = k % 2 === 0 ? r * 1.5 : r * 0.6;
        const angle = -Math.PI / 2 + (k * Math.PI) / 5;
        points.push(`${fmt(x + radius * Math.cos(angle))} ${fmt(y + radius * Math.sin(angle))}`);
      }
      return `<path d="M${points.join('L')}Z" fill="${c}"/>`;
    }
  }
}

/** At most ~4 points per pixel column of a polyline (first, lowest, highest, last of each column,
 *  in their original order); short polylines are returned as they are. */
function thin(points: Array<[number, number]>, pixels: number): Array<[number, number]> {
  if (points.length <= 4 * Math.max(1, pixels)) return points;
  const out: Array<[number, number]> = [];
  let i = 0;
  while (i < points.length) {
    const column = Math.floor(points[i]![0]);
    let j = i, low = i, high = i;
    while (j < points.length && Math.floor(points[j]![0]) === column) {
      if (points[j]![1] < points[low]![1]) low = j;
      if (points[j]![1] > points[high]![1]) high = j;
      j++;
    }
    const keep = [...new Set([i, low, high, j - 1])].sort((a, b) => a - b);
    for (const k of keep) out.push(points[k]!);
    i = j;
  }
  return out;
}
