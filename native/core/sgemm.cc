#include "sgemm.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <cstdlib>
#include <memory>
#include <new>

#include "cpu_isa.h"
#include "gemm_kernel.h"
#include "thread_pool.h"

#ifdef TOPOFR_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace topofr {

namespace gemm_isa {

float* workspace(size_t floats) {
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  thread_local std::unique_ptr<float[], Free> buffer;
  thread_local size_t capacity = 0;
  if (floats > capacity) {
    size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
    buffer.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
    if (!buffer) {
      capacity = 0;
      throw std::bad_alloc();
    }
    capacity = bytes / sizeof(float);
  }
  return buffer.get();
}

}  // namespace gemm_isa

namespace {

using Kernel = void (*)(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                        const float*, int64_t, float, float*, int64_t);

struct Isa {
  Kernel kernel;
  const char* name;
};

// The widest kernel this CPU runs, capped by TOPOFR_ISA (cpu_isa.h), chosen once.
const Isa& isa() {
  static const Isa chosen = [] {
    switch (cpu_isa()) {
      case CpuIsa::kAvx512: return Isa{gemm_isa::sgemm_avx512, "avx512"};
      case CpuIsa::kAvx2: return Isa{gemm_isa::sgemm_avx2, "avx2"};
      default: return Isa{gemm_isa::sgemm_sse2, "sse2"};
    }
  }();
  return chosen;
}

// C = beta·C, without reading C when beta == 0 (it may hold garbage).
void scale(int64_t m, int64_t n, float beta, float* c, int64_t ldc) {
  if (beta == 1.0f) return;
  for (int64_t i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    if (beta == 0.0f)
      std::fill(row, row + n, 0.0f);
    else
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
  }
}

#ifdef TOPOFR_HAVE_OPENBLAS
// cblas takes int dimensions and rejects (with a message on stderr) leading dimensions shorter
// than a row, which our contract allows when there is a single row.
bool cblas_fits(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, int64_t lda,
                int64_t ldb, int64_t ldc) {
  auto ok = [](int64_t ld, int64_t cols) { return ld <= INT_MAX && ld >= std::max<int64_t>(1, cols); };
  return m <= INT_MAX && n <= INT_MAX && k <= INT_MAX && ok(lda, trans_a ? m : k) &&
         ok(ldb, trans_b ? k : n) && ok(ldc, n);
}
#endif

#ifdef TOPOFR_HAVE_OPENBLAS
// OpenBLAS, unless the builtin kernel is the faster one here: where the CPU has AVX-512 but
// OpenBLAS does not use it (0.3.21 runs its Haswell AVX2 kernels on Zen 4/5), the builtin AVX-512
// kernel measured 240 GFLOP/s against OpenBLAS's 125 (one core, 4096×4096×512, bench/RESULTS.md).
// TOPOFR_GEMM=openblas|builtin overrides the choice (tests use it to cover both paths).
bool use_openblas() {
  static const bool chosen = [] {
    if (const char* env = std::getenv("TOPOFR_GEMM")) {
      if (std::strcmp(env, "openblas") == 0) return true;
      if (std::strcmp(env, "builtin") == 0) return false;
    }
    const std::string core = openblas_get_corename();
    const bool openblas_avx512 = core == "SkylakeX" || core == "Cooperlake" || core == "SapphireRapids";
    return openblas_avx512 || std::strcmp(isa().name, "avx512") != 0;
  }();
  return chosen;
}
#endif

// One block on the calling thread, by the chosen backend; m, n, k ≥ 1, alpha ≠ 0.
void gemm_block(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                int64_t ldc) {
#ifdef TOPOFR_HAVE_OPENBLAS
  if (use_openblas() && cblas_fits(trans_a, trans_b, m, n, k, lda, ldb, ldc)) {
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, int(m), int(n), int(k), alpha, a, int(lda), b,
                int(ldb), beta, c, int(ldc));
    return;
  }
#endif
  isa().kernel(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// Parallel split: below kMinParallelWork multiply-adds the pool's hand-off costs more than it
// saves; a chunk gets at least kMinChunkWork of them, since every chunk packs its own copy of the
// operand that is not split. Chunk edges fall on multiples of kGranule, a multiple of every
// kernel's MR and NR, so only the matrix's own edge produces partial tiles.
constexpr int64_t kMinParallelWork = int64_t(1) << 22;
constexpr int64_t kMinChunkWork = int64_t(1) << 21;
constexpr int64_t kGranule = 96;
constexpr int kChunksPerThread = 2;

}  // namespace

void sgemm_builtin(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                   int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) return scale(m, n, beta, c, ldc);
  isa().kernel(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
           int threads) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) return scale(m, n, beta, c, ldc);

  int pool = pool_threads();
  int t = threads > 0 ? std::min(threads, pool) : pool;
  int64_t work = m * n * k;
  if (t <= 1 || work < kMinParallelWork)
    return gemm_block(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

  // Split the larger of m and n: the other operand is packed once per chunk.
  bool split_rows = m >= n;
  int64_t extent = split_rows ? m : n;
  int64_t chunks = std::min<int64_t>({int64_t(t) * kChunksPerThread, work / kMinChunkWork,
                                      (extent + kGranule - 1) / kGranule});
  if (chunks <= 1)
    return gemm_block(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  int64_t step = ((extent + chunks - 1) / chunks + kGranule - 1) / kGranule * kGranule;
  chunks = (extent + step - 1) / step;

  parallel_for(
      chunks,
      [&](int64_t chunk) {
        int64_t lo = chunk * step, len = std::min(step, extent - lo);
        if (split_rows)
          gemm_block(trans_a, trans_b, len, n, k, alpha, trans_a ? a + lo : a + lo * lda, lda, b,
                     ldb, beta, c + lo * ldc, ldc);
        else
          gemm_block(trans_a, trans_b, m, len, k, alpha, a, lda, trans_b ? b + lo * ldb : b + lo,
                     ldb, beta, c + lo, ldc);
      },
      t);
}

std::string sgemm_backend() {
  const std::string builtin = std::string("builtin (") + isa().name + ")";
#ifdef TOPOFR_HAVE_OPENBLAS
  // openblas_get_config() reads e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen SINGLE_THREADED".
  const std::string config = openblas_get_config();
  const size_t start = config.find(' ');
  std::string version;
  if (start != std::string::npos) version = config.substr(start + 1, config.find(' ', start + 1) - start - 1);
  const std::string openblas = "openblas " + version + " (" + openblas_get_corename() + ")";
  if (use_openblas()) return openblas;
  const char* forced = std::getenv("TOPOFR_GEMM");
  return builtin + (forced && std::strcmp(forced, "builtin") == 0 ? ", TOPOFR_GEMM=builtin over linked " : ", faster here than linked ") + openblas;
#else
  return builtin;
#endif
}

const char* builtin_isa() { return isa().name; }

}  // namespace topofr
