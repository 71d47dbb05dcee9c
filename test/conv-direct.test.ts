// The direct convolution kernels, the widest instruction set this CPU runs: test/support/conv-direct.ts.
import { directConvTests } from './support/conv-direct.js';

directConvTests('native');
