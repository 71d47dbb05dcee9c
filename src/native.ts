// Loads the native addon once: a local build (build/Release) or the shipped prebuild
// (prebuilds/<platform>-<arch>/), found by node-gyp-build. TOPOFR_ADDON=/path/to/topofr.node
// loads a specific binary instead (CI uses it to test the builtin-GEMM node-gyp build).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TopofrError } from './errors.js';
import type { NativeRipsInput } from './ops/rips.js';
import type { Barcode } from './types.js';

export interface NativeAddon {
  pairwiseDistances(points: Float32Array, n: number, dim: number, metric: string, device: string, threads: number, async: false): Float32Array;
  pairwiseDistances(points: Float32Array, n: number, dim: number, metric: string, device: string, threads: number, async: true): Promise<Float32Array>;
  /** Ripser's own Euclidean distances (float32 sums in coordinate order), Ripser's lower-triangle layout. */
  ripserEuclideanLower(points: Float32Array, n: number, dim: number): Float32Array;
  /** device 'cuda': the GPU pairing (native/cuda/h0.cu), the same edges and deaths. */
  persistenceH0Points(points: Float32Array, n: number, dim: number, metric: string, threads: number, async: false, device: NativeDevice): RawH0;
  persistenceH0Points(points: Float32Array, n: number, dim: number, metric: string, threads: number, async: true, device: NativeDevice): Promise<RawH0>;
  persistenceH0Matrix(matrix: Float32Array, n: number, threads: number, async: false, device: NativeDevice): RawH0;
  persistenceH0Matrix(matrix: Float32Array, n: number, threads: number, async: true, device: NativeDevice): Promise<RawH0>;
  /** device 'cuda': dense input assembles the columns of dimensions ≥ 2 on the GPU (the same barcodes). */
  ripsPersistence(input: NativeRipsInput, maxDim: number, threshold: number, modulus: number, threads: number, async: false, metric: string, device: NativeDevice): Barcode[];
  ripsPersistence(input: NativeRipsInput, maxDim: number, threshold: number, modulus: number, threads: number, async: true, metric: string, device: NativeDevice): Promise<Barcode[]>;
  /** The GPU topology loss (native/cuda/topology_loss.cu): a batch's input space, prepared once and kept on the device. */
  topologyInputSpace(x: Float32Array, n: number, dim: number): NativeInputSpace;
  /** The loss against one latent batch, its gradient(s) and both pairings, after one synchronisation. */
  topologyAlign(space: NativeInputSpace, z: Float32Array, n: number, dim: number, symmetric: boolean, inputScale: number,
    latentScale: number, inputGradient: boolean): RawAlignment;
  sgemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number,
    b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number): void;
  /** NHWC conv2d forward (native/addon/conv_binding.cc): writes y. Geometry: batch, inH, inW, inC, outH, outW, outC,
   * kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft. */
  conv2dForward(x: Float32Array, filter: Float32Array, y: Float32Array, ...geometry: number[]): void;
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, ...geometry: number[]): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dfilter: Float32Array, ...geometry: number[]): void;
  /** c[i] = op(a[i])·op(b[i]), c dense [batch, m, n]; a broadcast side holds one matrix. */
  batchMatMul(a: Float32Array, b: Float32Array, c: Float32Array, batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, broadcastA: boolean, broadcastB: boolean): void;
  /** Training-mode batch norm over rows × channels (channel last): writes y, mean, variance (biased). */
  batchNormTrainingForward(x: Float32Array, gamma: Float32Array | null, beta: Float32Array | null, epsilon: number,
    y: Float32Array, mean: Float32Array, variance: Float32Array, rows: number, channels: number): void;
  /** Its gradient through the batch statistics: writes dx, dgamma, dbeta. */
  batchNormTrainingBackward(x: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array | null,
    epsilon: number, dy: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, rows: number, channels: number): void;
  preluForward(x: Float32Array, alpha: Float32Array, y: Float32Array, rows: number, channels: number): void;
  preluBackward(x: Float32Array, alpha: Float32Array, dy: Float32Array, dx: Float32Array, dalpha: Float32Array,
    rows: number, channels: number): void;
  /** dst[dstOffset + i] = src[srcOffset + i] for every i < box (row-major, same rank). */
  copyBox(src: Float32Array, srcShape: number[], srcOffset: number[], dst: Float32Array, dstShape: number[],
    dstOffset: number[], box: number[]): void;
  fill(dst: Float32Array, value: number): void;
  /** dst = tf.transpose(src, perm) for a row-major src of the given shape. */
  permute(src: Float32Array, shape: number[], perm: number[], dst: Float32Array): void;
  /** out = a op b over rows × cols; each operand 'full', 'row' (cols values per row) or 'scalar'. */
  binaryOp(op: 'add' | 'sub' | 'mul' | 'div', a: Float32Array, aKind: OperandKind, b: Float32Array, bKind: OperandKind,
    out: Float32Array, rows: number, cols: number): void;
  /** glibc: keep freed memory for reuse instead of fresh mmaps (true) or restore the defaults (false). */
  retainFreedMemory(on: boolean): boolean;
  capabilities(): { cuda: { compiled: boolean; deviceCount: number; name?: string; error?: string }; threads: number; blas: string };
  /** NHWC depthwise conv2d forward (native/addon/depthwise_binding.cc): writes y. Geometry: batch, inH, inW, inC, outH,
   * outW, channelMultiplier, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft; filter [kH, kW, inC, mult]. */
  depthwiseConv2dForward(x: Float32Array, filter: Float32Array, y: Float32Array, ...geometry: number[]): void;
  depthwiseConv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, ...geometry: number[]): void;
  depthwiseConv2dBackpropFilter(x: Float32Array, dy: Float32Array, dfilter: Float32Array, ...geometry: number[]): void;
}

export type OperandKind = 'full' | 'row' | 'scalar';

/** A device the addon computes on ('auto' is resolved in TypeScript, src/ops/validate.ts). */
export type NativeDevice = 'cpu' | 'cuda';

/** An input space on the GPU (opaque; its device memory is freed when it is collected). */
export type NativeInputSpace = { readonly __brand: 'NativeInputSpace' };

export interface RawAlignment {
  loss: number;
  gradLatent: Float32Array;
  gradInput?: Float32Array;
  inputEdges: Int32Array;
  latentEdges: Int32Array;
}

export interface RawH0 {
  edges: Int32Array;
  deaths: Float32Array;
}

const require = createRequire(import.meta.url);
// src/native.ts and dist/native.js both sit one level below the package root.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let addon: NativeAddon | undefined;

/** The addon, loaded on first use; throws a TopofrError that says how to get one when it is missing. */
export function native(): NativeAddon {
  if (addon) return addon;
  const explicit = process.env.TOPOFR_ADDON;
  try {
    addon = (explicit ? require(path.resolve(explicit)) : require('node-gyp-build')(root)) as NativeAddon;
  } catch (cause) {
    throw new TopofrError(
      'ERR_TOPOFR_NO_NATIVE',
      `topofr's native addon could not be loaded (${(cause as Error).message.split('\n')[0]}). ` +
        'Build it with `npm run build:native` (CMake) or `npx node-gyp rebuild` (CPU only) in the package folder.',
    );
  }
  return addon;
}
