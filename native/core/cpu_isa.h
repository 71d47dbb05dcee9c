// The x86 vector extension the builtin SIMD kernels (GEMM, depthwise) run: the widest this CPU and
// its OS support, capped by the environment variable TOPOFR_ISA=sse2|avx2|avx512. The cap lets one
// machine run every kernel width (the tests and CI do) and stand in for a CPU without AVX-512; a
// cap above what the CPU has changes nothing. Read once per process; src/native.ts rejects unknown
// values before the addon loads, so here an unknown value means no cap.
#pragma once

namespace topofr {

enum class CpuIsa { kSse2 = 0, kAvx2 = 1, kAvx512 = 2 };

CpuIsa cpu_isa();
const char* cpu_isa_name(CpuIsa isa);

}  // namespace topofr
