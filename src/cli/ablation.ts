// `topofr ablation [--seeds N] [--rows a,b] [--alpha a,b] [--config FILE] [--name DIR] [settings…]`:
// the paper's Table 3 rows on the synthetic benchmark, each over N seeds (rows with a topology term
// once per --alpha value), then a Markdown table (stdout) of mean ± std. Runs go to
// <outDir>/<name>/<row>-seed<k>/; the table and the raw results to <outDir>/<name>/ (name: ablation).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { quietTfjs } from '../tf/quiet.js';
import { aggregate, ablationTable, rowsAtAlphas, TABLE3_ROWS, type RowResult } from '../train/ablation.js';
import { readConfigFile, resolveConfig, type TrainConfig } from '../train/config.js';
import { finishRun } from '../train/finish.js';
import { train } from '../train/trainer.js';

const slug = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export function registerAblation(program: Command): void {
  program
    .command('ablation')
    .description("the paper's Table 3 rows (ArcFace … TopoFR) on the synthetic benchmark over several seeds: mean ± std accuracy and TAR@FAR")
    .option('--seeds <n>', 'seeds per row (≥ 1; the table needs ≥ 3 to mean much)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
      return n;
    }, 3)
    .option('--rows <names>', `comma-separated row numbers 1–${TABLE3_ROWS.length} (default all)`)
    .option('--config <file>', 'base settings (YAML/JSON) for every run')
    .option('--epochs <n>', 'epochs per run', Number)
    .option('--alpha <values>', 'comma-separated α values: each row with a topology term runs once per value')
    .option('--out-dir <dir>', 'parent folder of the runs', 'runs')
    .option('--name <dir>', 'folder of this ablation under --out-dir', 'ablation')
    .action(async (flags: { seeds: number; rows?: string; config?: string; epochs?: number; alpha?: string; outDir: string; name: string }) => {
      quietTfjs();
      const picked = flags.rows ? flags.rows.split(',').map((s) => Number(s.trim())) : TABLE3_ROWS.map((_, i) => i + 1);
      if (picked.some((k) => !Number.isInteger(k) || k < 1 || k > TABLE3_ROWS.length))
        throw new InvalidArgumentError(`--rows takes numbers 1–${TABLE3_ROWS.length}`);
      const alphas = flags.alpha?.split(',').map((a) => Number(a.trim()));
      if (alphas?.some((a) => !(a > 0) || !Number.isFinite(a))) throw new InvalidArgumentError('--alpha takes numbers > 0, comma-separated');
      const base: Partial<TrainConfig> = flags.config ? readConfigFile(flags.config) : {};
      const root = join(flags.outDir, flags.name);
      mkdirSync(root, { recursive: true });
      const results: RowResult[] = [];
      for (const row of rowsAtAlphas(picked.map((k) => TABLE3_ROWS[k - 1]!), alphas)) {
        const seeds = Array.from({ length: flags.seeds }, (_, s) => 2048 + s);
        const runs = [];
        for (const seed of seeds) {
          const config = resolveConfig(base, { ...row.settings, seed, outDir: root, name: `${slug(row.name)}-seed${seed}`, progress: false,
            ...(flags.epochs !== undefined ? { epochs: flags.epochs } : {}) });
          process.stderr.write(`topofr: ablation ${row.name}, seed ${seed}\n`);
          const run = await train(config);
          const summary = await finishRun(run, config);
          process.stderr.write(`topofr:   accuracy ${(100 * summary.accuracy).toFixed(2)} % in ${summary.seconds.toFixed(0)} s\n`);
          runs.push({ accuracy: summary.accuracy, tarAtFar: summary.tarAtFar });
        }
        results.push(aggregate(row.name, seeds, runs));
        writeFileSync(join(root, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);  // so far
      }
      const table = ablationTable(results);
      writeFileSync(join(root, 'table.md'), `${table}\n`);
      writeFileSync(join(root, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
      process.stdout.write(`${table}\n`);
    });
}
