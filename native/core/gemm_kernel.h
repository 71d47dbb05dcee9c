// The builtin GEMM kernel, written once and compiled three times: gemm_kernel_sse2.cc (baseline
// x86-64), gemm_kernel_avx2.cc (-mavx2 -mfma) and gemm_kernel_avx512.cc (-mavx512*). sgemm.cc picks
// one at run time and spreads the work over the thread pool.
//
// Structure (BLIS): op(B) is packed into NR-column panels stored k-major, op(A) into MR-row panels
// (layout at pack_a_panel), and an MR×NR register-blocked micro-kernel (broadcast an element of
// A, load a step's NR values of B as vectors, fused multiply-add into MR×NV vector accumulators)
// walks the panels. Loops: NC columns of B are packed for the whole k (the block stays in L3),
// then MC rows of A (the block stays in L2), then the NR panels of B (each reused by every A
// panel of the block while it is hot in L1/L2) and the MR panels of A.
//
// Determinism (the contract in sgemm.h): every element is one chain acc = fma(a_il, b_lj, acc),
// l = 0..k−1, from acc = 0. Edge tiles are zero-padded and run the same micro-kernel; when k is
// split into KC blocks the chain's partial sum is stored as a float and reloaded, which is exact.
//
// Everything below the declarations sits in an anonymous namespace: each ISA translation unit gets
// its own copy with internal linkage, so the linker can never hand the AVX-512 instantiation of a
// shared inline function to code that runs on an older CPU. For the same reason the ISA units use
// nothing from the STL.
#pragma once
#include <cstddef>
#include <cstdint>

// Register tiles' loops are unrolled whole, so the accumulators stay in registers: left alone, GCC
// does not unroll a 24-row tile and keeps its accumulators on the stack (half the speed, measured).
#define TOPOFR_TILE_LOOP _Pragma("GCC unroll 32")

namespace topofr {
namespace gemm_isa {

// Single-threaded C = alpha·op(A)·op(B) + beta·C, one per instruction set; m, n, k ≥ 1.
// beta == 0 never reads C.
void sgemm_sse2(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                int64_t ldc);
void sgemm_avx2(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                int64_t ldc);
void sgemm_avx512(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                  int64_t ldc);

// Scratch memory of at least `floats` floats, 64-byte aligned, owned by the calling thread and
// valid until its next call. Defined in sgemm.cc (generic code) so the ISA units allocate nothing.
float* workspace(size_t floats);

namespace {

template <int W>
struct Vec {
  typedef float type __attribute__((vector_size(W * sizeof(float))));
  typedef float unaligned __attribute__((vector_size(W * sizeof(float)), aligned(4), may_alias));
};

// Blocking shared by every ISA (sized for 1 MiB of L2 per core). A packed A block, MC×KC, stays
// in L2 (768 KiB at most); KC is large because every K block beyond the first costs a store and
// reload of the partial sums. The packed B block spans the whole k, so NC shrinks as k grows to
// keep it within kBPackFloats (it is read from L3, one NR panel at a time).
constexpr int64_t kKC = 1024;
constexpr int64_t kMC = 192;
constexpr int64_t kNC = 4096;
constexpr int64_t kBPackFloats = int64_t(2) << 20;  // 8 MiB

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

// Isa provides: kWidth (floats per vector), kRows (MR), kVecs (NR / kWidth), and
// fmadd(a, b, c) = a·b + c, fused where the instruction set has FMA.
template <class Isa>
struct Gemm {
  static constexpr int W = Isa::kWidth;
  static constexpr int MR = Isa::kRows;
  static constexpr int NV = Isa::kVecs;
  static constexpr int NR = NV * W;
  typedef typename Vec<W>::type V;
  typedef typename Vec<W>::unaligned VU;
  typedef typename Vec<4>::type V4;
  typedef typename Vec<4>::unaligned V4U;
  static constexpr int64_t KU = 4;  // k steps per A chunk (see pack_a_panel)

