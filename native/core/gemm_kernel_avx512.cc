// The builtin GEMM for AVX-512 CPUs (compiled with -mavx512f -mavx512vl -mavx512bw -mavx512dq).
#include <immintrin.h>

#include "gemm_kernel.h"

namespace topofr {
namespace gemm_isa {
namespace {

// 12×32 tile: 24 zmm accumulators, 2 for the row of B, the A element is an embedded broadcast.
struct Avx512 {
  static constexpr int kWidth = 16, kRows = 12, kVecs = 2;
  typedef Vec<16>::type V;
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
};

}  // namespace

void sgemm_avx512(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                  int64_t ldc) {
  Gemm<Avx512>::run(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace gemm_isa
}  // namespace topofr
