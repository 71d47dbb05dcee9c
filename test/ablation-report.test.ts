// The ablation's outputs (src/train/ablation-run.ts, src/report/ablation-report.ts) from a results.json
// and the runs' metrics.jsonl: the table, and the curves averaged over seeds (Fig. 2c for the rows
// with a topology term only).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { meanCurve, smooth, writeAblationReport } from '../src/report/ablation-report.js';
import { aggregate, rowsAtAlphas, TABLE3_ROWS } from '../src/train/ablation.js';
import { runName, writeAblationOutputs } from '../src/train/ablation-run.js';

const root = mkdtempSync(join(tmpdir(), 'topofr-ablation-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const record = (step: number, topo: number, gammaMean: number) =>
  ({ step, loss: 1, cls: 1, topo, omega: 1, lr: 0.1, imgPerS: 10, gammaMean, mstRatio: 50 / step, participation: 20 / step, pGtOne: 0 });

describe('ablation outputs', () => {
  it('rows at several α: only the rows with a topology term multiply', () => {
    const rows = rowsAtAlphas([TABLE3_ROWS[0]!, TABLE3_ROWS[6]!], [0.01, 0.05]);
    expect(rows.map((r) => r.name)).toEqual(['ArcFace', 'TopoFR (PTSA + SDE), α = 0.01', 'TopoFR (PTSA + SDE), α = 0.05']);
    expect(rows[2]!.settings.alpha).toBe(0.05);
    expect(rows[2]!.settings.omega1).toBe('code');
    expect(rowsAtAlphas(TABLE3_ROWS, undefined)).toEqual([...TABLE3_ROWS]);
    expect(runName('TopoFR (PTSA + SDE), α = 0.05', 2049)).toBe('topofr-ptsa-sde-0-05-seed2049');
  });

  it('averages curves over seeds by step, and smooths them', () => {
    const row = { name: 'x', runs: [{ seed: 1, records: [record(1, 4, 1), record(2, 2, 0.5)] }, { seed: 2, records: [record(1, 2, 1), record(2, NaN, 0.7)] }] };
    expect(meanCurve(row, 'topo')).toEqual({ steps: [1, 2], values: [3, 2] });
    expect(meanCurve(row, 'gammaMean').values[1]).toBeCloseTo(0.6, 12);
    expect(smooth([1, 2, 3, 4, 5], 3)).toEqual([1.5, 2, 3, 4, 4.5]);
  });

  it('table.md, results.json and report.html with Fig. 2c for the topology rows only', async () => {
    const results = [aggregate('ArcFace', [2048, 2049], [{ accuracy: 0.9, tarAtFar: { '1e-1': 0.8 } }, { accuracy: 0.92, tarAtFar: { '1e-1': 0.82 } }]),
      aggregate('TopoFR-A (direct alignment)', [2048, 2049], [{ accuracy: 0.8, tarAtFar: { '1e-1': 0.6 } }, { accuracy: 0.82, tarAtFar: { '1e-1': 0.62 } }])];
    for (const r of results) {
      for (const seed of r.seeds) {
        const dir = join(root, runName(r.name, seed));
        mkdirSync(dir, { recursive: true });
        const topo = r.name === 'ArcFace' ? 0 : 1;
        writeFileSync(join(dir, 'metrics.jsonl'), Array.from({ length: 20 }, (_, k) => JSON.stringify(record(k + 1, topo * (20 - k), 1 - k / 40))).join('\n'));
      }
    }
    const table = await writeAblationOutputs(root, results, ['topofr ablation --seeds 2']);
    expect(table.split('\n')[2]).toBe('| ArcFace | 91.00 ± 1.00 | 0.00 | 81.00 ± 1.00 |');
    expect(readFileSync(join(root, 'table.md'), 'utf8')).toBe(`${table}\n`);
    const html = readFileSync(join(root, 'report.html'), 'utf8');
    expect(html).toContain('topofr ablation --seeds 2');
    for (const name of ['discrepancy-training', 'gamma', 'mst-ratio', 'participation']) expect(existsSync(join(root, 'plots', `${name}.svg`)), name).toBe(true);
    const fig2c = readFileSync(join(root, 'plots', 'discrepancy-training.svg'), 'utf8');
    expect(fig2c).toContain('TopoFR-A (direct alignment)');
    expect(fig2c).not.toContain('ArcFace');
    expect(readFileSync(join(root, 'plots', 'gamma.svg'), 'utf8')).toContain('ArcFace');
  });

  it('the test batches\' discrepancy per row (Fig. 5), one strip per row', () => {
    const dir = join(root, 'fig5');
    writeAblationReport(dir, { title: 't', notes: [], results: [], rows: [],
      testDiscrepancy: [{ row: 'TopoFR-A (direct alignment)', values: [2, 3, 4] }, { row: 'TopoFR (PTSA + SDE)', values: [0.5, 0.7, 0.6] }] });
    const svg = readFileSync(join(dir, 'plots', 'discrepancy-test.svg'), 'utf8');
    expect(svg).toContain('TopoFR-A (direct alignment) (median 3.00)');
    expect(svg).toContain('TopoFR (PTSA + SDE) (median 0.600)');
  });
});