  static V load(const float* p) { return *reinterpret_cast<const VU*>(p); }
  static void store(float* p, V v) { *reinterpret_cast<VU*>(p) = v; }
  // x − (+0) is exactly x (−0 included), so GCC folds this into one broadcast; with -mavx512f
  // the broadcast of a packed A element becomes the FMA's embedded {1toW} memory operand.
  static V splat(float x) { return x - V{}; }

  // How the micro-kernel finishes a tile: the raw chain (a K block that is not the last one), or
  // alpha·acc + beta·C.
  struct Epilogue {
    bool raw;
    float alpha, beta;
  };

  // One MR×NR tile: acc = acc_in (or 0) + the kc products of the A panel a and the B panel b
  // (layouts at pack_a and pack_b), then written to out (row stride ldo) as the epilogue says.
  // The KU-step unroll keeps one accumulator per element: the chain stays sequential.
  static void micro_kernel(int64_t kc, const float* a, const float* b, const float* acc_in,
                           int64_t ld_in, float* out, int64_t ldo, Epilogue ep) {
    V acc[MR][NV];
    TOPOFR_TILE_LOOP for (int r = 0; r < MR; ++r)
      for (int v = 0; v < NV; ++v) acc[r][v] = acc_in ? load(acc_in + r * ld_in + v * W) : V{};
    auto step = [&](const float* a_col, int64_t a_stride, const float* b_row) {
      V bv[NV];
      for (int v = 0; v < NV; ++v) bv[v] = load(b_row + v * W);
      TOPOFR_TILE_LOOP for (int r = 0; r < MR; ++r) {
        V ar = splat(a_col[r * a_stride]);
        for (int v = 0; v < NV; ++v) acc[r][v] = Isa::fmadd(ar, bv[v], acc[r][v]);
      }
    };
    int64_t l = 0;
    for (; l + KU <= kc; l += KU, a += KU * MR, b += KU * NR)
#pragma GCC unroll 1  // unrolled, GCC hoists the broadcasts of all KU steps and spills accumulators
      for (int u = 0; u < KU; ++u) step(a + u, KU, b + u * NR);
    for (int64_t u = 0, tail = kc - l; u < tail; ++u) step(a + u, tail, b + u * NR);

    if (ep.raw) {
      TOPOFR_TILE_LOOP for (int r = 0; r < MR; ++r)
        for (int v = 0; v < NV; ++v) store(out + r * ldo + v * W, acc[r][v]);
      return;
    }
    V alpha = splat(ep.alpha);
    if (ep.beta == 0.0f) {  // C may hold garbage (NaN): never read it
      TOPOFR_TILE_LOOP for (int r = 0; r < MR; ++r)
        for (int v = 0; v < NV; ++v) store(out + r * ldo + v * W, alpha * acc[r][v]);
    } else {
      V beta = splat(ep.beta);
      TOPOFR_TILE_LOOP for (int r = 0; r < MR; ++r)
        for (int v = 0; v < NV; ++v) {
          float* p = out + r * ldo + v * W;
          store(p, Isa::fmadd(beta, load(p), alpha * acc[r][v]));
        }
    }
  }

  // A tile that sticks out of C (rows × cols < MR × NR): run the same micro-kernel on a full
  // tile in a local buffer and copy the valid part, so edge elements get the same arithmetic.
  static void edge_tile(int64_t kc, const float* a, const float* b, const float* acc_in,
                        int64_t ld_in, float* c, int64_t ldc, int64_t rows, int64_t cols,
                        Epilogue ep) {
    alignas(64) float tile[MR * NR];
    if (!ep.raw && ep.beta != 0.0f)
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < cols; ++j) tile[r * NR + j] = c[r * ldc + j];
    micro_kernel(kc, a, b, acc_in, ld_in, tile, NR, ep);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < cols; ++j) c[r * ldc + j] = tile[r * NR + j];
  }

