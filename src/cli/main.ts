#!/usr/bin/env node
// The `topofr` command. Usage mistakes (unknown command or flag, a bad flag value) exit with 2,
// failures of the work itself with 1; both print one "topofr: …" line, never a stack trace, with
// control characters escaped (a message may quote a file name or a token of an input file).
// An error that is not topofr's own is a bug: one line says so; TOPOFR_DEBUG=1 adds the stack.
//
// Cold start: `topofr --help` and `topofr persistence` start within a tenth of a second of a bare
// `node` because every command imports only what it uses. Adding a command:
// - src/cli/<command>.ts registers it (flags, parsing, help) and imports at load time nothing but
//   commander and light modules (no tfjs, no training or model code, no bench suite, no addon);
// - its action loads the work with `await import(...)`: a `./<command>-run.ts` next to it (see
//   persistence-run.ts, demo-run.ts) or the library modules themselves (see train.ts, eval.ts);
//   type-only imports (`import type`) are free;
// - test/cli-cold-start.test.ts checks which modules `--help` and `persistence` load.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerPersistence } from './persistence.js';
import { registerDemo } from './demo.js';
import { registerBench } from './bench.js';
import { registerTrain } from './train.js';
import { registerAblation } from './ablation.js';
import { registerEval } from './eval.js';
import { registerReport } from './report.js';
import { registerPack } from './pack.js';
import { registerDataset } from './dataset.js';
import { registerExport } from './export.js';
import { registerEmbed } from './embed.js';
import { printable } from '../util/printable.js';

const USAGE_EXIT_CODE = 2;
const DEBUG = process.env.TOPOFR_DEBUG === '1';
const FAILURE_EXIT_CODE = 1;

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/** topofr's errors carry an ERR_TOPOFR_* code (the addon's too); their message is the whole story. */
function isTopofrError(err: unknown): err is Error {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && code.startsWith('ERR_TOPOFR_');
}

/** An operating-system error (a file that cannot be read or written): its message names the
 *  call and the path, e.g. "EACCES: permission denied, mkdir '/runs/demo'". */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

/** The one line printed for a failure. */
function failureLine(err: unknown): string {
  if (isTopofrError(err) || isSystemError(err)) return err.message;
  const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (DEBUG && err instanceof Error && err.stack) return `internal error: ${err.stack}`;
  return `internal error (a bug in topofr; please report it, with TOPOFR_DEBUG=1 for the stack trace): ${what}`;
}

/** Untrusted text is escaped line by line (commander's help and errors may span lines). */
const printableLines = (text: string): string => text.split('\n').map(printable).join('\n');

function buildProgram(): Command {
  const program = new Command('topofr')
    .description('exact, fast persistent homology (native C++/CUDA) and TopoFR face-recognition training')
    .version(packageVersion())
    // Settings before the subcommands: commander copies them into each one as it is added.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(printableLines(text.replace(/^error: /, 'topofr: '))) });
  registerPersistence(program);
  registerDemo(program);
  registerBench(program);
  registerTrain(program);
  registerAblation(program);
  registerEval(program);
  registerReport(program);
  registerPack(program);
  registerDataset(program);
  registerExport(program);
  registerEmbed(program);
  return program;
}

async function main(): Promise<void> {
  // `topofr … | head` closes the pipe early; that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its message (or the help / version text).
      process.exitCode = err.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    } else {
      // One line, unless TOPOFR_DEBUG asked for the stack trace.
      const line = failureLine(err);
      process.stderr.write(`topofr: ${DEBUG ? printableLines(line) : printable(line)}\n`);
      process.exitCode = FAILURE_EXIT_CODE;
    }
  }
}

await main();
