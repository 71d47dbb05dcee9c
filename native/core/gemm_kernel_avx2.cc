// The builtin GEMM and direct convolution kernels for AVX2 + FMA CPUs (compiled with -mavx2 -mfma).
#include <immintrin.h>

#include "conv_kernel.h"
#include "gemm_kernel.h"

namespace topofr {
namespace gemm_isa {
namespace {

// 6×16 tile: 12 ymm accumulators, 2 for the row of B, 1 for the broadcast A element.
struct Avx2 {
  static constexpr int kWidth = 8, kRows = 6, kVecs = 2;
  typedef Vec<8>::type V;
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
};

}  // namespace

void sgemm_avx2(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                int64_t ldc) {
  Gemm<Avx2>::run(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void direct_conv_rows_avx2(const DirectConv& d, const float* w, float* y, int64_t row0, int64_t row1) {
  DirectConvKernel<Avx2>::rows(d, w, y, row0, row1);
}

void direct_conv_filter_avx2(const DirectConv& d, const float* dy, float* dw, int64_t l0, int64_t l1) {
  DirectConvKernel<Avx2>::filter(d, dy, dw, l0, l1);
}

}  // namespace gemm_isa
}  // namespace topofr
