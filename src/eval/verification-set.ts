// A backbone on a verification `.bin` set, as insightface's eval/verification.py `test` scores it
// (TOPOFR.md §5.1): every image decoded to RGB (resized to the model's input when it differs, with
// a warning), embedded as is and mirrored, the raw embeddings kept in float64; XNorm = the mean L2
// norm of all of them; the flip-test embedding emb + emb_flip of each image, L2-normalised once,
// then the 10-fold accuracy and VAL@FAR=1e−3 of verification.ts (numpy-exact). Images are decoded
// batch by batch, so only the compressed set and the embeddings stay in memory.
import { fitSize, placeImage } from '../data/augment.js';
import { decodeImage } from '../data/image-codec.js';
import type { VerificationBin } from '../data/verification-bin.js';
import type { Embedder } from './embedder.js';
import { verificationAccuracy, type VerificationResult } from './verification.js';

export interface BinEvaluation {
  pairs: number;
  /** Mean and population std of the 10 fold accuracies ("Accuracy-Flip"). */
  accuracy: number;
  std: number;
  /** VAL@FAR=1e−3 (mean over folds); absent where the script would divide by zero. */
  valAtFar1e3?: number;
  /** Mean L2 norm of the raw embeddings (the callback's XNorm). */
  xnorm: number;
  verification: VerificationResult;
}

export interface BinEvaluationOptions {
  /** The model's square input side (112 for insightface's sets). */
  imageSize: number;
  /** Images decoded and embedded per batch (each also mirrored); default 64. */
  batchSize?: number;
  /** Names the set in messages. */
  source?: string;
  warn?: (message: string) => void;
}

export async function evaluateVerificationBin(set: VerificationBin, embed: Embedder, options: BinEvaluationOptions): Promise<BinEvaluation> {
  const { imageSize: size, batchSize = 64, source = 'verification set' } = options;
  const pixels = size * size * 3;
  const count = set.images.length;
  let warned = false;
  const onResize = (from: string) => {
    if (!warned) options.warn?.(`${source}: images are ${from}, not ${size}×${size}; they are resized`);
    warned = true;
  };
  let dim = 0;
  let emb = new Float64Array(0);
  let flipped = new Float64Array(0);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const batch = new Float32Array(2 * n * pixels);
    await Promise.all(Array.from({ length: n }, async (_, j) => {
      const image = await decodeImage(set.images[start + j]!, `${source}: image ${start + j}`);
      const rgb = await fitSize(image, size, onResize);
      placeImage(rgb, size, false, batch, j * pixels);
      placeImage(rgb, size, true, batch, (n + j) * pixels);
    }));
    const out = await embed(batch, 2 * n, size);
    if (dim === 0) {
      dim = out.length / (2 * n);
      emb = new Float64Array(count * dim);
      flipped = new Float64Array(count * dim);
    }
    emb.set(out.subarray(0, n * dim), start * dim);
    flipped.set(out.subarray(n * dim, 2 * n * dim), start * dim);
  }
  let norms = 0;
  for (const e of [emb, flipped])
    for (let i = 0; i < count; i++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += e[i * dim + k]! ** 2;
      norms += Math.sqrt(s);
    }
  // embeddings[0::2] and embeddings[1::2] of the flip sums; verificationAccuracy normalises them.
  const a = new Float64Array(set.pairs * dim), b = new Float64Array(set.pairs * dim);
  for (let p = 0; p < set.pairs; p++)
    for (let k = 0; k < dim; k++) {
      a[p * dim + k] = emb[2 * p * dim + k]! + flipped[2 * p * dim + k]!;
      b[p * dim + k] = emb[(2 * p + 1) * dim + k]! + flipped[(2 * p + 1) * dim + k]!;
    }
  const verification = verificationAccuracy(a, b, set.issame, { dim });
  return {
    pairs: set.pairs, accuracy: verification.accuracy, std: verification.std,
    ...(verification.valAtFar1e3 ? { valAtFar1e3: verification.valAtFar1e3.val } : {}),
    xnorm: norms / (2 * count), verification,
  };
}

/** The per-set summary `topofr eval --bin … --json` prints and metrics.jsonl records. */
export interface BinSummary {
  pairs: number;
  accuracy: number;
  std: number;
  'valAtFar1e-3'?: number;
  xnorm: number;
}

export function binSummary(e: BinEvaluation): BinSummary {
  return { pairs: e.pairs, accuracy: e.accuracy, std: e.std, ...(e.valAtFar1e3 !== undefined ? { 'valAtFar1e-3': e.valAtFar1e3 } : {}), xnorm: e.xnorm };
}
