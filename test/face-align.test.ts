import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARCFACE_TEMPLATE, similarityTransform, warpAffine, type Affine } from '../src/data/face-align.js';

const expected = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'face-align', 'expected.json'), 'utf8')) as {
  image: [number, number];
  similarities: { source: number[][]; params: number[][] }[];
  warps: { name: string; m: number[]; width: number; height: number; output: string }[];
};

/** generate.py's source image rule. */
function sourceImage(): Uint8Array {
  const [w, h] = expected.image;
  const img = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) img[(y * w + x) * 3 + c] = (x * 37 + y * 101 + c * 53 + ((x * y) % 7)) % 256;
  return img;
}

describe('similarityTransform (skimage SimilarityTransform.estimate, Umeyama)', () => {
  it('matches skimage 0.19 on random landmark sets, mirrored layout included', () => {
    for (const { source, params } of expected.similarities) {
      const m = similarityTransform(source);
      const want = params.flat();
      m.forEach((v, k) => expect(Math.abs(v - want[k]!)).toBeLessThan(1e-10 * Math.max(1, Math.abs(want[k]!))));
    }
  });

  it('recovers a known similarity exactly from transformed template points', () => {
    for (const [scale, angle, tx, ty] of [[2.3, 0.4, -31.5, 12.25], [0.55, -1.2, 80, 3], [1, Math.PI, 0, 0]]) {
      const c = scale! * Math.cos(angle!), s = scale! * Math.sin(angle!);
      // source = T⁻¹(template): T maps source → template.
      const source = ARCFACE_TEMPLATE.map(([u, v]) => {
        const x = u - tx!, y = v - ty!;
        return [(c * x + s * y) / (scale! * scale!), (-s * x + c * y) / (scale! * scale!)];
      });
      const m = similarityTransform(source);
      [c, -s, tx, s, c, ty].forEach((v, k) => expect(m[k]).toBeCloseTo(v!, 10));
    }
  });

  it('refuses coincident, non-finite or mismatched points', () => {
    expect(() => similarityTransform([[1, 1], [1, 1], [1, 1], [1, 1], [1, 1]])).toThrow(/all coincide/);
    expect(() => similarityTransform([[1, NaN], [2, 2]], [[0, 0], [1, 1]])).toThrow(/not finite/);
    expect(() => similarityTransform([[1, 1]], [[0, 0], [1, 1]])).toThrow(/needs ≥ 2/);
  });
});

describe('warpAffine (cv2.warpAffine, INTER_LINEAR, BORDER_CONSTANT 0)', () => {
  const img = sourceImage();
  const [w, h] = expected.image;
  for (const c of expected.warps) {
    it(`${c.name}: byte-exact against OpenCV 4.6`, () => {
      const got = warpAffine(img, w, h, 3, c.m as Affine, c.width, c.height);
      const want = Buffer.from(c.output, 'base64');
      let differing = 0;
      for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) differing++;
      expect(differing).toBe(0);
    });
  }

  it('refuses a buffer of the wrong size', () => {
    expect(() => warpAffine(new Uint8Array(10), 4, 4, 3, [1, 0, 0, 0, 1, 0], 4, 4)).toThrow(/is not 4×4×3/);
  });
});
