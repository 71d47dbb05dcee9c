// The run report (src/report/report.ts) and its SVG primitives (src/report/svg.ts): nice and log
// ticks, histogram counts, number formatting and escaping, and the page and every plot checked as
// well-formed XML (test/support/xml.ts) with no NaN/Infinity/undefined in attributes, on synthetic
// run data (real ROC and GUM fits), on empty data and on data full of non-finite values.
//
// Set TOPOFR_REPORT_SAMPLE=/some/dir to also keep the synthetic sample report there.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auc, rocCurve, tarAtFar } from '../src/eval/roc.js';
import { renderReport, reportSections, writeReport, type ReportData } from '../src/report/report.js';
import {
  axisFraction,
  escapeXml,
  extendAxis,
  fmt,
  formatNumber,
  freedmanDiaconisWidth,
  histogram,
  histogramEdges,
  linearAxis,
  logAxis,
  Plot,
  powerOfTenLabel,
  sharedHistograms,
  type Axis,
} from '../src/report/svg.js';
import { fitGaussianUniform } from '../src/train/gum.js';
import { gaussian, mulberry32 } from '../src/util/random.js';
import { allElements, checkDocument, elementsNamed, parseXml, textContent, XmlError, type XmlElement } from './support/xml.js';

// ---------------------------------------------------------------------------------------------
// Synthetic run data

function syntheticReport(seed = 7): ReportData {
  const random = mulberry32(seed);
  const normal = gaussian(random);
  const alpha = 0.1;
  const records: ReportData['records'] = [];
  for (let step = 5; step <= 2000; step += 5) {
    const cls = 60 * Math.exp(-step / 200) + 0.05 + 0.02 * Math.abs(normal());
    const topo = 20 * Math.exp(-step / 400) + 0.3 + 0.05 * Math.abs(normal());
    records.push({ step, cls, topo, loss: cls + alpha * topo, omega: 1.2 + 0.1 * Math.exp(-step / 500) + 0.01 * normal(), lr: 0.1 * (1 - step / 2000) ** 2, imgPerS: 70 + 4 * normal() });
  }
  const n = 3000;
  const issame = new Uint8Array(n);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    issame[i] = i % 2 === 0 ? 1 : 0;
    scores[i] = Math.max(-1, Math.min(1, issame[i] ? 0.55 + 0.17 * normal() : 0.05 + 0.1 * normal()));
  }
  const roc = rocCurve(issame, scores);
  const tar: Record<string, number> = {};
  for (const p of tarAtFar(roc, [1e-1, 1e-2, 1e-3])) tar[p.far.toExponential(0)] = p.tar;

  const entropies = Float64Array.from({ length: 128 }, () => (random() < 0.75 ? -0.15 * Math.log(1 - random()) : 9 * random()));
  const fit = fitGaussianUniform(entropies, { variant: 'code' });
  const correct = Uint8Array.from(entropies, (e) => (e < 3 + normal() ? 1 : 0)); // high entropy: mostly wrong

  const diagram: NonNullable<ReportData['diagram']> = [0, 1, 2].map((dim) => {
    const count = [63, 40, 12][dim]!;
    const births = new Float32Array(count + (dim < 2 ? 1 : 0));
    const deaths = new Float32Array(births.length);
    for (let i = 0; i < count; i++) {
      births[i] = dim === 0 ? 0 : 0.6 + 0.5 * random();
      deaths[i] = dim === 0 ? 0.2 + random() : births[i]! + 0.3 * random() ** 2;
    }
    if (dim < 2) {
      births[count] = dim === 0 ? 0 : 1.05;
      deaths[count] = Infinity;
    }
    return { dim, births, deaths };
  });

  return {
    title: 'TopoFR demo run <R18 & "ArcFace">',
    config: { name: 'demo', seed: 2048, depth: 18, head: 'arcface', alpha, lr: 0.1, note: '<script>alert("x")</script> & more', nested: { a: [1, 2], b: null }, omega1: 'code' },
    summary: { accuracy: 0.9345, accuracyStd: 0.0123, chance: 0.5, tarAtFar: tar, auc: auc(roc.fpr, roc.tpr), seconds: 1234.5, steps: 2000 },
    records,
    alpha,
    roc: { fpr: roc.fpr, tpr: roc.tpr },
    pairs: { scores, issame },
    discrepancy: {
      initial: Array.from({ length: 200 }, () => 2 + 0.3 * normal()),
      final: Array.from({ length: 200 }, () => Math.abs(0.3 + 0.1 * normal())),
    },
    gum: { ...fit, variant: 'code', correct },
    diagram,
  };
}

