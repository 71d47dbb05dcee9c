// The builtin GEMM and direct convolution kernels for AVX-512 CPUs (compiled with -mavx512f -mavx512vl -mavx512bw -mavx512dq).
#include <immintrin.h>

#include "conv_kernel.h"
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

// 24×16 tile for C at most 16 columns wide (convolutions with few output channels): the 12×32
// tile would compute half zeros there. Same chains per element, so the same results.
struct Avx512Narrow : Avx512 {
  static constexpr int kRows = 24, kVecs = 1;
};

}  // namespace

void sgemm_avx512(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                  int64_t ldc) {
  if (n <= Avx512Narrow::kWidth)
    Gemm<Avx512Narrow>::run(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    Gemm<Avx512>::run(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void direct_conv_rows_avx512(const DirectConv& d, const float* w, float* y, int64_t row0, int64_t row1) {
  DirectConvKernel<Avx512>::rows(d, w, y, row0, row1);
}

void direct_conv_filter_avx512(const DirectConv& d, const float* dy, float* dw, int64_t l0, int64_t l1) {
  DirectConvKernel<Avx512>::filter(d, dy, dw, l0, l1);
}

}  // namespace gemm_isa
}  // namespace topofr
