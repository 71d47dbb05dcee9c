import { describe, expect, it } from 'vitest';
import { capabilities } from '../src/index.js';

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
});
