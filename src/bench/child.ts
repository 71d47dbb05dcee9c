// Entry point of one case's own process (forked by harness.runInChild): loads the shared input
// file, times the case, and sends a ChildReport back over IPC.
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

main(JSON.parse(process.argv[2]) as ChildJob).then(
  (report) => send({ report }),
  (err: unknown) => {
    process.exitCode = 1;
    send({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  },
);
