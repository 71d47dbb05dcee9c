// GPU == CPU through the public API: the checks of src/bench/gpu.ts (also what scripts/gpu-check.sh
// runs on a GPU machine). Runs where a CUDA device is usable and is reported as skipped (never as
// passed) where none is; the no-GPU behaviour is checked in device.test.ts, and every kernel runs on
// the CPU under the SIMT emulator in cuda-emulated.test.ts.
import { describe, it } from 'vitest';
import { gpuChecks } from '../src/bench/gpu.js';
import { capabilities } from '../src/index.js';

const gpu = capabilities().cuda.deviceCount > 0;

describe.skipIf(!gpu)('CUDA', () => {
  for (const check of gpuChecks()) it(check.name, check.run, 120_000);
});
