import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { capabilities } from '../src/index.js';

/** capabilities() in a fresh process with `env` (the kernel choice is made once per process), or
 *  the code of what it threw. Uses dist/, built by npm run build like the CLI tests. */
function capabilitiesWith(env: Record<string, string>): { blas?: string; code?: string } {
  const module = new URL('../dist/index.js', import.meta.url).href;
  const script = `import(${JSON.stringify(module)}).then((m) => { try { console.log(JSON.stringify({ blas: m.capabilities().blas })); }
    catch (e) { console.log(JSON.stringify({ code: e.code })); } });`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { blas?: string; code?: string };
}

describe('capabilities', () => {
  it('reports CUDA, threads and the GEMM backend', () => {
    const caps = capabilities();
    expect(typeof caps.cuda.compiled).toBe('boolean');
    expect(Number.isInteger(caps.cuda.deviceCount) && caps.cuda.deviceCount >= 0).toBe(true);
    expect(caps.threads).toBeGreaterThanOrEqual(1);
    expect(caps.blas).toMatch(/^(openblas|builtin)/);
    // Without a GPU (or a driver) the reason is given, so `device: 'cuda'` errors can say why.
    if (caps.cuda.deviceCount === 0) expect(caps.cuda.error).toMatch(/\S/);
    else expect(caps.cuda.name).toMatch(/\S/);
  });

  it('TOPOFR_ISA caps the builtin kernels below what the CPU has; TOPOFR_GEMM=builtin forces them', () => {
    const widest = capabilitiesWith({ TOPOFR_GEMM: 'builtin', TOPOFR_ISA: '' }).blas!;
    expect(widest).toMatch(/^builtin \((sse2|avx2|avx512)\)/);
    expect(capabilitiesWith({ TOPOFR_GEMM: 'builtin', TOPOFR_ISA: 'sse2' }).blas).toMatch(/^builtin \(sse2\)/);
    const avx2 = capabilitiesWith({ TOPOFR_GEMM: 'builtin', TOPOFR_ISA: 'avx2' }).blas;
    expect(avx2).toMatch(widest.startsWith('builtin (sse2)') ? /^builtin \(sse2\)/ : /^builtin \(avx2\)/);
    expect(capabilitiesWith({ TOPOFR_GEMM: 'builtin', TOPOFR_ISA: 'avx512' }).blas).toBe(widest);
  });

  it('rejects unknown TOPOFR_ISA and TOPOFR_GEMM values with a typed error', () => {
    expect(capabilitiesWith({ TOPOFR_ISA: 'avx3' })).toEqual({ code: 'ERR_TOPOFR_INVALID_VALUE' });
    expect(capabilitiesWith({ TOPOFR_GEMM: 'mkl' })).toEqual({ code: 'ERR_TOPOFR_INVALID_VALUE' });
  });
});
