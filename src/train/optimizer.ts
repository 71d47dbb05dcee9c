// SGD with momentum and weight decay, PyTorch's update (TOPOFR.md §1.8): gradients clipped to a
// global L2 norm first (clip_grad_norm_), then g ← g + wd·p, v ← μ·v + g, p ← p − lr·v. Weight
// decay applies to every parameter, the class centres included, as in the official code. tfjs's
// MomentumOptimizer has neither weight decay nor clipping, hence this small class; its velocity
// tensors are exported for checkpoints so a resumed run continues exactly.
import * as tf from '@tensorflow/tfjs';

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
  /** Global-norm clip (0 = none). */
  clipNorm: number;
}

export class SgdMomentum {
  private readonly velocity = new Map<string, tf.Variable>();

  constructor(readonly variables: readonly tf.Variable[], private readonly options: SgdOptions) {
    for (const v of variables) this.velocity.set(v.name, tf.variable(tf.zerosLike(v), false, `${v.name}/velocity`));
  }

  /**
   * One update with learning rate lr; returns the gradients' global norm before clipping. `norm`
   * replaces the norm of `grads` where some of the gradient lives elsewhere (a Partial FC class
   * shard on each rank: src/distributed/canonical-step.ts).
   */
  step(grads: Record<string, tf.Tensor>, lr: number, norm = this.norm(grads)): number {
    const { momentum, weightDecay, clipNorm } = this.options;
    const factor = clipNorm > 0 && norm > clipNorm ? clipNorm / (norm + 1e-6) : 1;
    tf.tidy(() => {
      for (const p of this.variables) {
        const g0 = grads[p.name];
        if (!g0) continue;
        const g = tf.add(tf.mul(g0, factor), tf.mul(p, weightDecay));
        const v = this.velocity.get(p.name)!;
        v.assign(tf.add(tf.mul(v, momentum), g));
        p.assign(tf.sub(p, tf.mul(v, lr)));
      }
    });
    return norm;
  }

  /** The global L2 norm of the gradients (a missing one counts as zeros). */
  norm(grads: Record<string, tf.Tensor>): number {
    return tf.tidy(() => Math.sqrt(tf.addN(this.variables.map((v) => tf.sum(tf.square(grads[v.name] ?? tf.zerosLike(v))))).dataSync()[0]!));
  }

  /** The velocity tensors, in the order of the parameters given to the constructor (checkpoints). */
  state(): tf.Variable[] {
    return this.variables.map((v) => this.velocity.get(v.name)!);
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
  }
}
