// The fuzz harness (test/fuzz/run.mjs) in CI: every target with a fixed seed for a bounded time, each
// in its own process so that a signal or a hang is seen and reported with the case that caused it.
// TOPOFR_FUZZ_SECONDS sets the time spent in cases (default 40 s, plus ~1.5 s to start each target; scripts/robustness-figures.mjs runs it
// far longer). A failure names the target, seed and case: `node test/fuzz/run.mjs --target T
// --seed S --first K --cases 1` replays it. Needs the build (`npm run build`), like the CLI tests.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const RUNNER = join(ROOT, 'test', 'fuzz', 'run.mjs');
const BUDGET = Number(process.env.TOPOFR_FUZZ_SECONDS ?? 40);
/** Share of the budget per target (by how much each needs to reach its interesting cases). */
const TARGETS: [string, number][] = [['distances', 0.14], ['h0', 0.14], ['rips', 0.14], ['ripser-input', 0.1], ['config', 0.06],
  ['cli', 0.16], ['api', 0.14], ['mid-call', 0.12]];
/** No new case for this long means a hang (the slowest case, a CLI run, takes ~2 s). */
const HANG_SECONDS = 60;

interface Outcome {
  status: number | null;
  signal: string | null;
  hung: boolean;
  lastCase: string;
  result?: { cases: number; accepted: number; refused: number; failures: { case: number; input: string; problem: string }[] };
  stderr: string;
}

function runTarget(target: string, seconds: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RUNNER, '--target', target, '--seed', '1', '--cases', '1000000', '--seconds', String(seconds)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    let lastCase = '';
    let hung = false;
    let watchdog = setTimeout(() => ((hung = true), child.kill('SIGKILL')), HANG_SECONDS * 1000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const cases = out.match(/case \d+/g);
      if (cases) lastCase = cases[cases.length - 1]!;
      out = out.slice(-100_000);
      clearTimeout(watchdog);
      watchdog = setTimeout(() => ((hung = true), child.kill('SIGKILL')), HANG_SECONDS * 1000);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('close', (status, signal) => {
      clearTimeout(watchdog);
      const line = out.split('\n').find((l) => l.startsWith('result '));
      resolve({ status, signal, hung, lastCase, result: line ? JSON.parse(line.slice(7)) : undefined, stderr });
    });
  });
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` before the fuzz test');
});

describe('fuzz: no signal, no hang, typed errors only, no wrong answer', () => {
  it('every target, seed 1', async () => {
    const problems: string[] = [];
    let cases = 0;
    for (const [target, share] of TARGETS) {
      const o = await runTarget(target, Math.max(1, BUDGET * share));
      const where = `${target} (seed 1, after ${o.lastCase || 'no case'})`;
      if (o.hung) problems.push(`${where}: no progress for ${HANG_SECONDS} s`);
      else if (o.signal) problems.push(`${where}: killed by ${o.signal}: ${o.stderr.slice(-500)}`);
      else if (o.status !== 0 || !o.result) problems.push(`${where}: exit status ${o.status}: ${o.stderr.slice(-500)}`);
      for (const f of o.result?.failures ?? []) problems.push(`${target} case ${f.case} [${f.input}]: ${f.problem}`);
      cases += o.result?.cases ?? 0;
    }
    expect(problems).toEqual([]);
    expect(cases).toBeGreaterThan(1000);
  }, (BUDGET + 8 * 30) * 1000);
});
