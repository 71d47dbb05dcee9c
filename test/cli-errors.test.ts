// Issue 15, defects 6–11 at the command line: every failure is one "topofr: …" line on stderr,
// without a stack trace or a raw control character, and a non-zero exit status — corrupt models,
// an out-dir that cannot be created, a '__proto__' key in a config, a run name that is not one
// folder, a resume with changed settings, a 13-byte sparse file naming 2^31 vertices, and a parse
// error whose token holds terminal escape sequences. `npm run build` first.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileLoader } from '../src/model/file-io.js';
import { loadIResNet } from '../src/model/iresnet.js';

const MAIN = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'topofr-cli-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function topofr(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: 'utf8', cwd: dir, timeout: 120_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Exit 1, exactly one line "topofr: …" matching `message`, printable. */
function expectOneLine(r: ReturnType<typeof topofr>, message: RegExp, status = 1): void {
  expect(r.signal).toBeNull();
  expect(r.status, r.stderr).toBe(status);
  expect(r.stderr).toMatch(/^topofr: [^\n]*\n$/);
  expect(r.stderr).toMatch(message);
  // eslint-disable-next-line no-control-regex
  expect(r.stderr.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
}

const TINY = ['--train-identities', '4', '--test-identities', '2', '--samples-per-identity', '3', '--image-size', '16', '--batch-size', '4',
  '--epochs', '1', '--width-multiplier', '0.05', '--embedding-size', '8', '--verification-pairs', '20', '--no-progress'];

describe('topofr persistence', () => {
  it('a parse error does not echo control bytes', () => {
    const file = join(dir, 'evil.txt');
    writeFileSync(file, '1 2\n3 \u001b]0;pwned\u0007\u001b[2J 4\n');
    expectOneLine(topofr(['persistence', file]), /expected a number, found '\\x1b\]0;pwned\\x07\\x1b\[2J'/);
  });

  it('a file name with control characters is escaped', () => {
    expectOneLine(topofr(['persistence', 'missing\u001b[31m.txt']), /cannot read missing\\x1b\[31m\.txt/);
  });

  it('a 13-byte sparse file naming 2^31 − 1 vertices is refused at once, before any allocation', () => {
    const file = join(dir, 'huge.sparse');
    writeFileSync(file, '0 2147483646 1\n');
    const t0 = performance.now();
    expectOneLine(topofr(['persistence', file, '--format', 'sparse', '--dim', '0']), /2147483647 vertices.*GiB.*renumber/);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });
});

describe('topofr train', () => {
  it("'--name ..' and '--name .' are refused (they would write into the parent of --out-dir)", () => {
    // '.', 'a/b' and the rest: test/checkpoint.test.ts, in process.
    expectOneLine(topofr(['train', '--out-dir', join(dir, 'runs'), '--name', '..']), /'name' is the run's folder/);
  });

  it("a '__proto__' key in a config file is an unknown setting", () => {
    writeFileSync(join(dir, 'proto.yaml'), '__proto__:\n  polluted: 1\n');
    expectOneLine(topofr(['train', '--config', join(dir, 'proto.yaml')]), /unknown setting '__proto__'/);
  });

  it('an out-dir that cannot be created', () => {
    writeFileSync(join(dir, 'a-file'), '');
    expectOneLine(topofr(['train', ...TINY, '--out-dir', join(dir, 'a-file', 'runs'), '--max-steps', '1']), /cannot write the run folder .*a-file.*choose another outDir.*ENOTDIR/);
  });

  it('resume: the run\'s own settings by default; a changed setting only with --override; nothing written before the check', () => {
    const out = join(dir, 'resume');
    const first = topofr(['train', ...TINY, '--alpha', '0', '--out-dir', out, '--name', 'r', '--max-steps', '1']);
    expect(first.status, first.stderr).toBe(0);
    const config = readFileSync(join(out, 'r', 'config.json'), 'utf8');
    const metrics = readFileSync(join(out, 'r', 'metrics.jsonl'), 'utf8');
    expectOneLine(topofr(['train', '--resume', '--out-dir', out, '--name', 'r', '--lr', '0.2']), /trained with other settings: lr 0\.1 → 0\.2.*--override/);
    expect(readFileSync(join(out, 'r', 'config.json'), 'utf8')).toBe(config);
    expect(readFileSync(join(out, 'r', 'metrics.jsonl'), 'utf8')).toBe(metrics);
    const resumed = topofr(['train', '--resume', '--out-dir', out, '--name', 'r', '--max-steps', '2']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect((JSON.parse(resumed.stdout) as { config: { alpha: number } }).config.alpha).toBe(0);
    const overridden = topofr(['train', '--resume', '--override', '--out-dir', out, '--name', 'r', '--max-steps', '3', '--lr', '0.05']);
    expect(overridden.status, overridden.stderr).toBe(0);
    expect(overridden.stderr).toMatch(/changed settings \(--override\): lr 0\.1 → 0\.05/);
    const steps = readFileSync(join(out, 'r', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
    expect(steps).toEqual([1, 2, 3]);
  }, 240_000);
});

describe('model files are untrusted', () => {
  const model = join(dir, 'model');
  mkdirSync(model, { recursive: true });
  const manifest = (paths: string[], shape = [2]) => JSON.stringify({
    modelTopology: { class_name: 'Model', config: {} }, format: 'layers-model',
    weightsManifest: [{ paths, weights: [{ name: 'w', shape, dtype: 'float32' }] }] });
  const load = () => loadIResNet(fileLoader(model));

  it.each([
    ['model.json that is not JSON', () => writeFileSync(join(model, 'model.json'), '{"modelTopology": '), /not valid JSON/],
    ['no topology', () => writeFileSync(join(model, 'model.json'), '{"weightsManifest": []}'), /no modelTopology/],
    ['a weights path outside the folder', () => writeFileSync(join(model, 'model.json'), manifest(['../../../../etc/passwd'])), /not a file inside/],
    ['weights.bin with extra bytes', () => {
      writeFileSync(join(model, 'model.json'), manifest(['weights.bin']));
      writeFileSync(join(model, 'weights.bin'), Buffer.alloc(12));
    }, /need 8 bytes but weights\.bin hold 12/],
    ['weights.bin too short', () => writeFileSync(join(model, 'weights.bin'), Buffer.alloc(4)), /need 8 bytes/],
    ['a topology tfjs cannot build', () => writeFileSync(join(model, 'weights.bin'), Buffer.alloc(8)), /not a loadable tfjs layers model/],
  ])('%s: a TopofrError ERR_TOPOFR_PARSE', async (_, prepare, message) => {
    prepare();
    await expect(load()).rejects.toMatchObject({ name: 'TopofrError', code: 'ERR_TOPOFR_PARSE', message: expect.stringMatching(message) });
  });

  it('topofr eval on a corrupt model: one line', () => {
    writeFileSync(join(model, 'model.json'), manifest(['weights.bin']));
    writeFileSync(join(model, 'weights.bin'), Buffer.alloc(12));
    expectOneLine(topofr(['eval', '--model', model, '--image-size', '16']), /need 8 bytes but weights\.bin hold 12/);
  }, 60_000);
});
