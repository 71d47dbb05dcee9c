// The IJB-B / IJB-C meta files as arcface_torch's eval_ijbc.py reads them (TOPOFR.md §5.2), all
// space-separated, one record per line, blank lines skipped:
//   <root>/meta/<t>_name_5pts_score.txt      image name, 10 landmark coordinates (x1 y1 … x5 y5), faceness score
//   <root>/meta/<t>_face_tid_mid.txt         image name, template id, media id (same order as the list above)
//   <root>/meta/<t>_template_pair_label.txt  template 1, template 2, label (1 genuine, 0 impostor)
// with <t> = ijbb or ijbc. A malformed line is a TopofrError naming the file and the line number.
import { join } from 'node:path';
import { TopofrError } from '../errors.js';
import { forEachLine } from '../io/lines.js';

export type IjbTarget = 'IJBB' | 'IJBC';

export interface IjbImages {
  /** Image file names under <root>/loose_crop, in file order. */
  names: string[];
  /** 10 coordinates per image: x1, y1, …, x5, y5 (left eye, right eye, nose, mouth corners), rounded
   *  to float32 as the script's np.array(…, dtype=np.float32). */
  landmarks: Float64Array;
  /** The detector's faceness score of each image, as float32 (the script's astype(np.float32)). */
  scores: Float32Array;
}

export interface IjbTemplates {
  /** Template id and media id of each image (same order as the image list). */
  templates: Int32Array;
  medias: Int32Array;
}

export interface IjbPairs {
  t1: Int32Array;
  t2: Int32Array;
  labels: Uint8Array;
}

export function ijbMetaPaths(root: string, target: IjbTarget): { images: string; templates: string; pairs: string; crops: string } {
  const t = target.toLowerCase();
  return {
    images: join(root, 'meta', `${t}_name_5pts_score.txt`),
    templates: join(root, 'meta', `${t}_face_tid_mid.txt`),
    pairs: join(root, 'meta', `${t}_template_pair_label.txt`),
    crops: join(root, 'loose_crop'),
  };
}

const fail = (path: string, line: number, message: string): never => {
  throw new TopofrError('ERR_TOPOFR_PARSE', `${path}:${line}: ${message}`);
};

function number(text: string, path: string, line: number, what: string): number {
  const v = Number(text);
  if (text === '' || !Number.isFinite(v)) fail(path, line, `${what} ${JSON.stringify(text)} is not a finite number`);
  return v;
}

function integer(text: string, path: string, line: number, what: string): number {
  const v = number(text, path, line, what);
  if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) fail(path, line, `${what} ${JSON.stringify(text)} is not an integer id in [0, 2^31)`);
  return v;
}

/** The space-separated fields of a line, `count` of them, or undefined for a blank line. */
function fields(raw: string, path: string, line: number, count: number, what: string): string[] | undefined {
  const text = raw.trim();
  if (!text) return undefined;
  const f = text.split(/ +/);
  if (f.length !== count) fail(path, line, `expected ${what} (${count} fields), got ${f.length}`);
  return f;
}

/** A growable typed array: IJB-C's pair list has 15.6 million rows. */
class Column<T extends Int32Array | Uint8Array | Float64Array | Float32Array> {
  length = 0;
  constructor(private data: T) {}
  push(...values: number[]): void {
    if (this.length + values.length > this.data.length) {
      const next = new (this.data.constructor as new (n: number) => T)(Math.max(1024, this.data.length * 2, this.length + values.length));
      next.set(this.data);
      this.data = next;
    }
    for (const v of values) this.data[this.length++] = v;
  }
  done(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/** `<t>_name_5pts_score.txt`: name, 10 coordinates, score. */
export function readIjbImages(path: string): IjbImages {
  const names: string[] = [];
  const landmarks = new Column(new Float64Array(0));
  const scores = new Column(new Float32Array(0));
  forEachLine(path, (raw, line) => {
    const f = fields(raw, path, line, 12, 'an image name, 10 landmark coordinates and a score');
    if (!f) return;
    names.push(f[0]!);
    for (let k = 1; k <= 10; k++) landmarks.push(Math.fround(number(f[k]!, path, line, `landmark coordinate ${k}`)));
    scores.push(Math.fround(number(f[11]!, path, line, 'faceness score')));
  });
  return { names, landmarks: landmarks.done(), scores: scores.done() };
}

/** `<t>_face_tid_mid.txt`: name, template id, media id. */
export function readIjbTemplates(path: string): IjbTemplates {
  const templates = new Column(new Int32Array(0));
  const medias = new Column(new Int32Array(0));
  forEachLine(path, (raw, line) => {
    const f = fields(raw, path, line, 3, 'an image name, a template id and a media id');
    if (!f) return;
    templates.push(integer(f[1]!, path, line, 'template id'));
    medias.push(integer(f[2]!, path, line, 'media id'));
  });
  return { templates: templates.done(), medias: medias.done() };
}

/** `<t>_template_pair_label.txt`: template 1, template 2, label. Calls `onChunk` every `chunk`
 *  pairs (and at the end) so a caller can score and drop them; returns the total count. */
export function readIjbPairs(path: string, chunk: number, onChunk: (pairs: IjbPairs) => void): number {
  let t1 = new Int32Array(chunk), t2 = new Int32Array(chunk), labels = new Uint8Array(chunk);
  let n = 0;
  let total = 0;
  const flush = () => {
    if (n === 0) return;
    onChunk({ t1: t1.subarray(0, n), t2: t2.subarray(0, n), labels: labels.subarray(0, n) });
    total += n;
    n = 0;
    t1 = new Int32Array(chunk); t2 = new Int32Array(chunk); labels = new Uint8Array(chunk);
  };
  forEachLine(path, (raw, line) => {
    const f = fields(raw, path, line, 3, 'template 1, template 2 and a label');
    if (!f) return;
    const label = integer(f[2]!, path, line, 'label');
    if (label > 1) fail(path, line, `label ${label} is not 0 or 1`);
    t1[n] = integer(f[0]!, path, line, 'template id');
    t2[n] = integer(f[1]!, path, line, 'template id');
    labels[n++] = label;
    if (n === chunk) flush();
  });
  flush();
  return total;
}
