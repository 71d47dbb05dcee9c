// `topofr demo`: the main job end to end until training lands. A seeded synthetic batch of
// face-like embeddings (unit identity centres plus noise, renormalised, as a face model's
// embeddings look late in training), its pairwise distances and its H0 barcode, and a short
// report of how the barcode separates the identities.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { capabilities, pairwiseDistances, persistenceH0 } from '../index.js';
import type { Capabilities, Device, H0Result, PointCloud } from '../types.js';
import { gaussian, mulberry32 } from '../util/random.js';

export interface FaceBatchOptions {
  identities: number;
  perIdentity: number;
  dim: number;
  seed: number;
  /** Norm of the noise added to an identity centre before renormalising. */
  noise?: number;
}

export interface FaceBatch {
  points: PointCloud;
  /** The identity of each sample (samples of one identity are consecutive). */
  identity: Int32Array;
}

/** Points on the unit sphere: per identity a random centre, per sample centre + noise of norm
 *  ≈ `noise`, renormalised. */
export function syntheticFaceBatch(options: FaceBatchOptions): FaceBatch {
  const { identities, perIdentity, dim, seed, noise = 0.35 } = options;
  const normal = gaussian(mulberry32(seed));
  const n = identities * perIdentity;
  const data = new Float32Array(n * dim);
  const identity = new Int32Array(n);
  const centre = new Float64Array(dim);
  const sample = new Float64Array(dim);
  const noiseScale = noise / Math.sqrt(dim); // a dim-d Gaussian with this σ has norm ≈ noise

  for (let id = 0; id < identities; id++) {
    for (let k = 0; k < dim; k++) centre[k] = normal();
    scaleToUnit(centre);
    for (let s = 0; s < perIdentity; s++) {
      const row = id * perIdentity + s;
      identity[row] = id;
      for (let k = 0; k < dim; k++) sample[k] = centre[k] + noiseScale * normal();
      scaleToUnit(sample);
      data.set(sample, row * dim);
    }
  }
  return { points: { data, n, dim }, identity };
}

function scaleToUnit(v: Float64Array): void {
  let sumSquares = 0;
  for (const x of v) sumSquares += x * x;
  const inverse = 1 / Math.sqrt(sumSquares);
  for (let k = 0; k < v.length; k++) v[k] *= inverse;
}

export interface IdentitySeparation {
  withinEdges: number;
  betweenEdges: number;
  /** Largest death of an MST edge inside one identity (−Infinity if none). */
  maxWithinDeath: number;
  /** Smallest death of an MST edge joining two identities (Infinity if none). */
  minBetweenDeath: number;
  /** Between-identity edges that die before the last within-identity one. */
  betweenBeforeLastWithin: number;
}

/** How the MST (= the H0 pairing) splits into edges inside an identity and edges joining two. */
export function identitySeparation(h0: H0Result, identity: Int32Array): IdentitySeparation {
  const result: IdentitySeparation = {
    withinEdges: 0,
    betweenEdges: 0,
    maxWithinDeath: -Infinity,
    minBetweenDeath: Infinity,
    betweenBeforeLastWithin: 0,
  };
  for (let k = 0; k < h0.deaths.length; k++) {
    const death = h0.deaths[k];
    if (identity[h0.edges[2 * k]] === identity[h0.edges[2 * k + 1]]) {
      result.withinEdges++;
      result.maxWithinDeath = Math.max(result.maxWithinDeath, death);
    } else {
      result.betweenEdges++;
      result.minBetweenDeath = Math.min(result.minBetweenDeath, death);
    }
  }
  for (let k = 0; k < h0.deaths.length; k++) {
    const between = identity[h0.edges[2 * k]] !== identity[h0.edges[2 * k + 1]];
    if (between && h0.deaths[k] < result.maxWithinDeath) result.betweenBeforeLastWithin++;
  }
  return result;
}

