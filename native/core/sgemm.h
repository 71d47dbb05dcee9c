// The one GEMM interface of the addon: C = alpha·op(A)·op(B) + beta·C, row-major, float32.
//
// Two implementations sit behind it: OpenBLAS (linked statically when the build finds Debian's
// single-threaded libopenblas, TOPOFR_HAVE_OPENBLAS) and the builtin blocked SIMD kernel, so that a
// source build needs only a compiler. Where both exist the faster one on this CPU is chosen at run
// time (sgemm.cc says how; TOPOFR_GEMM=openblas|builtin overrides, and TOPOFR_ISA caps the builtin
// kernel's width, cpu_isa.h). Either way the work is spread
// over topofr's own thread pool; the serial OpenBLAS never starts threads of its own.
#pragma once
#include <cstdint>
#include <string>

namespace topofr {

// op(A) is m×k (A is k×m when trans_a), op(B) is k×n (B is n×k when trans_b), C is m×n.
// threads: 0 = the whole pool, 1 = the calling thread only.
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, int threads = 0);

// The builtin kernel alone, on the calling thread. Its guarantee (sgemm() keeps it only when it
// runs the builtin kernel), which the distance code relies on: every element of op(A)·op(B) is one
// sequential chain acc = acc + a_il·b_lj over l = 0..k−1
// (fused multiply-add where the CPU has it), so an element depends only on row i of op(A) and
// column j of op(B), never on the blocking, the matrix sizes or the thread count, and A·Aᵀ is
// bitwise symmetric.
void sgemm_builtin(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                   int64_t ldc);

// What sgemm runs on, e.g. "openblas 0.3.21 (SkylakeX)" or "builtin (avx512)" (plus, when OpenBLAS
// is linked but not used, why).
std::string sgemm_backend();

// The instruction set the builtin kernel dispatched to on this CPU: "avx512", "avx2" or "sse2".
const char* builtin_isa();

}  // namespace topofr
