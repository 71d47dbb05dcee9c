import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageFeature, scoreTemplatePairs, TemplatePooling } from '../src/eval/ijb.js';

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'ijb', 'pooling.json'), 'utf8')) as {
  dim: number; images: number; scores_text: string[]; templates: number[]; medias: number[]; template_ids: number[];
  template_features: number[]; pairs: [number, number][]; pair_scores: number[];
};
/** generate.py's feature rule (exact in float32). */
const value = (i: number, k: number) => (((i * 131 + k * 71) % 997) - 498) / 64;

describe('IJB pooling against numpy (eval_ijbc.py steps 3–4)', () => {
  it('media means, template sums (float32) and normalised templates match numpy; scores too', () => {
    const { dim } = fixture;
    const pooling = new TemplatePooling(Int32Array.from(fixture.templates), Int32Array.from(fixture.medias), dim);
    for (let i = 0; i < fixture.images; i++) {
      const e = Float32Array.from({ length: dim }, (_, k) => value(i, k));
      const ef = Float32Array.from({ length: dim }, (_, k) => value(i, dim + k));
      pooling.add(i, imageFeature(e, ef, Number(fixture.scores_text[i])));
    }
    expect(pooling.complete).toBe(true);
    expect(Array.from(pooling.ids)).toEqual(fixture.template_ids);
    // float32 stages are exact; the float64 row norm may differ from numpy's einsum in the last ulp.
    pooling.features.forEach((v, k) => expect(Math.abs(v - fixture.template_features[k]!)).toBeLessThanOrEqual(4e-16));
    const scores = scoreTemplatePairs(pooling, {
      t1: Int32Array.from(fixture.pairs, (p) => p[0]), t2: Int32Array.from(fixture.pairs, (p) => p[1]), labels: new Uint8Array(fixture.pairs.length),
    }, 'pairs');
    scores.forEach((s, k) => expect(Math.abs(s - fixture.pair_scores[k]!)).toBeLessThanOrEqual(1e-15));
  });
});
