// Margin softmax heads (TOPOFR.md §1.6): ArcFace, CosFace and insightface's combined margin, over a
// class-centre matrix W ∈ R^{K×d} that the head owns (the official code keeps W inside the backbone
// module; here the backbone stays a plain tfjs model that loads anywhere, and checkpoints carry W).
//
//   cos θ_k = normalize(f) · normalize(W_k)ᵀ            (all K cosines)
//   ArcFace (s 64, m 0.5), the official `losses.ArcFace`:
//     target t → t·cos m − sin θ·sin m   if t > cos(π − m)
//              → t − m·sin(π − m)         otherwise (the "hard-margin" fallback, ≈ t − 0.2397)
//   CosFace (s 64, m 0.4): target t → t − m
//   combined (m1, m2, m3): target t → cos(m1·θ + m2) − m3 (insightface's CombinedMarginLoss form,
//     with ArcFace's fallback when m1·θ + m2 > π)
//   logits = s · (cosines with the target entry replaced)
//
// One deviation, for finite gradients: sin θ = √max(1 − t², 1e−12) (PyTorch's √(1 − t²) has an
// infinite derivative at t = ±1; the value differs by at most 1e−6).
//
// `store` (optional) is applied to the cosines and to every intermediate of the target's margin:
// the training step passes the fp16 rounding of the official AMP run there (src/train/amp.ts),
// where the cosines come out of an fp16 linear and the ArcFace ops run on fp16 tensors.
import * as tf from '@tensorflow/tfjs';
import { TopofrRangeError, TopofrTypeError } from '../errors.js';
import { describeValue } from '../util/check.js';

export type MarginHead =
  | { kind: 'arcface'; scale?: number; margin?: number }
  | { kind: 'cosface'; scale?: number; margin?: number }
  | { kind: 'combined'; scale?: number; m1: number; m2: number; m3: number }
  | { kind: 'softmax'; scale?: number };

export const ARCFACE = { kind: 'arcface', scale: 64, margin: 0.5 } as const;
export const COSFACE = { kind: 'cosface', scale: 64, margin: 0.4 } as const;

const SIN_FLOOR = 1e-12;

/** A float32 tensor of the given rank, not disposed. */
function assertTensor(value: unknown, fn: string, name: string, rank: number): tf.Tensor {
  if (!(value instanceof tf.Tensor) || value.isDisposed || value.rank !== rank || value.dtype !== 'float32')
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: ${name} must be a float32 tf.Tensor of rank ${rank}, got ${value instanceof tf.Tensor ? `a ${value.dtype} tensor of shape [${value.shape.join(', ')}]` : describeValue(value)}`);
  return value;
}

/** The centre matrix may hold at most this many values (a 2 GiB float32 tensor). */
const MAX_CENTRE_VALUES = 2 ** 29;

/** The class centres, ~ N(0, 0.01) as the official code initialises them. */
export function classCentres(classes: number, embeddingSize: number, seed = 2048): tf.Variable {
  const fn = 'classCentres';
  for (const [name, v] of [['classes', classes], ['embeddingSize', embeddingSize]] as const)
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: ${name} must be a positive integer, got ${describeValue(v)}`);
  if (classes * embeddingSize > MAX_CENTRE_VALUES)
    throw new TopofrRangeError('ERR_TOPOFR_TOO_LARGE', `${fn}: ${classes}×${embeddingSize} centres exceed ${MAX_CENTRE_VALUES} values (2 GiB)`);
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: seed must be an integer, got ${describeValue(seed)}`);
  return tf.variable(tf.randomNormal([classes, embeddingSize], 0, 0.01, 'float32', seed), true);
}

/** Rows divided by their L2 norm, the norm floored at 1e−12 (torch.nn.functional.normalize). */
export function normalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), 1e-12)) as tf.Tensor2D);
}

/** cos θ between each embedding (rows of f, [n, d]) and each centre (rows of W, [K, d]): [n, K]. */
export function cosines(f: tf.Tensor2D, centres: tf.Tensor2D): tf.Tensor2D {
  checkPair(f, centres, 'cosines');
  return tf.tidy(() => tf.matMul(normalizeRows(f), normalizeRows(centres), false, true));
}

/** Embeddings [n, d] and centres [K, d]. */
function checkPair(f: unknown, centres: unknown, fn: string): void {
  const a = assertTensor(f, fn, 'embeddings', 2), b = assertTensor(centres, fn, 'centres', 2);
  if (a.shape[1] !== b.shape[1])
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_SHAPE', `${fn}: embeddings have ${a.shape[1]} columns but centres ${b.shape[1]}`);
}

/** A head's parameters: a known kind, a scale > 0, margins that keep the angle arithmetic defined. */
function checkHead(head: unknown, fn: string): MarginHead {
  if (typeof head !== 'object' || head === null)
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: head must be { kind: 'arcface' | 'cosface' | 'combined' | 'softmax', … }, got ${describeValue(head)}`);
  const h = head as Record<string, unknown>;
  if (!['arcface', 'cosface', 'combined', 'softmax'].includes(h.kind as string))
    throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: head.kind must be 'arcface', 'cosface', 'combined' or 'softmax', got ${describeValue(h.kind)}`);
  const limits: Record<string, [number, number, boolean]> = {  // [min, max, required]
    scale: [Number.MIN_VALUE, Infinity, false],
    margin: [0, Math.PI, false],
    ...(h.kind === 'combined' ? { m1: [Number.MIN_VALUE, Infinity, true], m2: [0, Math.PI, true], m3: [-Infinity, Infinity, true] } : {}),
  } as Record<string, [number, number, boolean]>;
  for (const [name, [min, max, required]] of Object.entries(limits)) {
    const v = h[name];
    if (v === undefined && !required) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v >= max)
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: head.${name} must be a finite number in [${min === Number.MIN_VALUE ? '>0' : min}, ${max}), got ${describeValue(v)}`);
  }
  return head as MarginHead;
}

