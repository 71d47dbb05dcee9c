// Running an ablation (src/train/ablation.ts's rows × seeds) on the synthetic benchmark: each run
// trained, evaluated and kept under <root>/<row>-seed<k>/; then <root>/table.md, results.json
// (rewritten after every row, so a long ablation shows its progress) and report.html with the
// rows' training curves (src/report/ablation-report.ts). The report can be rebuilt later from
// results.json and the runs' metrics.jsonl.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TopofrRangeError } from '../errors.js';
import { fileLoader } from '../model/file-io.js';
import { writeAblationReport, type AblationRowCurves } from '../report/ablation-report.js';
import type { ReportRecord } from '../report/report.js';
import { aggregate, ablationTable, type AblationRow, type RowResult } from './ablation.js';
import { resolveConfig, type TrainConfig } from './config.js';
import { finishRun, testDiscrepancies } from './finish.js';
import { train } from './trainer.js';

/** The folder name of one run of a row. */
export const runName = (row: string, seed: number): string => `${row.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}-seed${seed}`;

export interface AblationRunOptions {
  root: string;
  rows: readonly AblationRow[];
  seeds: readonly number[];
  /** Settings under every row's (a config file's, --epochs). */
  base: Partial<TrainConfig>;
  log: (line: string) => void;
}

export async function runAblation(options: AblationRunOptions): Promise<RowResult[]> {
  const { root, rows, seeds, base, log } = options;
  mkdirSync(root, { recursive: true });
  const results: RowResult[] = [];
  for (const row of rows) {
    const runs = [];
    for (const seed of seeds) {
      const config = resolveConfig(base, { ...row.settings, seed, outDir: root, name: runName(row.name, seed), progress: false });
      log(`ablation ${row.name}, seed ${seed}`);
      const run = await train(config);
      const summary = await finishRun(run, config);
      log(`  accuracy ${(100 * summary.accuracy).toFixed(2)} % in ${summary.seconds.toFixed(0)} s`);
      runs.push({ accuracy: summary.accuracy, tarAtFar: summary.tarAtFar });
    }
    results.push(aggregate(row.name, [...seeds], runs));
    writeFileSync(join(root, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  }
  return results;
}

/** The results.json of an ablation folder. */
export function readAblationResults(root: string): RowResult[] {
  const path = join(root, 'results.json');
  if (!existsSync(path)) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${path} does not exist: run the ablation first`);
  return JSON.parse(readFileSync(path, 'utf8')) as RowResult[];
}

/** The test batches' ISA discrepancy under each of a row's saved models (the runs' model/ and config.json). */
async function rowTestDiscrepancy(root: string, row: RowResult): Promise<number[]> {
  const values: number[] = [];
  for (const seed of row.seeds) {
    const dir = join(root, runName(row.name, seed));
    if (!existsSync(join(dir, 'model', 'model.json')) || !existsSync(join(dir, 'config.json'))) continue;
    const config = resolveConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Partial<TrainConfig>);
    const model = await tf.loadLayersModel(fileLoader(join(dir, 'model')));
    values.push(...testDiscrepancies(model, config));
    model.dispose();
  }
  return values;
}

/** Writes table.md, results.json and report.html for the results; returns the Markdown table. */
export async function writeAblationOutputs(root: string, results: RowResult[], notes: string[]): Promise<string> {
  const table = ablationTable(results);
  writeFileSync(join(root, 'table.md'), `${table}\n`);
  writeFileSync(join(root, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const curves: AblationRowCurves[] = results.map((r) => ({
    name: r.name,
    runs: r.seeds.flatMap((seed) => {
      const path = join(root, runName(r.name, seed), 'metrics.jsonl');
      if (!existsSync(path)) return [];
      return [{ seed, records: readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ReportRecord) }];
    }),
  }));
  const testDiscrepancy = [];
  for (const r of results) testDiscrepancy.push({ row: r.name, values: await rowTestDiscrepancy(root, r) });
  writeAblationReport(root, { title: `topofr ablation ${root}`, notes, results, rows: curves, testDiscrepancy });
  return table;
}
