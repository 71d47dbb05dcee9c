// End to end: the built CLI (`npm run build` first) against Ripser 1.2.1's own output.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ripserSections } from './support/rips-oracle.js';

const ROOT = join(import.meta.dirname, '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const FIXTURES = join(import.meta.dirname, 'fixtures', 'ripser');
const fixture = (name: string): string => join(FIXTURES, name);

function topofr(args: string[], input?: string | Buffer): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const ripserText = (file: string): string => readFileSync(fixture(file), 'utf8');

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` before the CLI tests`);
});

describe('topofr persistence reproduces Ripser 1.2.1 byte for byte, every dimension', () => {
  // [what, our arguments, Ripser's output file]. The *.barcode.txt files are Ripser 1.2.1 built
  // from source; they were made with Ripser's real default format, "distance" (see README.md).
  // The *.debian-ripser*.txt files are Debian's ripser 1.2.1-3. Within a dimension Ripser prints
  // in its reduction order (descending births; ties by simplex index), which we reproduce.
  const cases: [string, string[], string][] = [
    ['sphere_3_192, default format, dim 2', ['sphere_3_192.lower_distance_matrix', '--dim', '2'], 'sphere_3_192.dim2.barcode.txt'],
    ['sphere_3_192 as distance, dim 2', ['sphere_3_192.lower_distance_matrix', '--format', 'distance', '--dim', '2'], 'sphere_3_192.dim2.barcode.txt'],
    ['o3_1024 point cloud, threshold 1.8, dim 3', ['o3_1024.txt', '--format', 'point-cloud', '--threshold', '1.8', '--dim', '3'], 'o3_1024.dim3.thr1.8.barcode.txt'],
    ['random16 as distance (15 points), dim 7', ['random16.lower_distance_matrix', '--format', 'distance', '--dim', '7'], 'random16.dim7.barcode.txt'],
    ['projective_plane lower-distance, Z/2, dim 2', ['projective_plane.lower_distance_matrix', '--dim', '2'], 'projective_plane.dim2.barcode.txt'],
    ['projective_plane lower-distance, Z/3, dim 2', ['projective_plane.lower_distance_matrix', '--dim', '2', '--modulus', '3'], 'projective_plane.dim2.mod3.debian-ripser-coeff.txt'],
    ['projective_plane CSV as distance, dim 2', ['projective_plane.csv', '--format', 'distance', '--dim', '2'], 'projective_plane.dim2.barcode.txt'],
    ['projective_plane CSV as distance, default dim 1', ['projective_plane.csv', '--format', 'distance'], 'projective_plane.csv.debian-ripser.dim1.txt'],
    ['o3_1024 point cloud, enclosing radius', ['o3_1024.txt', '--format', 'point-cloud'], 'o3_1024.point-cloud.debian-ripser.dim1.txt'],
    ['random16 lower-distance', ['random16.lower_distance_matrix', '--format', 'lower-distance'], 'random16.lower-distance.debian-ripser.dim1.txt'],
    ['random16 lower-distance, threshold 50', ['random16.lower_distance_matrix', '--threshold', '50'], 'random16.lower-distance.thr50.debian-ripser.dim1.txt'],
    ['random16 lower-distance, threshold 30', ['random16.lower_distance_matrix', '--threshold', '30'], 'random16.lower-distance.thr30.debian-ripser.dim1.txt'],
    ['random16 lower-distance, ratio 1.2, dim 2', ['random16.lower_distance_matrix', '--ratio', '1.2', '--dim', '2'], 'random16.lower-distance.ratio1.2.debian-ripser.dim2.txt'],
    ['random16 upper-distance', ['random16.upper_distance_matrix', '--format', 'upper-distance'], 'random16.upper-distance.debian-ripser.dim1.txt'],
    ['random16 sparse', ['random16.sparse.txt', '--format', 'sparse'], 'random16.sparse.debian-ripser.dim1.txt'],
  ];
  it.each(cases)('%s', (_, args, ripserFile) => {
    const [file, ...flags] = args;
    const run = topofr(['persistence', fixture(file), ...flags]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(ripserText(ripserFile));
  });

  it('--dim 0 prints the dimension-0 part only; --threads does not change a byte', () => {
    const ripser = ripserText('o3_1024.dim3.thr1.8.barcode.txt');
    const args = ['persistence', fixture('o3_1024.txt'), '--format', 'point-cloud', '--threshold', '1.8'];
    expect(topofr([...args, '--dim', '0']).stdout).toBe(ripser.slice(0, ripser.indexOf('persistence intervals in dim 1:')));
    const one = topofr([...args, '--dim', '3', '--threads', '1']).stdout;
    expect(one).toBe(ripser);
    expect(topofr([...args, '--dim', '3', '--threads', '2', '--json']).stdout).toBe(topofr([...args, '--dim', '3', '--threads', '1', '--json']).stdout);
  });

  it('sparse input with --threshold: the threshold holds in every dimension (Ripser 1.2.1 keeps longer edges; README.md)', () => {
    const run = topofr(['persistence', fixture('random16.sparse.txt'), '--format', 'sparse', '--threshold', '30']);
    expect(run.status).toBe(0);
    const ours = ripserSections(run.stdout);
    expect(ours.header).toEqual(ripserSections(ripserText('random16.sparse.thr30.debian-ripser.dim1.txt')).header);
    expect(ours.dims).toEqual(ripserSections(ripserText('random16.lower-distance.thr30.debian-ripser.dim1.txt')).dims);
  });

  it("reads standard input for '-'", () => {
    const run = topofr(['persistence', '-', '--dim', '2'], readFileSync(fixture('sphere_3_192.lower_distance_matrix')));
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(ripserText('sphere_3_192.dim2.barcode.txt'));
  });

  it('binary and DIPHA files give the lower-distance barcode', () => {
    const lower = readFileSync(fixture('random16.lower_distance_matrix'), 'utf8').split(/[\s,]+/).filter(Boolean).map(Number);
    const n = 16;
    const tmp = mkdtempSync(join(tmpdir(), 'topofr-cli-'));
    const binary = Buffer.alloc(4 * lower.length);
    lower.forEach((d, k) => binary.writeFloatLE(d, 4 * k));
    writeFileSync(join(tmp, 'r16.bin'), binary);
    const dipha = Buffer.alloc(24 + 8 * n * n);
    dipha.writeBigInt64LE(8067171840n, 0);
    dipha.writeBigInt64LE(7n, 8);
    dipha.writeBigInt64LE(BigInt(n), 16);
    for (let i = 1, k = 0; i < n; i++) {
      for (let j = 0; j < i; j++, k++) {
        dipha.writeDoubleLE(lower[k], 24 + 8 * (i * n + j));
        dipha.writeDoubleLE(lower[k], 24 + 8 * (j * n + i));
      }
    }
    writeFileSync(join(tmp, 'r16.dipha'), dipha);

    const reference = ripserText('random16.lower-distance.debian-ripser.dim1.txt');
    expect(topofr(['persistence', join(tmp, 'r16.dipha'), '--format', 'dipha']).stdout).toBe(reference);
    // Ripser's binary reader appends a 0 after the last value, which its value range includes.
    const fromBinary = topofr(['persistence', join(tmp, 'r16.bin'), '--format', 'binary']).stdout;
    expect(fromBinary).toBe(reference.replace('value range: [1,120]', 'value range: [0,120]'));
  });
});

interface JsonBarcode {
  dim: number;
  births: number[];
  deaths: (number | null)[];
  birthEdges: ([number, number] | null)[];
  deathEdges: ([number, number] | null)[];
}

describe('topofr persistence --json', () => {
  it('gives n, the threshold, and per dimension births, deaths (null = essential) and critical edges', () => {
    const run = topofr(['persistence', fixture('random16.lower_distance_matrix'), '--json', '--dim', '2']);
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout) as { n: number; threshold: number; barcodes: JsonBarcode[] };
    expect(result.n).toBe(16);
    expect(result.threshold).toBe(103);
    const [h0, h1, h2] = result.barcodes;
    expect(result.barcodes.map((b) => b.dim)).toEqual([0, 1, 2]);
    expect(h0.births).toEqual(new Array(16).fill(0));
    expect(h0.deaths).toEqual([1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 17, 19, 35, null]);
    expect(h0.birthEdges).toEqual(new Array(16).fill(null));
    expect(h0.deathEdges.at(-1)).toBeNull();
    // The same intervals as the text, and each critical edge joins two vertices at exactly the
    // interval's value.
    const text = ripserSections(topofr(['persistence', fixture('random16.lower_distance_matrix'), '--dim', '2']).stdout);
    const lower = readFileSync(fixture('random16.lower_distance_matrix'), 'utf8').split(/[\s,]+/).filter(Boolean).map(Number);
    const length = ([u, v]: [number, number]) => lower[u > v ? (u * (u - 1)) / 2 + v : (v * (v - 1)) / 2 + u];
    for (const barcode of [h0, h1, h2]) {
      const lines = barcode.births.map((b, k) => ` [${b},${barcode.deaths[k] ?? ' '})`).sort();
      expect(lines).toEqual(text.dims[barcode.dim]);
      barcode.births.forEach((birth, k) => {
        const [birthEdge, deathEdge, death] = [barcode.birthEdges[k], barcode.deathEdges[k], barcode.deaths[k]];
        if (barcode.dim > 0) expect(length(birthEdge!)).toBe(birth);
        if (death === null) expect(deathEdge).toBeNull();
        else expect(length(deathEdge!)).toBe(death);
      });
    }
  });
});

