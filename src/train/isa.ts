// ISA, Invariant Structure Alignment (TOPOFR.md §1.2, §1.4): the topological structure discrepancy
// between an input batch X and a latent batch Z, with its exact sparse gradient. Pure numbers over
// typed arrays (no tfjs): src/tf/topological-loss.ts wraps it as a tf.customGrad op, the trainer
// and the evaluation use it directly to log the discrepancy.
//
// Both point clouds go through the native engine: Euclidean distance matrices (GEMM, float32, as
// the official code's torch.norm), then the H0 pairing (MST edges in Kruskal order with the
// official tie rule), and for dims [0, 1] the Rips engine's H1 critical edges. Distances are then
// divided by the scales (input: sqrt(4·C·H·W) by default, the largest distance between two images
// in [−1, 1]; latent: 1, as the official code's never-trained `latent_norm`).
//
// Variants:
// * 'code' (the official training step): L = Σ_k (dX_(k) − dZ_(k))² / n, the k-th shortest input-MST
//   edge against the k-th shortest latent-MST edge; no ½. dims [0] only (a sorted comparison of H1
//   diagrams of different sizes is not defined by the code).
// * 'symmetric' (paper Eq. 2): ½ Σ_{e∈γX} (MX[e] − MZ[e])² + ½ Σ_{e∈γZ} (MZ[e] − MX[e])²; with dims
//   [0, 1] the critical edges of the H1 intervals (birth edges, and death edges of finite
//   intervals) of each space join that space's pairing set.
//
// Gradients flow through the chosen edges only: ∂d_ij/∂z_i = (z_i − z_j)/(‖z_i − z_j‖·scale), zero
// for a zero distance (PyTorch's norm backward). The input gradient is computed only on request
// (the official input is data).
//
// device 'cuda' (dims [0], batches up to 1024): the GPU computes both pairings, the loss and the
// gradients (native/cuda/topology_loss.cu) with this file's arithmetic, operation for operation, and
// returns them in one transfer; the input space can be prepared once per batch (prepareInputSpace).
import { TopofrError, TopofrRangeError } from '../errors.js';
import { native, type NativeInputSpace } from '../native.js';
import { pairwiseDistances } from '../ops/distances.js';
import { persistenceH0 } from '../ops/h0.js';
import { ripsPersistenceSync } from '../ops/rips.js';
import { assertPointCloud, resolveDevice } from '../ops/validate.js';
import type { Device, PointCloud } from '../types.js';
import { describeValue, optionsArg } from '../util/check.js';

export type AlignmentVariant = 'code' | 'symmetric';

export interface AlignmentOptions {
  variant?: AlignmentVariant;
  /** Input distances are divided by this; default sqrt(4·dim) (images in [−1, 1]). */
  inputScale?: number;
  /** Latent distances are divided by this; default 1. */
  latentScale?: number;
  /** Homology dimensions whose critical edges are aligned: [0] (default, TopoFR) or [0, 1]. */
  dims?: readonly number[];
  /** Also return ∂L/∂x (default false: the input batch is data). */
  inputGradient?: boolean;
  /** 'cpu' (default), 'cuda' (dims [0], n ≤ 1024) or 'auto' (the GPU where it applies). */
  device?: Device;
  /** The input batch's space already on the GPU (prepareInputSpace(x)): x is not uploaded again. */
  inputSpace?: PreparedInputSpace;
}

/** A batch's input space on the GPU: its distances and H0 pairing, computed once per batch. */
export interface PreparedInputSpace {
  readonly points: PointCloud;
  readonly handle: NativeInputSpace;
}

/** The batch size the GPU loss takes (one block per pairing: native/cuda/kernels/h0.cuh). */
const MAX_GPU_BATCH = 1024;

export interface AlignmentResult {
  loss: number;
  /** ∂L/∂z, n × latent dim. */
  gradLatent: Float32Array;
  /** ∂L/∂x, n × input dim, when requested. */
  gradInput?: Float32Array;
  /** The input-space H0 pairing (MST edges, (n−1)×2) and the latent one. */
  inputEdges: Int32Array;
  latentEdges: Int32Array;
}

