// The human form of the bench result: one table, then one line per anchor with its details or
// the reason it has no figure.
import type { BenchRow } from './types.js';

const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));

function table(header: string[], body: string[][]): string {
  const width = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const line = (cells: string[]): string => cells.map((s, c) => (c === 0 || c === cells.length - 1 ? s.padEnd(width[c]) : s.padStart(width[c]))).join('  ').trimEnd();
  return [line(header), width.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function formatRows(rows: readonly BenchRow[]): string {
  const body = rows.map((r) => [
    r.case,
    ms(r.median_ms),
    ms(r.min_ms),
    ms(r.max_ms),
    String(r.runs),
    r.peak_rss_mb.toFixed(0),
    r.anchor ? `${r.anchor.name} ${ms(r.anchor.median_ms)} ms` : '-',
    r.ratio !== undefined ? `${r.ratio.toFixed(1)}×` : '-',
    r.note,
  ]);
  const header = ['case', 'median ms', 'min', 'max', 'runs', 'peak RSS MB', 'anchor (median)', 'speed-up', 'note'];
  const details = rows.flatMap((r) =>
    r.anchors.map((a) => {
      if (a.status !== 'ok') return `  ${r.case} ← ${a.name}: ${a.status}: ${a.reason ?? ''}`;
      const parts = a.parts_ms ? ` (part medians: ${Object.entries(a.parts_ms).map(([k, v]) => `${k} ${ms(v)}`).join(', ')})` : '';
      return `  ${r.case} ← ${a.name}: median ${ms(a.median_ms!)} ms${parts}, min ${ms(a.min_ms!)}, max ${ms(a.max_ms!)}, ${a.runs} runs, peak RSS ${a.peak_rss_mb!.toFixed(0)} MB, speed-up ${a.ratio!.toFixed(2)}×`;
    }),
  );
  const loads = rows.map((r) => r.load_avg_1m.toFixed(1)).join(', ');
  const env = rows.length
    ? [`threads ${rows[0].threads}, GEMM ${rows[0].blas}; peak RSS includes Node's ~${rows[0].baseline_rss_mb.toFixed(0)} MB; load average at each case's start: ${loads}`]
    : [];
  return [table(header, body), ...(details.length ? ['', 'anchors:', ...details] : []), ...env].join('\n');
}
