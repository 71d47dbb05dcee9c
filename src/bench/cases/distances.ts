// dist-NxD: euclidean pairwiseDistances on the CPU, rated as the GEMM it is built on (2·n²·d
// flops) and compared with the sgemm case of the same size measured in the same run.
import { readBinary } from '../data.js';
import { scipyAnchor } from '../anchors.js';
import { dist64, gflops, maxError, round } from './check.js';
import type { CaseFamily, Derived } from '../types.js';
import type { DistanceMatrix } from '../../types.js';

export const distancesFamily: CaseFamily = {
  async prepare(spec, file) {
    const points = readBinary(file, spec.n, spec.dim);
    const { pairwiseDistances } = await import('../../index.js');
    const call = (): DistanceMatrix => pairwiseDistances(points, { metric: 'euclidean', device: 'cpu' });
    return {
      // The result is dropped at once: keeping the last one alive would put two n×n matrices in
      // the peak RSS of what is one call.
      run: () => void call(),
      facts: () => {
        const d = call();
        // Distances of unit Gaussians are ≈ sqrt(2·dim): the scale of the error.
        const scale = Math.sqrt(2 * points.dim);
        return { check_max_rel_err: maxError(d.n, (i, j) => d.data[i * d.n + j], (i, j) => dist64(points, i, j), scale) };
      },
    };
  },
  anchors: async (spec, files, runs) => [scipyAnchor('cdist', files.input, spec.n, spec.dim, runs)],
  derive(spec, report, _anchors, done): Derived {
    const rate = gflops(spec.n, spec.n, spec.dim, report.median_ms);
    const ref = spec.reference ? done.get(spec.reference) : undefined;
    if (!ref) return { fields: { gflops: round(rate, 1) }, note: `${rate.toFixed(1)} GFLOP/s` };
    // sgemm time ÷ distance time: the share of the machine's GEMM throughput the distances reach.
    const efficiency = ref.median_ms / report.median_ms;
    return {
      fields: { gflops: round(rate, 1), sgemm_efficiency: round(efficiency, 3) },
      note: `${rate.toFixed(1)} GFLOP/s = ${(efficiency * 100).toFixed(0)}% of ${ref.case}`,
    };
  },
};
