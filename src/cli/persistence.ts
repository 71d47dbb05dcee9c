// `topofr persistence FILE`: the Vietoris–Rips barcodes of a Ripser-format input in dimensions
// 0…K, printed by default exactly as Ripser 1.2.1 prints them (so the two can be diffed), or as
// JSON with the critical edges of every interval. The work is in ./persistence-run.ts, loaded
// when the command runs (cold start: see main.ts).
import { Option, type Command } from 'commander';
import { parseCount, parseFloat32, parsePrime } from './arguments.js';
import { RIPSER_FORMATS, type RipserFormat } from '../io/ripser-input.js';
import type { PersistenceOptions } from './persistence-run.js';

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
    .option('--distributed', 'under mpirun/srun: H0 of a point cloud (--dim 0) computed by all ranks, rows sharded (docs/distributed.md)')
    .action(async (file: string, flags: PersistenceFlags & { distributed?: boolean }, command: Command) => {
      if (flags.distributed) {
        const { persistenceDistributed } = await import('./persistence-distributed.js');
        return persistenceDistributed(file, flags);
      }
      if (flags.metric !== undefined && flags.format !== 'point-cloud') {
        command.error(`error: --metric applies only to --format point-cloud, not ${flags.format}`, { exitCode: 2 });
      }
      const { runPersistence } = await import('./persistence-run.js');
      await runPersistence(file, flags);
    });
}
