// A run's folder, <outDir>/<name>/: config.json, metrics.jsonl (one line per logged step) and
// checkpoint/. Opening it checks everything a run needs before anything is written: for a resume,
// the checkpoint loads and verifies, and the config matches the one it was trained with. Then
// begin() writes: the config, and metrics.jsonl cut back to the checkpoint's step (the steps a
// killed run logged after its last checkpoint are trained again; their old lines must go).
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TopofrError } from '../errors.js';
import { afterFileOperation } from '../io/crash-point.js';
import { replaceFile, writingTo } from '../io/durable-file.js';
import { checkPartial, type TrainConfig } from './config.js';
import { checkpointState, clearCheckpoint, loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.js';

/** What a checkpoint carries besides its tensors. */
export interface RunState {
  /** Steps done. */
  step: number;
  /** The config the run was trained with (up to that step). */
  config: TrainConfig;
}

/**
 * Fields a resume may change without `override`: they decide when to stop, what to log and where
 * to checkpoint, and how to evaluate at the end, never the weights of a step. `name` and `outDir`
 * locate the run; `dataWorkers` only says how many threads decode the same batches. `shards` does
 * change the arithmetic of a step (each shard has its own topology loss and GUM fit), but a
 * distributed run sets it to the number of ranks launched, and resuming on another rank count that
 * divides the batch is the point of it (docs/distributed.md): launching that way is the request. Any other change (lr, alpha, the data, the model, the backend's arithmetic)
 * would make the resumed run differ from the run that was started, so it needs `override`.
 */
export const RESUME_MAY_CHANGE: readonly (keyof TrainConfig)[] = ['maxSteps', 'progress', 'logEvery', 'checkpointEvery',
  'verificationPairs', 'name', 'outDir', 'shards', 'dataWorkers'];

const runDir = (config: Pick<TrainConfig, 'outDir' | 'name'>): string => join(config.outDir, config.name);

/** "lr 0.1 → 0.2, alpha 0.1 → 0.05": the fields of `now` that differ from `saved` and may not change. */
function forbiddenChanges(saved: TrainConfig, now: TrainConfig): string[] {
  return (Object.keys(now) as (keyof TrainConfig)[])
    .filter((key) => !RESUME_MAY_CHANGE.includes(key) && saved[key] !== now[key])
    .map((key) => `${key} ${JSON.stringify(saved[key])} → ${JSON.stringify(now[key])}`);
}

/**
 * The config a checkpointed run was trained with (checked like a config file), for a resume that
 * starts from it and applies the user's changes on top; undefined when the folder has no checkpoint.
 */
export function savedRunConfig(location: Pick<TrainConfig, 'outDir' | 'name'>): Partial<TrainConfig> | undefined {
  const dir = join(runDir(location), 'checkpoint');
  const state = checkpointState<RunState>(dir);
  if (state === undefined) return undefined;
  return checkPartial(state.config as unknown as Record<string, unknown>, join(dir, 'checkpoint.json'));
}

export class RunFolder {
  readonly dir: string;
  readonly checkpointDir: string;
  readonly metricsPath: string;
  /** The checkpoint a resume continues from. */
  readonly checkpoint?: Checkpoint<RunState>;
  /** With override: the changed fields, as "field old → new". */
  readonly overridden: string[] = [];

  /** Checks only: reads the checkpoint of a resume and compares its config. Writes nothing. */
  constructor(readonly config: TrainConfig, options: { resume?: boolean; override?: boolean } = {}) {
    this.dir = runDir(config);
    this.checkpointDir = join(this.dir, 'checkpoint');
    this.metricsPath = join(this.dir, 'metrics.jsonl');
    if (!options.resume) return;
    this.checkpoint = loadCheckpoint<RunState>(this.checkpointDir);
    const { step, config: saved } = this.checkpoint.state ?? {};
    if (!Number.isSafeInteger(step) || step < 0 || saved === null || typeof saved !== 'object')
      throw new TopofrError('ERR_TOPOFR_CHECKPOINT', `no usable checkpoint in ${this.checkpointDir}: its manifest has no step or config`);
    const changes = forbiddenChanges(saved, config);
    if (changes.length > 0 && !options.override)
      throw new TopofrError('ERR_TOPOFR_CHECKPOINT',
        `${this.dir} was trained with other settings: ${changes.join(', ')}. Resume with the run's own settings ` +
        `(those of its checkpoint), or pass --override (override: true) to continue with the new ones`);
    this.overridden = changes;
  }

  /** Steps already done: 0, or the checkpoint's step. */
  get start(): number {
    return this.checkpoint?.state.step ?? 0;
  }

  /** Writes the run's config and its metrics up to `start`; a fresh run drops an older run's checkpoint. */
  begin(): void {
    writingTo(`the run folder ${this.dir} (choose another outDir)`, () => {
      mkdirSync(this.dir, { recursive: true });
      if (!this.checkpoint) clearCheckpoint(this.checkpointDir);
      replaceFile(this.dir, 'metrics.jsonl', this.checkpoint ? metricsUpTo(this.metricsPath, this.start) : '');
      replaceFile(this.dir, 'config.json', `${JSON.stringify(this.config, null, 2)}\n`);
    });
  }

  /** Appends one step's metrics line. */
  logStep(record: { step: number }): void {
    writingTo(this.metricsPath, () => appendFileSync(this.metricsPath, `${JSON.stringify(record)}\n`));
    afterFileOperation(`append ${this.metricsPath}`);
  }

  save(step: number, tensors: Iterable<[string, { shape: number[]; values: Float32Array }]>): void {
    writingTo(`the checkpoint of step ${step} in ${this.checkpointDir}`,
      () => saveCheckpoint<RunState>(this.checkpointDir, { step, config: this.config }, tensors));
  }
}

/** One logged line of metrics.jsonl: a step's record, or the verification callback's (`val`). */
export interface MetricsLine {
  step: number;
  line: string;
  record: { step: number; val?: unknown };
}

/**
 * The lines logged in a metrics.jsonl, in step order (a step's record before its verification
 * line), each kind of line once per step (its last: older versions could log a step twice after a
 * resume). A line cut short by a kill, or that does not parse, is left out: a resume trains those
 * steps again.
 */
export function readMetrics(path: string): MetricsLine[] {
  if (!existsSync(path)) return [];
  const byStep = new Map<string, MetricsLine>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    let record: { step?: unknown } | null;
    try {
      record = JSON.parse(line) as { step?: unknown } | null;
    } catch {
      continue;
    }
    const step = record?.step;
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 1) continue;
    const val = record !== null && 'val' in record;
    byStep.set(`${val ? 'val' : 'step'} ${step}`, { step, line, record: { ...record, step } });
  }
  const isVal = (m: MetricsLine): number => (m.record.val === undefined ? 0 : 1);
  return [...byStep.values()].sort((a, b) => a.step - b.step || isVal(a) - isVal(b));
}

/** metrics.jsonl's text for steps 1…step. */
const metricsUpTo = (path: string, step: number): string =>
  readMetrics(path).filter((m) => m.step <= step).map((m) => `${m.line}\n`).join('');
