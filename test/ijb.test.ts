import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopofrError } from '../src/errors.js';
import { alignFace, similarityTransform } from '../src/data/face-align.js';
import { decodeImage } from '../src/data/image-codec.js';
import type { Embedder } from '../src/eval/embedder.js';
import { evaluateIjb } from '../src/eval/ijb.js';
import { ijbMetaPaths, readIjbImages, readIjbPairs, readIjbTemplates } from '../src/eval/ijb-meta.js';
import { bruteRoc, bruteTarAtFar } from './support/verification-oracle.js';
import { writeSyntheticIjb, type SyntheticIjb } from './support/ijb-synthetic.js';
import { pythonWith } from './support/python.js';
import { execFileSync } from 'node:child_process';

/** A mirrored copy of a 112×112 RGB image, written out independently of the code under test. */
function mirror(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < 112; y++) for (let x = 0; x < 112; x++) for (let c = 0; c < 3; c++) out[(y * 112 + 111 - x) * 3 + c] = rgb[(y * 112 + x) * 3 + c]!;
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), 'topofr-ijb-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let set: SyntheticIjb;
beforeAll(async () => {
  set = await writeSyntheticIjb(join(tmp, 'ijb'), { identities: 5, seed: 7 });
});

/** A deterministic stand-in for a backbone: mean of each 16×16 block per channel (7·7·3 = 147-d),
 *  minus the image mean, so features are signed and differ between faces. */
const poolEmbedder: Embedder = (images, n, size) => {
  const cells = size / 16, dim = cells * cells * 3;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const img = images.subarray(i * size * size * 3, (i + 1) * size * size * 3);
    let mean = 0;
    for (const v of img) mean += v;
    mean /= img.length;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let c = 0; c < 3; c++) out[i * dim + (Math.floor(y / 16) * cells + Math.floor(x / 16)) * 3 + c] += (img[(y * size + x) * 3 + c]! - mean) / 256;
  }
  return out;
};

/** Mean |a − b| over the central 64×64 of two 112×112 RGB images. */
function centreError(a: Uint8Array, b: Uint8Array): number {
  let sum = 0, n = 0;
  for (let y = 24; y < 88; y++) for (let x = 24; x < 88; x++) for (let c = 0; c < 3; c++, n++) sum += Math.abs(a[(y * 112 + x) * 3 + c]! - b[(y * 112 + x) * 3 + c]!);
  return sum / n;
}

describe('IJB: alignment of loose crops', () => {
  it('the landmarks give back the inverse of the known loose-crop transform', () => {
    const list = readIjbImages(ijbMetaPaths(set.root, 'IJBC').images);
    set.images.forEach((im, i) => {
      const points = Array.from({ length: 5 }, (_, k) => [list.landmarks[i * 10 + 2 * k]!, list.landmarks[i * 10 + 2 * k + 1]!]);
      const s = similarityTransform(points);
      // s ∘ T = identity (to the 4 decimals the meta file keeps).
      const [a, b, c, d, e, f] = im.transform;
      const composed = [s[0] * a + s[1] * d, s[0] * b + s[1] * e, s[0] * c + s[1] * f + s[2], s[3] * a + s[4] * d, s[3] * b + s[4] * e, s[3] * c + s[4] * f + s[5]];
      [1, 0, 0, 0, 1, 0].forEach((v, k) => expect(Math.abs(composed[k]! - v)).toBeLessThan(k % 3 === 2 ? 2e-3 : 2e-5));
    });
  });

  it('aligning the JPEG loose crop recovers the 112×112 face', async () => {
    const list = readIjbImages(ijbMetaPaths(set.root, 'IJBC').images);
    for (const [i, im] of set.images.entries()) {
      const loose = await decodeImage(readFileSync(join(set.root, 'loose_crop', im.name)), im.name);
      const points = Array.from({ length: 5 }, (_, k) => [list.landmarks[i * 10 + 2 * k]!, list.landmarks[i * 10 + 2 * k + 1]!]);
      const recovered = alignFace(loose.data, loose.width, loose.height, points);
      const shifted = alignFace(loose.data, loose.width, loose.height, points.map(([x, y]) => [x! + 4, y!]));
      const good = centreError(recovered, im.aligned), bad = centreError(shifted, im.aligned);
      expect(good).toBeLessThan(6); // two bilinear resamplings and JPEG q95
      expect(bad).toBeGreaterThan(2 * good);
    }
  });
});

