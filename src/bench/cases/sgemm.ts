// sgemm-NxNxK: C = X·Xᵀ through the addon's own GEMM, the ceiling the distance kernel is held to.
import { readBinary } from '../data.js';
import { dot64, gflops, maxError, round } from './check.js';
import type { CaseFamily, Derived } from '../types.js';

export const sgemmFamily: CaseFamily = {
  async prepare(spec, file) {
    const points = readBinary(file, spec.n, spec.dim);
    const { native } = await import('../../native.js');
    const addon = native();
    const { n, dim, data } = points;
    const c = new Float32Array(n * n);
    return {
      run: () => addon.sgemm(false, true, n, n, dim, 1, data, dim, data, dim, 0, c, n),
      // Entries of X·Xᵀ are O(dim) in size (|x|² ≈ dim for unit Gaussians): scale errors by dim.
      facts: () => ({ check_max_rel_err: maxError(n, (i, j) => c[i * n + j], (i, j) => dot64(points, i, j), dim) }),
    };
  },
  anchors: async () => [],
  derive(spec, report): Derived {
    const rate = gflops(spec.n, spec.n, spec.dim, report.median_ms);
    return { fields: { gflops: round(rate, 1) }, note: `${rate.toFixed(1)} GFLOP/s` };
  },
};
