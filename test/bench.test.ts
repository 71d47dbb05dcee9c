// `topofr bench`: the median arithmetic, and a --quick --json smoke run of the built CLI (it needs
// `npm run build` and the native addon, like the users' `npx topofr bench`).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { summarize } from '../src/bench/harness.js';
import { findCase, selectCases } from '../src/bench/cases.js';
import { kernelFlops } from '../src/bench/profile.js';
import { trainFamily } from '../src/bench/cases/train.js';

const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

describe('summarize', () => {
  it('takes the middle sample, or the mean of the two middle ones', () => {
    expect(summarize([5, 1, 3])).toEqual({ median_ms: 3, min_ms: 1, max_ms: 5, runs: 3 });
    expect(summarize([4, 1, 2, 3])).toEqual({ median_ms: 2.5, min_ms: 1, max_ms: 4, runs: 4 });
  });
  it('refuses an empty sample', () => {
    expect(() => summarize([])).toThrow(RangeError);
  });
});

describe('training-step cases', () => {
  it('are registered, the small one in both the quick and the full set', () => {
    const small = findCase('train-step-r18-56-b8-w0.25');
    expect(small.family).toBe('train');
    expect(small.dim).toBe(56 * 56 * 3);
    expect(small.jsAnchor).toBe(true);
    expect(selectCases(undefined, true).map((c) => c.name)).toContain(small.name);
    expect(selectCases(undefined, false).map((c) => c.name)).toEqual(expect.arrayContaining([small.name, 'train-step-r18-112-b32']));
    expect(selectCases(undefined, true).map((c) => c.name)).not.toContain('train-step-r18-112-b32');
  });
});

describe('training-step rows', () => {
  it('put PyTorch\'s time and peak RSS beside ours', () => {
    const spec = findCase('train-step-r18-112-b32');
    const report = { median_ms: 2000, min_ms: 1900, max_ms: 2100, runs: 3, peak_rss_mb: 1500, baseline_rss_mb: 50, threads: 2,
      blas: 'builtin (avx512)', facts: { params_m: 24.5 } };
    const torch = { name: 'PyTorch cpu (torch 1.13.1, 2 threads)', status: 'ok' as const, median_ms: 3000, peak_rss_mb: 2400,
      facts: { params_m: 24.5, threads: 2, loss: 6.9 } };
    const { fields, note } = trainFamily.derive(spec, report, [torch], new Map());
    expect(fields.torch_ratio).toBe(1.5);
    expect(fields.torch_peak_rss_mb).toBe(2400);
    expect(fields.rss_ratio).toBe(0.625);
    expect(note).toContain('1.50× faster');
    expect(note).toContain('peak RSS 1500 MB vs PyTorch\'s 2400 MB');
  });
});

describe('kernelFlops', () => {
  it('counts 2·out·fh·fw·cin for convs and 2·out·k for matmuls', () => {
    const conv = { inputs: { x: { shape: [2, 8, 8, 3] }, filter: { shape: [3, 3, 3, 4] } }, attrs: {} };
    expect(kernelFlops('Conv2D', conv, { shape: [2, 8, 8, 4] })).toBe(2 * 2 * 8 * 8 * 4 * 3 * 3 * 3);
    const dx = { inputs: { dy: { shape: [2, 8, 8, 4] }, filter: { shape: [3, 3, 3, 4] } }, attrs: {} };
    expect(kernelFlops('Conv2DBackpropInput', dx, { shape: [2, 8, 8, 3] })).toBe(2 * 2 * 8 * 8 * 4 * 3 * 3 * 3);
    const dw = { inputs: { x: { shape: [2, 8, 8, 3] }, dy: { shape: [2, 8, 8, 4] } }, attrs: { filterShape: [3, 3, 3, 4] } };
    expect(kernelFlops('Conv2DBackpropFilter', dw, { shape: [3, 3, 3, 4] })).toBe(2 * 2 * 8 * 8 * 4 * 3 * 3 * 3);
    const mm = { inputs: { a: { shape: [1, 5, 7] }, b: { shape: [1, 7, 3] } }, attrs: { transposeA: false } };
    expect(kernelFlops('BatchMatMul', mm, { shape: [1, 5, 3] })).toBe(2 * 5 * 3 * 7);
    expect(kernelFlops('BatchMatMul', { ...mm, attrs: { transposeA: true }, inputs: { a: { shape: [1, 7, 5] } } }, { shape: [1, 5, 3] })).toBe(2 * 5 * 3 * 7);
    expect(kernelFlops('Add', conv, { shape: [1] })).toBeUndefined();
  });
});

describe('topofr bench --quick --json', () => {
  it('prints one JSON array of well-formed rows on stdout', () => {
    expect(existsSync(MAIN), `${MAIN} is missing: run \`npm run build\` first`).toBe(true);
    const stdout = execFileSync(process.execPath, [MAIN, 'bench', '--quick', '--json', '--cases', 'dist-1024x512'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const rows = JSON.parse(stdout) as Array<Record<string, unknown>>;
    // The sgemm case of the same size is pulled in: the distance case is rated against it.
    expect(rows.map((r) => r.case)).toEqual(['sgemm-1024x1024x512', 'dist-1024x512']);
    for (const row of rows) {
      for (const key of ['median_ms', 'min_ms', 'max_ms', 'runs', 'peak_rss_mb', 'gflops']) {
        expect(row[key], `${String(row.case)}.${key}`).toBeGreaterThan(0);
      }
      expect(row.min_ms as number).toBeLessThanOrEqual(row.median_ms as number);
      expect(row.median_ms as number).toBeLessThanOrEqual(row.max_ms as number);
      for (const a of row.anchors as Array<{ status: string; reason?: string; median_ms?: number }>) {
        expect(['ok', 'failed', 'unavailable']).toContain(a.status);
        if (a.status === 'ok') expect(a.median_ms).toBeGreaterThan(0);
        else expect(a.reason).toBeTruthy(); // never a number without a measurement
      }
      if (row.anchor !== undefined) {
        expect((row.anchor as { median_ms: number }).median_ms).toBeGreaterThan(0);
        expect(row.ratio).toBeGreaterThan(0);
      }
    }
    expect(rows[1].sgemm_efficiency).toBeGreaterThan(0);
  });
});