describe('IJB: alignment against the reference Python pipeline', () => {
  const python = pythonWith('cv2', 'skimage');
  // eval_ijbc.py's Embedding.get: float32 landmarks and template, skimage's estimate, cv2.warpAffine.
  const script = (root: string) => `
import cv2, numpy as np, sys
from skimage import transform as trans
src = np.array([[30.2946, 51.6963], [65.5318, 51.5014], [48.0252, 71.7366], [33.5493, 92.3655], [62.7299, 92.2041]], dtype=np.float32)
src[:, 0] += 8.0
for line in open(sys.argv[1] + '/meta/ijbc_name_5pts_score.txt'):
    f = line.strip().split(' ')
    lmk = np.array([float(x) for x in f[1:-1]], dtype=np.float32).reshape((5, 2))
    t = trans.SimilarityTransform()
    t.estimate(lmk, src)
    img = cv2.warpAffine(cv2.imread(sys.argv[1] + '/loose_crop/' + f[0]), t.params[0:2, :], (112, 112), borderValue=0.0)
    sys.stdout.buffer.write(cv2.cvtColor(img, cv2.COLOR_BGR2RGB).tobytes())
`;
  it.skipIf(!python)('aligned crops equal skimage + cv2 except where float32 rounding moves a sample across the 1/32 px grid', async () => {
    const reference = execFileSync(python!, ['-c', script(set.root), set.root], { maxBuffer: 1 << 26 });
    const list = readIjbImages(ijbMetaPaths(set.root, 'IJBC').images);
    let differing = 0, largest = 0;
    for (const [i, im] of set.images.entries()) {
      const loose = await decodeImage(readFileSync(join(set.root, 'loose_crop', im.name)), im.name);
      const points = Array.from({ length: 5 }, (_, k) => [list.landmarks[i * 10 + 2 * k]!, list.landmarks[i * 10 + 2 * k + 1]!]);
      const ours = alignFace(loose.data, loose.width, loose.height, points);
      for (let k = 0; k < ours.length; k++) {
        const d = Math.abs(ours[k]! - reference[i * ours.length + k]!);
        if (d) differing++;
        largest = Math.max(largest, d);
      }
    }
    // skimage runs Umeyama in float32 (sgesdd); ours is float64: ~1e-5 px apart, so a sample lands in
    // the neighbouring 1/32 px bin for about 1 pixel in 10⁴ (measured on 30 such crops: 116 of 1 128 960 bytes, ≤ 5).
    expect(differing / reference.length).toBeLessThan(1e-3);
    expect(largest).toBeLessThanOrEqual(16);
  });
});

describe('IJB: template verification (eval_ijbc.py)', () => {
  it('TAR@FAR equals a float64 re-computation from the images', async () => {
    const result = await evaluateIjb({ root: set.root, target: 'IJBC', embed: poolEmbedder, batchSize: 4 });
    expect(result.images).toBe(25);
    expect(result.templates).toBe(10);
    expect(result.pairs).toBe(45);
    expect(result.genuinePairs).toBe(5);

    // The oracle: each image on its own, float64 throughout, pooling written out directly.
    const list = readIjbImages(ijbMetaPaths(set.root, 'IJBC').images);
    const feature = new Map<number, Map<number, number[][]>>();
    for (const [i, im] of set.images.entries()) {
      const loose = await decodeImage(readFileSync(join(set.root, 'loose_crop', im.name)), im.name);
      const points = Array.from({ length: 5 }, (_, k) => [list.landmarks[i * 10 + 2 * k]!, list.landmarks[i * 10 + 2 * k + 1]!]);
      const aligned = alignFace(loose.data, loose.width, loose.height, points);
      const unit = (img: Uint8Array) => Float32Array.from(img, (v) => (v / 255 - 0.5) / 0.5);
      const e = poolEmbedder(unit(aligned), 1, 112) as Float32Array;
      const ef = poolEmbedder(unit(mirror(aligned)), 1, 112) as Float32Array;
      const f = Array.from(e, (v, k) => (v + ef[k]!) * Math.fround(im.score));
      const medias = feature.get(im.template) ?? new Map<number, number[][]>();
      feature.set(im.template, medias);
      medias.set(im.media, [...(medias.get(im.media) ?? []), f]);
    }
    const template = new Map<number, number[]>();
    for (const [t, medias] of feature) {
      const sum = new Array(147).fill(0);
      for (const frames of medias.values()) for (const f of frames) f.forEach((v, k) => (sum[k] += v / frames.length));
      const norm = Math.hypot(...sum);
      template.set(t, sum.map((v) => v / norm));
    }
    const scores = set.pairs.map((p) => template.get(p.t1)!.reduce((s, v, k) => s + v * template.get(p.t2)![k]!, 0));
    const labels = set.pairs.map((p) => p.label);
    scores.forEach((s, k) => expect(Math.abs(s - result.scores[k]!)).toBeLessThan(1e-5));
    const roc = bruteRoc(labels, scores);
    for (const [far, tar] of Object.entries(result.tarAtFar)) expect(tar).toBe(bruteTarAtFar(roc.fpr, roc.tpr, Number(far)));
    expect(Object.keys(result.tarAtFar)).toEqual(['1e-6', '1e-5', '1e-4', '1e-3', '1e-2', '1e-1']);
    // The features are informative: genuine pairs score above impostors on average.
    const mean = (l: number) => scores.filter((_, k) => labels[k] === l).reduce((a, b) => a + b, 0) / labels.filter((v) => v === l).length;
    expect(mean(1)).toBeGreaterThan(mean(0));
  });
});

