// GPU == CPU through the public API: the checks of src/bench/gpu.ts (also what scripts/gpu-check.sh
// runs on a GPU machine). Runs where a CUDA device is usable and is reported as skipped (never as
// passed) where none is; the no-GPU behaviour is checked in device.test.ts, and every kernel runs on
// the CPU under the SIMT emulator in cuda-emulated.test.ts.
import { describe, it } from 'vitest';
import { gpuChecks } from '../src/bench/gpu.js';
import { capabilities, pairwiseDistances } from '../src/index.js';
import { expectWithin } from './support/float32.js';
import { distanceErrorBounds, randomPoints } from './support/oracle.js';

const gpu = capabilities().cuda.deviceCount > 0;

describe.skipIf(!gpu)('CUDA', () => {
  for (const check of gpuChecks()) it(check.name, check.run, 120_000);

  // the distances again, within the derived float32 bound of each side (gpuChecks' 1e-5 is the
  // device script's quick check)
  it.each(['euclidean', 'sqeuclidean', 'cosine'] as const)('distances equal the CPU within both float32 bounds (%s)', (metric) => {
    for (const [n, dim] of [[1, 3], [130, 7], [1000, 512], [2049, 100]] as const) {
      const points = { data: randomPoints(n, dim, n + dim), n, dim };
      const cpu = pairwiseDistances(points, { metric, device: 'cpu' }).data;
      const cuda = pairwiseDistances(points, { metric, device: 'cuda' }).data;
      // each side within distanceErrorBound of the exact value (the CPU's stands in for it in the
      // bound, which depends on it only to first order)
      expectWithin(cuda, cpu, distanceErrorBounds(points.data, n, dim, metric, cpu).map((b) => 2 * b), `${metric} ${n}×${dim}`);
    }
  });
});
