// `topofr train [--config FILE] [--setting value …] [--resume]`: trains on the embedded synthetic
// identities. Every TrainConfig field is a flag (camelCase → --kebab-case), so the CLI cannot drift
// from the config; precedence is defaults < file < flags (with --resume: defaults < the run's own
// settings < file < flags, and a changed setting needs --override). Progress goes to stderr (a bar on a TTY,
// one line per log interval otherwise); the result summary to stdout. The training stack is loaded
// when the command runs (cold start: see main.ts).
import { Option, type Command } from 'commander';
import type { World } from '../distributed/world.js';
import { TopofrError } from '../errors.js';
import { DEFAULT_CONFIG, readConfigFile, resolveConfig, type TrainConfig } from '../train/config.js';
import type { StepRecord } from '../train/trainer.js';

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const HELP: Partial<Record<keyof TrainConfig, string>> = {
  alpha: 'weight α of the topology term (0 = plain margin loss)',
  topoVariant: "'code' (official step) or 'symmetric' (paper Eq. 2)",
  rspProbability: 'RSP probability ξ (0 = no perturbation)',
  omega1: "SDE ω1 from the GUM: 'code', 'paper' or 'none'",
  omega2: "ω2: 'paper' (1 − p_gt), 'code' (D8 mask) or 'none'",
  maxSteps: 'stop after this many steps (0 = the whole schedule)',
  shards: 'split each step\'s batch into this many gradient shards (--distributed: one per rank, the default)',
  partialFc: 'Partial FC: the class centres split across the ranks (with --distributed)',
  backend: "'cpu' (tfjs + native kernels) or 'tensorflow' (tfjs-node, if installed)",
  data: 'train on a RecordIO set (.rec + .idx, or its folder) or a folder per identity instead of the synthetic identities',
  skipBadImages: 'count and skip corrupt images and broken records of --data instead of stopping',
  dataWorkers: 'threads decoding --data (0 = the training thread)',
};

function progressLine(r: StepRecord, total: number, seconds: number): string {
  const eta = (seconds / r.step) * (total - r.step);
  const pct = Math.floor((100 * r.step) / total);
  return `step ${r.step}/${total} (${pct}%) loss ${r.loss.toFixed(3)} [cls ${r.cls.toFixed(3)} topo ${r.topo.toFixed(3)} ω ${r.omega.toFixed(2)}] ` +
    `lr ${r.lr.toExponential(2)} ${r.imgPerS.toFixed(0)} img/s ETA ${eta < 60 ? `${eta.toFixed(0)} s` : `${(eta / 60).toFixed(1)} min`}`;
}

export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description('train TopoFR on the embedded synthetic identities (no arguments: the demo run) or on --data, evaluate, and write runs/<name>/')
    .option('--config <file>', 'YAML or JSON settings (flags override them)')
    .option('--resume', "continue runs/<name>/ from its last checkpoint, exactly, with the run's own settings")
    .option('--override', "with --resume: continue with the changed settings given (lr, alpha, …) instead of refusing them")
    .option('--no-progress', 'plain log lines instead of a progress bar')
    .option('--distributed', 'one rank of an MPI job (mpirun -np W topofr train --distributed …, srun --mpi=pmix …): data-parallel, one shard per rank');
  for (const [key, value] of Object.entries(DEFAULT_CONFIG)) {
    if (key === 'progress') continue;
    const flag = `--${kebab(key)}`;
    const help = HELP[key as keyof TrainConfig] ?? `default ${JSON.stringify(value)}`;
    if (typeof value === 'boolean') command.addOption(new Option(flag, help));
    else command.addOption(new Option(`${flag} <${typeof value}>`, help).argParser((v: string) => (typeof value === 'number' ? Number(v) : v)));
  }
  command.action(async (flags: Record<string, unknown>) => {
    const { config: file, resume, override, progress, distributed, ...settings } = flags;
    const how = { resume: resume === true, override: override === true };
    const { launcherWorldSize, mpiWorld } = await import('../distributed/world.js');
    if (distributed !== true && launcherWorldSize() > 1)
      throw new TopofrError('ERR_TOPOFR_DISTRIBUTED', `launched as ${launcherWorldSize()} processes (mpirun/srun) without --distributed: each would train alone into the same run folder; add --distributed`);
    if (distributed !== true) return trainAndFinish(file, how, { ...settings, progress: progress !== false });
    const { runDistributed } = await import('../distributed/faults.js');
    const world = mpiWorld();
    await runDistributed(world, () => trainAndFinish(file, how, { ...settings, shards: settings.shards ?? world.size, progress: progress !== false }, world));
  });
}

/** Resolves the config, trains (as one rank of `world`), and on rank 0 evaluates and prints the summary. */
async function trainAndFinish(file: unknown, how: { resume: boolean; override: boolean }, settings: Record<string, unknown>, world?: World): Promise<void> {
  const [{ quietTfjs }, { train }, { finishRun }, { savedRunConfig }] = await Promise.all([
    import('../tf/quiet.js'), import('../train/trainer.js'), import('../train/finish.js'), import('../train/run-folder.js')]);
  quietTfjs();
  const fromFile = typeof file === 'string' ? readConfigFile(file) : {};
  const fromFlags = settings as Partial<TrainConfig>;
  let config = resolveConfig(fromFile, fromFlags);
  // A resume starts from the settings the run was trained with; the file and flags given now are
  // changes to them, which train() refuses unless --override.
  const saved = how.resume ? savedRunConfig(config) : undefined;
  if (saved) config = resolveConfig({ ...saved, ...fromFile, outDir: config.outDir, name: config.name }, fromFlags);
  const lead = (world?.rank ?? 0) === 0;
  const tty = lead && config.progress && process.stderr.isTTY;
  const t0 = performance.now();
  const run = await train(config, {
    ...how,
    world,
    log: (line) => process.stderr.write(`topofr: ${line}\n`),
    onStep: (r, total) => {
      if (!lead) return;
      const line = progressLine(r, total, (performance.now() - t0) / 1000);
      if (tty) process.stderr.write(`\r${line}\x1b[K${r.step === total ? '\n' : ''}`);
      else if (r.step % config.logEvery === 0 || r.step === total) process.stderr.write(`${line}\n`);
    },
  });
  if (!lead) return;
  process.stderr.write('topofr: evaluating on the test identities…\n');
  const summary = await finishRun(run, config);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}
