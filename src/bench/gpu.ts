// The GPU half of the bench suite and its correctness checks, shared by test/cuda.test.ts (vitest,
// where a GPU is usable) and scripts/gpu-check.mjs (the one-shot check on a GPU machine without
// Node's tooling: this module imports neither tfjs nor vitest).
//
// Checks: GPU == CPU through the public API: distances to 1e-5 relative (both shapes), H0 pairings
// and Rips barcodes bit for bit, the topology loss with identical pairings.
// Benches: each GPU case side by side with the CPU in the same run (medians), against DESIGN.md §6:
// h0-16384x512 ≤ 20 ms, topo-loss-b128 ≤ 1 ms, Rips o3_4096 dim 3 thr 1.4 ≤ 1.5 s.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRipserInput } from '../io/ripser-input.js';
import { pairwiseDistances } from '../ops/distances.js';
import { persistenceH0 } from '../ops/h0.js';
import { ripsPersistenceSync } from '../ops/rips.js';
import { prepareInputSpace, structureAlignment } from '../train/isa.js';
import type { Barcode, Device, DistanceMatrix, PointCloud, RipsInput } from '../types.js';
import { gaussian, mulberry32 } from '../util/random.js';
import { measure } from './harness.js';

export interface GpuCheck {
  name: string;
  /** Throws an Error saying what differs. */
  run: () => void;
}

function gaussianCloud(n: number, dim: number, seed: number): PointCloud {
  return { data: Float32Array.from({ length: n * dim }, gaussian(mulberry32(seed))), n, dim };
}

/** Points on the unit sphere in R^dim: a long-lived class in dimension dim − 1. */
function sphere(n: number, dim: number, seed: number): PointCloud {
  const p = gaussianCloud(n, dim, seed);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += p.data[i * dim + k]! ** 2;
    for (let k = 0; k < dim; k++) p.data[i * dim + k]! /= Math.sqrt(s);
  }
  return p;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

const sameBits = (a: Float32Array | Int32Array, b: Float32Array | Int32Array): boolean =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function sameBarcodes(a: Barcode[], b: Barcode[]): boolean {
  return a.length === b.length && a.every((x, d) => {
    const y = b[d]!;
    return x.dim === y.dim && sameBits(x.births, y.births) && sameBits(x.deaths, y.deaths) &&
      sameBits(x.birthEdges, y.birthEdges) && sameBits(x.deathEdges, y.deathEdges);
  });
}

/** Largest |a − b| / max(|b|, floor). */
function worstRelative(a: Float32Array, b: Float32Array, floor: number): number {
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k]! - b[k]!) / Math.max(Math.abs(b[k]!), floor));
  return worst;
}

/** A symmetric matrix of small multiples of ¼: ties everywhere. */
function tiedMatrix(n: number): DistanceMatrix {
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) data[i * n + j] = data[j * n + i] = ((i * 7 + j * 13) % 11) / 4;
  return { data, n };
}

export function gpuChecks(): GpuCheck[] {
  const checks: GpuCheck[] = [];
  for (const metric of ['euclidean', 'sqeuclidean', 'cosine'] as const) {
    checks.push({
      name: `distances equal the CPU's to 1e-5 relative, tiled and split-K (${metric})`,
      run: () => {
        // Large n (tiled), and the training batch shapes (split-K): 128 × 37 632 and 128 × 512.
        for (const [n, dim] of [[1, 3], [130, 7], [1000, 512], [2049, 100], [128, 37632], [128, 512]] as const) {
          const points = gaussianCloud(n, dim, n + dim);
          const worst = worstRelative(pairwiseDistances(points, { metric, device: 'cuda' }).data,
            pairwiseDistances(points, { metric, device: 'cpu' }).data, 1e-3);
          check(worst <= 1e-5, `${n}×${dim}: relative error ${worst}`);
        }
      },
    });
  }
  checks.push({
    name: 'H0 from points: the GPU pairing is the CPU pairing of the same (GPU) distances, bit for bit',
    run: () => {
      for (const [n, dim] of [[1500, 64], [700, 512], [2, 3]] as const) {
        const points = gaussianCloud(n, dim, 3);
        const gpu = persistenceH0(points, { device: 'cuda' });
        const cpu = persistenceH0(pairwiseDistances(points, { device: 'cuda' }), { device: 'cpu' });
        check(sameBits(gpu.edges, cpu.edges) && sameBits(gpu.deaths, cpu.deaths), `${n}×${dim}: pairings differ`);
      }
    },
  });
  checks.push({
    name: 'H0 from a matrix with ties, both kernels (Prim ≤ 1024 points, Borůvka beyond), bit for bit',
    run: () => {
      for (const n of [300, 1024, 1025, 3000]) {
        const m = tiedMatrix(n);
        const gpu = persistenceH0(m, { device: 'cuda' }), cpu = persistenceH0(m, { device: 'cpu' });
        check(sameBits(gpu.edges, cpu.edges) && sameBits(gpu.deaths, cpu.deaths), `n = ${n}: pairings differ`);
      }
    },
  });
  checks.push({
    name: 'Rips with GPU column assembly: the same barcodes, bit for bit (dense and thresholded)',
    run: () => {
      const cases: [PointCloud, { maxDim: number; threshold?: number }][] = [
        [sphere(200, 3, 1), { maxDim: 2 }],
        [sphere(400, 4, 2), { maxDim: 3, threshold: 1.1 }],
      ];
      for (const [input, options] of cases) {
        const gpu = ripsPersistenceSync(input, { ...options, device: 'cuda' });
        check(sameBarcodes(gpu, ripsPersistenceSync(input, { ...options, device: 'cpu' })), `${input.n} points dim ${options.maxDim}: barcodes differ`);
      }
    },
  });
  checks.push({
    name: 'topology loss: the CPU pairings; loss and gradients within the distances\' rounding',
    run: () => {
      const x = gaussianCloud(128, 112 * 112 * 3, 1), z = gaussianCloud(128, 512, 2);
      for (const variant of ['code', 'symmetric'] as const) {
        const g = structureAlignment(x, z, { variant, device: 'cuda', inputGradient: true });
        const c = structureAlignment(x, z, { variant, device: 'cpu', inputGradient: true });
        check(sameBits(g.inputEdges, c.inputEdges) && sameBits(g.latentEdges, c.latentEdges), `${variant}: pairings differ`);
        check(Math.abs(g.loss - c.loss) <= 1e-4 * c.loss, `${variant}: loss ${g.loss} vs ${c.loss}`);
        for (const [a, b, side] of [[g.gradLatent, c.gradLatent, 'latent'], [g.gradInput!, c.gradInput!, 'input']] as const) {
          const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
          const worst = worstRelative(a, b, scale);
          check(worst <= 1e-4, `${variant}: ${side} gradient off by ${worst} of its largest entry`);
        }
      }
    },
  });
  checks.push({
    name: 'topology loss: one prepared input space serves several latent batches',
    run: () => {
      const x = gaussianCloud(64, 300, 5);
      const space = prepareInputSpace(x);
      for (const seed of [6, 7]) {
        const z = gaussianCloud(64, 32, seed);
        const a = structureAlignment(x, z, { inputSpace: space }), b = structureAlignment(x, z, { device: 'cuda' });
        check(a.loss === b.loss && sameBits(a.gradLatent, b.gradLatent), `seed ${seed}: prepared and one-shot differ`);
      }
    },
  });
  return checks;
}