describe('IJB: malformed input', () => {
  const broken = (name: string, file: 'images' | 'templates' | 'pairs', edit: (text: string) => string) => {
    const root = join(tmp, name);
    cpSync(set.root, root, { recursive: true });
    const path = ijbMetaPaths(root, 'IJBC')[file];
    writeFileSync(path, edit(readFileSync(path, 'utf8')));
    return { root, path };
  };
  const replaceLine = (text: string, line: number, content: string) => text.split('\n').map((l, k) => (k === line - 1 ? content : l)).join('\n');

  it('meta lines with the wrong fields name the file and the line', () => {
    const cases: [string, 'images' | 'templates' | 'pairs', (t: string) => string, RegExp][] = [
      ['few-fields', 'images', (t) => replaceLine(t, 3, '3.jpg 1 2 3'), /ijbc_name_5pts_score\.txt:3: expected an image name, 10 landmark coordinates and a score \(12 fields\), got 4/],
      ['nan-landmark', 'images', (t) => replaceLine(t, 2, '2.jpg 1 2 3 4 5 x 7 8 9 10 0.9'), /ijbc_name_5pts_score\.txt:2: landmark coordinate 6 "x" is not a finite number/],
      ['bad-template', 'templates', (t) => replaceLine(t, 4, '4.jpg -3 1000'), /ijbc_face_tid_mid\.txt:4: template id "-3" is not an integer id/],
      ['bad-label', 'pairs', (t) => replaceLine(t, 5, '100 103 2'), /ijbc_template_pair_label\.txt:5: label 2 is not 0 or 1/],
      ['pair-fields', 'pairs', (t) => replaceLine(t, 1, '100 103'), /ijbc_template_pair_label\.txt:1: expected template 1, template 2 and a label \(3 fields\), got 2/],
    ];
    for (const [name, file, edit, message] of cases) {
      const { path } = broken(name, file, edit);
      const read = () => (file === 'images' ? readIjbImages(path) : file === 'templates' ? readIjbTemplates(path) : readIjbPairs(path, 10, () => {}));
      expect(read).toThrow(TopofrError);
      expect(read).toThrow(message);
    }
  });

  it('inconsistent files, unknown templates, missing or corrupt images are typed errors', async () => {
    const run = (root: string) => evaluateIjb({ root, target: 'IJBC', embed: poolEmbedder, batchSize: 8 });
    await expect(run(broken('short-list', 'templates', (t) => t.split('\n').slice(1).join('\n')).root)).rejects.toThrow(/lists 24 images but .* lists 25/);
    const unknown = broken('unknown-template', 'pairs', (t) => `${t}100 999 0\n`);
    await expect(run(unknown.root)).rejects.toThrow(/pair 46 names template 999, which has no image/);
    const missing = broken('missing-image', 'images', (t) => t.replace(/^1\.jpg/, 'nope.jpg'));
    await expect(run(missing.root)).rejects.toThrow(/cannot read .*nope\.jpg/);
    const corrupt = broken('corrupt-image', 'images', (t) => t);
    writeFileSync(join(corrupt.root, 'loose_crop', '2.jpg'), readFileSync(join(corrupt.root, 'loose_crop', '2.jpg')).subarray(0, 300));
    await expect(run(corrupt.root)).rejects.toMatchObject({ code: 'ERR_TOPOFR_PARSE', message: expect.stringMatching(/2\.jpg: not a decodable image/) });
  });
});
