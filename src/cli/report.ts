// `topofr report --run DIR`: evaluates a finished run folder again (its model/, config.json and
// metrics.jsonl) and rewrites summary.json and report.html, e.g. after changing the evaluation
// settings or to get the report of a run trained by an older version. The GUM plot needs the
// training process's last step, so a regenerated report has no GUM section. tfjs and the model are
// loaded when the command runs (cold start: see main.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { readConfigFile, resolveConfig } from '../train/config.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('re-evaluate a finished run folder and rewrite its summary.json and report.html')
    .requiredOption('--run <dir>', 'the run folder (runs/<name>)')
    .action(async (flags: { run: string }) => {
      const [{ quietTfjs }, { useBackend }, { fileLoader }, { loadIResNet }, { finishRun }] = await Promise.all([import('../tf/quiet.js'),
        import('../tf/backend.js'), import('../model/file-io.js'), import('../model/iresnet.js'), import('../train/finish.js')]);
      quietTfjs();
      const config = resolveConfig(readConfigFile(join(flags.run, 'config.json')));
      await useBackend(config.backend);
      const model = await loadIResNet(fileLoader(join(flags.run, 'model')));
      const previous = join(flags.run, 'summary.json');
      const old = existsSync(previous) ? (JSON.parse(readFileSync(previous, 'utf8')) as { seconds?: number; steps?: number }) : {};
      const summary = await finishRun({ dir: flags.run, model, steps: old.steps ?? 0, records: [], seconds: old.seconds ?? 0 }, config,
        { exportModel: false });
      process.stdout.write(`${JSON.stringify({ ...summary, report: join(flags.run, 'report.html') }, null, 2)}\n`);
    });
}