export interface GpuBenchRow {
  case: string;
  device: Device;
  median_ms: number;
  runs: number;
  /** DESIGN.md §6's target for the GPU row. */
  target_ms?: number;
  note?: string;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function o3(n: number): RipsInput {
  const file = path.join(root, 'bench/data', `o3_${n}.txt`);
  const input = parseRipserInput(readFileSync(file), 'point-cloud', file);
  if (input.kind !== 'points') throw new Error(`${file}: not a point cloud`);
  return input.cloud;
}

/**
 * Each case on the GPU (unless cpuOnly) and on the CPU, in this process, one after the other:
 * medians of `runs` after a warm-up (fewer for the slow CPU rows). quick: smaller sizes (the dry run).
 */
export async function gpuBenches(options: { cpuOnly?: boolean; quick?: boolean } = {}): Promise<GpuBenchRow[]> {
  const devices: Device[] = options.cpuOnly ? ['cpu'] : ['cuda', 'cpu'];
  const rows: GpuBenchRow[] = [];
  const time = async (name: string, target: number | undefined, note: string, runs: [number, number], f: (d: Device) => void) => {
    for (const device of devices) {
      const [warmup, count] = device === 'cuda' ? [2, runs[0]] : [1, runs[1]];
      const t = await measure(() => f(device), warmup, count);
      rows.push({ case: name, device, median_ms: t.median_ms, runs: t.runs, ...(device === 'cuda' && target ? { target_ms: target } : {}), note });
    }
  };
  const q = options.quick;
  const h0n = q ? 2048 : 16384;
  const h0Points = gaussianCloud(h0n, 512, 11);
  await time(`h0-${h0n}x512`, q ? undefined : 20, 'persistenceH0 from points: distances + pairing', [7, q ? 3 : 1], (device) =>
    void persistenceH0(h0Points, { device }));

  const x = gaussianCloud(128, 112 * 112 * 3, 12), z = gaussianCloud(128, 512, 13);
  await time('topo-loss-b128', undefined, "structureAlignment 'code', fwd + bwd, x uploaded and paired in the call", [15, 5], (device) =>
    void structureAlignment(x, z, { device }));
  if (!options.cpuOnly) {
    const space = prepareInputSpace(x);
    const t = await measure(() => void structureAlignment(x, z, { inputSpace: space }), 3, 31);
    rows.push({ case: 'topo-loss-b128', device: 'cuda', median_ms: t.median_ms, runs: t.runs, target_ms: 1,
      note: 'per step with the input space prepared once per batch (x already on the device)' });
  }

  const rips = o3(q ? 1024 : 4096);
  const [dim, threshold] = q ? [3, 1.8] : [3, 1.4];
  await time(`rips-o3_${q ? 1024 : 4096}-dim${dim}-thr${threshold}`, q ? undefined : 1500, 'ripsPersistence, barcodes compared by the checks',
    [3, 1], (device) => void ripsPersistenceSync(rips, { maxDim: dim, threshold, device }));

  const dist = gaussianCloud(q ? 2048 : 16384, 512, 14);
  await time(`dist-${dist.n}x512`, undefined, 'pairwiseDistances including the n×n download (kernel rates: cuda_bench)', [5, 1], (device) =>
    void pairwiseDistances(dist, { device }));
  return rows;
}
