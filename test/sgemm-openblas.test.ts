// The OpenBLAS path, forced: the backend is chosen once per process at the first GEMM, and vitest
// runs each test file in its own process.
import { describe, expect, it } from 'vitest';
import { native } from '../src/native.js';
import { defineSgemmTests } from './support/sgemm-cases.js';

process.env.TOPOFR_GEMM = 'openblas';
const linked = native().capabilities().blas.includes('openblas');

describe.skipIf(!linked)('OpenBLAS backend', () => {
  it('is the one sgemm runs when TOPOFR_GEMM=openblas', () => {
    expect(native().capabilities().blas).toMatch(/^openblas/);
  });
});
if (linked) defineSgemmTests();
