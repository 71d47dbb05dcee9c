// `topofr bench --profile CASE`: one step of a training case with every registered cpu kernel
// wrapped in a timer. On the cpu backend a kernelFunc returns synchronously, so the wall time
// around the call is the kernel's own (inclusive of whatever it does in JS). The wrappers are
// registered in place of the kernels (native overrides included) and the originals put back
// afterwards. Runs in the CLI's own process, after one untimed warm-up step.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TopofrRangeError } from '../errors.js';
import { findCase, familyOf } from './cases.js';
import { casePoints, writeBinary } from './data.js';

export interface KernelProfileRow {
  kernel: string;
  calls: number;
  total_ms: number;
  pct: number;
  /** Conv/matmul kernels: FLOPs computed from the shapes, and the rate. */
  gflop?: number;
  gflops?: number;
}

export interface KernelProfile {
  case: string;
  step_ms: number;
  kernels_ms: number;
  native: boolean;
  /** This machine's sgemm rate (2048×2048×512, median of 5), measured in the same process: the
   *  ceiling the conv/matmul kernels are compared with. */
  sgemm_gflops: number;
  rows: KernelProfileRow[];
}

interface Info {
  shape: number[];
}
interface Args {
  inputs: Record<string, Info | undefined>;
  attrs?: Record<string, unknown>;
}

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const outShape = (out: unknown): number[] | undefined => (Array.isArray(out) ? (out[0] as Info | undefined)?.shape : (out as Info | undefined)?.shape);

/** Multiply-adds ×2 of the conv/matmul kernels, from their input and output shapes (NHWC; filters
 *  [fh, fw, in, out]); undefined for other kernels or shapes it does not understand. */
export function kernelFlops(name: string, args: Args, out: unknown): number | undefined {
  const { inputs, attrs = {} } = args;
  const y = outShape(out);
  if (!y) return undefined;
  switch (name) {
    case 'Conv2D':
    case 'FusedConv2D': {
      const f = inputs.filter?.shape;
      return f && f.length === 4 ? 2 * size(y) * f[0] * f[1] * f[2] : undefined;
    }
    case 'Conv2DBackpropInput': {
      const f = inputs.filter?.shape;
      const dy = inputs.dy?.shape;
      return f && dy && f.length === 4 ? 2 * size(dy) * f[0] * f[1] * f[2] : undefined;
    }
    case 'Conv2DBackpropFilter': {
      const f = attrs.filterShape as number[] | undefined;
      const dy = inputs.dy?.shape;
      return f && dy && f.length === 4 ? 2 * size(dy) * f[0] * f[1] * f[2] : undefined;
    }
    case 'BatchMatMul':
    case '_FusedMatMul': {
      const a = inputs.a?.shape;
      if (!a || a.length < 2) return undefined;
      const k = attrs.transposeA ? a[a.length - 2] : a[a.length - 1];
      return 2 * size(y) * k;
    }
    default:
      return undefined;
  }
}

const r = (x: number, d: number): number => Number(x.toFixed(d));

/** GFLOP/s of the addon's sgemm on 2048×2048×512 (median of 5 after one warm-up). */
async function sgemmCeiling(): Promise<number> {
  const { native } = await import('../native.js');
  const m = 2048, n = 2048, k = 512;
  const a = new Float32Array(m * k).fill(0.5), b = new Float32Array(k * n).fill(0.25), c = new Float32Array(m * n);
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    native().sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n);
    if (i > 0) times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return (2 * m * n * k) / (times[2]! * 1e6);
}

export async function profileCase(name: string, log: (line: string) => void = () => {}): Promise<KernelProfile> {
  const spec = findCase(name);
  if (spec.family !== 'train') throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `--profile times tfjs kernels: '${name}' is not a training case (train-step-*)`);
  const tf = await import('@tensorflow/tfjs');
  const { nativeKernelsRegistered } = await import('../tf/native-kernels.js');
  const dir = mkdtempSync(join(tmpdir(), 'topofr-profile-'));
  try {
    const file = join(dir, 'input.f32');
    writeBinary(file, casePoints(spec, 20240607));
    const prepared = await familyOf(spec).prepare(spec, file);
    log(`${name}: warm-up step`);
    prepared.run();

    const stats = new Map<string, { calls: number; ms: number; flop: number; flopMs: number }>();
    const originals = tf.getKernelsForBackend('cpu');
    for (const k of originals) {
      const inner = k.kernelFunc;
      const kernelFunc = ((args: Args) => {
        const t0 = performance.now();
        const out = (inner as (a: Args) => unknown)(args);
        const dt = performance.now() - t0;
        let s = stats.get(k.kernelName);
        if (!s) stats.set(k.kernelName, (s = { calls: 0, ms: 0, flop: 0, flopMs: 0 }));
        s.calls++;
        s.ms += dt;
        const flop = kernelFlops(k.kernelName, args, out);
        if (flop !== undefined) {
          s.flop += flop;
          s.flopMs += dt;
        }
        return out;
      }) as typeof k.kernelFunc;
      tf.unregisterKernel(k.kernelName, 'cpu');
      tf.registerKernel({ ...k, kernelFunc });
    }
    let stepMs: number;
    try {
      log(`${name}: profiled step`);
      const t0 = performance.now();
      prepared.run();
      stepMs = performance.now() - t0;
    } finally {
      for (const k of originals) {
        tf.unregisterKernel(k.kernelName, 'cpu');
        tf.registerKernel(k);
      }
    }
    const kernelsMs = [...stats.values()].reduce((a, s) => a + s.ms, 0);
    const rows: KernelProfileRow[] = [...stats.entries()]
      .map(([kernel, s]) => ({
        kernel,
        calls: s.calls,
        total_ms: r(s.ms, 2),
        pct: r((100 * s.ms) / stepMs, 2),
        ...(s.flop > 0 && s.flopMs > 0 ? { gflop: r(s.flop / 1e9, 3), gflops: r(s.flop / (s.flopMs * 1e6), 1) } : {}),
      }))
      .sort((a, b) => b.total_ms - a.total_ms);
    const sgemm = await sgemmCeiling();
    return { case: name, step_ms: r(stepMs, 1), kernels_ms: r(kernelsMs, 1), native: nativeKernelsRegistered(), sgemm_gflops: r(sgemm, 1), rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatProfile(p: KernelProfile): string {
  const body = p.rows.map((x) => [x.kernel, String(x.calls), x.total_ms.toFixed(1), x.pct.toFixed(1),
    x.gflops !== undefined ? x.gflops.toFixed(1) : '-', x.gflops !== undefined ? ((100 * x.gflops) / p.sgemm_gflops).toFixed(0) : '-']);
  const other = p.step_ms - p.kernels_ms;
  body.push(['(outside kernels: tape, JS glue)', '-', other.toFixed(1), ((100 * other) / p.step_ms).toFixed(1), '-', '-']);
  const header = ['kernel', 'calls', 'total ms', '% of step', 'GFLOP/s', '% of sgemm'];
  const width = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c].length)));
  const line = (cells: string[]): string => cells.map((s, c) => (c === 0 ? s.padEnd(width[c]) : s.padStart(width[c]))).join('  ');
  return [
    `${p.case}: one step ${p.step_ms.toFixed(1)} ms (kernels ${p.kernels_ms.toFixed(1)} ms), ${p.native ? 'native' : 'tfjs JS'} kernels; sgemm ceiling ${p.sgemm_gflops.toFixed(0)} GFLOP/s`,
    line(header),
    width.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(line),
  ].join('\n');
}
