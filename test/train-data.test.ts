// End to end through the CLI (the compiled dist/): synthetic faces written as JPEG files → topofr
// pack → topofr dataset → topofr train --data from the .rec.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeJpeg } from '../src/data/image-codec.js';
import { faceIdentity, renderFaceBytes } from '../src/data/synthetic-faces.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';

const MAIN = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const topofr = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });

describe('pack → dataset → train --data', () => {
  it('packs rendered faces and trains 2 steps from the .rec', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'topofr-e2e-'));
    const faces = join(dir, 'faces');
    const identities = 6, per = 4;
    for (let id = 0; id < identities; id++) {
      mkdirSync(join(faces, `id${id}`), { recursive: true });
      for (let s = 0; s < per; s++)
        writeFileSync(join(faces, `id${id}`, `${s}.jpg`), await encodeJpeg(renderFaceBytes(faceIdentity(77, id), s, { imageSize: 112 }), 112, 112, 95));
    }

    const pack = topofr('pack', faces, '--out', join(dir, 'set', 'train'));
    expect(pack.status, pack.stderr).toBe(0);
    expect(JSON.parse(pack.stdout)).toMatchObject({ layout: 'header', images: identities * per, classes: identities });

    const inspect = topofr('dataset', join(dir, 'set'), '--json');
    expect(inspect.status, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout)).toEqual({ format: 'recordio', images: identities * per, classes: identities });

    const train = topofr('train', '--data', join(dir, 'set', 'train.rec'), '--max-steps', '2', '--batch-size', '8', '--embedding-size', '32',
      '--test-identities', '4', '--samples-per-identity', '2', '--verification-pairs', '20', '--out-dir', dir, '--name', 'run', '--no-progress');
    expect(train.status, train.stderr).toBe(0);
    const run = join(dir, 'run');
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect([config.data, config.imageSize]).toEqual([join(dir, 'set', 'train.rec'), 112]);
    const steps = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(steps.map((s) => s.step)).toEqual([1, 2]);
    for (const s of steps) expect(Number.isFinite(s.loss) && s.loss > 0).toBe(true);
    // The head has one centre per identity of the .rec (not the synthetic default's 200).
    expect(loadCheckpoint(join(run, 'checkpoint')).tensors.get('head/centres')!.shape).toEqual([identities, 32]);
    expect(existsSync(join(run, 'summary.json'))).toBe(true);
  }, 180_000);

  it('bad data gives one "topofr: …" line naming the file and line, exit 1, no crash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'topofr-e2e-bad-'));
    const fixtures = join(import.meta.dirname, 'fixtures', 'recordio');
    writeFileSync(join(dir, 'train.rec'), readFileSync(join(fixtures, 'plain.rec')));
    writeFileSync(join(dir, 'train.idx'), readFileSync(join(fixtures, 'plain.idx')));
    appendFileSync(join(dir, 'train.idx'), '8\t123456789\n');
    const result = topofr('dataset', dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`topofr: ${join(dir, 'train.idx')}: line 9: offset 123456789 of key 8 is past the end of ${join(dir, 'train.rec')} (${readFileSync(join(dir, 'train.rec')).length} bytes)\n`);
    const skipping = topofr('dataset', dir, '--json', '--skip-bad-images');
    expect(skipping.status).toBe(0);
    expect(JSON.parse(skipping.stdout)).toEqual({ format: 'recordio', images: 8, classes: 3 });
  });
});
