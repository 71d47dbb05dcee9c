// A small IJB-shaped set made from the synthetic renderer, with known landmarks and known loose-crop
// transforms: each aligned 112×112 face (whose 5 landmarks are, by construction, the ArcFace
// template) is placed into a larger "loose crop" by a known similarity T (scale, rotation, shift),
// so its landmarks there are T(template). Templates group an identity's images into medias (a
// 2-frame "video" and single stills), and every pair of templates is listed, genuine when both show
// one identity. Files: <root>/loose_crop/<i>.jpg (JPEG q95), <root>/meta/<t>_*.txt.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCFACE_TEMPLATE, warpAffine, type Affine } from '../../src/data/face-align.js';
import { faceIdentity } from '../../src/data/identity.js';
import { encodeJpeg } from '../../src/data/image-codec.js';
import { renderFaceBytes } from '../../src/data/render.js';
import { mulberry32 } from '../../src/util/random.js';

export const LOOSE_SIZE = 250;

export interface SyntheticIjbImage {
  name: string;
  /** The aligned face the loose crop was made from. */
  aligned: Uint8Array;
  /** Crop → loose-crop transform. */
  transform: Affine;
  landmarks: number[][];
  score: number;
  template: number;
  media: number;
  identity: number;
}

export interface SyntheticIjb {
  root: string;
  images: SyntheticIjbImage[];
  pairs: { t1: number; t2: number; label: 0 | 1 }[];
}

/** Writes the set under `root` for target IJBC (or IJBB). */
export async function writeSyntheticIjb(root: string, options: { identities?: number; seed?: number; target?: 'IJBB' | 'IJBC' } = {}): Promise<SyntheticIjb> {
  const { identities = 5, seed = 7, target = 'IJBC' } = options;
  const uniform = mulberry32(seed);
  const between = (lo: number, hi: number) => lo + (hi - lo) * uniform();
  mkdirSync(join(root, 'loose_crop'), { recursive: true });
  mkdirSync(join(root, 'meta'), { recursive: true });
  const images: SyntheticIjbImage[] = [];
  const templatesOf: { id: number; identity: number }[] = [];
  for (let id = 0; id < identities; id++) {
    const person = faceIdentity(seed, (1 << 24) + id);
    // Template A: a 2-frame video (one media) and a still; template B: two stills.
    const layout = [[0, 0], [0, 0], [0, 1], [1, 2], [1, 3]] as const;
    const templateIds = [100 + 7 * id, 103 + 7 * id];
    templatesOf.push({ id: templateIds[0]!, identity: id }, { id: templateIds[1]!, identity: id });
    for (const [k, [t, m]] of layout.entries()) {
      const aligned = renderFaceBytes(person, k, { imageSize: 112, hardness: 0.3 });
      const s = between(1.3, 1.8), a = between(-0.35, 0.35);
      const c = s * Math.cos(a), sn = s * Math.sin(a);
      // Put the crop's centre (56, 56) near the loose crop's centre.
      const cx = LOOSE_SIZE / 2 + between(-12, 12), cy = LOOSE_SIZE / 2 + between(-12, 12);
      const transform: Affine = [c, -sn, cx - (c * 56 - sn * 56), sn, c, cy - (sn * 56 + c * 56)];
      const loose = warpAffine(aligned, 112, 112, 3, transform, LOOSE_SIZE, LOOSE_SIZE);
      const name = `${images.length + 1}.jpg`;
      writeFileSync(join(root, 'loose_crop', name), await encodeJpeg(loose, LOOSE_SIZE, LOOSE_SIZE, 95));
      const landmarks = ARCFACE_TEMPLATE.map(([x, y]) => [transform[0] * x + transform[1] * y + transform[2], transform[3] * x + transform[4] * y + transform[5]]);
      images.push({ name, aligned, transform, landmarks, score: Number(between(0.5, 1).toFixed(6)), template: templateIds[t]!, media: 1000 + 10 * id + m, identity: id });
    }
  }
  const pairs: SyntheticIjb['pairs'] = [];
  for (let a = 0; a < templatesOf.length; a++)
    for (let b = a + 1; b < templatesOf.length; b++)
      pairs.push({ t1: templatesOf[a]!.id, t2: templatesOf[b]!.id, label: templatesOf[a]!.identity === templatesOf[b]!.identity ? 1 : 0 });
  const t = target.toLowerCase();
  writeFileSync(join(root, 'meta', `${t}_name_5pts_score.txt`),
    images.map((im) => `${im.name} ${im.landmarks.flat().map((v) => v.toFixed(4)).join(' ')} ${im.score}\n`).join(''));
  writeFileSync(join(root, 'meta', `${t}_face_tid_mid.txt`), images.map((im) => `${im.name} ${im.template} ${im.media}\n`).join(''));
  writeFileSync(join(root, 'meta', `${t}_template_pair_label.txt`), pairs.map((p) => `${p.t1} ${p.t2} ${p.label}\n`).join(''));
  return { root, images, pairs };
}
