// External anchors: scipy (cdist, cdist + minimum_spanning_tree), the Ripser CLI and a PyTorch
// training step, run on the same input files as our cases. An anchor that cannot run is reported
// as unavailable or failed, with the reason — never replaced by a remembered number.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AnchorResult } from './types.js';

const script = (name: string): string => fileURLToPath(new URL(`../../bench/anchors/${name}`, import.meta.url));

/** Debian's python3-scipy lives under /usr/bin/python3, which a pyenv/venv `python3` can shadow. */
const PYTHONS = ['python3', '/usr/bin/python3'];
const ANCHOR_TIMEOUT_MS = 600_000;

type Probe = { python: string } | { reason: string };
const probes = new Map<string, Probe>();

/** The first python3 that can import `module`, or why none can (memoized per module). */
function findPython(module: string): Probe {
  const cached = probes.get(module);
  if (cached) return cached;
  const why: string[] = [];
  let probe: Probe | undefined;
  for (const py of PYTHONS) {
    const r = spawnSync(py, ['-c', `import ${module}`], { encoding: 'utf8' });
    if (r.status === 0) {
      probe = { python: py };
      break;
    }
    why.push(`${py}: ${r.error ? r.error.message : lastLine(r.stderr)}`);
  }
  probe ??= { reason: `no python3 with ${module} (${why.join('; ')})` };
  probes.set(module, probe);
  return probe;
}

const lastLine = (s: string): string => s.trim().split('\n').pop() ?? '';

type ScriptOutcome = { json: Record<string, unknown> } | { result: AnchorResult };

/** Runs a python anchor script and parses its single JSON line, or says why it could not. */
function runPython(module: string, name: string, file: string, args: string[]): ScriptOutcome {
  const probe = findPython(module);
  if ('reason' in probe) return { result: { name, status: 'unavailable', reason: probe.reason } };
  const path = script(file);
  if (!existsSync(path)) return { result: { name, status: 'unavailable', reason: `${path} not found` } };
  const r = spawnSync(probe.python, [path, ...args], { encoding: 'utf8', timeout: ANCHOR_TIMEOUT_MS, maxBuffer: 1 << 20 });
  if (r.status !== 0) {
    const how = r.error?.message ?? (r.signal ? `killed by ${r.signal}` : lastLine(r.stderr));
    return { result: { name, status: 'failed', reason: `${file}: ${how}` } };
  }
  return { json: JSON.parse(lastLine(r.stdout)) as Record<string, unknown> };
}

interface Stats { median: number; min: number; max: number }

/** scipy `cdist` alone (mode 'cdist') or `cdist` + `minimum_spanning_tree` (mode 'h0'). */
export function scipyAnchor(mode: 'cdist' | 'h0', file: string, n: number, dim: number, runs: number): AnchorResult {
  const name = mode === 'cdist' ? 'scipy cdist' : 'scipy cdist+MST';
  const outcome = runPython('scipy', name, 'scipy_h0.py', [file, String(n), String(dim), '--mode', mode, '--runs', String(runs)]);
  if ('result' in outcome) return outcome.result;
  const out = outcome.json;
  const total = out.total_ms as Stats;
  const weight = out.mst_weight as number | undefined;
  return {
    name: `${name} (scipy ${String(out.scipy)})`,
    status: 'ok',
    median_ms: total.median,
    min_ms: total.min,
    max_ms: total.max,
    runs: out.runs as number,
    peak_rss_mb: out.peak_rss_mb as number,
    parts_ms: out.parts_ms as Record<string, number>,
    ...(weight === undefined ? {} : { facts: { mst_weight: weight } }),
  };
}

/** `ripser ARGS` (flags and the input file): $RIPSER, else /usr/bin/ripser. The timing wrapper
 *  is python only to read the child's peak RSS (getrusage). */
export function ripserAnchor(args: string[], runs: number): AnchorResult {
  const binary = process.env.RIPSER ?? '/usr/bin/ripser';
  const name = `ripser (${binary})`;
  if (!existsSync(binary)) return { name, status: 'unavailable', reason: `${binary} not found (set RIPSER)` };
  const cmd = [binary, ...args];
  const perRunS = ANCHOR_TIMEOUT_MS / 1000 / runs; // the whole script must end within the spawn timeout
  const outcome = runPython('resource', name, 'timed_run.py', [String(runs), String(perRunS), '--', ...cmd]);
  if ('result' in outcome) return outcome.result;
  const out = outcome.json;
  if (out.status !== 'ok') {
    const after = typeof out.wall_ms === 'number' ? ` after ${(out.wall_ms / 1000).toFixed(2)} s` : '';
    const stderr = out.stderr ? `: ${String(out.stderr)}` : '';
    return { name, status: 'failed', reason: `ripser ${String(out.reason)}${after}${stderr}`, peak_rss_mb: out.peak_rss_mb as number | undefined };
  }
  return {
    name,
    status: 'ok',
    median_ms: out.median as number,
    min_ms: out.min as number,
    max_ms: out.max as number,
    runs: out.runs as number,
    peak_rss_mb: out.peak_rss_mb as number,
  };
}

/** What the PyTorch train-step anchor needs to build the same model and batch. */
export interface TorchTrainConfig {
  depth: number;
  inputSize: number;
  batch: number;
  widthMultiplier: number;
  classes: number;
  embeddingSize: number;
  /** torch.set_num_threads: the native side's thread count, so both use the same cores. */
  threads: number;
}

export const TORCH_ANCHOR = 'PyTorch cpu';

/** One SGD step of the same IResNet + softmax head in PyTorch on the CPU (torch_train_step.py).
 *  Named `PyTorch cpu (torch VERSION, N threads)` once it ran; facts: the loss, params_m, threads.
 *  Its OpenMP threads slow down many-fold when another process is busy on the same cores. */
export function torchTrainAnchor(file: string, t: TorchTrainConfig, warmup: number, runs: number): AnchorResult {
  const args = [file, String(t.batch), String(t.inputSize), '--depth', String(t.depth), '--width', String(t.widthMultiplier)];
  args.push('--classes', String(t.classes), '--embedding', String(t.embeddingSize), '--threads', String(t.threads));
  args.push('--warmup', String(warmup), '--runs', String(runs));
  const outcome = runPython('torch', TORCH_ANCHOR, 'torch_train_step.py', args);
  if ('result' in outcome) return outcome.result;
  const out = outcome.json;
  const step = out.step_ms as Stats;
  return {
    name: `${TORCH_ANCHOR} (torch ${String(out.torch)}, ${String(out.threads)} threads)`,
    status: 'ok',
    median_ms: step.median,
    min_ms: step.min,
    max_ms: step.max,
    runs: out.runs as number,
    peak_rss_mb: out.peak_rss_mb as number,
    facts: { loss: out.loss as number, params_m: out.params_m as number, threads: out.threads as number },
  };
}
