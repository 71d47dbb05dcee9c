// The case registry. Full cases follow DESIGN.md §6 (n = 4096, d = 512, and the Rips rows); the
// quick ones are the same families at smaller sizes for CI smoke runs.
import { TopofrRangeError } from '../errors.js';
import { sgemmFamily } from './cases/sgemm.js';
import { distancesFamily } from './cases/distances.js';
import { h0Family } from './cases/h0.js';
import { ripsFamily } from './cases/rips.js';
import { trainFamily, trainSpec } from './cases/train.js';
import { topofrFamily } from './cases/topofr.js';
import { loaderFamily } from './cases/loader.js';
import { mpiFamily } from './cases/mpi.js';
import type { CaseFamily, CaseSpec, Family } from './types.js';

const FAMILIES: Record<Family, CaseFamily> = {
  sgemm: sgemmFamily, dist: distancesFamily, h0: h0Family, rips: ripsFamily, train: trainFamily, topofr: topofrFamily, loader: loaderFamily,
  mpi: mpiFamily,
};

function sizes(n: number, dim: number, quick: boolean): CaseSpec[] {
  const sgemm = `sgemm-${n}x${n}x${dim}`;
  return [
    { name: sgemm, family: 'sgemm', n, dim, quick },
    { name: `dist-${n}x${dim}`, family: 'dist', n, dim, quick, reference: sgemm },
    { name: `h0-${n}x${dim}`, family: 'h0', n, dim, quick },
  ];
}

const sphere = { file: 'sphere_3_192.lower_distance_matrix', format: 'lower-distance' } as const;
const o3 = (n: number) => ({ file: `o3_${n}.txt`, format: 'point-cloud' } as const);

/** DESIGN.md §6's Rips rows (Ripser's examples, and H1 of 1024 face-like embeddings: 128
 *  identities × 8 samples, unit 512-d vectors), and a small one for --quick. */
const RIPS: CaseSpec[] = [
  { name: 'rips-sphere_3_192-dim2', family: 'rips', n: 192, dim: 0, quick: false, rips: { source: sphere, maxDim: 2 } },
  { name: 'rips-o3_1024-dim3-thr1.8', family: 'rips', n: 1024, dim: 9, quick: false, rips: { source: o3(1024), maxDim: 3, threshold: 1.8 } },
  { name: 'rips-o3_4096-dim3-thr1.4', family: 'rips', n: 4096, dim: 9, quick: false, maxRuns: 3, rips: { source: o3(4096), maxDim: 3, threshold: 1.4 } },
  {
    name: 'rips-h1-clustered-1024x512',
    family: 'rips',
    n: 1024,
    dim: 512,
    quick: false,
    rips: { source: { identities: 128, perIdentity: 8, noise: 0.35 }, maxDim: 1 },
  },
  { name: 'rips-sphere_3_192-dim1', family: 'rips', n: 192, dim: 0, quick: true, rips: { source: sphere, maxDim: 1 } },
];

/** One SGD step of IResNet-18 + a 1000-way softmax head (DESIGN.md's training anchor is 112×112,
 *  batch 32), and a small one, also timed on tfjs's own JS kernels so the speed-up shows; --quick
 *  runs the small one on the native kernels only. */
const TRAIN: CaseSpec[] = [
  trainSpec('train-step-r18-56-b8-w0.25', { depth: 18, inputSize: 56, batch: 8, widthMultiplier: 0.25, classes: 1000, embeddingSize: 512 }, { quick: 'both', maxRuns: 5, jsAnchor: true }),
  trainSpec('train-step-r18-112-b32', { depth: 18, inputSize: 112, batch: 32, widthMultiplier: 1, classes: 1000, embeddingSize: 512 }, { quick: false, maxRuns: 3, maxWarmup: 1 }),
];

/** TopoFR's own costs: the topology loss and the GUM at batch 128, and the TopoFR step against
 *  the ArcFace step of the same backbone (the ratio DESIGN.md §6 asks for). */