/** An SVG element's plot by id (the figure's <svg>). */
function plotSvg(root: XmlElement, name: string): XmlElement | undefined {
  const figure = allElements(root).find((e) => e.name === 'figure' && e.attributes.id === `fig-${name}`);
  return figure?.children.find((c) => c.name === 'svg');
}

const sumCounts = (e: XmlElement) => elementsNamed(e, 'rect').reduce((s, r) => s + Number(r.attributes['data-count'] ?? 0), 0);

// ---------------------------------------------------------------------------------------------
// The XML checker itself

describe('test/support/xml.ts', () => {
  it('accepts a well-formed document with prolog, comments, CDATA and entities', () => {
    const root = parseXml('<?xml version="1.0"?>\n<!DOCTYPE html>\n<!-- c --><a x="1" y=\'2\'><b/>t &amp; &lt; &#956; &#x3bc;<![CDATA[<raw>]]><c k="&quot;">x</c></a>\n');
    expect(root.name).toBe('a');
    expect(root.children.map((c) => c.name)).toEqual(['b', 'c']);
    expect(root.attributes).toEqual({ x: '1', y: '2' });
  });

  it.each([
    ['<a><b></a>', 'closes'],
    ['<a><b>', 'never closed'],
    ['<a x=1></a>', 'not quoted'],
    ['<a x></a>', "no '='"],
    ['<a x="1" x="2"/>', 'duplicate attribute'],
    ['<a>fish & chips</a>', 'entity'],
    ['<a>&nbsp;</a>', 'entity'],
    ['<a x="a<b"/>', "'<' in attribute"],
    ['<a/><b/>', 'after the root'],
    ['<a x="1"y="2"/>', 'whitespace'],
    ['<a><!-- a -- b --></a>', "'--'"],
    ['', 'no root'],
    ['<a>&#0;</a>', 'not an XML character'],
  ])('rejects %s', (source, message) => {
    expect(() => parseXml(source)).toThrow(XmlError);
    expect(() => parseXml(source)).toThrow(message);
  });

  it('flags NaN/undefined attributes and duplicate ids', () => {
    expect(() => checkDocument('<svg><circle cx="NaN" cy="1" r="2"/></svg>')).toThrow('NaN');
    expect(() => checkDocument('<svg><rect width="undefined"/></svg>')).toThrow('undefined');
    expect(() => checkDocument('<svg><g id="a"/><g id="a"/></svg>')).toThrow('duplicate id');
    expect(() => checkDocument('<svg><rect x="1e-7"/></svg>')).toThrow('plain number');
  });
});

// ---------------------------------------------------------------------------------------------
// Numbers, text, ticks

