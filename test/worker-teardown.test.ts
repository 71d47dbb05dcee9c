// Issue 15, defect 1: ending a worker_thread while it is inside a native call (sync or async), or
// process.exit() inside it during an async call, must not abort the process (it did: SIGABRT,
// "terminate called after throwing an instance of 'Napi::Error'"). Every entry point, each in a
// fresh worker of a child process (test/support/worker-teardown.mjs), which must exit 0.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CHILD = join(import.meta.dirname, 'support', 'worker-teardown.mjs');
const ENTRIES = 7;

function run(mode: string): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, mode, '50'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

describe('a worker ending inside a native call leaves the process alive', () => {
  it.each(['sync-terminate', 'async-terminate', 'async-exit'])('%s, every entry point', async (mode) => {
    const r = await run(mode);
    expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    // Every call was still running when its worker ended: the test exercised what it claims.
    expect(r.stdout.trim().split('\n').filter((line) => line.endsWith('(in flight)'))).toHaveLength(ENTRIES);
  }, 60_000);
});