describe('topofr persistence, sparse input with several components', () => {
  it('pairs without an edge leave essential classes, in text and JSON', () => {
    const input = '0 1 1\n2 3 2\n';
    expect(topofr(['persistence', '-', '--format', 'sparse'], input).stdout).toBe(
      [
        'sparse distance matrix with 4 points and 2/6 entries',
        'persistence intervals in dim 0:',
        ' [0,1)',
        ' [0,2)',
        ' [0, )',
        ' [0, )',
        'persistence intervals in dim 1:',
        '',
      ].join('\n'),
    );
    const json = JSON.parse(topofr(['persistence', '-', '--format', 'sparse', '--json', '--dim', '0'], input).stdout);
    expect(json).toEqual({
      n: 4,
      threshold: null,
      barcodes: [{ dim: 0, births: [0, 0, 0, 0], deaths: [1, 2, null, null], birthEdges: [null, null, null, null], deathEdges: [[0, 1], [2, 3], null, null] }],
    });
  });
});

describe('topofr errors', () => {
  const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m);

  it('a missing file: exit 1, the file named', () => {
    const run = topofr(['persistence', 'nope.txt']);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('topofr: cannot read nope.txt: no such file\n');
  });

  it('a malformed file: exit 1, file and line named, no stack trace', () => {
    const run = topofr(['persistence', fixture('random16.dim7.barcode.txt')]);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`topofr: ${fixture('random16.dim7.barcode.txt')}:1: expected a number, found 'value'\n`);
    noStack(run.stderr);
  });

  it('a prime too large for the engine: a usage error with the limit', () => {
    const run = topofr(['persistence', fixture('random16.lower_distance_matrix'), '--modulus', '65537']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^topofr: .*modulus.*65521/);
    noStack(run.stderr);
  });

  it('a ragged point cloud on stdin', () => {
    const run = topofr(['persistence', '-', '--format', 'point-cloud'], '1,2,3\n4,5,6\n7,8\n');
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('topofr: <stdin>:3: line 3 has 2 coordinates, line 1 has 3\n');
  });

  it.each([
    [['persistence', 'f', '--format', 'xyz'], "option '--format <format>' argument 'xyz' is invalid"],
    [['persistence', 'f', '--threshold', '-1'], "option '--threshold <t>' argument '-1' is invalid. expected a finite number ≥ 0"],
    [['persistence', 'f', '--threshold', 'NaN'], "option '--threshold <t>' argument 'NaN' is invalid"],
    [['persistence', 'f', '--dim', '-1'], "option '--dim <k>' argument '-1' is invalid. expected an integer ≥ 0"],
    [['persistence', 'f', '--dim', '1.5'], "option '--dim <k>' argument '1.5' is invalid"],
    [['persistence', 'f', '--modulus', '4'], "option '--modulus <p>' argument '4' is invalid. expected a prime"],
    [['persistence', 'f', '--modulus', '1'], "option '--modulus <p>' argument '1' is invalid. expected a prime"],
    [['persistence', 'f', '--modulus', '2.5'], "option '--modulus <p>' argument '2.5' is invalid. expected a prime"],
    [['persistence', 'f', '--ratio', '0.5'], "option '--ratio <r>' argument '0.5' is invalid. expected a finite number ≥ 1"],
    [['persistence', 'f', '--threads', '0'], "option '--threads <n>' argument '0' is invalid. expected an integer ≥ 1"],
    [['persistence', 'f', '--metric', 'cosine'], '--metric applies only to --format point-cloud'],
    [['persistence'], "missing required argument 'file'"],
    [['persistence', 'f', '--bogus'], "unknown option '--bogus'"],
    [['bogus'], "unknown command 'bogus'"],
  ])('usage error %j: exit 2', (args, message) => {
    const run = topofr(args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^topofr: /);
    expect(run.stderr).toContain(message);
  });

  it('--help and --version exit 0', () => {
    expect(topofr(['--help']).status).toBe(0);
    expect(topofr(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('topofr demo', () => {
  it('reports timings, capabilities and how H0 separates the identities', () => {
    const run = topofr(['demo', '--identities', '32', '--per-identity', '4', '--dim', '64', '--seed', '7', '--device', 'cpu']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('32 identities × 4 samples = 128 embeddings in 64-d (seed 7)');
    expect(run.stdout).toMatch(/threads, GEMM .+, CUDA /);
    expect(run.stdout).toMatch(/pairwise distances \(128×128\) +\d+\.\d ms/);
    expect(run.stdout).toContain('MST edges: 127 = 96 within an identity + 31 between identities');
    expect(run.stdout).toMatch(/H0 separates the identities/);
    // Seeded: the same seed gives the same barcode.
    const again = topofr(['demo', '--identities', '32', '--per-identity', '4', '--dim', '64', '--seed', '7', '--device', 'cpu']);
    const deathsLine = (text: string) => text.split('\n').find((l) => l.startsWith('H0 deaths'));
    expect(deathsLine(again.stdout)).toBe(deathsLine(run.stdout));
  });
});

describe('topofr train', () => {
  const tiny = ['--train-identities', '8', '--test-identities', '6', '--samples-per-identity', '4', '--image-size', '16',
    '--batch-size', '8', '--epochs', '1', '--width-multiplier', '0.125', '--embedding-size', '16', '--verification-pairs', '20', '--no-progress'];

  it('trains, evaluates and writes the run folder; summary.json on stdout', () => {
    const out = mkdtempSync(join(tmpdir(), 'topofr-cli-train-'));
    const r = topofr(['train', ...tiny, '--out-dir', out, '--name', 'tiny']);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { accuracy: number; chance: number; tarAtFar: Record<string, number>; config: { alpha: number } };
    expect(summary.accuracy).toBeGreaterThanOrEqual(0);
    expect(summary.accuracy).toBeLessThanOrEqual(1);
    expect(summary.chance).toBe(0.5);
    expect(summary.config.alpha).toBe(0.1);
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'model/model.json', 'model/weights.bin', 'checkpoint/checkpoint.json', 'report.html',
      'plots/loss.svg'])
      expect(existsSync(join(out, 'tiny', f)), f).toBe(true);
    expect(r.stderr).toMatch(/step 4\/4 \(100%\) loss/);
    // topofr eval on the exported model (settings from the run's config.json) = the run's own evaluation
    const e = topofr(['eval', '--model', join(out, 'tiny', 'model')]);
    expect(e.status, e.stderr).toBe(0);
    const evaluation = JSON.parse(e.stdout) as { accuracy: number; tarAtFar: Record<string, number> };
    expect(evaluation.accuracy).toBe(summary.accuracy);
    expect(evaluation.tarAtFar).toEqual(summary.tarAtFar);
    expect(topofr(['eval', '--model', join(out, 'tiny', 'model'), '--image-size', '32']).stderr).toMatch(/takes 16×16 images/);
    expect(topofr(['eval', '--model', join(out, 'nowhere')]).status).toBe(1);
    // topofr report re-evaluates the run folder: the same numbers, a fresh report.html
    rmSync(join(out, 'tiny', 'report.html'));
    const rep = topofr(['report', '--run', join(out, 'tiny')]);
    expect(rep.status, rep.stderr).toBe(0);
    expect((JSON.parse(rep.stdout) as { accuracy: number }).accuracy).toBe(summary.accuracy);
    expect(readFileSync(join(out, 'tiny', 'report.html'), 'utf8')).toContain('<svg');
  });

  it('a config file, flags on top, and clear usage errors', () => {
    const out = mkdtempSync(join(tmpdir(), 'topofr-cli-train-'));
    const cfg = join(out, 'cfg.yaml');
    writeFileSync(cfg, 'alpha: 0\nname: from-file\n');
    const r = topofr(['train', ...tiny, '--out-dir', out, '--config', cfg, '--max-steps', '1']);
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { config: { alpha: number; name: string } }).config).toMatchObject({ alpha: 0, name: 'from-file' });
    const bad = topofr(['train', '--alpha', 'lots']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/alpha/);
    writeFileSync(cfg, 'alhpa: 0\n');
    const typo = topofr(['train', '--config', cfg]);
    expect(typo.status).toBe(1);
    expect(typo.stderr).toMatch(/unknown setting 'alhpa'/);
    expect(topofr(['train', '--resume', '--out-dir', out, '--name', 'never-ran']).stderr).toMatch(/no usable checkpoint/);
    // tfjs-node is not a dependency: asking for its backend without it installed says how to get it
    const tfNode = topofr(['train', ...tiny, '--out-dir', out, '--backend', 'tensorflow']);
    if (!existsSync(join(ROOT, 'node_modules', '@tensorflow', 'tfjs-node'))) {
      expect(tfNode.status).toBe(1);
      expect(tfNode.stderr).toMatch(/npm install @tensorflow\/tfjs-node/);
    }
  });
});

describe('topofr ablation', () => {
  it('runs the chosen Table 3 rows over the seeds and prints the table', () => {
    const out = mkdtempSync(join(tmpdir(), 'topofr-cli-ablation-'));
    const cfg = join(out, 'tiny.yaml');
    writeFileSync(cfg, ['trainIdentities: 8', 'testIdentities: 6', 'samplesPerIdentity: 4', 'imageSize: 16', 'batchSize: 8',
      'widthMultiplier: 0.125', 'embeddingSize: 16', 'verificationPairs: 20', 'maxSteps: 2'].join('\n'));
    const r = topofr(['ablation', '--seeds', '2', '--rows', '1,7', '--config', cfg, '--out-dir', out]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\| row \| accuracy % \| Δ vs first \| TAR@FAR=1e-1 % \|/);
    expect(lines.slice(2).map((l) => l.split('|')[1]!.trim())).toEqual(['ArcFace', 'TopoFR (PTSA + SDE)']);
    expect(existsSync(join(out, 'ablation', 'table.md'))).toBe(true);
    expect(existsSync(join(out, 'ablation', 'arcface-seed2049', 'summary.json'))).toBe(true);
    for (const plot of ['discrepancy-training', 'gamma', 'mst-ratio', 'participation', 'discrepancy-test'])
      expect(existsSync(join(out, 'ablation', 'plots', `${plot}.svg`)), plot).toBe(true);
    // The report again from the folder, without training; the rows with a topology term per --alpha.
    const again = topofr(['ablation', '--out-dir', out, '--report-only']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toBe(r.stdout);
    const sweep = topofr(['ablation', '--seeds', '1', '--rows', '1,7', '--alpha', '0.05,0.2', '--config', cfg, '--out-dir', out, '--name', 'sweep']);
    expect(sweep.status, sweep.stderr).toBe(0);
    expect(sweep.stdout.trim().split('\n').slice(2).map((l) => l.split('|')[1]!.trim()))
      .toEqual(['ArcFace', 'TopoFR (PTSA + SDE), α = 0.05', 'TopoFR (PTSA + SDE), α = 0.2']);
    expect(topofr(['ablation', '--rows', '9']).status).toBe(2);  // a usage error
    expect(topofr(['ablation', '--alpha', '0,x']).status).toBe(2);
  });
});
