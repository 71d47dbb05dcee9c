// End to end: the built CLI (`npm run build` first) against Ripser 1.2.1's own output.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const FIXTURES = join(import.meta.dirname, 'fixtures', 'ripser');
const fixture = (name: string): string => join(FIXTURES, name);

function topofr(args: string[], input?: string | Buffer): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Ripser's text up to (not including) "persistence intervals in dim 1:". */
function dim0Part(text: string): { header: string[]; intervals: string[] } {
  const lines = text.split('\n');
  const start = lines.indexOf('persistence intervals in dim 0:');
  expect(start, 'no dim 0 section').toBeGreaterThanOrEqual(0);
  let end = lines.indexOf('persistence intervals in dim 1:');
  if (end < 0) end = lines.at(-1) === '' ? lines.length - 1 : lines.length;
  return { header: lines.slice(0, start), intervals: lines.slice(start + 1, end).sort() };
}

function expectSameDim0(ours: string, ripserFile: string): void {
  const expected = dim0Part(readFileSync(fixture(ripserFile), 'utf8'));
  const actual = dim0Part(ours);
  expect(actual.header).toEqual(expected.header);
  expect(actual.intervals).toEqual(expected.intervals);
}

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` before the CLI tests`);
});

describe('topofr persistence reproduces Ripser 1.2.1 in dimension 0', () => {
  // [what, our arguments, Ripser's output file]. The *.barcode.txt files are Ripser 1.2.1 built
  // from source; they were made with Ripser's real default format, "distance" (see README.md).
  // The *.debian-ripser.dim0.txt files are Debian's ripser 1.2.1-3 (the dim-0 part).
  const cases: [string, string[], string][] = [
    ['sphere_3_192, default format', ['sphere_3_192.lower_distance_matrix'], 'sphere_3_192.dim2.barcode.txt'],
    ['sphere_3_192 as distance', ['sphere_3_192.lower_distance_matrix', '--format', 'distance'], 'sphere_3_192.dim2.barcode.txt'],
    ['o3_1024 point cloud, threshold 1.8', ['o3_1024.txt', '--format', 'point-cloud', '--threshold', '1.8'], 'o3_1024.dim3.thr1.8.barcode.txt'],
    ['random16 as distance', ['random16.lower_distance_matrix', '--format', 'distance'], 'random16.dim7.barcode.txt'],
    ['projective_plane lower-distance', ['projective_plane.lower_distance_matrix'], 'projective_plane.dim2.barcode.txt'],
    ['projective_plane CSV as distance', ['projective_plane.csv', '--format', 'distance'], 'projective_plane.dim2.barcode.txt'],
    ['o3_1024 point cloud, enclosing radius', ['o3_1024.txt', '--format', 'point-cloud'], 'o3_1024.point-cloud.debian-ripser.dim0.txt'],
    ['random16 lower-distance', ['random16.lower_distance_matrix', '--format', 'lower-distance'], 'random16.lower-distance.debian-ripser.dim0.txt'],
    ['random16 lower-distance, threshold 50', ['random16.lower_distance_matrix', '--threshold', '50'], 'random16.lower-distance.thr50.debian-ripser.dim0.txt'],
    ['random16 upper-distance', ['random16.upper_distance_matrix', '--format', 'upper-distance'], 'random16.upper-distance.debian-ripser.dim0.txt'],
    ['random16 sparse', ['random16.sparse.txt', '--format', 'sparse'], 'random16.sparse.debian-ripser.dim0.txt'],
    ['random16 sparse, threshold 30', ['random16.sparse.txt', '--format', 'sparse', '--threshold', '30'], 'random16.sparse.thr30.debian-ripser.dim0.txt'],
  ];
  it.each(cases)('%s', (_, args, ripserFile) => {
    const [file, ...flags] = args;
    const run = topofr(['persistence', fixture(file), '--dim', '0', ...flags]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expectSameDim0(run.stdout, ripserFile);
  });

  it('prints the intervals in Ripser order: ascending deaths, essential classes last', () => {
    const run = topofr(['persistence', fixture('o3_1024.txt'), '--format', 'point-cloud', '--threshold', '1.8']);
    const ripser = readFileSync(fixture('o3_1024.dim3.thr1.8.barcode.txt'), 'utf8');
    expect(run.stdout).toBe(ripser.slice(0, ripser.indexOf('persistence intervals in dim 1:')));
  });

  it("reads standard input for '-'", () => {
    const run = topofr(['persistence', '-'], readFileSync(fixture('sphere_3_192.lower_distance_matrix')));
    expect(run.status).toBe(0);
    expectSameDim0(run.stdout, 'sphere_3_192.dim2.barcode.txt');
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

    const reference = readFileSync(fixture('random16.lower-distance.debian-ripser.dim0.txt'), 'utf8');
    expect(topofr(['persistence', join(tmp, 'r16.dipha'), '--format', 'dipha']).stdout).toBe(reference);
    // Ripser's binary reader appends a 0 after the last value, which its value range includes.
    const fromBinary = topofr(['persistence', join(tmp, 'r16.bin'), '--format', 'binary']).stdout;
    expect(fromBinary).toBe(reference.replace('value range: [1,120]', 'value range: [0,120]'));
  });
});

describe('topofr persistence --json', () => {
  it('gives n, the threshold, births, deaths (null = essential) and the death edges', () => {
    const run = topofr(['persistence', fixture('random16.lower_distance_matrix'), '--json']);
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout) as {
      n: number;
      threshold: number;
      barcodes: { dim: number; births: number[]; deaths: (number | null)[]; deathEdges: ([number, number] | null)[] }[];
    };
    expect(result.n).toBe(16);
    expect(result.threshold).toBe(103);
    const [h0] = result.barcodes;
    expect(h0.dim).toBe(0);
    expect(h0.births).toEqual(new Array(16).fill(0));
    expect(h0.deaths).toEqual([1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 17, 19, 35, null]);
    expect(h0.deathEdges.at(-1)).toBeNull();
    // Each death edge joins two vertices at exactly that distance.
    const lower = readFileSync(fixture('random16.lower_distance_matrix'), 'utf8').split(/[\s,]+/).filter(Boolean).map(Number);
    h0.deathEdges.slice(0, -1).forEach((edge, k) => {
      const [u, v] = edge as [number, number];
      expect(u).toBeLessThan(v);
      expect(lower[(v * (v - 1)) / 2 + u]).toBe(h0.deaths[k]);
    });
  });
});

