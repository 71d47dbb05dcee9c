// IJB-B / IJB-C 1:1 template verification as arcface_torch's eval_ijbc.py (TOPOFR.md §5.2):
//   1. each loose crop is aligned to 112×112 by its 5 landmarks (face-align.ts) and embedded with
//      its horizontal flip: feature = emb(img) + emb(flip) ("F2"), not normalised ("N1"), times the
//      faceness score ("D1");
//   2. per template: features of one media (video frames) are averaged, the media features summed,
//      the sum L2-normalised;
//   3. score = dot product of the two template features, pair by pair, in chunks of 100 000;
//   4. sklearn's roc_curve and TAR at FAR 1e−6 … 1e−1 (roc.ts).
// The arithmetic follows the script's dtypes: steps 1–2 in float32 (numpy adds float32 rows one
// after another along axis 0, and divides the media sum by its count in float32), the template sum
// then becomes float64 for the normalisation and the scores (numpy's pairwise sum over the
// features).
//
// Memory is bounded by the templates, not the images: images stream through in batches and each
// feature goes straight into its media's running sum; a template is pooled and normalised as soon
// as its last image is seen (IJB files list a template's images together, so few are open at once),
// and pairs are scored chunk by chunk as they are read. Memory: templates × dim float64 for the
// template features, plus 9 bytes per pair for the scores and labels the ROC needs.
//
// Deliberate differences: a pair naming a template with no images is an error (the script's
// template2id would silently score it as the first template); decoding uses the image codec (RGB,
// no EXIF rotation), then the warp; the script's cv2.imread gives BGR and converts after the warp,
// which is the same image.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TopofrError } from '../errors.js';
import { alignFace } from '../data/face-align.js';
import { decodeImage, type DecodedImage } from '../data/image-codec.js';
import { placeImage } from '../data/augment.js';
import type { Embedder } from './embedder.js';
import { readIjbImages, readIjbPairs, readIjbTemplates, ijbMetaPaths, type IjbPairs, type IjbTarget } from './ijb-meta.js';
import { auc, numpySum, rocCurve, tarAtFar, TAR_FAR_TARGETS, type RocCurve } from './roc.js';

export interface IjbOptions {
  root: string;
  target: IjbTarget;
  embed: Embedder;
  /** Images per model call (each also flipped); default 128, as the script. */
  batchSize?: number;
  /** Reads an image file (default: the file, decoded by the image codec). */
  readImage?: (path: string) => Promise<DecodedImage>;
  onProgress?: (imagesDone: number, imagesTotal: number) => void;
}

export interface IjbEvaluation {
  target: IjbTarget;
  images: number;
  templates: number;
  pairs: number;
  genuinePairs: number;
  /** TAR at each FAR of the TopoFR tables, keyed '1e-6' … '1e-1'. */
  tarAtFar: Record<string, number>;
  auc: number;
  roc: RocCurve;
  scores: Float64Array;
  labels: Uint8Array;
}

export const IJB_PAIR_CHUNK = 100_000;
const ALIGNED_SIZE = 112;

/** The script's per-image feature: (e + e_flip) · score, each operation rounded to float32. */
export function imageFeature(emb: Float32Array, embFlipped: Float32Array, score: number, out = new Float32Array(emb.length)): Float32Array {
  const s = Math.fround(score);
  for (let k = 0; k < emb.length; k++) out[k] = Math.fround(Math.fround(emb[k]! + embFlipped[k]!) * s);
  return out;
}

/**
 * Media then template pooling (the script's image2template_feature), fed one image at a time in
 * file order. `templates[i]`, `medias[i]`: the ids of image i.
 */
export class TemplatePooling {
  /** Sorted distinct template ids (np.unique) and their L2-normalised features (float64 rows). */
  readonly ids: Int32Array;
  readonly features: Float64Array;
  private readonly row = new Map<number, number>();
  private readonly remaining: Int32Array;
  private readonly open = new Map<number, Map<number, { sum: Float32Array; count: number }>>();

  constructor(private readonly templates: Int32Array, private readonly medias: Int32Array, readonly dim: number) {
    this.ids = Int32Array.from(new Set(templates)).sort();
    this.ids.forEach((id, r) => this.row.set(id, r));
    this.remaining = new Int32Array(this.ids.length);
    for (const t of templates) this.remaining[this.row.get(t)!]!++;
    this.features = new Float64Array(this.ids.length * dim);
  }

  /** Template row of an id, or −1. */
  rowOf(template: number): number {
    return this.row.get(template) ?? -1;
  }

  add(image: number, feature: Float32Array): void {
    const template = this.templates[image]!;
    const media = this.medias[image]!;
    let medias = this.open.get(template);
    if (!medias) this.open.set(template, (medias = new Map()));
    let m = medias.get(media);
    if (!m) medias.set(media, (m = { sum: new Float32Array(this.dim), count: 0 }));
    for (let k = 0; k < this.dim; k++) m.sum[k] = Math.fround(m.sum[k]! + feature[k]!);
    m.count++;
    const r = this.row.get(template)!;
    if (--this.remaining[r]! === 0) this.close(template, r, medias);
  }

  /** Whether every template has received all its images. */
  get complete(): boolean {
    return this.open.size === 0 && this.remaining.every((n) => n === 0);
  }

  private close(template: number, r: number, medias: Map<number, { sum: Float32Array; count: number }>): void {
    const sum = new Float32Array(this.dim);
    for (const media of [...medias.keys()].sort((a, b) => a - b)) {
      const { sum: s, count } = medias.get(media)!;
      for (let k = 0; k < this.dim; k++) sum[k] = Math.fround(sum[k]! + Math.fround(s[k]! / count));
    }
    this.open.delete(template);
    const row = this.features.subarray(r * this.dim, (r + 1) * this.dim);
    let squares = 0;
    for (let k = 0; k < this.dim; k++) squares += sum[k]! * sum[k]!;
    const root = Math.sqrt(squares);
    const norm = root < 10 * Number.EPSILON ? 1 : root; // sklearn's normalize keeps zero rows at zero
    for (let k = 0; k < this.dim; k++) row[k] = sum[k]! / norm;
  }
}