/** The default input scale: the largest distance between two points of [−1, 1]^dim. */
export const defaultInputScale = (dim: number): number => Math.sqrt(4 * dim);

function positive(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `structureAlignment: ${name} must be a finite number > 0, got ${describeValue(v)}`);
  return v;
}

function resolve(x: PointCloud, z: PointCloud, given: unknown) {
  const options = optionsArg<AlignmentOptions>(given, 'structureAlignment');
  assertPointCloud(x, 'structureAlignment (input batch)');
  assertPointCloud(z, 'structureAlignment (latent batch)');
  const variant = options.variant ?? 'code';
  if (variant !== 'code' && variant !== 'symmetric')
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `structureAlignment: variant must be 'code' or 'symmetric', got ${describeValue(variant)}`);
  const dims: unknown = options.dims ?? [0];
  const is = (...want: number[]) => Array.isArray(dims) && dims.length === want.length && want.every((d, k) => dims[k] === d);
  const withH1 = is(0, 1);
  if (!(withH1 || is(0)))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `structureAlignment: dims must be [0] or [0, 1], got ${Array.isArray(dims) ? `[${dims.map(describeValue).join(', ')}]` : describeValue(dims)}`);
  if (withH1 && variant === 'code')
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', "structureAlignment: dims [0, 1] needs variant 'symmetric' (the code's sorted comparison is defined for H0 only)");
  if (x.n !== z.n)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `structureAlignment: the input batch has ${x.n} samples but the latent batch has ${z.n}`);
  return {
    variant,
    withH1,
    inputScale: positive(options.inputScale, defaultInputScale(x.dim), 'inputScale'),
    latentScale: positive(options.latentScale, 1, 'latentScale'),
    gpu: onGpu(x, withH1, options),
  };
}

