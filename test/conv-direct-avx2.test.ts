// The direct convolution kernels, capped at AVX2 (8 floats per vector; SSE2 on a CPU without AVX2): test/support/conv-direct.ts.
import { directConvTests } from './support/conv-direct.js';

directConvTests('avx2');
