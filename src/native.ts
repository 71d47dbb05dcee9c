// Loads the native addon once: a local build (build/Release) or the shipped prebuild
// (prebuilds/<platform>-<arch>/), found by node-gyp-build. TOPOFR_ADDON=/path/to/topofr.node
// loads a specific binary instead (CI uses it to test the builtin-GEMM node-gyp build).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TopofrError, TopofrRangeError, TopofrTypeError } from './errors.js';
import type { NativeRipsInput } from './ops/rips.js';
import type { Barcode } from './types.js';
import type { JpegOutcome } from './data/jpeg-turbo.js';

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
  /** BN (training) then PReLU: writes y and stats [4, channels] (mean, variance, scale, shift). */
  batchNormPreluForward(x: Float32Array, gamma: Float32Array | null, beta: Float32Array | null, alpha: Float32Array,
    epsilon: number, y: Float32Array, stats: Float32Array, rows: number, channels: number): void;
  /** Its gradient: writes dx, dgamma, dbeta, dalpha. */
  batchNormPreluBackward(x: Float32Array, stats: Float32Array, gamma: Float32Array | null, alpha: Float32Array, epsilon: number,
    dy: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, dalpha: Float32Array, rows: number, channels: number): void;
  preluForward(x: Float32Array, alpha: Float32Array, y: Float32Array, rows: number, channels: number): void;
  preluBackward(x: Float32Array, alpha: Float32Array, dy: Float32Array, dx: Float32Array, dalpha: Float32Array,
    rows: number, channels: number): void;
  /** dst[dstOffset + i] = src[srcOffset + i] for every i < box (row-major, same rank). */
  copyBox(src: Float32Array, srcShape: number[], srcOffset: number[], dst: Float32Array, dstShape: number[],
    dstOffset: number[], box: number[]): void;
  fill(dst: Float32Array, value: number): void;
  /** dst = tf.transpose(src, perm) for a row-major src of the given shape. */
  permute(src: Float32Array, shape: number[], perm: number[], dst: Float32Array): void;
  /** out = a op b over rows × cols; each operand 'full', 'row' (cols values per row), 'column' (one value per row) or 'scalar'. */
  binaryOp(op: 'add' | 'sub' | 'mul' | 'div', a: Float32Array, aKind: OperandKind, b: Float32Array, bKind: OperandKind,
    out: Float32Array, rows: number, cols: number): void;
  /** glibc: keep freed memory for reuse instead of fresh mmaps (true) or restore the defaults (false). */
  retainFreedMemory(on: boolean): boolean;
  /** The classes native errors are made of in this environment (native/addon/errors.h). */
  setErrorClasses(generic: typeof TopofrError, type: typeof TopofrTypeError, range: typeof TopofrRangeError): void;
  capabilities(): { cuda: { compiled: boolean; deviceCount: number; name?: string; error?: string }; threads: number; blas: string };
  /** NHWC depthwise conv2d forward (native/addon/depthwise_binding.cc): writes y. Geometry: batch, inH, inW, inC, outH,
   * outW, channelMultiplier, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft; filter [kH, kW, inC, mult]. */
  depthwiseConv2dForward(x: Float32Array, filter: Float32Array, y: Float32Array, ...geometry: number[]): void;
  depthwiseConv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, ...geometry: number[]): void;
  depthwiseConv2dBackpropFilter(x: Float32Array, dy: Float32Array, dfilter: Float32Array, ...geometry: number[]): void;
  /** libturbojpeg.so.0, opened at run time on the first call (native/addon/jpeg_binding.cc; src/data/jpeg-turbo.ts). */
  jpegLibrary(): { loaded: boolean; detail: string };
  jpegDecode(bytes: Uint8Array): JpegOutcome;
  /** Image j (size × size) normalised and, where flips[j] = 1, mirrored into out at offset + j·size²·3; null where placed. */
  jpegDecodeBatch(images: Uint8Array[], size: number, flips: Uint8Array, out: Float32Array, offset: number):
    (Exclude<JpegOutcome, { outcome: 'decoded' }> | null)[];
  /** The fused IResNet residual block (native/addon/residual_block_binding.cc): params [γ1, β1, filter1, γ2, β2, α,
   * filter2, γ3, β3, filterD|null, γD|null, βD|null]; saved [c1, c2, d|null, stats1, stats2, stats3, statsD|null];
   * shape [batch, height, width, inC, outC, stride, outH, outW, downsample 0|1]. Writes y and saved. */
  residualBlockForward(x: Float32Array, params: Array<Float32Array | null>, y: Float32Array, saved: Array<Float32Array | null>,
    shape: number[], epsilon: number): void;
  /** Its gradient: writes grads [dx, dγ1, dβ1, dfilter1, dγ2, dβ2, dα, dfilter2, dγ3, dβ3, dfilterD|null, dγD|null, dβD|null]. */
  residualBlockBackward(x: Float32Array, params: Array<Float32Array | null>, saved: Array<Float32Array | null>, dy: Float32Array,
    grads: Array<Float32Array | null>, shape: number[], epsilon: number): void;
}

export type OperandKind = 'full' | 'row' | 'column' | 'scalar';

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

/** Where no prebuild matches (another platform or CPU architecture), the package builds the addon from
 *  source in its install step, and npm ≥ 11.16 may block that step (allowScripts) or have been told to
 *  skip it (--ignore-scripts): so the error says how to build. */
const HOW_TO_BUILD =
  "The npm package carries a prebuilt addon for linux-x64 only; elsewhere it builds one from source when it is installed " +
  "(python3, make and a C++17 compiler). If npm skipped that build (npm 11+ asks before running a dependency's install " +
  "script), allow it and run it: `npm install-scripts approve topofr && npm rebuild topofr`. Or build it yourself in the " +
  `package folder (${root}): \`npx node-gyp rebuild\` (CPU only), or \`npm run build:native\` in a git checkout (CMake: CUDA, OpenBLAS).`;

/** Settings the addon reads natively, once (native/core/sgemm.cc, cpu_isa.h), where a typo would
 *  silently mean "no setting": checked here, before it loads. */
const ENVIRONMENT_CHOICES: Record<string, readonly string[]> = {
  TOPOFR_GEMM: ['openblas', 'builtin'],
  TOPOFR_ISA: ['sse2', 'avx2', 'avx512'],
};

function checkEnvironment(): void {
  for (const [name, choices] of Object.entries(ENVIRONMENT_CHOICES)) {
    const value = process.env[name];
    if (value !== undefined && value !== '' && !choices.includes(value))
      throw new TopofrError('ERR_TOPOFR_INVALID_VALUE', `${name}=${value} is not one of ${choices.join(', ')}`);
  }
}

/** The addon, loaded on first use; throws a TopofrError that says how to get one when it is missing. */
export function native(): NativeAddon {
  if (addon) return addon;
  checkEnvironment();
  const explicit = process.env.TOPOFR_ADDON;
  let loaded: NativeAddon;
  try {
    loaded = (explicit ? require(path.resolve(explicit)) : require('node-gyp-build')(root)) as NativeAddon;
  } catch (cause) {
    throw new TopofrError('ERR_TOPOFR_NO_NATIVE', `topofr's native addon could not be loaded (${(cause as Error).message.split('\n')[0]}). ${HOW_TO_BUILD}`);
  }
  loaded.setErrorClasses(TopofrError, TopofrTypeError, TopofrRangeError);  // native errors are topofr's typed errors too
  addon = loaded;
  return addon;
}
