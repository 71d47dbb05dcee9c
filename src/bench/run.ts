// Runs a selection of cases: writes the seeded inputs once per size, measures each case in its own
// process, then its anchors on the same files, and assembles the rows of `topofr bench`.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { familyOf, selectCases } from './cases.js';
import { benchDataFile, casePoints, writeBinary, writePointCloudText } from './data.js';
import { runInChild } from './harness.js';
import type { AnchorResult, BenchRow, CaseSpec, ChildReport, DataFiles } from './types.js';

export interface SuiteOptions {
  cases?: readonly string[];
  quick: boolean;
  /** Timed runs per case (ours); anchors run fewer, they are slow by design. */
  runs?: number;
  anchors: boolean;
  /** Progress lines (stderr in the CLI: stdout is reserved for the result). */
  log(line: string): void;
}

const SEED = 20240607;

/** One input per point set: the binary file now, Ripser's large text file only if an anchor
 *  asks. A Ripser example file is its own input. */
function inputs(dir: string) {
  const made = new Map<string, DataFiles>();
  return (spec: CaseSpec): DataFiles => {
    const source = spec.rips?.source;
    if (source && 'file' in source) {
      const path = benchDataFile(source.file);
      return { input: path, text: () => Promise.resolve(path) };
    }
    const key = `${source ? 'clustered' : 'gauss'}-${spec.n}x${spec.dim}-s${SEED}`;
    let files = made.get(key);
    if (!files) {
      const points = casePoints(spec, SEED);
      const input = join(dir, `${key}.f32`);
      writeBinary(input, points);
      const textPath = join(dir, `${key}.txt`);
      let text: Promise<string> | undefined;
      files = { input, text: () => (text ??= writePointCloudText(textPath, points).then(() => textPath)) };
      made.set(key, files);
    }
    return files;
  };
}

const r3 = (x: number): number => Number(x.toFixed(3));

function toRow(spec: CaseSpec, report: ChildReport, anchors: AnchorResult[], done: ReadonlyMap<string, BenchRow>, load: number): BenchRow {
  for (const a of anchors) {
    if (a.status !== 'ok' || a.median_ms === undefined) continue;
    a.ratio = r3(a.median_ms / report.median_ms);
    for (const k of ['median_ms', 'min_ms', 'max_ms', 'peak_rss_mb'] as const) if (a[k] !== undefined) a[k] = r3(a[k]);
  }
  const primary = anchors.find((a) => a.ratio !== undefined);
  const { fields, note } = familyOf(spec).derive(spec, report, anchors, done);
  return {
    case: spec.name,
    median_ms: r3(report.median_ms),
    min_ms: r3(report.min_ms),
    max_ms: r3(report.max_ms),
    runs: report.runs,
    peak_rss_mb: report.peak_rss_mb,
    ...(primary ? { anchor: { name: primary.name, median_ms: r3(primary.median_ms!) }, ratio: primary.ratio } : {}),
    note,
    baseline_rss_mb: report.baseline_rss_mb,
    threads: report.threads,
    blas: report.blas,
    // On a shared machine a median means little without the load it was taken under.
    load_avg_1m: load,
    ...report.facts,
    ...fields,
    anchors,
  };
}

/** Rows of the cases that ran, and one message per case that failed (the others still run). */
export async function runSuite(opts: SuiteOptions): Promise<{ rows: BenchRow[]; failures: string[] }> {
  const specs = selectCases(opts.cases, opts.quick);
  const defaultRuns = opts.runs ?? (opts.quick ? 3 : 10);
  const defaultWarmup = opts.quick ? 1 : 2;
  const defaultAnchorRuns = opts.quick ? 1 : 3;
  const dir = mkdtempSync(join(tmpdir(), 'topofr-bench-'));
  const filesFor = inputs(dir);
  const done = new Map<string, BenchRow>();
  const failures: string[] = [];
  try {
    for (const spec of specs) {
      const runs = Math.min(defaultRuns, spec.maxRuns ?? Infinity);
      const anchorRuns = Math.min(defaultAnchorRuns, spec.maxRuns ?? Infinity);
      const warmup = Math.min(defaultWarmup, spec.maxWarmup ?? Infinity);
      const files = filesFor(spec);
      opts.log(`${spec.name}: ${runs} runs after ${warmup} warm-up`);
      const load = r3(loadavg()[0]);
      let report: ChildReport;
      try {
        report = await runInChild({ caseName: spec.name, file: files.input, warmup, runs, ranks: spec.ranks });
      } catch (err) {
        failures.push(`${spec.name}: ${(err as Error).message}`);
        continue;
      }
      opts.log(`${spec.name}: median ${report.median_ms.toFixed(2)} ms`);
      const anchors = opts.anchors ? await familyOf(spec).anchors(spec, files, anchorRuns, opts.quick) : [];
      done.set(spec.name, toRow(spec, report, anchors, done, load));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows: [...done.values()], failures };
}