describe('formatting and escaping', () => {
  it('fmt writes short, deterministic coordinates', () => {
    expect(fmt(0)).toBe('0');
    expect(fmt(-0)).toBe('0');
    expect(fmt(-0.001)).toBe('0');
    expect(fmt(1 / 3)).toBe('0.33');
    expect(fmt(12.5)).toBe('12.5');
    expect(fmt(-7.999)).toBe('-8');
    expect(fmt(1e300)).toBe('1000000');
    expect(fmt(-Infinity)).toBe('-1000000');
    expect(() => fmt(NaN)).toThrow('NaN');
  });

  it('formatNumber reads well and never says NaN', () => {
    expect(formatNumber(0.93456)).toBe('0.9346');
    expect(formatNumber(1234.5)).toBe('1235');
    expect(formatNumber(2.5e-7)).toBe('2.5e-7');
    expect(formatNumber(3e9)).toBe('3e9');
    expect(formatNumber(1)).toBe('1');
    expect(formatNumber(NaN)).toBe('n/a');
    expect(formatNumber(undefined as unknown as number)).toBe('n/a');
    expect(formatNumber(Infinity)).toBe('∞');
    expect(formatNumber(-Infinity)).toBe('−∞');
  });

  it('escapeXml escapes markup and drops characters XML forbids', () => {
    expect(escapeXml('<a href="x">&\'</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
    expect(escapeXml('a\u0000b\u001fc\td\ne')).toBe('a\ufffdb\ufffdc\td\ne');
    expect(escapeXml('x\ud800y')).toBe('x\ufffdy');
    expect(escapeXml('😀')).toBe('😀');
    expect(() => parseXml(`<a t="${escapeXml('"<&>\'')}">${escapeXml('<&>]]>')}</a>`)).not.toThrow();
  });

  it('powerOfTenLabel uses superscripts', () => {
    expect(powerOfTenLabel(-3)).toBe('10⁻³');
    expect(powerOfTenLabel(12)).toBe('10¹²');
    expect(powerOfTenLabel(0)).toBe('10⁰');
  });
});

/** The properties every linear axis must have for [lo, hi]. */
function expectNiceLinear(axis: Axis, lo: number, hi: number): number {
  const { ticks } = axis;
  expect(ticks.length).toBeGreaterThanOrEqual(2);
  expect(ticks.length).toBeLessThanOrEqual(12);
  expect(axis.min).toBe(ticks[0]);
  expect(axis.max).toBe(ticks[ticks.length - 1]);
  const slack = 1e-9 * (Math.abs(hi - lo) || 1); // float noise: 0.3 covers 0.30000000000000004
  expect(axis.min).toBeLessThanOrEqual(Math.min(lo, hi) + slack);
  expect(axis.max).toBeGreaterThanOrEqual(Math.max(lo, hi) - slack);
  const measured = (ticks[ticks.length - 1]! - ticks[0]!) / (ticks.length - 1);
  const power = Math.floor(Math.log10(measured) + 1e-9);
  const mantissa = measured / 10 ** power;
  const nice = [1, 2, 5, 10].find((m) => Math.abs(mantissa - m) < 1e-6);
  expect(nice, `step ${measured}`).toBeDefined();
  const step = Number(`${nice}e${power}`); // the exact nice step (the measured one carries float noise)
  for (let i = 1; i < ticks.length; i++) expect(Math.abs(ticks[i]! - ticks[i - 1]! - step)).toBeLessThan(step * 1e-6 + Math.abs(ticks[i]!) * 4.5e-16);
  for (const t of ticks) expect(Math.abs(t / step - Math.round(t / step))).toBeLessThan(1e-6); // multiples of the step
  expect(new Set(axis.labels).size).toBe(ticks.length);
  for (const l of axis.labels) expect(l).not.toMatch(/NaN|Infinity|undefined|e\+|^-0$/);
  return step;
}

describe('nice ticks', () => {
  it('0..1', () => {
    const a = linearAxis(0, 1);
    expect(a.ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(a.labels).toEqual(['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
    expectNiceLinear(a, 0, 1);
  });

  it('0.003..870', () => {
    const a = linearAxis(0.003, 870);
    expect(a.ticks).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(a.labels).toEqual(['0', '200', '400', '600', '800', '1000']);
  });

  it('negative ranges', () => {
    const a = linearAxis(-37.2, -2.1);
    expect(a.ticks).toEqual([-40, -30, -20, -10, 0]);
    expectNiceLinear(a, -37.2, -2.1);
    const b = linearAxis(-0.0042, -0.0013);
    expectNiceLinear(b, -0.0042, -0.0013);
    expect(b.ticks[0]).toBeCloseTo(-0.0045, 12);
    const c = linearAxis(-5, 5);
    expectNiceLinear(c, -5, 5);
    expect(c.ticks).toContain(0);
    expect(linearAxis(5, -5).ticks).toEqual(c.ticks); // order of the bounds does not matter
  });

  it('a constant series', () => {
    for (const v of [5, 0, -3, 1e-9, 7e7]) {
      const a = linearAxis(v, v);
      expectNiceLinear(a, v, v);
      expect(a.min).toBeLessThan(v);
      expect(a.max).toBeGreaterThan(v);
    }
    expect(linearAxis(0, 0).ticks).toEqual([-1, -0.5, 0, 0.5, 1]);
  });

  it('tiny, huge and awkward ranges', () => {
    for (const [lo, hi] of [[1e-9, 3e-9], [0, 2.5e7], [1e9, 1e9 + 1], [0.1, 0.30000000000000004], [-1e300, 1e300], [123.456, 123.457], [0, 1e-300]] as const) {
      expectNiceLinear(linearAxis(lo, hi), lo, hi);
    }
    expect(linearAxis(1e-9, 3e-9).labels).toContain('2e-9');
    expect(linearAxis(0, 2.5e7).labels[1]).toMatch(/^\de6$/);
  });

  it('non-finite bounds fall back', () => {
    expect(linearAxis(NaN, NaN).ticks).toEqual(linearAxis(0, 1).ticks);
    expectNiceLinear(linearAxis(NaN, 4), 4, 4);
    expectNiceLinear(linearAxis(-Infinity, Infinity), 0, 1);
  });
});

describe('log ticks', () => {
  it('0.003..870 gives decades 10⁻³…10³ with minor ticks', () => {
    const a = logAxis(0.003, 870);
    expect(a.ticks).toEqual([1e-3, 1e-2, 1e-1, 1, 10, 100, 1000]);
    expect(a.labels).toEqual(['10⁻³', '10⁻²', '10⁻¹', '10⁰', '10¹', '10²', '10³']);
    expect(a.minor).toContain(0.002);
    expect(a.minor).toContain(900);
    expect(a.minor.length).toBe(6 * 8);
    expect(axisFraction(a, 1)).toBeCloseTo(0.5, 12);
    expect(axisFraction(a, 0)).toBeNaN();
    expect(axisFraction(a, -1)).toBeNaN();
  });

  it('FAR axis 1e-6..1 uses exact powers of ten', () => {
    const a = logAxis(1e-6, 1);
    expect(a.ticks).toEqual([1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1]);
    expect(a.ticks[1]).toBe(1e-5); // V8's 10 ** -5 is one ulp off
  });

  it('within one decade, many decades, bad bounds', () => {
    expect(logAxis(2, 5).ticks).toEqual([1, 10]);
    expect(logAxis(10, 10).ticks).toEqual([10, 100]);
    const wide = logAxis(1e-30, 1);
    expect(wide.ticks.length).toBeLessThanOrEqual(9);
    expect(wide.min).toBeLessThanOrEqual(1e-30);
    expect(wide.max).toBeGreaterThanOrEqual(1);
    expect(wide.minor).toEqual([]);
    expect(logAxis(-1, 100).ticks).toEqual([10, 100]); // a non-positive lower bound becomes hi / 10
    expect(logAxis(NaN, NaN).ticks).toEqual([0.1, 1]);
  });

  it('extendAxis widens the domain and keeps the ticks', () => {
    const a = linearAxis(0, 1);
    const e = extendAxis(a, 0.1);
    expect(e.max).toBeCloseTo(1.1, 12);
    expect(e.ticks).toEqual(a.ticks);
  });
});

// ---------------------------------------------------------------------------------------------
// Histograms

describe('histograms', () => {
  it('bin counts sum to the number of finite values', () => {
    const random = mulberry32(3);
    const values = Array.from({ length: 1000 }, () => random() * 17 - 3);
    values.push(NaN, Infinity, -Infinity);
    const h = histogram(values);
    expect(h.counts.reduce((s, c) => s + c, 0)).toBe(1000);
    expect(h.total).toBe(1000);
    expect(h.skipped).toBe(3);
    expect(h.edges.length).toBe(h.counts.length + 1);
    expect(h.edges[0]).toBeLessThanOrEqual(-3);
    expect(h.edges[h.edges.length - 1]).toBeGreaterThanOrEqual(14);
  });

  it('the right edge belongs to the last bin; values outside given edges are skipped', () => {
    const h = histogram([0, 0.5, 1, 1, 2, -1], [0, 0.5, 1]);
    expect(h.counts).toEqual([1, 3]);
    expect(h.skipped).toBe(2);
  });

  it('constant and empty samples', () => {
    const c = histogram([3, 3, 3, 3]);
    expect(c.total).toBe(4);
    expect(c.counts.filter((x) => x > 0)).toEqual([4]);
    const e = histogram([]);
    expect(e.total).toBe(0);
    expect(e.counts.every((x) => x === 0)).toBe(true);
    expect(histogramEdges(0, 0, 5).length).toBeGreaterThanOrEqual(2);
  });

  it('bins are fine enough for the narrowest of the overlaid samples', () => {
    const random = mulberry32(9);
    const wide = Array.from({ length: 200 }, () => 1 + 2 * random());
    const narrow = Array.from({ length: 200 }, () => 0.1 + 0.2 * random());
    const [, n] = sharedHistograms([wide, narrow]);
    expect(n!.counts.filter((c) => c > 0).length).toBeGreaterThanOrEqual(4); // √n bins over the whole range would give 1–2
    expect(freedmanDiaconisWidth([1, 2, 3, 4])).toBeCloseTo((2 * 1.5) / Math.cbrt(4), 12);
    expect(freedmanDiaconisWidth([5, 5, 5])).toBeNaN();
    expect(freedmanDiaconisWidth([1])).toBeNaN();
  });

  it('shared histograms use one set of edges', () => {
    const [a, b] = sharedHistograms([[0, 1, 2], [10, 11, NaN]]);
    expect(a!.edges).toEqual(b!.edges);
    expect(a!.total + b!.total).toBe(5);
    expect(b!.skipped).toBe(1);
  });

  it('drawn bars carry counts that sum to the sample size', () => {
    const random = mulberry32(11);
    const values = Array.from({ length: 777 }, () => random() ** 3);
    const h = histogram(values);
    const plot = new Plot({ id: 'h', x: linearAxis(h.edges[0]!, h.edges[h.edges.length - 1]!), y: linearAxis(0, Math.max(...h.counts)) });
    plot.bars(h, { color: '#123456' });
    expect(sumCounts(checkDocument(plot.toString()))).toBe(777);
  });
});

// ---------------------------------------------------------------------------------------------
// Plot frame

describe('Plot', () => {
  it('skips non-finite points and breaks lines there', () => {
    const plot = new Plot({ id: 'p', title: 'T <&>', x: linearAxis(0, 4), y: logAxis(0.1, 10), legend: [{ label: 'a & b', color: '#000', mark: 'line' }] });
    plot.line([0, 1, 2, 3, 4], [1, NaN, 2, -1, 3], { color: '#f00' });
    plot.points([0, 1, 2, Infinity], [1, 1, 0, 1], { color: '#00f', marker: 'star' });
    plot.text(NaN, 1, 'hidden').text(1, 1, 'shown <x>');
    const svg = plot.toString();
    const root = checkDocument(svg);
    expect(root.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
    const path = elementsNamed(root, 'path').find((p) => p.attributes.stroke === '#f00')!;
    expect(path.attributes.d!.match(/M/g)!.length).toBe(3); // three pieces: [0], [2], [4]
    expect(elementsNamed(root, 'g').find((g) => g.attributes.class === 'points')!.children.length).toBe(2);
    expect(svg).toContain('shown &lt;x&gt;');
    expect(svg).not.toContain('hidden');
    expect(textContent(root)).toContain('a & b'.replace('&', '&amp;'));
  });

  it('rejects ids that would break the clip path reference', () => {
    expect(() => new Plot({ id: 'a b"', x: linearAxis(0, 1), y: linearAxis(0, 1) })).toThrow('id');
  });

  it('thins very long series to a few points per pixel column', () => {
    const n = 200_000;
    const xs = Float64Array.from({ length: n }, (_, i) => i);
    const ys = Float64Array.from(xs, (i) => Math.sin(i / 1000) + (i % 7 === 0 ? 0.5 : 0));
    const plot = new Plot({ id: 'long', x: linearAxis(0, n), y: linearAxis(-1, 1.5) });
    plot.line(xs, ys, { color: '#000' });
    const svg = plot.toString();
    expect(svg.length).toBeLessThan(200_000);
    checkDocument(svg);
  });
});

// ---------------------------------------------------------------------------------------------
// The report

describe('renderReport', () => {
  const data = syntheticReport();
  const html = renderReport(data);
  const root = checkDocument(html);

  it('is one well-formed, self-contained page', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(root.name).toBe('html');
    expect(elementsNamed(root, 'script')).toEqual([]);
    expect(html).not.toMatch(/(?:href|src)="(?:https?:)?\/\//);
    expect(html).not.toMatch(/NaN|undefined/);
  });

  it('has every plot', () => {
    for (const name of ['loss', 'lr', 'speed', 'omega', 'roc', 'scores', 'discrepancy', 'gum', 'diagram']) expect(plotSvg(root, name), name).toBeDefined();
    const clipIds = elementsNamed(root, 'clipPath').map((c) => c.attributes.id);
    expect(new Set(clipIds).size).toBe(clipIds.length);
  });

  it('summary: accuracy ± std vs chance, TAR@FAR, AUC, seconds, steps', () => {
    const summary = allElements(root).find((e) => e.attributes.id === 'summary')!;
    const text = textContent(summary);
    expect(text).toContain('93.45 % ± 1.23 %');
    expect(text).toContain('50.00 %');
    expect(text).toMatch(/TAR @ FAR = 1e-1.*TAR @ FAR = 1e-2.*TAR @ FAR = 1e-3/s);
    expect(text).toContain(formatNumber(data.summary.auc));
    expect(text).toContain('1235 s (20 min 35 s)');
    expect(text).toContain('2000');
  });

  it('escapes config strings and the title', () => {
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    expect(html).toContain('<title>TopoFR demo run &lt;R18 &amp; &quot;ArcFace&quot;&gt;</title>');
    expect(html).toContain('{&quot;a&quot;:[1,2],&quot;b&quot;:null}');
  });

  it('loss: log y when the range spans more than two decades, linear otherwise or when forced', () => {
    expect(textContent(plotSvg(root, 'loss')!)).toContain('10⁰');
    const flat = { ...data, records: data.records.map((r) => ({ ...r, loss: 2 + r.step / 1e4, cls: 1.5, topo: 5 })) };
    expect(textContent(plotSvg(checkDocument(renderReport(flat)), 'loss')!)).not.toMatch(/10[⁰¹²³⁻]/);
    expect(textContent(plotSvg(checkDocument(renderReport(data, { lossLogY: false })), 'loss')!)).not.toMatch(/10[⁰¹²³⁻]/);
  });

  it('pair histogram bars sum to the genuine and impostor counts', () => {
    const scores = plotSvg(root, 'scores')!;
    const groups = elementsNamed(scores, 'g').filter((g) => g.attributes.class === 'bars');
    expect(groups.length).toBe(2);
    const genuine = data.pairs.issame.length / 2;
    expect(groups.map(sumCounts).sort()).toEqual([genuine, genuine]);
    const discrepancy = plotSvg(root, 'discrepancy')!;
    expect(sumCounts(discrepancy)).toBe(400);
  });

  it('ROC: log FAR axis and the TAR@FAR points', () => {
    const roc = plotSvg(root, 'roc')!;
    const text = textContent(roc);
    expect(text).toContain('10⁻³');
    for (const tar of Object.values(data.summary.tarAtFar)) expect(text).toContain(`${(tar * 100).toFixed(2)} %`);
    expect(text).toContain(`AUC = ${formatNumber(data.summary.auc)}`);
  });

  it('GUM: stars and crosses for correct and misclassified samples', () => {
    const gum = plotSvg(root, 'gum')!;
    const correct = Array.from(data.gum!.correct!).filter((c) => c === 1).length;
    const groups = elementsNamed(gum, 'g').filter((g) => g.attributes.class === 'points');
    expect(groups.map((g) => g.children.length)).toEqual([correct, 128 - correct]);
    expect(sumCounts(gum)).toBe(128);
    // Without `correct`: one point per sample, coloured by posterior.
    const plain = checkDocument(renderReport({ ...data, gum: { ...data.gum!, correct: undefined } }));
    expect(elementsNamed(plotSvg(plain, 'gum')!, 'circle').length).toBeGreaterThanOrEqual(128);
  });

  it("GUM, 'paper' variant: the uniform on [−Ω, Ω] and posterior colours", () => {
    const random = mulberry32(21);
    const entropies = Float64Array.from({ length: 256 }, () => (random() < 0.7 ? Math.abs(gaussian(random)()) * 0.3 : 6 * random()));
    const fit = fitGaussianUniform(entropies, { variant: 'paper', seed: 4 });
    const sections = reportSections({ ...data, gum: { ...fit, variant: 'paper' } });
    const figure = sections.find((s) => s.id === 'gum')!.figures[0]!;
    expect(figure.caption).toContain(`Ω = ${formatNumber(1 / (2 * fit.uniformDensity))}`);
    const svg = checkDocument(figure.svg);
    expect(sumCounts(svg)).toBe(256);
    const circles = elementsNamed(svg, 'circle').filter((c) => c.attributes.r === '2.5');
    expect(circles.length).toBe(256);
    expect(new Set(circles.map((c) => c.attributes.fill)).size).toBeGreaterThan(2); // a colour ramp
    if (process.env.TOPOFR_REPORT_SAMPLE) writeFileSync(join(process.env.TOPOFR_REPORT_SAMPLE, 'gum-paper.svg'), figure.svg);
  });

  it('persistence diagram: finite pairs, essential classes on the ∞ band', () => {
    const diagram = plotSvg(root, 'diagram')!;
    const groups = elementsNamed(diagram, 'g').filter((g) => g.attributes.class === 'points');
    // Per dimension: finite points, then essential ones (H2 has none, so no group).
    expect(groups.map((g) => g.children.length)).toEqual([63, 1, 40, 1, 12]);
    expect(textContent(diagram)).toContain('∞');
    expect(textContent(diagram)).toContain('H1 (40 + 1 ∞)');
  });
});

describe('renderReport with empty, missing and non-finite data', () => {
  const empty: ReportData = {
    title: '',
    config: {},
    summary: { accuracy: NaN, accuracyStd: NaN, chance: 0.5, tarAtFar: {}, auc: NaN, seconds: 0, steps: 0 },
    records: [],
    alpha: 0.1,
    roc: { fpr: new Float64Array(0), tpr: new Float64Array(0) },
    pairs: { scores: new Float64Array(0), issame: new Uint8Array(0) },
  };

  it('0 steps, no pairs, no optional sections', () => {
    const html = renderReport(empty);
    const root = checkDocument(html);
    expect(elementsNamed(root, 'svg')).toEqual([]);
    expect(html).toContain('No training steps recorded.');
    expect(html).toContain('No ROC curve.');
    expect(html).toContain('No verification pairs.');
    expect(html).toContain('No configuration recorded.');
    for (const id of ['discrepancy', 'gum', 'diagram']) expect(allElements(root).some((e) => e.attributes.id === id)).toBe(false);
    expect(html).toContain('n/a ± n/a');
  });

  it('present but empty optional sections say so', () => {
    const html = renderReport({
      ...empty,
      discrepancy: { initial: [], final: [] },
      gum: { variant: 'paper', values: new Float64Array(0), easyPosterior: new Float64Array(0), pi: 0.5, sigma: 0, uniformDensity: 0 },
      diagram: [{ dim: 0, births: new Float32Array(0), deaths: new Float32Array(0) }],
    });
    checkDocument(html);
    expect(html).toContain('No discrepancy values.');
    expect(html).toContain('No GUM values.');
    expect(html).toContain('No persistence pairs.');
  });

  it('NaN and Infinity everywhere never reach an attribute', () => {
    const data = syntheticReport(3);
    const poisoned: ReportData = {
      ...data,
      alpha: NaN,
      records: data.records.map((r, i) => (i % 3 === 0 ? { ...r, loss: NaN, cls: Infinity, topo: -Infinity, lr: NaN, imgPerS: Infinity, omega: NaN } : r)),
      roc: { fpr: Float64Array.from([0, NaN, 1e-3, 0.5, Infinity, 1]), tpr: Float64Array.from([0, 0.5, NaN, 0.9, 1, 1]) },
      pairs: { scores: Float64Array.from([0.1, NaN, 0.9, Infinity, -0.2, 0.8]), issame: Uint8Array.from([0, 1, 1, 0, 0, 1]) },
      summary: { ...data.summary, tarAtFar: { '1e-3': NaN, '1e-2': 0.9, bogus: 0.5, '0': 1 }, auc: NaN, seconds: Infinity },
      discrepancy: { initial: [NaN, 1, 2, Infinity], final: [NaN] },
      gum: { ...data.gum!, values: Float64Array.from([NaN, 0.5, -1, Infinity, 2]), easyPosterior: Float64Array.from([NaN, 1, 0.2, 0.5, 0]), correct: undefined },
      diagram: [{ dim: 0, births: Float32Array.from([0, NaN, 0, 0]), deaths: Float32Array.from([NaN, 1, Infinity, -Infinity]) }, { dim: 1, births: Float32Array.from([Infinity]), deaths: Float32Array.from([2]) }],
    };
    const html = renderReport(poisoned);
    const root = checkDocument(html);
    expect(html).not.toMatch(/NaN|undefined/);
    for (const svg of elementsNamed(root, 'svg')) for (const e of allElements(svg)) for (const v of Object.values(e.attributes)) expect(v).not.toMatch(/Infinity/);
    expect(html).toContain('not drawn');
    expect(plotSvg(root, 'loss')).toBeDefined();
    expect(plotSvg(root, 'roc')).toBeDefined();
  });

  it('a degenerate GUM fit still shows the values', () => {
    const data = syntheticReport(5);
    const html = renderReport({ ...data, gum: { ...data.gum!, sigma: NaN } });
    const gum = plotSvg(checkDocument(html), 'gum')!;
    expect(sumCounts(gum)).toBe(128);
    expect(html).toContain('cannot be drawn');
  });

  it('a single record and constant series', () => {
    const one = { ...empty, records: [{ step: 1, loss: 3, cls: 3, topo: 0, omega: 1, lr: 0.1, imgPerS: 50 }] };
    const root = checkDocument(renderReport(one));
    expect(plotSvg(root, 'loss')).toBeDefined();
    expect(plotSvg(root, 'lr')).toBeDefined();
  });

  it('reportSections lists figures in page order', () => {
    const names = reportSections(syntheticReport()).flatMap((s) => s.figures.map((f) => f.name));
    expect(names).toEqual(['loss', 'lr', 'speed', 'omega', 'roc', 'scores', 'discrepancy', 'gum', 'diagram']);
  });
});

describe('writeReport', () => {
  it('writes report.html and each plot as a standalone SVG; removes stale plots', () => {
    const keep = process.env.TOPOFR_REPORT_SAMPLE;
    const dir = keep ?? mkdtempSync(join(tmpdir(), 'topofr-report-'));
    try {
      mkdirSync(join(dir, 'plots'), { recursive: true });
      writeFileSync(join(dir, 'plots', 'gum.svg'), 'stale');
      writeFileSync(join(dir, 'plots', 'mine.svg'), 'not ours');
      const data = syntheticReport();
      const html = writeReport(dir, { ...data, gum: undefined });
      expect(html).toBe(join(dir, 'report.html'));
      checkDocument(readFileSync(html, 'utf8'));
      const files = readdirSync(join(dir, 'plots')).sort();
      expect(files).toEqual(['diagram.svg', 'discrepancy.svg', 'loss.svg', 'lr.svg', 'mine.svg', 'omega.svg', 'roc.svg', 'scores.svg', 'speed.svg']);
      for (const f of files.filter((f) => f !== 'mine.svg')) expect(checkDocument(readFileSync(join(dir, 'plots', f), 'utf8')).name).toBe('svg');
      if (keep) {
        rmSync(join(dir, 'plots', 'mine.svg'));
        writeReport(dir, data); // the full sample, GUM included
        expect(existsSync(join(dir, 'plots', 'gum.svg'))).toBe(true);
      }
    } finally {
      if (!keep) rmSync(dir, { recursive: true, force: true });
    }
  });
});
