// Entry point of one case's own process (forked by harness.runInChild): loads the shared input
// file, times the case, and sends a ChildReport back over IPC. Under mpirun (a distributed case),
// every rank times the same collective calls and rank 0 writes the report to TOPOFR_BENCH_REPORT.
import { writeFileSync } from 'node:fs';
import { measure, type ChildJob } from './harness.js';
import { familyOf, findCase } from './cases.js';
import type { ChildReport } from './types.js';

const mb = (kb: number): number => Math.round((kb / 1024) * 10) / 10;

async function main(job: ChildJob): Promise<ChildReport> {
  const spec = findCase(job.caseName);
  const baseline = process.resourceUsage().maxRSS;
  const prepared = await familyOf(spec).prepare(spec, job.file, job.variant);
  const gc = globalThis.gc; // present: harness.runInChild passes --expose-gc
  const timing = await measure(() => prepared.run(), job.warmup, job.runs, () => gc?.());
  const { capabilities } = await import('../index.js');
  const caps = capabilities();
  return {
    ...timing,
    peak_rss_mb: mb(process.resourceUsage().maxRSS),
    baseline_rss_mb: mb(baseline),
    threads: caps.threads,
    blas: caps.blas,
    facts: prepared.facts(),
  };
}

const send = (msg: { report?: ChildReport; error?: string }): void => {
  // Disconnect only once the message is flushed, so the process can exit on its own.
  process.send?.(msg, () => process.disconnect());
};

const { mpiWorld, mpiWorldInfo } = await import('../distributed/world.js');
main(JSON.parse(process.argv[2]) as ChildJob).then(
  (report) => {
    if (!mpiWorldInfo()) return send({ report });
    if (mpiWorldInfo()!.rank === 0) writeFileSync(process.env.TOPOFR_BENCH_REPORT!, JSON.stringify(report));
    mpiWorld().finalize();
  },
  (err: unknown) => {
    if (mpiWorldInfo()) mpiWorld().abort(err);
    process.exitCode = 1;
    send({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  },
);