/** Integer labels in [0, classes) (or −1 where `absent` allows it), one per embedding (read once: they are small). */
function checkLabels(labels: unknown, n: number, classes: number, fn: string, absent: boolean): void {
  if (!(labels instanceof tf.Tensor) || labels.isDisposed || labels.rank !== 1 || labels.shape[0] !== n || labels.dtype === 'string')
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: labels must be a rank-1 tf.Tensor of ${n} class indices, got ${labels instanceof tf.Tensor ? `shape [${labels.shape.join(', ')}]` : describeValue(labels)}`);
  const values = labels.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!(Number.isInteger(v) && v >= (absent ? -1 : 0) && v < classes))
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: labels[${i}] = ${v} is not a class index in [0, ${classes})${absent ? ' or −1' : ''}`);
  }
}

/** How an intermediate tensor is stored (identity: float32 as computed). */
export type TensorStore = <T extends tf.Tensor>(t: T) => T;
const asComputed: TensorStore = (t) => t;

/** The margin-adjusted target cosine for each sample, from its plain target cosine t. */
function targetLogit(t: tf.Tensor1D, head: MarginHead, store: TensorStore): tf.Tensor1D {
  return tf.tidy((): tf.Tensor1D => {
    switch (head.kind) {
      case 'softmax':
        return t;
      case 'cosface':
        return store(tf.sub(t, head.margin ?? COSFACE.margin) as tf.Tensor1D);
      case 'arcface':
      case 'combined': {
        const [m1, m2, m3] = head.kind === 'arcface' ? [1, head.margin ?? ARCFACE.margin, 0] : [head.m1, head.m2, head.m3];
        const sin = store(tf.sqrt(tf.maximum(store(tf.sub(1, store(tf.square(t)))), SIN_FLOOR)));
        const angular = m1 === 1
          ? store(tf.sub(store(tf.mul(t, Math.cos(m2))), store(tf.mul(sin, Math.sin(m2)))))  // cos(θ + m2), as the official code writes it
          : store(tf.cos(tf.add(tf.mul(tf.atan2(sin, t), m1), m2)));
        const margined = store(tf.sub(angular, m3) as tf.Tensor1D);
        // cos(m1·θ + m2) decreases in θ only while m1·θ + m2 ≤ π: beyond, ArcFace's linear fallback.
        const threshold = Math.cos((Math.PI - m2) / m1);
        const fallback = store(tf.sub(t, m2 * Math.sin(Math.PI - m2) + m3) as tf.Tensor1D);
        // tf.step (gradient 0) picks the branch; tf.where would try to differentiate tf.greater.
        const above = tf.step(tf.sub(t, threshold));
        return tf.add(tf.mul(above, margined), tf.mul(tf.sub(1, above), fallback)) as tf.Tensor1D;
      }
    }
  });
}

/**
 * Margin logits s·cos θ with the target class's entry margin-adjusted: [n, K] from embeddings f
 * [n, d], centres W [K, d] and integer labels [n]. Differentiable in f and W. With
 * `absentTargets`, a label −1 says the sample's class is not among these centres (Partial FC: a
 * class another rank holds, as insightface marks it): its row gets no margin. `store` rounds each
 * intermediate as it is kept (fp16 autocast emulation, src/train/amp.ts).
 */
export function marginLogits(f: tf.Tensor2D, centres: tf.Tensor2D, labels: tf.Tensor1D, head: MarginHead = ARCFACE,
  options: { absentTargets?: boolean; store?: TensorStore } = {}): tf.Tensor2D {
  const fn = 'marginLogits';
  checkPair(f, centres, fn);
  checkHead(head, fn);
  const store = options.store ?? asComputed;
  const classes = centres.shape[0];
  checkLabels(labels, f.shape[0], classes, fn, options.absentTargets === true);
  return tf.tidy(() => {
    const cos = store(cosines(f, centres));
    const mask = tf.oneHot(tf.cast(labels, 'int32'), classes) as tf.Tensor2D;  // 1 at the target
    const t = tf.sum(tf.mul(cos, mask), 1) as tf.Tensor1D;
    const adjusted = targetLogit(t, head, store);
    const delta = tf.mul(mask, tf.expandDims(tf.sub(adjusted, t), 1));  // replace the target entry
    return store(tf.mul(tf.add(cos, delta), head.scale ?? 64) as tf.Tensor2D);
  });
}
