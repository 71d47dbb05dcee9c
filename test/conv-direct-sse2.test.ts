// The direct convolution kernels, capped at SSE2 (4 floats per vector): test/support/conv-direct.ts.
import { directConvTests } from './support/conv-direct.js';

directConvTests('sse2');
