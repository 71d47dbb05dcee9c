// The convolution kernels' shape, shared by the dense (conv.ts) and depthwise (depthwise.ts)
// families: forward, backprop-input, backprop-filter and the fused forward, each reading its
// geometry from tf.backend_util.computeConv2DInfo, calling the family's native function with the
// 15 geometry integers, and returning null (the original kernel) for what the family cannot express.
import type * as tf from '@tensorflow/tfjs';
import { native, type NativeAddon } from '../../native.js';
import { f32, outputArray, sameShape, size, type CpuBackend, type KernelArgs, type Override, type Shape } from './cpu.js';
import { biasActivation, canFuse } from './fusion.js';

type NativeConv = (a: Float32Array, b: Float32Array, out: Float32Array, ...geometry: number[]) => void;

export interface ConvFamily {
  /** The geometry of a call (x NHWC, filter [kH, kW, inC, k]), or null to fall back. `dilations` is
   *  the attribute for the forward pass; the backprops pass what their kernel's attributes say. */
  info(xShape: Shape, filterShape: Shape, attrs: Record<string, unknown>, dilations: unknown): tf.backend_util.Conv2DInfo | null;
  /** The binding's 15 geometry integers, or null for what it cannot express. */
  geometry(info: tf.backend_util.Conv2DInfo, filterShape: Shape): number[] | null;
  /** The dilations the backprop kernels run with (tfjs's Conv2D backprops have none: 1). */
  backpropDilations(attrs: Record<string, unknown>): unknown;
  /** Output channels for the fusion check, from the filter shape. */
  outChannels(filterShape: Shape): number;
  kernels: { forward: keyof NativeAddon; backpropInput: keyof NativeAddon; backpropFilter: keyof NativeAddon };
}

const call = (name: keyof NativeAddon): NativeConv => (native()[name] as NativeConv).bind(native());

function plan(family: ConvFamily, xShape: Shape, filterShape: Shape, attrs: Record<string, unknown>, dilations: unknown) {
  const info = family.info(xShape, filterShape, attrs, dilations);
  const geometry = info && family.geometry(info, filterShape);
  return info && geometry ? { info, geometry } : null;
}

function forward(family: ConvFamily, args: KernelArgs, backend: CpuBackend): { info: tf.backend_util.Conv2DInfo; y: Float32Array } | null {
  const { x, filter } = args.inputs;
  const attrs = args.attrs ?? {};
  const xv = f32(backend, x), fv = f32(backend, filter);
  if (!xv || !fv) return null;
  const p = plan(family, x!.shape, filter!.shape, attrs, attrs.dilations);
  if (!p) return null;
  const y = outputArray(size(p.info.outShape));
  call(family.kernels.forward)(xv, fv, y, ...p.geometry);
  return { info: p.info, y };
}

/** The family's four overrides, keyed by the tfjs kernel names given. */
export function convOverrides(family: ConvFamily, names: { forward: string; backpropInput: string; backpropFilter: string; fused: string }):
  Record<string, Override> {
  const forwardOverride: Override = (args, backend) => {
    const r = forward(family, args, backend);
    return r && backend.makeTensorInfo(r.info.outShape, 'float32', r.y);
  };
  const backpropInput: Override = (args, backend) => {
    const { dy, filter } = args.inputs;
    const attrs = args.attrs ?? {};
    const dyv = f32(backend, dy), fv = f32(backend, filter);
    const inputShape = attrs.inputShape as Shape | undefined;
    if (!dyv || !fv || !Array.isArray(inputShape)) return null;
    const p = plan(family, inputShape, filter!.shape, attrs, family.backpropDilations(attrs));
    if (!p || !sameShape(p.info.outShape, dy!.shape)) return null;
    const dx = outputArray(size(inputShape));
    call(family.kernels.backpropInput)(dyv, fv, dx, ...p.geometry);
    return backend.makeTensorInfo(inputShape, 'float32', dx);
  };
  const backpropFilter: Override = (args, backend) => {
    const { x, dy } = args.inputs;
    const attrs = args.attrs ?? {};
    const xv = f32(backend, x), dyv = f32(backend, dy);
    const filterShape = attrs.filterShape as Shape | undefined;
    if (!xv || !dyv || !Array.isArray(filterShape)) return null;
    const p = plan(family, x!.shape, filterShape, attrs, family.backpropDilations(attrs));
    if (!p || !sameShape(p.info.outShape, dy!.shape)) return null;
    const dw = outputArray(size(filterShape));
    call(family.kernels.backpropFilter)(xv, dyv, dw, ...p.geometry);
    return backend.makeTensorInfo(filterShape, 'float32', dw);
  };
  const fused: Override = (args, backend) => {
    const attrs = args.attrs ?? {};
    const { x, filter } = args.inputs;
    if (!x || !filter || x.shape.length !== 4 || filter.shape.length !== 4) return null;
    // The output is [batch, outH, outW, channels]: only its rank and last axis matter to the fusion checks.
    const fuse = canFuse(args, backend, [1, 1, 1, family.outChannels(filter.shape)]);
    if (!fuse) return null;
    const r = forward(family, args, backend);
    if (!r) return null;
    biasActivation(r.y, r.info.outChannels, fuse.bias, (attrs.activation ?? 'linear') as string, fuse.alpha,
      (attrs.leakyreluAlpha ?? 0.2) as number);
    return backend.makeTensorInfo(r.info.outShape, 'float32', r.y);
  };
  return { [names.forward]: forwardOverride, [names.backpropInput]: backpropInput, [names.backpropFilter]: backpropFilter, [names.fused]: fused };
}
