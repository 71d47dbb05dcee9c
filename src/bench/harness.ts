// Timing: warm-up, N timed runs, median/min/max; and running one case in a child process so that
// its peak RSS (maxRSS is a per-process high-water mark) is the case's own, not the whole suite's.
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
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
  /** Run as this many MPI ranks under mpirun (each with its share of the cores); rank 0 reports. */
  ranks?: number;
}

const CHILD = new URL('./child.js', import.meta.url);

/** Runs one case in a fresh Node process. The child's stdout goes to our stderr, so nothing the
 *  addon might print can corrupt `--json` output; the report comes back over IPC. */
export function runInChild(job: ChildJob): Promise<ChildReport> {
  if (job.ranks) return runUnderMpirun(job, job.ranks);
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

/** The same under `mpirun -np ranks` on this machine: no IPC there, so rank 0 writes the report to
 *  the file TOPOFR_BENCH_REPORT names; each rank gets cores/ranks compute threads. */
function runUnderMpirun(job: ChildJob, ranks: number): Promise<ChildReport> {
  const dir = mkdtempSync(join(tmpdir(), 'topofr-bench-mpi-'));
  const reportFile = join(dir, 'report.json');
  const root = process.getuid?.() === 0 ? ['--allow-run-as-root'] : [];
  const threads = String(Math.max(1, Math.floor(availableParallelism() / ranks)));
  return new Promise<ChildReport>((resolve, reject) => {
    const child = spawn('mpirun', [...root, '--oversubscribe', '-np', String(ranks), '-x', 'TOPOFR_NUM_THREADS', '-x', 'TOPOFR_BENCH_REPORT',
      process.execPath, '--expose-gc', new URL(CHILD).pathname, JSON.stringify(job)],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TOPOFR_NUM_THREADS: threads, TOPOFR_BENCH_REPORT: reportFile } });
    child.stdout?.pipe(process.stderr);
    child.on('error', (err) => reject(new Error(`case ${job.caseName}: mpirun could not start (${err.message}); install Open MPI`)));
    child.on('exit', (code, signal) => {
      try {
        if (code !== 0) throw new Error(`case ${job.caseName}: mpirun exited with ${signal ?? `code ${code}`}`);
        resolve(JSON.parse(readFileSync(reportFile, 'utf8')) as ChildReport);
      } catch (err) {
        reject(err);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