  // d[i·d_stride + j] = s[j·s_stride + i] for a 4×4 block.
  static void transpose4(const float* s, int64_t s_stride, float* d, int64_t d_stride) {
    typedef int __attribute__((vector_size(16))) I4;
    V4 x0 = *reinterpret_cast<const V4U*>(s), x1 = *reinterpret_cast<const V4U*>(s + s_stride);
    V4 x2 = *reinterpret_cast<const V4U*>(s + 2 * s_stride);
    V4 x3 = *reinterpret_cast<const V4U*>(s + 3 * s_stride);
    V4 t0 = __builtin_shuffle(x0, x1, I4{0, 4, 1, 5}), t1 = __builtin_shuffle(x0, x1, I4{2, 6, 3, 7});
    V4 t2 = __builtin_shuffle(x2, x3, I4{0, 4, 1, 5}), t3 = __builtin_shuffle(x2, x3, I4{2, 6, 3, 7});
    *reinterpret_cast<V4U*>(d) = __builtin_shuffle(t0, t2, I4{0, 1, 4, 5});
    *reinterpret_cast<V4U*>(d + d_stride) = __builtin_shuffle(t0, t2, I4{2, 3, 6, 7});
    *reinterpret_cast<V4U*>(d + 2 * d_stride) = __builtin_shuffle(t1, t3, I4{0, 1, 4, 5});
    *reinterpret_cast<V4U*>(d + 3 * d_stride) = __builtin_shuffle(t1, t3, I4{2, 3, 6, 7});
  }

  // An A panel: rows r < valid (zero-padded to MR) of op(A) over kc steps, where element (r, l)
  // is src[trans ? l·ld + r : r·ld + l]. Layout: KU-step chunks; in the chunk at l0 of width
  // q = min(KU, kc − l0), element (r, l0 + u) sits at l0·MR + r·q + u. Rows of A are contiguous
  // in l, so the common untransposed case packs with plain copies, and the kernel still reads
  // each broadcast at a constant offset.
  static void pack_a_panel(bool trans, const float* src, int64_t ld, int64_t valid, int64_t kc,
                           float* dst) {
    for (int64_t l0 = 0; l0 < kc; l0 += KU) {
      int64_t q = min64(KU, kc - l0);
      float* d = dst + l0 * MR;
      int64_t r = 0;
      if (q == KU && !trans)
        for (; r < valid; ++r)
          *reinterpret_cast<V4U*>(d + r * KU) = *reinterpret_cast<const V4U*>(src + r * ld + l0);
      else if (q == KU)
        for (; r + 4 <= valid; r += 4) transpose4(src + l0 * ld + r, ld, d + r * KU, KU);
      for (; r < valid; ++r)
        for (int64_t u = 0; u < q; ++u)
          d[r * q + u] = trans ? src[(l0 + u) * ld + r] : src[r * ld + l0 + u];
      for (; r < MR; ++r)
        for (int64_t u = 0; u < q; ++u) d[r * q + u] = 0.0f;
    }
  }

  // A B panel: columns c < valid (zero-padded to NR) of op(B) over k steps, where element
  // (l, c) is src[trans ? c·ld + l : l·ld + c]; stored k-major, dst[l·NR + c], so that the
  // kernel loads a step's NR values as vectors.
  static void pack_b_panel(bool trans, const float* src, int64_t ld, int64_t valid, int64_t k,
                           float* dst) {
    if (!trans) {
      for (int64_t l = 0; l < k; ++l, src += ld, dst += NR) {
        if (valid == NR) {
          for (int c = 0; c < NR; ++c) dst[c] = src[c];
        } else {
          for (int64_t c = 0; c < valid; ++c) dst[c] = src[c];
          for (int64_t c = valid; c < NR; ++c) dst[c] = 0.0f;
        }
      }
      return;
    }
    // Step through k in the outer loop so each 4-step slab of the panel (4·NR floats, whole
    // cache lines) is written at once; the NR source rows are read as parallel streams.
    int64_t full = valid / 4 * 4, l = 0;
    for (; l + 4 <= k; l += 4) {
      for (int64_t c = 0; c < full; c += 4) transpose4(src + c * ld + l, ld, dst + l * NR + c, NR);
      for (int64_t u = l; u < l + 4; ++u)
        for (int64_t c = full; c < NR; ++c) dst[u * NR + c] = c < valid ? src[c * ld + u] : 0.0f;
    }
    for (; l < k; ++l)
      for (int64_t c = 0; c < NR; ++c) dst[l * NR + c] = c < valid ? src[c * ld + l] : 0.0f;
  }