/** Whether the GPU computes this alignment: 'cuda' insists (and says why it cannot), 'auto' asks. */
function onGpu(x: PointCloud, withH1: boolean, options: AlignmentOptions): boolean {
  const fn = 'structureAlignment';
  const explicit = options.device === 'cuda';
  if (options.inputSpace && options.inputSpace.points.data !== x.data)
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: inputSpace was prepared for another input batch`);
  if (resolveDevice(options.device ?? (options.inputSpace ? 'cuda' : 'cpu'), fn) === 'cpu') return false;
  if (withH1) {
    if (explicit) throw new TopofrError('ERR_TOPOFR_UNSUPPORTED', `${fn}: the GPU aligns dims [0] only; use device 'cpu' or 'auto' for [0, 1]`);
    return false;
  }
  if (x.n > MAX_GPU_BATCH) {
    if (explicit) throw new TopofrRangeError('ERR_TOPOFR_TOO_LARGE', `${fn}: the GPU takes batches of at most ${MAX_GPU_BATCH}, got ${x.n}; use device 'cpu' or 'auto'`);
    return false;
  }
  return true;
}

/**
 * Uploads an input batch and computes its distances and H0 pairing on the GPU, once; pass the
 * result as `inputSpace` to align latent batches with it (each then costs one round trip).
 */
export function prepareInputSpace(x: PointCloud): PreparedInputSpace {
  const points = assertPointCloud(x, 'prepareInputSpace');
  resolveDevice('cuda', 'prepareInputSpace');
  if (points.n > MAX_GPU_BATCH)
    throw new TopofrRangeError('ERR_TOPOFR_TOO_LARGE', `prepareInputSpace: the GPU takes batches of at most ${MAX_GPU_BATCH}, got ${points.n}`);
  return { points, handle: native().topologyInputSpace(points.data, points.n, points.dim) };
}

/** A point cloud's scaled distance matrix, its H0 edges, and (with H1) its H1 critical edges. */
function space(points: PointCloud, scale: number, withH1: boolean) {
  const matrix = points.n > 0 ? pairwiseDistances(points).data : new Float32Array(0);
  const { n } = points;
  const d = (i: number, j: number): number => matrix[i * n + j]! / scale;
  const h0 = n > 0 ? persistenceH0({ data: matrix, n }).edges : new Int32Array(0);
  let critical = h0;
  if (withH1 && n > 0) {
    const h1 = ripsPersistenceSync({ data: matrix, n }, { maxDim: 1 }).find((b) => b.dim === 1);
    const extra: number[] = [];
    if (h1) {
      for (let k = 0; k < h1.births.length; k++) {
        extra.push(h1.birthEdges[2 * k]!, h1.birthEdges[2 * k + 1]!);
        if (h1.deathEdges[2 * k]! >= 0) extra.push(h1.deathEdges[2 * k]!, h1.deathEdges[2 * k + 1]!);
      }
    }
    critical = Int32Array.from([...h0, ...extra]);
  }
  return { d, h0, critical };
}

/** Adds c·∂d_ij/∂p to grad for the distance d_ij = ‖p_i − p_j‖/scale (0 when p_i = p_j). */
function addEdgeGradient(grad: Float32Array, p: PointCloud, i: number, j: number, scale: number, c: number): void {
  const { data, dim } = p;
  let s = 0;
  for (let k = 0; k < dim; k++) s += (data[i * dim + k]! - data[j * dim + k]!) ** 2;
  if (s === 0) return;
  const f = c / (Math.sqrt(s) * scale);
  for (let k = 0; k < dim; k++) {
    const diff = f * (data[i * dim + k]! - data[j * dim + k]!);
    grad[i * dim + k]! += diff;
    grad[j * dim + k]! -= diff;
  }
}

/** The alignment loss between input batch x and latent batch z, and its gradient(s). */
export function structureAlignment(x: PointCloud, z: PointCloud, options: AlignmentOptions = {}): AlignmentResult {
  const o = resolve(x, z, options);
  if (o.gpu) {
    const space = options.inputSpace ?? prepareInputSpace(x);
    const r = native().topologyAlign(space.handle, z.data, z.n, z.dim, o.variant === 'symmetric', o.inputScale, o.latentScale, !!options.inputGradient);
    return { loss: r.loss, gradLatent: r.gradLatent, gradInput: r.gradInput, inputEdges: r.inputEdges, latentEdges: r.latentEdges };
  }
  const X = space(x, o.inputScale, o.withH1), Z = space(z, o.latentScale, o.withH1);
  const gradLatent = new Float32Array(z.n * z.dim);
  const gradInput = options.inputGradient === true ? new Float32Array(x.n * x.dim) : undefined;
  let loss = 0;
  // Each aligned pair of distances (a from X, b from Z) adds w·(a − b)² to the loss; its gradient
  // is 2w(a − b) on X's edge and −2w(a − b) on Z's edge.
  const align = (w: number, xi: number, xj: number, zi: number, zj: number) => {
    const diff = X.d(xi, xj) - Z.d(zi, zj);
    loss += w * diff * diff;
    addEdgeGradient(gradLatent, z, zi, zj, o.latentScale, -2 * w * diff);
    if (gradInput) addEdgeGradient(gradInput, x, xi, xj, o.inputScale, 2 * w * diff);
  };
  if (o.variant === 'code') {
    // Kruskal order is ascending death order, so the k-th edges of both pairings are matched.
    for (let k = 0; k < X.h0.length / 2; k++) align(1 / x.n, X.h0[2 * k]!, X.h0[2 * k + 1]!, Z.h0[2 * k]!, Z.h0[2 * k + 1]!);
  } else {
    for (const edges of [X.critical, Z.critical])
      for (let k = 0; k < edges.length / 2; k++) align(0.5, edges[2 * k]!, edges[2 * k + 1]!, edges[2 * k]!, edges[2 * k + 1]!);
  }
  return { loss, gradLatent, gradInput, inputEdges: X.h0, latentEdges: Z.h0 };
}
