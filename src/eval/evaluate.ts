// Evaluating a backbone on verification pairs of a split: flip-test embeddings (emb(x) + emb(flip x),
// TOPOFR.md §5.1), the 10-fold accuracy with the official threshold search, and the ROC with
// TAR@FAR (§5.2's roc_curve semantics) on the cosine similarity of the normalised embeddings.
import { types } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { TopofrRangeError, TopofrTypeError } from '../errors.js';
import { describeValue, isInt32Array } from '../util/check.js';
import type { FaceSplit } from '../data/dataset.js';
import type { VerificationPairs } from '../data/pairs.js';
import { rocCurve, tarAtFar, auc, type RocCurve } from './roc.js';
import { flipSumNormalize, verificationAccuracy, type VerificationResult } from './verification.js';

export interface Evaluation {
  accuracy: number;
  accuracyStd: number;
  /** TAR at each FAR the pair count can resolve (≥ 1/impostor pairs). */
  tarAtFar: Record<string, number>;
  auc: number;
  verification: VerificationResult;
  roc: RocCurve;
  /** Cosine similarity and label of each pair (for plots). */
  scores: Float64Array;
  issame: Uint8Array;
}

/** Flip-summed, L2-normalised embeddings of the given samples (inference mode, batches of `batch`). */
export function embedSamples(model: tf.LayersModel, split: FaceSplit, indices: Int32Array, batch = 64): { emb: Float64Array; dim: number } {
  const size = Math.round(Math.sqrt(split.bytesPerImage / 3));
  const parts: Float32Array[] = [];
  const flipped: Float32Array[] = [];
  let dim = 0;
  for (let start = 0; start < indices.length; start += batch) {
    const { images } = split.batch(indices.subarray(start, Math.min(indices.length, start + batch)));
    const n = images.length / (size * size * 3);
    tf.tidy(() => {
      const x = tf.tensor4d(images, [n, size, size, 3]);
      const e = model.predict(x) as tf.Tensor2D;
      const ef = model.predict(tf.reverse(x, 2)) as tf.Tensor2D;
      dim = e.shape[1];
      parts.push(e.dataSync() as Float32Array);
      flipped.push(ef.dataSync() as Float32Array);
    });
  }
  const join = (chunks: Float32Array[]) => {
    const out = new Float32Array(indices.length * dim);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  };
  return { emb: flipSumNormalize(join(parts), join(flipped), indices.length, dim), dim };
}

/** The arguments of evaluatePairs, checked: a layers model, a split that renders batches, pairs
 *  of sample indices inside it. */
function checkEvaluation(model: unknown, split: unknown, pairs: unknown): void {
  const fn = 'evaluatePairs';
  if (!(model instanceof tf.LayersModel))
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: model must be a tf.LayersModel, got ${describeValue(model)}`);
  const s = split as Partial<FaceSplit> | null;
  if (typeof s !== 'object' || s === null || typeof s.batch !== 'function' || !Number.isInteger(s.size) || !Number.isInteger(s.bytesPerImage))
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: split must be a dataset split (data.test), got ${describeValue(split)}`);
  const p = pairs as Partial<VerificationPairs> | null;
  if (typeof p !== 'object' || p === null || !isInt32Array(p.first) || !isInt32Array(p.second) || !types.isUint8Array(p.issame) ||
    p.first.length !== p.second.length || p.first.length !== p.issame.length)
    throw new TopofrTypeError('ERR_TOPOFR_INVALID_TYPE', `${fn}: pairs must come from verificationPairs(split, …), got ${describeValue(pairs)}`);
  for (const sample of [...p.first, ...p.second])
    if (!(sample >= 0 && sample < s.size!))
      throw new TopofrRangeError('ERR_TOPOFR_INVALID_VALUE', `${fn}: pair sample ${sample} is outside the split's ${s.size} samples`);
}

export function evaluatePairs(model: tf.LayersModel, split: FaceSplit, pairs: VerificationPairs): Evaluation {
  checkEvaluation(model, split, pairs);
  // Embed each distinct sample once.
  const unique = Int32Array.from(new Set([...pairs.first, ...pairs.second])).sort();
  const row = new Map<number, number>();
  unique.forEach((s, i) => row.set(s, i));
  const { emb, dim } = embedSamples(model, split, unique);
  const take = (samples: Int32Array) => {
    const out = new Float64Array(samples.length * dim);
    samples.forEach((s, k) => out.set(emb.subarray(row.get(s)! * dim, (row.get(s)! + 1) * dim), k * dim));
    return out;
  };
  const a = take(pairs.first), b = take(pairs.second);
  const verification = verificationAccuracy(a, b, pairs.issame, { dim, folds: pairs.folds });
  const scores = new Float64Array(pairs.issame.length);
  for (let p = 0; p < scores.length; p++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += a[p * dim + k]! * b[p * dim + k]!;
    scores[p] = s;
  }
  const roc = rocCurve(pairs.issame, scores);
  const impostors = pairs.issame.length - pairs.issame.reduce((s, v) => s + v, 0);
  const targets = [1e-1, 1e-2, 1e-3, 1e-4].filter((far) => far * impostors >= 1);
  const tar: Record<string, number> = {};
  for (const p of tarAtFar(roc, targets)) tar[p.far.toExponential(0)] = p.tar;
  return { accuracy: verification.accuracy, accuracyStd: verification.std, tarAtFar: tar, auc: auc(roc.fpr, roc.tpr), verification, roc,
    scores, issame: Uint8Array.from(pairs.issame) };
}
