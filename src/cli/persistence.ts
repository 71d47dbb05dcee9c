// `topofr persistence FILE`: the Vietoris–Rips barcodes of a Ripser-format input in dimensions
// 0…K, printed by default exactly as Ripser 1.2.1 prints them (so the two can be diffed), or as
// JSON with the critical edges of every interval. The work is in ./persistence-run.ts, loaded
// when the command runs (cold start: see main.ts).
import { InvalidArgumentError, Option, type Command } from 'commander';
import { RIPSER_FORMATS, type RipserFormat } from '../io/ripser-input.js';
import type { PersistenceOptions } from './persistence-run.js';

function parseCount(value: string, least: number): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < least) throw new InvalidArgumentError(`expected an integer ≥ ${least}`);
  return Number(value);
}

function parsePrime(value: string): number {
  const p = Number(value);
  let prime = /^\d+$/.test(value.trim()) && p >= 2;
  for (let q = 2; prime && q * q <= p; q++) prime = p % q !== 0;
  if (!prime) throw new InvalidArgumentError('expected a prime (coefficients in Z/p)');
  return p;
}

/** Ripser reads --threshold and --ratio as float32 (std::stof) and compares float32 values. */
function parseFloat32(least: number): (value: string) => number {
  return (value) => {
    const t = Number(value);
    if (value.trim() === '' || !Number.isFinite(t) || t < least) throw new InvalidArgumentError(`expected a finite number ≥ ${least}`);
    const asFloat32 = Math.fround(t);
    if (!Number.isFinite(asFloat32)) throw new InvalidArgumentError('outside the float32 range');
    return asFloat32;
  };
}

interface PersistenceFlags extends PersistenceOptions {
  format: RipserFormat;
  json?: boolean;
}

export function registerPersistence(program: Command): void {
  program
    .command('persistence')
    .description('Vietoris–Rips persistence barcodes of a Ripser input file, printed as Ripser 1.2.1 prints them')
    .argument('<file>', "input file, or '-' for standard input")
    .addOption(new Option('--format <format>', 'input format (as Ripser names them)').choices(RIPSER_FORMATS).default('lower-distance'))
    .option('--dim <k>', 'compute persistent homology up to dimension k', (v) => parseCount(v, 0), 1)
    .option('--threshold <t>', 'compute Rips complexes up to diameter t (default: the enclosing radius)', parseFloat32(0))
    .option('--modulus <p>', 'compute homology with coefficients in the prime field Z/pZ', parsePrime, 2)
    // Below 1 Ripser would also print zero-length pairs, which the engine does not report.
    .option('--ratio <r>', 'only show persistence pairs with death/birth ratio > r', parseFloat32(1))
    .option('--json', 'print one JSON object (n, threshold, births, deaths, critical edges) instead of Ripser text')
    .option('--threads <n>', 'threads to use (default: all cores; the result does not depend on it)', (v) => parseCount(v, 1))
    .addOption(new Option('--metric <metric>', 'distance between points (point-cloud only; Ripser: euclidean)').choices(['euclidean', 'sqeuclidean', 'cosine']))
    .addOption(new Option('--device <device>', 'where to compute').choices(['cpu', 'cuda', 'auto']))
    .action(async (file: string, flags: PersistenceFlags, command: Command) => {
      if (flags.metric !== undefined && flags.format !== 'point-cloud') {
        command.error(`error: --metric applies only to --format point-cloud, not ${flags.format}`, { exitCode: 2 });
      }
      const { runPersistence } = await import('./persistence-run.js');
      await runPersistence(file, flags);
    });
}
