// Native Slice, PadV2 and Transpose for float32 cpu tensors: strided copies (native/core/
// copy_box.h), multithreaded, instead of tfjs's per-element index arithmetic (a strided Slice of a
// 100 MB activation took ~5 s in the JS kernel; the NHWC→NCHW transpose before IResNet's flatten
// ~50 ms). Contiguous slices stay with tfjs, which returns a subarray copy already.
import * as tf from '@tensorflow/tfjs';
import { native } from '../../native.js';
import { f32, outputArray, size, type Override } from './cpu.js';

const slice: Override = (args, backend) => {
  const { x } = args.inputs;
  const xv = f32(backend, x);
  if (!xv || !x || x.shape.length === 0) return null;
  const attrs = args.attrs ?? {};
  let begin: number[], sliceSize: number[];
  try {
    [begin, sliceSize] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin as number[], attrs.size as number[]);
    tf.slice_util.assertParamsValid(x as tf.Tensor, begin, sliceSize);
  } catch {
    return null;  // the original kernel reports bad parameters its own way
  }
  if (tf.slice_util.isSliceContinous(x.shape, begin, sliceSize)) return null;
  const out = outputArray(size(sliceSize));
  native().copyBox(xv, x.shape, begin, out, sliceSize, sliceSize.map(() => 0), sliceSize);
  return backend.makeTensorInfo(sliceSize, 'float32', out);
};

const padV2: Override = (args, backend) => {
  const { x } = args.inputs;
  const xv = f32(backend, x);
  const attrs = args.attrs ?? {};
  const paddings = attrs.paddings as Array<[number, number]> | undefined;
  if (!xv || !x || !Array.isArray(paddings) || paddings.length !== x.shape.length || x.shape.length === 0) return null;
  if (!paddings.every((p) => Number.isInteger(p[0]) && Number.isInteger(p[1]) && p[0] >= 0 && p[1] >= 0)) return null;
  const outShape = x.shape.map((d, i) => paddings[i]![0] + d + paddings[i]![1]);
  const out = new Float32Array(size(outShape));
  const value = Number(attrs.constantValue ?? 0);
  if (value !== 0) native().fill(out, value);  // a new Float32Array is already zero
  native().copyBox(xv, x.shape, x.shape.map(() => 0), out, outShape, paddings.map((p) => p[0]), x.shape);
  return backend.makeTensorInfo(outShape, 'float32', out);
};

const transpose: Override = (args, backend) => {
  const { x } = args.inputs;
  const xv = f32(backend, x);
  const perm = (args.attrs ?? {}).perm as number[] | undefined;
  if (!xv || !x || !Array.isArray(perm) || perm.length !== x.shape.length || xv.length === 0) return null;
  if ([...perm].sort((a, b) => a - b).some((p, i) => p !== i)) return null;  // the original kernel reports it
  const outShape = perm.map((p) => x.shape[p]!);
  const out = outputArray(xv.length);
  native().permute(xv, x.shape, perm, out);
  return backend.makeTensorInfo(outShape, 'float32', out);
};

export const COPY_OVERRIDES: Record<string, Override> = { Slice: slice, PadV2: padV2, Transpose: transpose };
