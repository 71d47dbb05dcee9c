// CLI cold start (src/cli/main.ts): `topofr --help` and `topofr persistence` load only what they
// use. Checked by the modules the process loads (recorded by support/module-recorder.mjs), not by
// timing: no tfjs, no YAML parser, no training, model, bench or evaluation code, and for --help not
// even the native addon; and the whole count stays within a budget, so that creeping imports show.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const RECORDER = join(import.meta.dirname, 'support', 'module-recorder.mjs');
const dir = mkdtempSync(join(tmpdir(), 'topofr-cold-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The modules `topofr ARGS` loads: file URLs or paths, one per module, node: builtins left out. */
function loadedModules(args: string[]): string[] {
  const log = join(dir, `${args[0]}.modules`);
  const r = spawnSync(process.execPath, ['--import', RECORDER, MAIN, ...args], { env: { ...process.env, TOPOFR_MODULE_LOG: log }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(log, 'utf8').split('\n').filter((m) => m && !m.startsWith('node:')).map((m) => m.replace(/^file:\/\//, ''));
}

// What a command that does not train must not load. dist/train/config.js (the defaults, for the
// train flags) and dist/train/ablation.js (the row names, for the help) are light.
const HEAVY = [
  /\/node_modules\/@tensorflow\//,
  /\/node_modules\/yaml\//,
  /\/dist\/(model|eval|report|bench|data)\//,
  /\/dist\/tf\/(?!backend-names\.js$)/,
  /\/dist\/train\/(?!(config|ablation)\.js$)/,
  /\/dist\/index\.js$/,
];
const ADDON = [/\.node$/, /\/node_modules\/node-gyp-build\//];

function expectLight(modules: string[], forbidden: RegExp[], budget: number): void {
  const heavy = modules.filter((m) => forbidden.some((f) => f.test(m)));
  expect(heavy, 'modules a cold start must not load').toEqual([]);
  expect(modules.length, `${modules.length} modules loaded:\n${modules.join('\n')}`).toBeLessThanOrEqual(budget);
}

describe('CLI cold start', () => {
  it('`topofr --help` loads the command registrations only: no tfjs, no training code, no addon', () => {
    const modules = loadedModules(['--help']);
    expect(modules.some((m) => m.endsWith('/dist/cli/persistence.js'))).toBe(true);  // the recorder sees them
    expect(modules.some((m) => m.endsWith('/dist/cli/persistence-run.js'))).toBe(false);
    expectLight(modules, [...HEAVY, ...ADDON], 40);
  });

  it('`topofr train --help` too (its flags come from the config defaults, not from the trainer)', () => {
    expectLight(loadedModules(['train', '--help']), [...HEAVY, ...ADDON], 40);
  });

  it('`topofr persistence FILE` loads the engine and the addon, but no tfjs and no training code', () => {
    const file = join(dir, 'three.lower_distance_matrix');
    writeFileSync(file, '1\n1 2\n');
    const modules = loadedModules(['persistence', file]);
    expect(modules.some((m) => /\.node$/.test(m))).toBe(true);
    expectLight(modules, HEAVY, 50);
  });
});
