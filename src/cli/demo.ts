// `topofr demo`: the main job end to end until training lands. The work is in ./demo-run.ts,
// loaded when the command runs (cold start: see main.ts).
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { DemoOptions } from './demo-run.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function seed(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a non-negative integer');
  return Number(value) >>> 0;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('synthetic face-like embeddings → distances → H0 barcode, with timings and identity separation')
    .option('--identities <n>', 'number of identities', positiveInt, 512)
    .option('--per-identity <k>', 'samples per identity', positiveInt, 8)
    .option('--dim <d>', 'embedding dimension', positiveInt, 512)
    .option('--seed <s>', 'random seed', seed, 1)
    .addOption(new Option('--device <device>', 'where to compute').choices(['cpu', 'cuda', 'auto']).default('auto'))
    .action(async (flags: DemoOptions, command: Command) => {
      if (flags.identities * flags.perIdentity < 2) command.error('error: the demo needs at least 2 embeddings', { exitCode: 2 });
      const { runDemo } = await import('./demo-run.js');
      process.stdout.write(`${runDemo(flags).join('\n')}\n`);
    });
}
