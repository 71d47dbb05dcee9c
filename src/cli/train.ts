// `topofr train [--config FILE] [--setting value …] [--resume]`: trains on the embedded synthetic
// identities. Every TrainConfig field is a flag (camelCase → --kebab-case), so the CLI cannot drift
// from the config; precedence is defaults < file < flags. Progress goes to stderr (a bar on a TTY,
// one line per log interval otherwise); the result summary to stdout. The training stack is loaded
// when the command runs (cold start: see main.ts).
import { Option, type Command } from 'commander';
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
  backend: "'cpu' (tfjs + native kernels) or 'tensorflow' (tfjs-node, if installed)",
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
    .description('train TopoFR on the embedded synthetic identities (no arguments: the demo run), evaluate, and write runs/<name>/')
    .option('--config <file>', 'YAML or JSON settings (flags override them)')
    .option('--resume', 'continue runs/<name>/ from its last checkpoint, exactly')
    .option('--no-progress', 'plain log lines instead of a progress bar');
  for (const [key, value] of Object.entries(DEFAULT_CONFIG)) {
    if (key === 'progress') continue;
    const flag = `--${kebab(key)}`;
    const help = HELP[key as keyof TrainConfig] ?? `default ${JSON.stringify(value)}`;
    if (typeof value === 'boolean') command.addOption(new Option(flag, help));
    else command.addOption(new Option(`${flag} <${typeof value}>`, help).argParser((v: string) => (typeof value === 'number' ? Number(v) : v)));
  }
  command.action(async (flags: Record<string, unknown>) => {
    const [{ quietTfjs }, { train }, { finishRun }] = await Promise.all([
      import('../tf/quiet.js'), import('../train/trainer.js'), import('../train/finish.js')]);
    quietTfjs();
    const { config: file, resume, progress, ...settings } = flags;
    const config = resolveConfig(typeof file === 'string' ? readConfigFile(file) : {}, { ...settings, progress: progress !== false } as Partial<TrainConfig>);
    const tty = config.progress && process.stderr.isTTY;
    const t0 = performance.now();
    const run = await train(config, {
      resume: resume === true,
      log: (line) => process.stderr.write(`topofr: ${line}\n`),
      onStep: (r, total) => {
        const line = progressLine(r, total, (performance.now() - t0) / 1000);
        if (tty) process.stderr.write(`\r${line}\x1b[K${r.step === total ? '\n' : ''}`);
        else if (r.step % config.logEvery === 0 || r.step === total) process.stderr.write(`${line}\n`);
      },
    });
    process.stderr.write('topofr: evaluating on the test identities…\n');
    const summary = await finishRun(run, config);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  });
}
