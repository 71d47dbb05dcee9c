// The GEMM backend this build picks by default (the builtin kernel on AVX-512 CPUs, OpenBLAS elsewhere
// when linked; CI also runs this file against the node-gyp build, which has only the builtin kernel).
import { defineSgemmTests } from './support/sgemm-cases.js';

defineSgemmTests();
