// What `topofr demo` runs (src/cli/demo.ts registers the command and imports this when it runs): a
// seeded synthetic batch of face-like embeddings, its pairwise distances and its H0 barcode, and a
// short report of how the barcode separates the identities.
import { capabilities } from '../capabilities.js';
import { syntheticFaceBatch, type FaceBatchOptions } from '../data/face-embeddings.js';
import { pairwiseDistances } from '../ops/distances.js';
import { persistenceH0 } from '../ops/h0.js';
import type { Capabilities, Device, H0Result } from '../types.js';

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