describe('topofr persistence, sparse input with several components', () => {
  it('pairs without an edge leave essential classes, in text and JSON', () => {
    const input = '0 1 1\n2 3 2\n';
    expect(topofr(['persistence', '-', '--format', 'sparse'], input).stdout).toBe(
      ['sparse distance matrix with 4 points and 2/6 entries', 'persistence intervals in dim 0:', ' [0,1)', ' [0,2)', ' [0, )', ' [0, )', ''].join('\n'),
    );
    const json = JSON.parse(topofr(['persistence', '-', '--format', 'sparse', '--json'], input).stdout);
    expect(json).toEqual({
      n: 4,
      threshold: null,
      barcodes: [{ dim: 0, births: [0, 0, 0, 0], deaths: [1, 2, null, null], deathEdges: [[0, 1], [2, 3], null, null] }],
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

  it('a ragged point cloud on stdin', () => {
    const run = topofr(['persistence', '-', '--format', 'point-cloud'], '1,2,3\n4,5,6\n7,8\n');
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('topofr: <stdin>:3: line 3 has 2 coordinates, line 1 has 3\n');
  });

  it.each([
    [['persistence', 'f', '--format', 'xyz'], "option '--format <format>' argument 'xyz' is invalid"],
    [['persistence', 'f', '--threshold', '-1'], "option '--threshold <t>' argument '-1' is invalid. expected a finite number ≥ 0"],
    [['persistence', 'f', '--threshold', 'NaN'], "option '--threshold <t>' argument 'NaN' is invalid"],
    [['persistence', 'f', '--dim', '1'], 'H1 and above need the Rips engine, which is not in this version'],
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