const TOPOFR: CaseSpec[] = [
  { name: 'topo-loss-b128', family: 'topofr', n: 128, dim: 112 * 112 * 3, quick: false, topofr: { kind: 'loss' } },
  { name: 'gum-b128', family: 'topofr', n: 128, dim: 1, quick: 'both', topofr: { kind: 'gum' } },
  { name: 'step-arcface-r18w0.25-64-b64', family: 'topofr', n: 1, dim: 1, quick: false, maxRuns: 9, topofr: { kind: 'step', method: 'arcface' } },
  { name: 'step-topofr-r18w0.25-64-b64', family: 'topofr', n: 1, dim: 1, quick: false, maxRuns: 9, reference: 'step-arcface-r18w0.25-64-b64',
    topofr: { kind: 'step', method: 'topofr' } },
];

/** The real-data loader: decode throughput, and the r18 step fed from a .rec against from memory. */
const LOADER: CaseSpec[] = [
  { name: 'loader-decode-112-q95-sharp', family: 'loader', n: 1, dim: 1, quick: false, maxRuns: 9, loader: { kind: 'decode', images: 512, batch: 128, jpeg: 'sharp' } },
  { name: 'loader-decode-112-q95', family: 'loader', n: 1, dim: 1, quick: false, maxRuns: 9, reference: 'loader-decode-112-q95-sharp',
    loader: { kind: 'decode', images: 512, batch: 128 } },
  { name: 'train-step-r18-112-b32-memory', family: 'loader', n: 1, dim: 1, quick: false, maxRuns: 3, maxWarmup: 1, loader: { kind: 'step', from: 'memory' } },
  { name: 'train-step-r18-112-b32-rec', family: 'loader', n: 1, dim: 1, quick: false, maxRuns: 3, maxWarmup: 1, reference: 'train-step-r18-112-b32-memory',
    loader: { kind: 'step', from: 'rec' } },
];

/** Distributed (docs/distributed.md): run only when named (`--cases`); they need mpirun. */
const MPI: CaseSpec[] = [
  { name: 'allreduce-r18-2ranks', family: 'mpi', n: 1, dim: 1, quick: false, ranks: 2, mpi: { kind: 'allreduce', depth: 18 } },
  { name: 'allreduce-r50-2ranks', family: 'mpi', n: 1, dim: 1, quick: false, ranks: 2, mpi: { kind: 'allreduce', depth: 50 } },
  { name: 'step-distributed-r18w0.25-64-b64-2ranks', family: 'mpi', n: 1, dim: 1, quick: false, ranks: 2, maxRuns: 5, mpi: { kind: 'step' } },
  { name: 'h0-distributed-50000x512-2ranks', family: 'mpi', n: 50_000, dim: 512, quick: false, ranks: 2, maxRuns: 1, maxWarmup: 0, mpi: { kind: 'h0' } },
];

export const CASES: readonly CaseSpec[] = [
  ...sizes(4096, 512, false),
  ...RIPS.filter((c) => !c.quick),
  ...sizes(1024, 512, true),
  ...RIPS.filter((c) => c.quick),
  ...TRAIN,
  ...TOPOFR,
  ...LOADER,
  ...MPI,
];

export function findCase(name: string): CaseSpec {
  const spec = CASES.find((c) => c.name === name);
  if (!spec) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `unknown bench case '${name}' (known: ${CASES.map((c) => c.name).join(', ')})`);
  return spec;
}

export const familyOf = (spec: CaseSpec): CaseFamily => FAMILIES[spec.family];

/** The cases to run, in registry order, with each selected case's reference pulled in: a ratio
 *  to the sgemm ceiling only means something when both are measured on this machine, now. */
export function selectCases(names: readonly string[] | undefined, quick: boolean): CaseSpec[] {
  // Distributed cases (they need mpirun) run only when named.
  const defaults = CASES.filter((c) => (c.quick === quick || c.quick === 'both') && !c.ranks);
  const wanted = new Set((names ?? defaults.map((c) => c.name)).map((n) => findCase(n).name));
  for (const name of [...wanted]) {
    const ref = findCase(name).reference;
    if (ref) wanted.add(ref);
  }
  return CASES.filter((c) => wanted.has(c.name));
}
