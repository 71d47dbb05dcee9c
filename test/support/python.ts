// Optional Python oracles: tests that run python3 are skipped (reported as skipped) where it is absent.
import { spawnSync } from 'node:child_process';

let cached: boolean | undefined;

/** Whether `python3` runs here (only the standard library is assumed). */
export function hasPython3(): boolean {
  cached ??= spawnSync('python3', ['-c', 'import pickle'], { stdio: 'ignore' }).status === 0;
  return cached;
}

/** A python3 that imports every one of `modules` (the PATH's, else Debian's), or undefined. */
export function pythonWith(...modules: string[]): string | undefined {
  for (const exe of ['python3', '/usr/bin/python3'])
    if (spawnSync(exe, ['-c', modules.map((m) => `import ${m}`).join('; ')], { stdio: 'ignore' }).status === 0) return exe;
  return undefined;
}
