// Every kernel of native/cuda/ run on the CPU by the SIMT emulator (native/cuda/emulator/), against
// the CPU core on the same inputs: the C++ tests of test/cuda-emulated/, built once with g++
// (scripts/build-cuda-tests.mjs) and run in several schedules (threads forward, reversed, shuffled
// with two seeds), plainly and under ASan + UBSan (forward and one shuffle). Then the three deliberate bugs of
// native/cuda/portable.cuh, each built in and shown to be caught: a dropped __syncthreads, lanes that
// leave before a full-warp shuffle, a missing bounds check.
//
// Needs g++ (with libasan/libubsan for the sanitized runs); reported as skipped without it.
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const script = path.join(root, 'scripts/build-cuda-tests.mjs');

const hasCompiler = spawnSync('g++', ['--version']).status === 0;
// The sanitizer runtimes may be missing where g++ is not (a minimal image): probe once.
const hasSanitizers =
  hasCompiler && spawnSync('g++', ['-fsanitize=address,undefined', '-x', 'c++', '-', '-o', '/dev/null'], { input: 'int main(){}' }).status === 0;

async function build(...flags: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [script, '--emulated', ...flags], { maxBuffer: 1 << 26 });
  return stdout.trim();
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function runTests(binary: string, ...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(binary, args, { maxBuffer: 1 << 26 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** "N passed, M failed" of a run that must have passed every test. */
function expectAllPassed(o: Outcome): number {
  const summary = /(\d+) passed, (\d+) failed/.exec(o.stdout);
  expect(o.stdout.split('\n').filter((l) => l.startsWith('FAIL')), o.stderr.slice(-2000)).toEqual([]);
  expect(o.code).toBe(0);
  expect(summary).not.toBeNull();
  expect(Number(summary![2])).toBe(0);
  return Number(summary![1]);
}

const SCHEDULES = [
  ['forward'], ['reversed'], ['shuffled', '1'], ['shuffled', '2'],
].map(([schedule, seed]) => ({ name: seed ? `${schedule} (seed ${seed})` : schedule, args: ['--schedule', schedule!, ...(seed ? ['--seed', seed] : [])] }));

describe.skipIf(!hasCompiler)('CUDA kernels under the SIMT emulator', () => {
  let plain = '';
  let total = 0;
  beforeAll(async () => {
    plain = await build();
    const { stdout } = await run(plain, ['--list']);
    total = stdout.trim().split('\n').length;
  }, 900_000);

  it.concurrent.each(SCHEDULES)('every test passes, threads scheduled $name', async ({ args }) => {
    expect(expectAllPassed(await runTests(plain, ...args))).toBe(total);
  }, 300_000);

  it('covers every kernel family: distances (both shapes), H0 (both kernels), topology loss, Rips, the emulator', () => {
    for (const family of ['distances/tiled', 'distances/split-K', 'h0/points', 'h0/matrix', 'topology loss', 'rips', 'emulator'])
      expect(spawnSync(plain, ['--list', '--filter', family]).stdout.toString().trim(), family).not.toBe('');
  });

  describe.skipIf(!hasSanitizers)('under ASan and UBSan', () => {
    let sanitized = '';
    beforeAll(async () => {
      sanitized = await build('--sanitize');
    }, 900_000);
    it.concurrent.each([SCHEDULES[0]!, SCHEDULES[3]!])('every test passes, threads scheduled $name', async ({ args }) => {
      expect(expectAllPassed(await runTests(sanitized, ...args))).toBe(total);
    }, 600_000);
  });

  describe('the three mutation classes are caught', () => {
    it('a dropped __syncthreads: wrong distances, and different ones in different schedules', async () => {
      const binary = await build('--mutation', 'drop_sync');
      const runs = await Promise.all([['forward'], ['reversed']].map(([s]) => runTests(binary, '--filter', 'distances/', '--schedule', s!)));
      const firstFailure = (o: Outcome) => o.stdout.split('\n').find((l) => l.startsWith('FAIL')) ?? '';
      for (const o of runs) {
        expect(o.code).toBe(1);
        expect(firstFailure(o)).toMatch(/relative error/);
      }
      // The same check, different wrong values: the result depends on the schedule.
      expect(firstFailure(runs[0]!)).not.toBe(firstFailure(runs[1]!));
    }, 600_000);

    it('a lane that leaves before a full-warp shuffle: reported by the emulator', async () => {
      const binary = await build('--mutation', 'lane_exit');
      const o = await runTests(binary, '--filter', 'distances/tiled');
      expect(o.code).toBe(1);
      expect(o.stdout).toMatch(/prepare_rows.*waits at __shfl_xor_sync \(mask 0xffffffff\) for lane \d+, which has exited/);
    }, 600_000);

    it.skipIf(!hasSanitizers)('a missing bounds check: an ASan overflow in the kernel', async () => {
      const binary = await build('--sanitize', '--mutation', 'no_bound');
      const o = await runTests(binary, '--filter', 'distances/split-K');
      expect(o.code).not.toBe(0);
      expect(o.stderr).toMatch(/AddressSanitizer: heap-buffer-overflow/);
      const frame = /#0 0x[0-9a-f]+ in [^\n]*split_k_distances[^\n]*\((.+)\+(0x[0-9a-f]+)\)/.exec(o.stderr);
      expect(frame, o.stderr.slice(0, 3000)).not.toBeNull();
      // The line: addr2line on the frame's offset (ASan's own symbolizer leaves it out here).
      const where = spawnSync('addr2line', ['-e', frame![1]!, (BigInt(frame![2]!) - 1n).toString(16)]);
      if (where.status === 0) expect(where.stdout.toString()).toMatch(/native\/cuda\/kernels\/distances\.cuh:\d+/);
    }, 600_000);
  });
});