  // op(A) rows [i0, i0 + rows), k range [p0, p0 + kc), into MR panels of MR·kc floats.
  static void pack_a(bool trans_a, const float* a, int64_t lda, int64_t i0, int64_t rows,
                     int64_t p0, int64_t kc, float* dst) {
    for (int64_t i = 0; i < rows; i += MR, dst += MR * kc) {
      const float* src = trans_a ? a + p0 * lda + i0 + i : a + (i0 + i) * lda + p0;
      pack_a_panel(trans_a, src, lda, min64(MR, rows - i), kc, dst);
    }
  }

  // op(B) columns [j0, j0 + cols), the whole k, into NR panels of k·NR floats.
  static void pack_b(bool trans_b, const float* b, int64_t ldb, int64_t j0, int64_t cols,
                     int64_t k, float* dst) {
    for (int64_t j = 0; j < cols; j += NR, dst += NR * k) {
      const float* src = trans_b ? b + (j0 + j) * ldb : b + j0 + j;
      pack_b_panel(trans_b, src, ldb, min64(NR, cols - j), k, dst);
    }
  }

  static void run(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                  int64_t ldc) {
    // k is cut into equal KC blocks; C columns into NC blocks whose packed B (whole k) fits the
    // budget; C rows into MC blocks.
    int64_t k_blocks = ceil_div(k, kKC);
    int64_t kc_max = ceil_div(k, k_blocks);
    int64_t nc_max = min64(ceil_div(n, NR), max64(1, min64(kNC, kBPackFloats / k) / NR)) * NR;
    int64_t mc_max = min64(ceil_div(m, MR), kMC / MR) * MR;

    // Workspace: packed B block, packed A block, and (k split) the carried partial sums.
    int64_t b_floats = nc_max * k;
    int64_t a_floats = mc_max * kc_max;
    int64_t acc_floats = k_blocks > 1 ? mc_max * nc_max : 0;
    float* b_pack = workspace(size_t(b_floats + a_floats + acc_floats));
    float* a_pack = b_pack + b_floats;
    float* acc = a_pack + a_floats;

    for (int64_t jc = 0; jc < n; jc += nc_max) {
      int64_t nc = min64(nc_max, n - jc);
      pack_b(trans_b, b, ldb, jc, nc, k, b_pack);
      for (int64_t ic = 0; ic < m; ic += mc_max) {
        int64_t mc = min64(mc_max, m - ic);
        for (int64_t kb = 0; kb < k_blocks; ++kb) {
          int64_t p0 = kb * kc_max;
          int64_t kc = min64(kc_max, k - p0);
          bool first = kb == 0, last = kb == k_blocks - 1;
          pack_a(trans_a, a, lda, ic, mc, p0, kc, a_pack);
          Epilogue ep{!last, alpha, beta};
          for (int64_t jr = 0; jr < nc; jr += NR) {
            const float* b_panel = b_pack + jr * k + p0 * NR;
            int64_t cols = min64(NR, nc - jr);
            for (int64_t ir = 0; ir < mc; ir += MR) {
              const float* a_panel = a_pack + ir * kc;
              int64_t rows = min64(MR, mc - ir);
              float* acc_tile = acc + ir * nc_max + jr;
              const float* acc_in = first ? nullptr : acc_tile;
              if (!last)
                micro_kernel(kc, a_panel, b_panel, acc_in, nc_max, acc_tile, nc_max, ep);
              else if (rows == MR && cols == NR)
                micro_kernel(kc, a_panel, b_panel, acc_in, nc_max,
                             c + (ic + ir) * ldc + jc + jr, ldc, ep);
              else
                edge_tile(kc, a_panel, b_panel, acc_in, nc_max, c + (ic + ir) * ldc + jc + jr,
                          ldc, rows, cols, ep);
            }
          }
        }
      }
    }
  }
};

}  // namespace
}  // namespace gemm_isa
}  // namespace topofr
