// The lean backpropagation (src/tf/lean-backprop.ts) against tfjs's own: bitwise the same gradients
// (same operations, summed in the same order) on a backbone and on the awkward graph shapes (fan-out,
// unused outputs of a multi-output op, a gradient that hands dy to two inputs, higher-order
// gradients), tfjs's errors, no leaked tensors, and the point of it: memory released during the pass.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iresnet } from '../src/model/iresnet.js';
import { installLeanBackprop, leanBackpropInstalled, uninstallLeanBackprop } from '../src/tf/lean-backprop.js';
import { registerNativeKernels, unregisterNativeKernels } from '../src/tf/native-kernels.js';
import { rand } from './support/tf-compare.js';

tf.enableProdMode();
beforeAll(() => registerNativeKernels());
afterAll(() => unregisterNativeKernels());

/** f's results with tfjs's backpropagation, then with the lean one, read out as arrays. */
function withBoth(f: () => tf.Tensor[]): { ref: Float32Array[]; got: Float32Array[] } {
  const run = () => {
    const ts = f();
    const out = ts.map((t) => Float32Array.from(t.dataSync()));
    tf.dispose(ts);
    return out;
  };
  uninstallLeanBackprop();
  const ref = run();
  installLeanBackprop();
  const got = run();
  return { ref, got };
}

function expectSame(f: () => tf.Tensor[]): void {
  const { ref, got } = withBoth(f);
  expect(got.length).toBe(ref.length);
  ref.forEach((r, i) => expect(got[i]).toEqual(r));
}

describe('lean backpropagation: the same gradients as tfjs', () => {
  it('is what registerNativeKernels puts in place, and unregistering restores tfjs', () => {
    const engine = tf.engine() as unknown as { gradients: unknown };
    const proto = Object.getPrototypeOf(engine) as { gradients: unknown };
    expect(leanBackpropInstalled()).toBe(true);
    expect(engine.gradients).not.toBe(proto.gradients);
    unregisterNativeKernels();
    expect(leanBackpropInstalled()).toBe(false);
    expect(engine.gradients).toBe(proto.gradients);
    registerNativeKernels({ leanBackprop: false });
    expect(leanBackpropInstalled()).toBe(false);
    unregisterNativeKernels();
    registerNativeKernels();
    expect(leanBackpropInstalled()).toBe(true);
  });

  it('bitwise on an IResNet-18 training step (variableGrads, every trainable weight)', () => {
    const model = iresnet({ depth: 18, inputSize: 16, widthMultiplier: 0.125, embeddingSize: 16, seed: 3 });
    const x = rand([2, 16, 16, 3], 1);
    const w = rand([16, 5], 2);
    const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
    const snapshot = model.getWeights().map((t) => t.clone());
    expectSame(() => {
      model.setWeights(snapshot);  // the BN moving statistics change with each training-mode call
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.matMul(model.apply(x, { training: true }) as tf.Tensor2D, w))) as tf.Scalar, vars);
      return [value, ...vars.map((v) => grads[v.name]!)];
    });
    tf.dispose([x, w, ...snapshot]);
    model.dispose();
  });

  it('bitwise with fan-out, an unused output of a multi-output op, and a gradient shared by two inputs', () => {
    const a = rand([4, 6], 10), b = rand([4, 6], 11);
    const both = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) =>
      ({ value: tf.add(args[0] as tf.Tensor, args[1] as tf.Tensor), gradFunc: (dy: tf.Tensor) => [dy, dy] }));
    expectSame(() => {
      const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => {
        const s = tf.sin(p);  // used three times: gradients accumulate
        const [left] = tf.split(tf.mul(s, q), 2, 1);  // the right half gets a zero gradient
        const t = both(s, tf.tanh(q)) as tf.Tensor;
        return tf.sum(tf.add(tf.mul(tf.sum(left), s), tf.mul(t, t)));
      })([a, b]);
      return [ga!, gb!];
    });
  });

  it('bitwise for higher-order gradients (a tape inside a tape)', () => {
    const x = rand([5], 20);
    expectSame(() => [tf.grad((v: tf.Tensor) => tf.grad((u: tf.Tensor) => tf.sum(tf.mul(tf.sin(u), tf.square(u))))(v))(x)]);
  });

  it('keeps the caller’s dy, leaks no tensor, and fails as tfjs does', () => {
    const x = rand([3, 3], 30);
    const dy = rand([3, 3], 31);
    const before = tf.memory().numTensors;
    const g = tf.grad((v: tf.Tensor) => tf.exp(tf.sin(v)))(x, dy);
    expect(dy.isDisposed).toBe(false);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const unused = tf.variable(tf.zeros([2]), true, 'lean.unused');
    const used = tf.variable(tf.ones([2]), true, 'lean.used');
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(used)) as tf.Scalar, [used, unused]);
    expect(Object.keys(grads)).toEqual(['lean.used']);
    tf.dispose(grads);
    const message = (f: () => unknown) => { try { f(); } catch (e) { return (e as Error).message; } return ''; };
    const noPath = () => tf.grad(() => tf.scalar(1))(x);
    const ours = message(noPath);
    uninstallLeanBackprop();
    const theirs = message(noPath);
    installLeanBackprop();
    expect(ours).toMatch(/Cannot compute gradient of y=f\(x\)/);
    expect(ours).toBe(theirs);
    tf.dispose([x, dy, unused, used]);
  });
});

describe('lean backpropagation: memory', () => {
  // A chain of n sin ops over a large tensor: each saves its input. When the gradient of the first
  // op runs, tfjs still holds all n saved inputs and all n activation gradients; the lean pass
  // holds the input, the first op's saved input, and the gradient in flight.
  it('releases saved activations and gradients as the pass goes', () => {
    const n = 8, size = 1 << 18, bytes = 4 * size;
    const x = rand([size], 40);
    let seen = 0;
    const probe = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
      value: tf.clone(args[0] as tf.Tensor),
      gradFunc: (dy: tf.Tensor) => {
        seen = tf.memory().numBytes;
        return dy;
      },
    }));
    const chainPeak = (): number => {
      const g = tf.grad((v: tf.Tensor) => {
        let h = probe(v) as tf.Tensor;
        for (let i = 0; i < n; i++) h = tf.sin(h);
        return tf.sum(h);
      })(x);
      g.dispose();
      return seen;
    };
    uninstallLeanBackprop();
    const tfjs = chainPeak();
    installLeanBackprop();
    const lean = chainPeak();
    // tfjs: x + n saved clones + ≥ n gradients; lean: x + the gradient in flight (+ a clone or two).
    expect(tfjs).toBeGreaterThanOrEqual((2 * n + 1) * bytes);
    expect(lean).toBeLessThanOrEqual(4 * bytes);
    x.dispose();
  });
});
