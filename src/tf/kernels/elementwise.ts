// Native Add, Sub, Multiply and RealDiv for float32 cpu tensors, multithreaded, for the broadcasts
// a training step is made of: equal shapes (residual sums, gradient accumulation), a scalar (the
// optimizer's lr·g), a vector along the last axis (bias), one value per row (softmax's max and sum,
// kept as [..., 1]). tfjs's JS kernels take 5–140 ns per element on these (a modulo per element,
// and for any broadcast index arithmetic with two array allocations per element); other
// broadcasts, other dtypes and small tensors (where the call costs more than the loop) stay with tfjs.
import * as tf from '@tensorflow/tfjs';
import { native, type OperandKind } from '../../native.js';
import { f32, outputArray, sameShape, size, type Override, type Shape } from './cpu.js';

/** Below this many output elements tfjs's own loop is as fast as a native call: equal shapes and
 *  scalars (tfjs's simple loop), and broadcasts along or across the last axis (its index path). */
export const MIN_NATIVE_ELEMENTS = 4096;
export const MIN_NATIVE_BROADCAST_ELEMENTS = 64;

function operandKind(shape: Shape, outShape: Shape): OperandKind | null {
  if (sameShape(shape, outShape)) return 'full';
  const n = size(shape);
  if (n === 1) return 'scalar';
  const cols = outShape[outShape.length - 1]!;
  if (shape[shape.length - 1] === cols && n === cols) return 'row';
  // [..., rows, 1] against [..., rows, cols] (leading 1s added as broadcasting does)
  const padded = [...Array<number>(Math.max(0, outShape.length - shape.length)).fill(1), ...shape];
  return padded.length === outShape.length && padded[padded.length - 1] === 1 &&
    sameShape(padded.slice(0, -1), outShape.slice(0, -1)) ? 'column' : null;
}

const broadcasts = (kind: OperandKind): boolean => kind === 'row' || kind === 'column';

function binary(op: 'add' | 'sub' | 'mul' | 'div'): Override {
  return (args, backend) => {
    const { a, b } = args.inputs;
    const av = f32(backend, a), bv = f32(backend, b);
    if (!av || !bv) return null;
    let outShape: Shape;
    try {
      outShape = tf.backend_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
    } catch {
      return null;  // the original kernel reports the mismatch
    }
    const total = size(outShape);
    if (total < MIN_NATIVE_BROADCAST_ELEMENTS) return null;
    const ak = operandKind(a!.shape, outShape), bk = operandKind(b!.shape, outShape);
    if (!ak || !bk) return null;
    if (total < MIN_NATIVE_ELEMENTS && !broadcasts(ak) && !broadcasts(bk)) return null;
    const cols = outShape[outShape.length - 1]!;
    const out = outputArray(total);
    native().binaryOp(op, av, ak, bv, bk, out, total / cols, cols);
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
}

export const ELEMENTWISE_OVERRIDES: Record<string, Override> = {
  Add: binary('add'),
  Sub: binary('sub'),
  Multiply: binary('mul'),
  RealDiv: binary('div'),
};
