// `topofr ablation [--seeds N] [--first-seed S] [--rows a,b] [--alpha a,b] [--config FILE] [--name DIR] [settings…]`:
// the paper's Table 3 rows on the synthetic benchmark, each over N seeds (rows with a topology term
// once per --alpha value), then a Markdown table (stdout) of mean ± std. Runs go to
// <outDir>/<name>/<row>-seed<k>/; the table, the raw results and report.html (the rows' training
// curves, Fig. 2c) to <outDir>/<name>/ (name: ablation). --report-only rebuilds the last three
// from a finished ablation folder.
import { join } from 'node:path';
// The training stack is loaded when the command runs (cold start: see main.ts).
import { InvalidArgumentError, type Command } from 'commander';

export function registerAblation(program: Command): void {
  program
    .command('ablation')
    .description("the paper's Table 3 rows (ArcFace … TopoFR) on the synthetic benchmark over several seeds: mean ± std accuracy and TAR@FAR")
    .option('--seeds <n>', 'seeds per row (≥ 1; the table needs ≥ 3 to mean much)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
      return n;
    }, 3)
    .option('--first-seed <n>', 'the first seed (then +1, +2, …)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer ≥ 0');
      return n;
    }, 2048)
    .option('--rows <names>', 'comma-separated row numbers 1–7 (default all)')
    .option('--config <file>', 'base settings (YAML/JSON) for every run')
    .option('--epochs <n>', 'epochs per run', Number)
    .option('--alpha <values>', 'comma-separated α values: each row with a topology term runs once per value')
    .option('--out-dir <dir>', 'parent folder of the runs', 'runs')
    .option('--name <dir>', 'folder of this ablation under --out-dir', 'ablation')
    .option('--report-only', 'rebuild table.md and report.html from the folder\'s results.json and runs')
    .action(async (flags: { seeds: number; firstSeed: number; rows?: string; config?: string; epochs?: number; alpha?: string; outDir: string; name: string; reportOnly?: boolean }) => {
      const { quietTfjs } = await import('../tf/quiet.js');
      const { rowsAtAlphas, TABLE3_ROWS } = await import('../train/ablation.js');
      const { readConfigFile } = await import('../train/config.js');
      const { readAblationResults, runAblation, writeAblationOutputs } = await import('../train/ablation-run.js');
      quietTfjs();
      const root = join(flags.outDir, flags.name);
      const picked = flags.rows ? flags.rows.split(',').map((s) => Number(s.trim())) : TABLE3_ROWS.map((_, i) => i + 1);
      if (picked.some((k) => !Number.isInteger(k) || k < 1 || k > TABLE3_ROWS.length))
        throw new InvalidArgumentError(`--rows takes numbers 1–${TABLE3_ROWS.length}`);
      const alphas = flags.alpha?.split(',').map((a) => Number(a.trim()));
      if (alphas?.some((a) => !(a > 0) || !Number.isFinite(a))) throw new InvalidArgumentError('--alpha takes numbers > 0, comma-separated');
      const results = flags.reportOnly ? readAblationResults(root) : await runAblation({
        root,
        rows: rowsAtAlphas(picked.map((k) => TABLE3_ROWS[k - 1]!), alphas),
        seeds: Array.from({ length: flags.seeds }, (_, s) => flags.firstSeed + s),
        base: { ...(flags.config ? readConfigFile(flags.config) : {}), ...(flags.epochs !== undefined ? { epochs: flags.epochs } : {}) },
        log: (line) => process.stderr.write(`topofr: ${line}\n`),
      });
      const notes = [`topofr ${process.argv.slice(2).join(' ')}`, `written ${new Date().toISOString().slice(0, 10)}`];
      process.stdout.write(`${await writeAblationOutputs(root, results, notes)}\n`);
    });
}