/** The q-quantile of ascending values (nearest rank). */
function quantile(ascending: Float32Array, q: number): number {
  return ascending[Math.round(q * (ascending.length - 1))];
}

function describeCapabilities(caps: Capabilities): string {
  const { cuda } = caps;
  const gpu = !cuda.compiled
    ? 'not compiled in'
    : cuda.deviceCount > 0
      ? `${cuda.deviceCount} device(s)${cuda.name ? ` (${cuda.name})` : ''}`
      : `no device${cuda.error ? ` (${cuda.error})` : ''}`;
  return `${caps.threads} threads, GEMM ${caps.blas}, CUDA ${gpu}`;
}

function timed<T>(work: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = work();
  return { value, ms: performance.now() - start };
}

const ms = (value: number): string => `${value.toFixed(1).padStart(9)} ms`;
const f4 = (value: number): string => value.toFixed(4);

export interface DemoOptions extends FaceBatchOptions {
  device: Device;
}

/** Runs the demo and returns its report, one line per entry. */
export function runDemo(options: DemoOptions): string[] {
  const { identities, perIdentity, dim, seed, device } = options;
  const caps = capabilities(); // also loads the addon, so its start-up is not in the timings
  const batch = timed(() => syntheticFaceBatch(options));
  const { points, identity } = batch.value;
  const distances = timed(() => pairwiseDistances(points, { device }));
  const h0 = timed(() => persistenceH0(points, { device }));
  const deaths = h0.value.deaths;
  const split = identitySeparation(h0.value, identity);
  const n = points.n;

  const lines = [
    `topofr demo: ${identities} identities × ${perIdentity} samples = ${n} embeddings in ${dim}-d (seed ${seed})`,
    `machine: ${describeCapabilities(caps)}; device ${device}`,
    `  generate embeddings             ${ms(batch.ms)}`,
    `  pairwise distances (${n}×${n})`.padEnd(34) + ms(distances.ms),
    `  H0 from points (MST pairing)    ${ms(h0.ms)}`,
    `MST edges: ${deaths.length} = ${split.withinEdges} within an identity + ${split.betweenEdges} between identities ` +
      `(separated identities give ${identities * (perIdentity - 1)} + ${identities - 1})`,
  ];
  if (deaths.length > 0) {
    const q = (p: number) => f4(quantile(deaths, p));
    lines.push(`H0 deaths: min ${q(0)}  q10 ${q(0.1)}  median ${q(0.5)}  q90 ${q(0.9)}  max ${q(1)}`);
  }
  if (split.withinEdges > 0 && split.betweenEdges > 0) {
    const gap = split.minBetweenDeath - split.maxWithinDeath;
    lines.push(
      `max within-identity death ${f4(split.maxWithinDeath)}, min between-identity death ${f4(split.minBetweenDeath)}: ` +
        (gap > 0
          ? `H0 separates the identities (cutting the barcode anywhere in that gap of ${f4(gap)} recovers all ${identities})`
          : `overlap: ${split.betweenBeforeLastWithin} between-identity merges come before the last within-identity one`),
    );
  }
  return lines;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function seed(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a non-negative integer');
  return Number(value) >>> 0;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('synthetic face-like embeddings → distances → H0 barcode, with timings and identity separation')
    .option('--identities <n>', 'number of identities', positiveInt, 512)
    .option('--per-identity <k>', 'samples per identity', positiveInt, 8)
    .option('--dim <d>', 'embedding dimension', positiveInt, 512)
    .option('--seed <s>', 'random seed', seed, 1)
    .addOption(new Option('--device <device>', 'where to compute').choices(['cpu', 'cuda', 'auto']).default('auto'))
    .action((flags: DemoOptions, command: Command) => {
      if (flags.identities * flags.perIdentity < 2) command.error('error: the demo needs at least 2 embeddings', { exitCode: 2 });
      process.stdout.write(`${runDemo(flags).join('\n')}\n`);
    });
}
