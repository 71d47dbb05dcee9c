// Timing: warm-up, N timed runs, median/min/max; and running one case in a child process so that
// its peak RSS (maxRSS is a per-process high-water mark) is the case's own, not the whole suite's.
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { ChildReport, Timing } from './types.js';

export function summarize(samples: readonly number[]): Timing {
  if (samples.length === 0) throw new RangeError('no samples to summarize');
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median_ms: median, min_ms: s[0], max_ms: s[s.length - 1], runs: s.length };
}

/** Warm-up runs first (page faults, thread-pool start-up, lazy init), then `runs` timed ones;
 *  `between` runs untimed after each call (the child collects garbage there). */
export async function measure(fn: () => void | Promise<void>, warmup: number, runs: number, between: () => void = () => {}): Promise<Timing> {
  for (let i = 0; i < warmup; i++) {
    await fn();
    between();
  }
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const pending = fn();
    if (pending) await pending; // asynchronous cases (the data loader, a step fed by it)
    samples.push(performance.now() - t0);
    between();
  }
  return summarize(samples);
}

/** What the parent tells the child: which case, on which file, how many runs. */
export interface ChildJob {
  caseName: string;
  file: string;
  warmup: number;
  runs: number;
  /** Passed to the family's prepare (train: 'js' for tfjs's own kernels). */
  variant?: string;
}

const CHILD = new URL('./child.js', import.meta.url);

/** Runs one case in a fresh Node process. The child's stdout goes to our stderr, so nothing the
 *  addon might print can corrupt `--json` output; the report comes back over IPC. */
export function runInChild(job: ChildJob): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    // --expose-gc: the child collects between runs, so the n×n results of earlier runs, already
    // garbage, do not pile up in the peak RSS of what is one call's footprint.
    const child = fork(CHILD, [JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], execArgv: ['--expose-gc'] });
    child.stdout?.pipe(process.stderr);
    let report: ChildReport | undefined;
    let failure: string | undefined;
    child.on('message', (m: { report?: ChildReport; error?: string }) => {
      report = m.report;
      failure = m.error;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (report && code === 0) resolve(report);
      else reject(new Error(failure ?? `case ${job.caseName}: child exited with ${signal ?? `code ${code}`}`));
    });
  });
}
