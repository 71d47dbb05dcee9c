// End to end through the built CLI (`npm run build` first): pack a folder of synthetic faces →
// train 2 steps from the .rec with `--val` on a generated .bin → `topofr eval --bin` → `topofr export --onnx` → onnxruntime gives
// the embeddings `topofr embed` prints (from the tfjs model and from the ONNX file); then
// `topofr eval --ijb` on a synthetic IJB-shaped set.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticFaceDataset } from '../src/data/dataset.js';
import { encodeJpeg } from '../src/data/image-codec.js';
import { verificationPairs } from '../src/data/pairs.js';
import { writeVerificationBin } from '../src/data/verification-bin.js';
import { decodeImage } from '../src/data/image-codec.js';
import { writeSyntheticIjb } from './support/ijb-synthetic.js';

const MAIN = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const tmp = mkdtempSync(join(tmpdir(), 'topofr-e2e-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function topofr(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const binPath = join(tmp, 'synth_lfw.bin');
const faces: string[] = [];
beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` before the CLI tests`);
  // A verification set of unseen synthetic identities, 112×112 JPEG q95, as insightface packs them.
  const data = syntheticFaceDataset({ trainIdentities: 4, testIdentities: 8, samplesPerIdentity: 4, imageSize: 112, seed: 99 });
  const pairs = verificationPairs(data.test, { pairs: 20, seed: 99 });
  const images: Uint8Array[] = [];
  for (let p = 0; p < 20; p++)
    for (const i of [pairs.first[p]!, pairs.second[p]!]) images.push(await encodeJpeg(data.test.imageBytes(i), 112, 112, 95));
  writeVerificationBin(binPath, images, pairs.issame);
  for (let k = 0; k < 3; k++) {
    faces.push(join(tmp, `face${k}.jpg`));
    writeFileSync(faces[k]!, images[k]!);
  }
  // A folder per identity of training faces (other identities than the .bin's), for `topofr pack`.
  for (let id = 0; id < 4; id++) {
    mkdirSync(join(tmp, 'faces', `id${id}`), { recursive: true });
    for (let k = 0; k < 4; k++) writeFileSync(join(tmp, 'faces', `id${id}`, `${k}.jpg`), await encodeJpeg(data.train.imageBytes(id * 4 + k), 112, 112, 95));
  }
});

describe('pack → train from .rec → eval .bin → export ONNX → onnxruntime', () => {
  it('runs end to end and every stage agrees', async () => {
    const packed = topofr(['pack', join(tmp, 'faces'), '--out', join(tmp, 'train')]);
    expect(packed.status, packed.stderr).toBe(0);
    const run = topofr(['train', '--name', 'e2e', '--out-dir', tmp, '--data', join(tmp, 'train.rec'), '--test-identities', '5', '--samples-per-identity', '4',
      '--image-size', '112', '--width-multiplier', '0.0625', '--embedding-size', '16', '--batch-size', '8', '--max-steps', '2',
      '--verification-pairs', '20', '--val', binPath, '--val-every', '1', '--no-progress']);
    expect(run.stderr).toContain('[synth_lfw][2]Accuracy-Flip:');
    expect(run.status).toBe(0);
    const runDir = join(tmp, 'e2e');
    expect((JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { data: string }).data).toBe(join(tmp, 'train.rec'));
    const logged = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; val?: Record<string, { accuracy: number; pairs: number }> });
    const val = logged.filter((r) => r.val);
    expect(val.map((r) => r.step)).toEqual([1, 2]);
    expect(val[1]!.val!.synth_lfw!.pairs).toBe(20);
    expect(readFileSync(join(runDir, 'report.html'), 'utf8')).toContain('Verification sets during training');

    // topofr eval --bin --json: one object keyed by the set's base name; the same value the callback logged at the last step.
    const evaluated = topofr(['eval', '--model', join(runDir, 'model'), '--bin', binPath, '--json']);
    expect(evaluated.status).toBe(0);
    const result = JSON.parse(evaluated.stdout) as Record<string, { pairs: number; accuracy: number; std: number; 'valAtFar1e-3'?: number }>;
    expect(Object.keys(result)).toEqual(['synth_lfw']);
    expect(result.synth_lfw!.pairs).toBe(20);
    expect(result.synth_lfw!.accuracy).toBe(val[1]!.val!.synth_lfw!.accuracy);

    // export → onnxruntime on the decoded images == topofr embed (tfjs) == topofr embed (the ONNX file).
    const onnxPath = join(tmp, 'e2e.onnx');
    expect(topofr(['export', '--model', join(runDir, 'model'), '--onnx', onnxPath]).status).toBe(0);
    const embedTf = JSON.parse(topofr(['embed', '--model', join(runDir, 'model'), ...faces, '--json']).stdout) as { file: string; embedding: number[] }[];
    const embedOnnx = JSON.parse(topofr(['embed', '--model', onnxPath, ...faces, '--json']).stdout) as { file: string; embedding: number[] }[];
    const session = await ort.InferenceSession.create(onnxPath);
    const input = new Float32Array(faces.length * 3 * 112 * 112);
    for (const [n, file] of faces.entries()) {
      const { data } = await decodeImage(readFileSync(file), file);
      for (let c = 0; c < 3; c++) for (let i = 0; i < 112 * 112; i++) input[((n * 3 + c) * 112 * 112) + i] = (data[i * 3 + c]! / 255 - 0.5) / 0.5;
    }
    const out = (await session.run({ data: new ort.Tensor('float32', input, [faces.length, 3, 112, 112]) }))[session.outputNames[0]!]!.data as Float32Array;
    const scale = Math.max(...Array.from(out, Math.abs));
    for (const [n, e] of embedTf.entries()) {
      expect(e.file).toBe(faces[n]);
      expect(e.embedding).toHaveLength(16);
      e.embedding.forEach((v, k) => {
        expect(Math.abs(v - out[n * 16 + k]!)).toBeLessThan(1e-4 * scale);
        expect(Math.abs(embedOnnx[n]!.embedding[k]! - out[n * 16 + k]!)).toBeLessThan(1e-4 * scale);
      });
    }
  }, 240_000); // 6 CLI processes: ~20 s on a quiet 2-core machine, 60+ s when it is shared

  it('topofr eval --ijb on an IJB-shaped set: TAR at the six FARs', async () => {
    const root = join(tmp, 'ijb');
    await writeSyntheticIjb(root, { identities: 3, seed: 5 });
    const r = topofr(['eval', '--model', join(tmp, 'e2e', 'model'), '--ijb', root, '--target', 'IJBC', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { target: string; images: number; templates: number; pairs: number; genuinePairs: number; tarAtFar: Record<string, number> };
    expect(result).toMatchObject({ target: 'IJBC', images: 15, templates: 6, pairs: 15, genuinePairs: 3 });
    expect(Object.keys(result.tarAtFar)).toEqual(['1e-6', '1e-5', '1e-4', '1e-3', '1e-2', '1e-1']);
    for (const tar of Object.values(result.tarAtFar)) expect(tar >= 0 && tar <= 1).toBe(true);
  }, 120_000);

  it('bad inputs are one-line typed errors with exit code 1', () => {
    const evil = join(import.meta.dirname, 'fixtures', 'verification-bin', 'evil-os-system-protocol2.bin');
    const r = topofr(['eval', '--model', join(tmp, 'e2e', 'model'), '--bin', evil]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^topofr: .*evil-os-system-protocol2\.bin: byte \d+: the pickle imports "posix\.system"/);
    const missing = topofr(['embed', '--model', join(tmp, 'nowhere'), faces[0]!]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^topofr: no model at/);
  }, 120_000);
});
