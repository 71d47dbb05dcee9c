// The internal GEMM interface, whichever backend the process runs (sgemm*.test.ts pick one each).
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';
import { expectWithin, gamma } from './float32.js';
import { randomPoints, rng } from './oracle.js';

/** alpha·op(A)·op(B) + beta·C in float64 (exact to ≈ k·2⁻⁵³ relative), and the float32 error bound of any
 *  evaluation order: γ_{k+2}·(|alpha|·Σ|a·b| + |beta·c|) (k products summed, then the alpha and beta terms). */
function reference(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number,
  b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number): { want: Float64Array; bound: Float64Array } {
  const want = new Float64Array(m * n), bound = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0, magnitude = 0;
      for (let l = 0; l < k; l++) {
        const p = (ta ? a[l * lda + i] : a[i * lda + l]) * (tb ? b[j * ldb + l] : b[l * ldb + j]);
        s += p;
        magnitude += Math.abs(p);
      }
      const cTerm = beta === 0 ? 0 : beta * c[i * ldc + j];
      want[i * n + j] = alpha * s + cTerm;
      bound[i * n + j] = gamma(k + 2) * (Math.abs(alpha) * magnitude + Math.abs(cTerm));
    }
  return { want, bound };
}

export function defineSgemmTests(): void {
  describe('sgemm (' + native().capabilities().blas + ')', () => {
    it('matches a float64 reference on random shapes, transposes, strides, alpha and beta', () => {
      const random = rng(21);
      const dims = [1, 2, 3, 7, 16, 33, 64, 97, 130, 257];
      for (let trial = 0; trial < 60; trial++) {
        const pick = () => dims[Math.floor(random() * dims.length)];
        const [m, n, k] = [pick(), pick(), pick()];
        const ta = random() < 0.5, tb = random() < 0.5;
        const pad = Math.floor(random() * 3);
        const lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
        const a = randomPoints(ta ? k : m, lda, trial * 3), b = randomPoints(tb ? n : k, ldb, trial * 3 + 1);
        const c = randomPoints(m, ldc, trial * 3 + 2);
        const alpha = [1, -0.5, 2][trial % 3], beta = [0, 1, 0.25][Math.floor(trial / 3) % 3];
        const { want, bound } = reference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        const got = c.slice();
        native().sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc);
        const packed = Float32Array.from({ length: m * n }, (_, e) => got[Math.floor(e / n) * ldc + (e % n)]);
        expectWithin(packed, want, bound, `${m}×${n}×${k}${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''}`);
      }
    });

    it('beta = 0 ignores NaN in C, and k = 0 scales C by beta', () => {
      const a = randomPoints(8, 8, 1);
      const c = new Float32Array(64).fill(NaN);
      native().sgemm(false, false, 8, 8, 8, 1, a, 8, a, 8, 0, c, 8);
      expect(c.every(Number.isFinite)).toBe(true);
      const c2 = new Float32Array(4).fill(3);
      native().sgemm(false, false, 2, 2, 0, 1, new Float32Array(0), 1, new Float32Array(0), 2, 0.5, c2, 2);
      expect(Array.from(c2)).toEqual([1.5, 1.5, 1.5, 1.5]);
    });
  });
}