/** Cosine scores of template pairs (the script's verification(): np.sum(f1 * f2, −1)). */
export function scoreTemplatePairs(pooling: TemplatePooling, pairs: IjbPairs, where: string, firstPair = 0): Float64Array {
  const { dim, features } = pooling;
  const scores = new Float64Array(pairs.t1.length);
  const products = new Float64Array(dim);
  for (let p = 0; p < scores.length; p++) {
    const a = pooling.rowOf(pairs.t1[p]!), b = pooling.rowOf(pairs.t2[p]!);
    if (a < 0 || b < 0)
      throw new TopofrError('ERR_TOPOFR_INVALID_VALUE', `${where}: pair ${firstPair + p + 1} names template ${a < 0 ? pairs.t1[p] : pairs.t2[p]}, which has no image in the template list`);
    for (let k = 0; k < dim; k++) products[k] = features[a * dim + k]! * features[b * dim + k]!;
    scores[p] = numpySum(products);
  }
  return scores;
}

/** Flip-test features of every image, pooled into templates. */
async function poolImages(options: IjbOptions): Promise<{ pooling: TemplatePooling; images: number }> {
  const paths = ijbMetaPaths(options.root, options.target);
  const list = readIjbImages(paths.images);
  const { templates, medias } = readIjbTemplates(paths.templates);
  if (templates.length !== list.names.length)
    throw new TopofrError('ERR_TOPOFR_PARSE', `${paths.templates} lists ${templates.length} images but ${paths.images} lists ${list.names.length}; both describe the same images in the same order`);
  const readImage = options.readImage ?? (async (path: string) => decodeImage(await readFile(path).catch((err: Error) => {
    throw new TopofrError('ERR_TOPOFR_INVALID_VALUE', `cannot read ${path}: ${err.message}`);
  }), path));
  const batchSize = options.batchSize ?? 128;
  const pixels = ALIGNED_SIZE * ALIGNED_SIZE * 3;
  let pooling: TemplatePooling | undefined;
  for (let start = 0; start < list.names.length; start += batchSize) {
    const n = Math.min(batchSize, list.names.length - start);
    const batch = new Float32Array(2 * n * pixels);
    await Promise.all(Array.from({ length: n }, async (_, j) => {
      const i = start + j;
      const image = await readImage(join(paths.crops, list.names[i]!));
      const points = Array.from({ length: 5 }, (_, k) => [list.landmarks[i * 10 + 2 * k]!, list.landmarks[i * 10 + 2 * k + 1]!]);
      let aligned: Uint8Array;
      try {
        aligned = alignFace(image.data, image.width, image.height, points, ALIGNED_SIZE);
      } catch (err) {
        throw new TopofrError('ERR_TOPOFR_INVALID_VALUE', `${paths.images}: image ${i + 1} (${list.names[i]}): ${(err as Error).message}`);
      }
      placeImage(aligned, ALIGNED_SIZE, false, batch, j * pixels);
      placeImage(aligned, ALIGNED_SIZE, true, batch, (n + j) * pixels);
    }));
    const emb = await options.embed(batch, 2 * n, ALIGNED_SIZE);
    const dim = emb.length / (2 * n);
    if (!Number.isInteger(dim) || dim < 1) throw new TopofrError('ERR_TOPOFR_INVALID_VALUE', `the embedder returned ${emb.length} values for ${2 * n} images`);
    pooling ??= new TemplatePooling(templates, medias, dim);
    const feature = new Float32Array(dim);
    for (let j = 0; j < n; j++)
      pooling.add(start + j, imageFeature(emb.subarray(j * dim, (j + 1) * dim), emb.subarray((n + j) * dim, (n + j + 1) * dim), list.scores[start + j]!, feature));
    options.onProgress?.(start + n, list.names.length);
  }
  if (!pooling) throw new TopofrError('ERR_TOPOFR_INVALID_VALUE', `${paths.images} lists no images`);
  return { pooling, images: list.names.length };
}

/** The whole evaluation of a model on an IJB-B/C folder (<root>/meta, <root>/loose_crop). */
export async function evaluateIjb(options: IjbOptions): Promise<IjbEvaluation> {
  const { pooling, images } = await poolImages(options);
  const paths = ijbMetaPaths(options.root, options.target);
  const scores: Float64Array[] = [];
  const labels: Uint8Array[] = [];
  let done = 0;
  const pairs = readIjbPairs(paths.pairs, IJB_PAIR_CHUNK, (chunk) => {
    scores.push(scoreTemplatePairs(pooling, chunk, paths.pairs, done));
    labels.push(chunk.labels.slice());
    done += chunk.labels.length;
  });
  const allScores = concat(scores, new Float64Array(pairs));
  const allLabels = concat(labels, new Uint8Array(pairs));
  const roc = rocCurve(allLabels, allScores);
  const tar: Record<string, number> = {};
  for (const p of tarAtFar(roc, TAR_FAR_TARGETS)) tar[p.far.toExponential(0)] = p.tar;
  return {
    target: options.target, images, templates: pooling.ids.length, pairs, genuinePairs: allLabels.reduce((s, v) => s + v, 0),
    tarAtFar: tar, auc: auc(roc.fpr, roc.tpr), roc, scores: allScores, labels: allLabels,
  };
}

function concat<T extends Float64Array | Uint8Array>(parts: T[], out: T): T {
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
