// The CLI's parsers: every flag-value parser of `topofr persistence` on random strings (in
// process), and, one case in eight, the `topofr` command itself with random arguments (a real
// process: exit status 0, 1 or 2, no signal, and on failure exactly one "topofr: …" line on stderr
// without control characters). Commander's InvalidArgumentError is a parser's refusal.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { parseCount, parseFloat32, parsePrime } from '../../../dist/cli/arguments.js';
import { fail, hasControl } from '../support.mjs';

const MAIN = join(import.meta.dirname, '..', '..', '..', 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'topofr-fuzz-cli-'));
const INPUT = join(dir, 'points.txt');
writeFileSync(INPUT, '0 0\n1 0\n0 1\n1 1\n');
const CONFIG = join(dir, 'config.yaml');
writeFileSync(CONFIG, '__proto__:\n  x: 1\nname: ..\n');

const STRINGS = ['0', '1', '2', '3', '4', '65521', '65537', '99999999999999999999', '1e3', '-1', ' 7 ', '', ' ', '0x10', '1.5', 'NaN', 'Infinity',
  '3.4e38', '3.5e38', '1e-50', 'abc', '\u001b[31m', '٣', '7\n', '2'.repeat(400)];
const PARSERS = { count0: (v) => parseCount(v, 0), count1: (v) => parseCount(v, 1), prime: parsePrime, float0: parseFloat32(0), float1: parseFloat32(1) };
const COMMANDS = [
  (rng) => ['persistence', INPUT, '--format', 'point-cloud'],
  (rng) => ['persistence', join(dir, 'missing\u001b[2J.txt')],
  (rng) => ['persistence', dir],
  (rng) => ['train', '--config', CONFIG],
  (rng) => ['train', '--name', rng.pick(['..', '.', 'a/b']), '--max-steps', '1'],
  (rng) => ['train', '--resume', '--out-dir', dir, '--name', 'none'],
  (rng) => ['eval', '--model', dir],
  (rng) => ['report', '--run', dir],
  (rng) => ['bench', '--cases', 'no-such-case\u001b[0m'],
  (rng) => ['nonsense\u0007'],
];
const FLAGS = ['--dim', '--threshold', '--modulus', '--ratio', '--threads', '--metric', '--device', '--format', '--json', '--lr', '--batch-size', '--image-size'];

export default {
  refusals: [InvalidArgumentError],
  make(rng) {
    if (!rng.chance(1 / 8)) {
      const name = rng.pick(Object.keys(PARSERS));
      const value = rng.chance(0.8) ? rng.pick(STRINGS) : String(rng.normal() * 10 ** rng.int(-3, 40));
      return {
        label: `${name}(${JSON.stringify(value)})`,
        run() {
          const v = PARSERS[name](value);
          if (typeof v !== 'number' || !Number.isFinite(v)) fail(`parsed to ${v}`);
          if (name === 'prime' && (v < 2 || v > 65521)) fail(`prime ${v}`);
        },
      };
    }
    const args = rng.pick(COMMANDS)(rng);
    for (let k = rng.int(0, 2); k > 0; k--) args.push(rng.pick(FLAGS), rng.pick(STRINGS));
    return {
      label: `topofr ${JSON.stringify(args)}`,
      run() {
        const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000, cwd: dir });
        if (r.signal) fail(`killed by ${r.signal}`);
        if (![0, 1, 2].includes(r.status)) fail(`exit status ${r.status}`);
        if (r.status !== 0) {
          const lines = r.stderr.trimEnd().split('\n').filter((l) => !/^\s*$/.test(l));
          const errorLines = lines.filter((l) => l.startsWith('topofr: '));
          if (errorLines.length !== 1 || /^\s+at /m.test(r.stderr)) fail(`stderr is not one 'topofr:' line: ${JSON.stringify(r.stderr.slice(0, 400))}`);
          if (hasControl(errorLines[0])) fail(`control character on stderr: ${JSON.stringify(errorLines[0])}`);
        }
      },
    };
  },
  close() {
    rmSync(dir, { recursive: true, force: true });
  },
};
