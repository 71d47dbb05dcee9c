// The registry of topofr's native tfjs kernels for the 'cpu' backend. registerNativeKernels()
// puts them in place, unregisterNativeKernels() restores tfjs exactly as it was; both idempotent.
// Other backends are never touched.
//
// Three kinds of change, each reversible:
// * overrides of stock kernels (kernels/conv.ts, depthwise.ts, copy.ts, elementwise.ts,
//   normalization.ts): the native function runs when it handles the arguments, the original
//   kernel otherwise;
// * topofr's own kernels and their gradients (fused batch norm, PReLU gradient, the fused IResNet
//   residual block);
// * gradient overrides (Prelu), which fall back to the original gradient off the cpu backend;
// plus the serialization entry 'BatchNormalization', pointed at the fused layer class so that
// models loaded from disk get the fused training path too, (by default) glibc's allocator set
// to reuse freed memory (native/addon/allocator_binding.cc says why and what it costs), and (by
// default) the engine's backpropagation replaced by one that frees memory as it goes
// (lean-backprop.ts: same gradients, about half the peak memory of a training step).
import * as tf from '@tensorflow/tfjs';
import { native } from '../native.js';
import { FusedBatchNormalization, TfjsBatchNormalization } from './batch-norm-layer.js';
import { installLeanBackprop, uninstallLeanBackprop } from './lean-backprop.js';
import { CONV_OVERRIDES } from './kernels/conv.js';
import { COPY_OVERRIDES } from './kernels/copy.js';
import { DEPTHWISE_OVERRIDES } from './kernels/depthwise.js';
import { ELEMENTWISE_OVERRIDES } from './kernels/elementwise.js';
import { RESIDUAL_BLOCK_KERNELS } from './kernels/residual-block.js';
import { BACKEND, type CpuBackend, type KernelArgs, type Override } from './kernels/cpu.js';
import {
  NORMALIZATION_GRADIENT_OVERRIDES,
  NORMALIZATION_GRADIENTS,
  NORMALIZATION_KERNELS,
  NORMALIZATION_OVERRIDES,
} from './kernels/normalization.js';
import { optionsArg } from '../util/check.js';

const OVERRIDES: Record<string, Override> = {
  ...CONV_OVERRIDES,
  ...DEPTHWISE_OVERRIDES,
  ...COPY_OVERRIDES,
  ...ELEMENTWISE_OVERRIDES,
  ...NORMALIZATION_OVERRIDES,
};

/** The stock cpu kernels that get a native override. */
export const NATIVE_KERNEL_NAMES: readonly string[] = Object.keys(OVERRIDES);
const TOPOFR_KERNELS = [...NORMALIZATION_KERNELS, ...RESIDUAL_BLOCK_KERNELS];
/** topofr's own cpu kernels. */
export const TOPOFR_KERNEL_NAMES: readonly string[] = TOPOFR_KERNELS.map((k) => k.kernelName);

const originals = new Map<string, tf.KernelConfig>();
const originalGradients = new Map<string, tf.GradConfig>();
let registered = false;

/** Whether the native kernels are in place. */
export function nativeKernelsRegistered(): boolean {
  return registered;
}

type SerializableClass = Parameters<typeof tf.serialization.registerClass>[0];

export interface NativeKernelOptions {
  /**
   * Keep freed memory in the process for reuse instead of returning every large tensor buffer to
   * the OS (glibc only). Training steps free and reallocate the same activations each step; reuse
   * saves the page faults (≈ 30 % of an IResNet-18 step), at the cost of RSS staying at its peak.
   * Default true; unregisterNativeKernels() restores glibc's defaults.
   */
  retainFreedMemory?: boolean;
  /**
   * Replace the engine's backpropagation (what tf.grads, tf.variableGrads and optimizer.minimize
   * use, on every backend) with one that disposes each tape node's saved tensors and its outputs'
   * gradients as soon as the node is done: the same gradients, summed in the same order, at about
   * half the peak memory of a training step (src/tf/lean-backprop.ts). Default true;
   * unregisterNativeKernels() restores tfjs's own.
   */
  leanBackprop?: boolean;
}

/**
 * Puts the native kernels in place for the cpu backend (idempotent). Loads the addon first, so a
 * missing addon throws here (ERR_TOPOFR_NO_NATIVE) and leaves tfjs untouched.
 */
export function registerNativeKernels(given: NativeKernelOptions = {}): void {
  const options = optionsArg<NativeKernelOptions>(given, 'registerNativeKernels');
  if (registered) return;
  const addon = native();
  addon.retainFreedMemory(options.retainFreedMemory !== false);
  if (options.leanBackprop ?? true) installLeanBackprop();
  for (const [name, override] of Object.entries(OVERRIDES)) {
    const original = tf.getKernel(name, BACKEND);
    if (!original) continue;
    const kernelFunc = ((args: KernelArgs) =>
      override(args, args.backend as CpuBackend) ?? original.kernelFunc(args as never)) as tf.KernelFunc;
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel({ ...original, kernelFunc });
    originals.set(name, original);
  }
  for (const k of TOPOFR_KERNELS) tf.registerKernel({ ...k, backendName: BACKEND, kernelFunc: k.kernelFunc as tf.KernelFunc });
  for (const g of NORMALIZATION_GRADIENTS) tf.registerGradient(g);
  for (const [name, wrap] of Object.entries(NORMALIZATION_GRADIENT_OVERRIDES)) {
    const original = tf.getGradient(name);
    if (!original) continue;
    originalGradients.set(name, original);
    tf.registerGradient(wrap(original));
  }
  tf.serialization.SerializationMap.register(FusedBatchNormalization as unknown as SerializableClass);
  registered = true;
}

/** Puts tfjs's own kernels, gradients and layer class back (idempotent). */
export function unregisterNativeKernels(): void {
  if (!registered) return;
  native().retainFreedMemory(false);
  uninstallLeanBackprop();
  for (const [name, original] of originals) {
    if (tf.getKernel(name, BACKEND)) tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(original);
  }
  originals.clear();
  for (const k of TOPOFR_KERNELS) tf.unregisterKernel(k.kernelName, BACKEND);
  for (const g of NORMALIZATION_GRADIENTS) tf.unregisterGradient(g.kernelName);
  for (const [, original] of originalGradients) tf.registerGradient(original);
  originalGradients.clear();
  tf.serialization.SerializationMap.register(TfjsBatchNormalization as unknown as SerializableClass);
  registered = false;
}

/** tfjs's own kernel, whether or not the native ones are registered (tests, benchmarks). */
export function originalKernel(name: string): tf.KernelConfig | undefined {
  return originals.get(name) ?? tf.getKernel(name, BACKEND);
}

/** tfjs's own gradient, whether or not the native ones are registered. */
export function originalGradient(name: string): tf.GradConfig | undefined {
  return originalGradients.get(name) ?? tf.getGradient(name);
}
