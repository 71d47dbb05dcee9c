// A few SGD steps of one model with tfjs's kernels and with the native ones, compared step by step.
//
// Teacher forcing: every step starts both kernel sets from the same weights, those of tfjs's own
// trajectory. Left to run on its own, training compounds rounding differences through its
// dynamics: three free steps of a tiny batch-normalised IResNet turn a one-rounding change of the
// data into a 1e-4 change of the loss, so any fixed tolerance there is fitted to one machine's
// summation order (the failure of issue 14: OpenBLAS's order passed on one CPU, not another).
//
// The bound of a step: the native kernels round in reductions of up to K terms, a relative backward
// error of at most γ_K in the data of each operation. Its effect on the step's loss and gradients is
// the step's response, with tfjs's kernels, to perturbing every weight and input by ±γ_K (random
// signs, one draw: tfjs's kernels are slow, and the native side has stayed below a tenth of it;
// per gradient tensor in max norm). A gradient that the data
// cannot move (a batch-norm shift followed by another batch norm has an exactly cancelling one) is
// pure rounding noise: updates are also allowed one rounding at the scale of the largest weight.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { U, gamma } from './float32.js';
import { maxAbsDifference, perturb, stock } from './tf-compare.js';

export interface TrainingCase {
  /** What SGD trains, in a fixed order. */
  variables: tf.Variable[];
  /** The loss's data (perturbed with the weights to measure the response). */
  inputs: tf.Tensor[];
  loss: (inputs: tf.Tensor[]) => tf.Scalar;
  /** The longest reduction (terms of one sum) in a forward and backward pass. */
  K: number;
  learningRate: number;
  steps: number;
}

interface Step { loss: number; grads: Float32Array[] }

function step(c: TrainingCase, inputs: tf.Tensor[]): Step {
  const { value, grads } = tf.variableGrads(() => c.loss(inputs), c.variables);
  const result = { loss: value.dataSync()[0]!, grads: c.variables.map((v) => Float32Array.from(grads[v.name]!.dataSync())) };
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}

export function expectSameTraining(c: TrainingCase): void {
  const relative = gamma(c.K);
  for (let s = 0; s < c.steps; s++) {
    const start = c.variables.map((v) => Float32Array.from(v.dataSync()));
    const reset = (values: Float32Array[]) => tf.tidy(() => c.variables.forEach((v, i) => v.assign(tf.tensor(values[i]!, v.shape))));
    const ref = stock(() => step(c, c.inputs));
    reset(start);
    const got = step(c, c.inputs);
    reset(start);
    const inputs = c.inputs.map((t, i) => perturb(t, relative, 500 + i));
    tf.tidy(() => c.variables.forEach((v, i) => v.assign(perturb(v, relative, i))));
    const moved = stock(() => step(c, inputs));
    tf.dispose(inputs);
    reset(start);
    const lossResponse = Math.abs(moved.loss - ref.loss);
    const gradResponse = moved.grads.map((g, i) => maxAbsDifference(g, ref.grads[i]!));
    expect(Math.abs(got.loss - ref.loss), `step ${s}: loss ${got.loss} vs ${ref.loss}, response to ±γ_${c.K} ${lossResponse}`)
      .toBeLessThanOrEqual(lossResponse);
    const weightScale = Math.max(...start.map((w) => maxAbsDifference(w, new Float32Array(w.length))));
    got.grads.forEach((g, i) => {
      const update = c.learningRate * maxAbsDifference(g, ref.grads[i]!);
      expect(update, `step ${s}: update of ${c.variables[i]!.name}`)
        .toBeLessThanOrEqual(c.learningRate * gradResponse[i]! + U * weightScale);
    });
    // on along tfjs's trajectory
    reset(start.map((w, i) => w.map((x, e) => x - c.learningRate * ref.grads[i]![e]!)));
  }
}
