// `topofr bench`: the performance suite of DESIGN.md §6. With --json, stdout carries exactly one
// JSON array; progress and diagnostics always go to stderr. The suite is loaded when the command
// runs (cold start: see main.ts).
import { InvalidArgumentError, type Command } from 'commander';
import { BACKENDS } from '../tf/backend-names.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

const commaList = (value: string): string[] => value.split(',').map((s) => s.trim()).filter(Boolean);

function backendName(value: string): string {
  if (!(BACKENDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`use ${BACKENDS.join(' or ')}`);
  return value;
}

interface BenchFlags { json?: boolean; quick?: boolean; cases?: string[]; runs?: number; anchors: boolean; profile?: string; backend: string }

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('time distances, sgemm, H0, Rips and IResNet training steps against their anchors (each case in its own process)')
    .option('--json', 'print one JSON array on stdout instead of the table')
    .option('--quick', 'small sizes and few runs (CI smoke)')
    .option('--cases <names>', 'comma-separated case names (default: the full or the quick set)', commaList)
    .option('--runs <n>', 'timed runs per case', positiveInt)
    .option('--no-anchors', 'skip the external anchors (scipy, Ripser)')
    .option('--profile <case>', 'time every tfjs cpu kernel over one step of a train-step-* case, and print the table', (v) => v.trim())
    .option('--backend <name>', "tfjs backend of the train-step cases: 'cpu' (native kernels) or 'tensorflow' (@tensorflow/tfjs-node, if installed)", backendName, 'cpu')
    .action(async (flags: BenchFlags, command: Command) => {
      // a typo in a case name is a usage error, before any case starts
      const { findCase } = await import('../bench/cases.js');
      for (const name of [...(flags.cases ?? []), ...(flags.profile === undefined ? [] : [flags.profile])]) {
        try {
          findCase(name);
        } catch (err) {
          command.error(`error: ${(err as Error).message}`, { exitCode: 2 });
        }
      }
      process.env.TOPOFR_BACKEND = flags.backend;  // read by the train cases in their child processes
      if (flags.profile !== undefined) {
        if (flags.backend !== 'cpu') throw new InvalidArgumentError('--profile times the cpu backend\'s kernels: use it with --backend cpu');
        const { formatProfile, profileCase } = await import('../bench/profile.js');
        const profile = await profileCase(flags.profile, (line) => process.stderr.write(`bench: ${line}\n`));
        process.stdout.write(flags.json ? `${JSON.stringify(profile, null, 2)}\n` : `${formatProfile(profile)}\n`);
        return;
      }
      const [{ runSuite }, { formatRows }] = await Promise.all([import('../bench/run.js'), import('../bench/format.js')]);
      const { rows, failures } = await runSuite({
        cases: flags.cases,
        quick: flags.quick ?? false,
        runs: flags.runs,
        anchors: flags.anchors,
        log: (line) => process.stderr.write(`bench: ${line}\n`),
      });
      process.stdout.write(flags.json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatRows(rows)}\n`);
      for (const f of failures) process.stderr.write(`bench: FAILED ${f}\n`);
      if (failures.length) process.exitCode = 1;
    });
}
