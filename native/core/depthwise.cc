#include "depthwise.h"

#include <algorithm>
#include <vector>

#include "cpu_isa.h"
#include "thread_pool.h"

namespace topofr {
namespace {

// Backprop-filter chunking, from the shape alone (thread-count independence): a chunk is at least
// kChunkWork multiply-adds (amortises its partial filter) and there are at most kMaxChunks of them
// (bounds the partials' memory to kMaxChunks filters).
constexpr int64_t kChunkWork = int64_t(1) << 18;
constexpr int64_t kMaxChunks = 1024;
// Filter entries per task of the final in-order sum of the partials.
constexpr int64_t kSumBlock = 256;
// Per-thread budget of expanded input rows (multiplier > 1), in floats.
constexpr int64_t kExpandFloats = int64_t(1) << 20;

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The outputs o in [begin, end) ⊆ [0, out) whose input position o·stride + offset lies in [0, in):
// the padding bounds check, hoisted out of the inner loops.
struct Span {
  int64_t begin, end;
};
Span inside(int64_t out, int64_t in, int64_t stride, int64_t offset) {
  int64_t first, last;  // last: one past
  if (stride == 1) {  // the common case, without divisions (it runs per output pixel)
    first = offset >= 0 ? 0 : -offset;
    last = in - offset;
  } else {
    first = offset >= 0 ? 0 : ceil_div(-offset, stride);
    last = offset >= in ? 0 : (in - 1 - offset) / stride + 1;
  }
  const int64_t begin = std::min(first, out);
  return {begin, std::max(begin, std::min(last, out))};
}

// ---- vector kernels: channel blocks in registers -------------------------------------------------
//
// A block of channels is held in registers across the taps instead of re-reading the output; each
// output element starts from 0 and adds its taps in (i, j) order, each partial-filter element its
// terms in (row, ow) order. The kernels see K channels per position and a filter [k_h, k_w, K]:
// K = channels for multiplier 1, and K = channels·multiplier for input rows expanded to x[c]
// repeated multiplier times (tap_rows), so the filter [k_h, k_w, channels, multiplier] reads as it
// is. Compiled for SSE2, AVX2 and AVX-512 in this one file (target attributes), picked at run time.

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define TOPOFR_DW_X86 1
#define TOPOFR_DW_TARGET(isa) __attribute__((target(isa)))
#else
#define TOPOFR_DW_TARGET(isa)
#endif
#define TOPOFR_DW_INLINE inline __attribute__((always_inline))

// Per-thread scratch: expanded input rows, a backprop-input row before its multiplier sum, and the
// backprop-input tap lists (see Vector::backprop_input_row).
struct Scratch {
  std::vector<float> rows, out;
  std::vector<int64_t> taps_i, taps, cols;
};

// The input rows of one output row's taps: row i (is.begin ≤ i < is.end) at x + (i − is.begin)·step,
// each [in_w, K].
struct TapRows {
  const float* x;
  int64_t step;
  Span is;
};

template <int W>
struct Vector {
  typedef float V __attribute__((vector_size(W * sizeof(float))));
  typedef float VU __attribute__((vector_size(W * sizeof(float)), aligned(4), may_alias));
  static constexpr int kBlock = 4;  // vectors per register block

  // One output row yrow [out_w, K]: taps whose input column falls in the padding are skipped (rows
  // outside the input are not in `in`).
  static TOPOFR_DW_INLINE void forward_row(const DepthwiseGeometry& g, int64_t K, TapRows in, const float* filter,
                                           float* yrow) {
    const int64_t ni = in.is.end - in.is.begin;
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
      const int64_t iw0 = ow * g.stride_w - g.pad_left;
      const Span js = inside(g.k_w, g.in_w, g.dil_w, iw0);
      float* yp = yrow + ow * K;
      const int64_t nj = js.end - js.begin;
      if (ni == 0 || nj == 0) {
        std::fill(yp, yp + K, 0.0f);
        continue;
      }
      // tap (i, j) reads xs[(i − i0)·step + (j − j0)·dil_w·K] and ws[(i − i0)·k_w·K + (j − j0)·K]
      const float* xs = in.x + (iw0 + js.begin * g.dil_w) * K;
      const float* ws = filter + (in.is.begin * g.k_w + js.begin) * K;
      const int64_t xi_step = in.step, xj_step = g.dil_w * K, wi_step = g.k_w * K;
      int64_t c = 0;
      for (; c + kBlock * W <= K; c += kBlock * W) {
        V acc[kBlock] = {};
        for (int64_t i = 0; i < ni; ++i) {
          const float* xi = xs + i * xi_step + c;
          const float* wi = ws + i * wi_step + c;
          for (int64_t j = 0; j < nj; ++j) {
            const float* xp = xi + j * xj_step;
            const float* wp = wi + j * K;
            for (int v = 0; v < kBlock; ++v)
              acc[v] += *reinterpret_cast<const VU*>(xp + v * W) * *reinterpret_cast<const VU*>(wp + v * W);
          }
        }
        for (int v = 0; v < kBlock; ++v) *reinterpret_cast<VU*>(yp + c + v * W) = acc[v];
      }
      for (; c + W <= K; c += W) {
        V acc = {};
        for (int64_t i = 0; i < ni; ++i)
          for (int64_t j = 0; j < nj; ++j)
            acc += *reinterpret_cast<const VU*>(xs + i * xi_step + j * xj_step + c) *
                   *reinterpret_cast<const VU*>(ws + i * wi_step + j * K + c);
        *reinterpret_cast<VU*>(yp + c) = acc;
      }
      for (; c < K; ++c) {
        float acc = 0.0f;
        for (int64_t i = 0; i < ni; ++i)
          for (int64_t j = 0; j < nj; ++j) acc += xs[i * xi_step + j * xj_step + c] * ws[i * wi_step + j * K + c];
        yp[c] = acc;
      }
    }
  }

  // partial[i, j, :K] += Σ over ow of x[ih, iw, :K]·dyrow[ow, :K] for one output row.
  static TOPOFR_DW_INLINE void filter_row(const DepthwiseGeometry& g, int64_t K, TapRows in, const float* dyrow,
                                          float* partial) {
    for (int64_t i = in.is.begin; i < in.is.end; ++i) {
      const float* xrow = in.x + (i - in.is.begin) * in.step;
      for (int64_t j = 0; j < g.k_w; ++j) {
        float* p = partial + (i * g.k_w + j) * K;
        const int64_t offset = j * g.dil_w - g.pad_left;
        const Span s = inside(g.out_w, g.in_w, g.stride_w, offset);
        if (s.begin == s.end) continue;
        const float* xs = xrow + (s.begin * g.stride_w + offset) * K;
        const float* gs = dyrow + s.begin * K;
        const int64_t xstep = g.stride_w * K, count = s.end - s.begin;
        int64_t c = 0;
        for (; c + kBlock * W <= K; c += kBlock * W) {
          V acc[kBlock];
          for (int v = 0; v < kBlock; ++v) acc[v] = *reinterpret_cast<const VU*>(p + c + v * W);
          for (int64_t k = 0; k < count; ++k) {
            const float* xp = xs + k * xstep + c;
            const float* gp = gs + k * K + c;
            for (int v = 0; v < kBlock; ++v)
              acc[v] += *reinterpret_cast<const VU*>(xp + v * W) * *reinterpret_cast<const VU*>(gp + v * W);
          }
          for (int v = 0; v < kBlock; ++v) *reinterpret_cast<VU*>(p + c + v * W) = acc[v];
        }
        for (; c + W <= K; c += W) {
          V acc = *reinterpret_cast<const VU*>(p + c);
          for (int64_t k = 0; k < count; ++k)
            acc += *reinterpret_cast<const VU*>(xs + k * xstep + c) * *reinterpret_cast<const VU*>(gs + k * K + c);
          *reinterpret_cast<VU*>(p + c) = acc;
        }
        for (; c < K; ++c) {
          float acc = p[c];
          for (int64_t k = 0; k < count; ++k) acc += xs[k * xstep + c] * gs[k * K + c];
          p[c] = acc;
        }
      }
    }
  }

  // out [in_w, K] for input row (n, ih): out[iw] = Σ over taps (i, j) in order of dy[n, oh, ow]·filter[i, j]
  // for the outputs (oh, ow) whose window puts tap (i, j) on (ih, iw); dy is [batch, out_h, out_w, K].
  // taps_i holds (i, oh) of the filter rows that reach this input row, taps the (filter offset, dy
  // offset) pairs of the current iw, cols per j the output column ow = (iw + pad_left − j·dil_w) /
  // stride_w as quotient and remainder, stepped along iw without dividing.
  static TOPOFR_DW_INLINE void backprop_input_row(const DepthwiseGeometry& g, int64_t K, const float* dy, int64_t n,
                                                  int64_t ih, const float* filter, float* out, Scratch& scratch) {
    std::vector<int64_t>& rows = scratch.taps_i;
    std::vector<int64_t>& taps = scratch.taps;
    std::vector<int64_t>& cols = scratch.cols;
    rows.clear();
    for (int64_t i = 0; i < g.k_h; ++i) {
      const int64_t th = ih + g.pad_top - i * g.dil_h;
      if (th < 0 || th % g.stride_h != 0 || th / g.stride_h >= g.out_h) continue;
      rows.push_back(i);
      rows.push_back(th / g.stride_h);
    }
    cols.resize(size_t(2 * g.k_w));
    for (int64_t j = 0; j < g.k_w; ++j) {  // at iw = 0: tw = pad_left − j·dil_w = q·stride_w + rem, 0 ≤ rem < stride_w
      const int64_t tw = g.pad_left - j * g.dil_w;
      const int64_t q = tw >= 0 ? tw / g.stride_w : -ceil_div(-tw, g.stride_w);
      cols[size_t(2 * j)] = q;
      cols[size_t(2 * j + 1)] = tw - q * g.stride_w;
    }
    for (int64_t iw = 0; iw < g.in_w; ++iw) {
      taps.clear();
      for (size_t k = 0; k < rows.size(); k += 2) {
        const int64_t i = rows[k], dy_row = (n * g.out_h + rows[k + 1]) * g.out_w;
        for (int64_t j = 0; j < g.k_w; ++j) {
          const int64_t ow = cols[size_t(2 * j)];
          if (cols[size_t(2 * j + 1)] != 0 || ow < 0 || ow >= g.out_w) continue;
          taps.push_back((i * g.k_w + j) * K);
          taps.push_back((dy_row + ow) * K);
        }
      }
      for (int64_t j = 0; j < g.k_w; ++j)
        if (++cols[size_t(2 * j + 1)] == g.stride_w) cols[size_t(2 * j + 1)] = 0, ++cols[size_t(2 * j)];
      const int64_t* t = taps.data();
      const size_t nt = taps.size();
      float* dp = out + iw * K;
      int64_t c = 0;
      for (; c + kBlock * W <= K; c += kBlock * W) {
        V acc[kBlock] = {};
        for (size_t k = 0; k < nt; k += 2) {
          const float* wp = filter + t[k] + c;
          const float* gp = dy + t[k + 1] + c;
          for (int v = 0; v < kBlock; ++v)
            acc[v] += *reinterpret_cast<const VU*>(gp + v * W) * *reinterpret_cast<const VU*>(wp + v * W);
        }
        for (int v = 0; v < kBlock; ++v) *reinterpret_cast<VU*>(dp + c + v * W) = acc[v];
      }
      for (; c + W <= K; c += W) {
        V acc = {};
        for (size_t k = 0; k < nt; k += 2)
          acc += *reinterpret_cast<const VU*>(dy + t[k + 1] + c) * *reinterpret_cast<const VU*>(filter + t[k] + c);
        *reinterpret_cast<VU*>(dp + c) = acc;
      }
      for (; c < K; ++c) {
        float acc = 0.0f;
        for (size_t k = 0; k < nt; k += 2) acc += dy[t[k + 1] + c] * filter[t[k] + c];
        dp[c] = acc;
      }
    }
  }
};

// One instruction set's kernels.
struct VectorKernels {
  void (*forward_row)(const DepthwiseGeometry&, int64_t, TapRows, const float*, float*);
  void (*filter_row)(const DepthwiseGeometry&, int64_t, TapRows, const float*, float*);
  void (*backprop_input_row)(const DepthwiseGeometry&, int64_t, const float*, int64_t, int64_t, const float*, float*,
                             Scratch&);
};

#define TOPOFR_DW_KERNELS(suffix, isa, width)                                                                   \
  TOPOFR_DW_TARGET(isa)                                                                                         \
  void forward_row_##suffix(const DepthwiseGeometry& g, int64_t K, TapRows in, const float* f, float* y) {      \
    Vector<width>::forward_row(g, K, in, f, y);                                                                 \
  }                                                                                                             \
  TOPOFR_DW_TARGET(isa)                                                                                         \
  void filter_row_##suffix(const DepthwiseGeometry& g, int64_t K, TapRows in, const float* dy, float* p) {      \
    Vector<width>::filter_row(g, K, in, dy, p);                                                                 \
  }                                                                                                             \
  TOPOFR_DW_TARGET(isa)                                                                                         \
  void backprop_input_row_##suffix(const DepthwiseGeometry& g, int64_t K, const float* dy, int64_t n,           \
                                   int64_t ih, const float* f, float* out, Scratch& scratch) {                  \
    Vector<width>::backprop_input_row(g, K, dy, n, ih, f, out, scratch);                                        \
  }                                                                                                             \
  const VectorKernels kKernels_##suffix = {forward_row_##suffix, filter_row_##suffix, backprop_input_row_##suffix};

#ifdef TOPOFR_DW_X86
TOPOFR_DW_KERNELS(sse2, "sse2", 4)
TOPOFR_DW_KERNELS(avx2, "avx2,fma", 8)
TOPOFR_DW_KERNELS(avx512, "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma", 16)
#else
TOPOFR_DW_KERNELS(generic, "", 4)
#endif

// The widest kernels this CPU runs, capped by TOPOFR_ISA (cpu_isa.h), chosen once.
const VectorKernels& kernels() {
  static const VectorKernels* chosen = [] {
#ifdef TOPOFR_DW_X86
    switch (cpu_isa()) {
      case CpuIsa::kAvx512: return &kKernels_avx512;
      case CpuIsa::kAvx2: return &kKernels_avx2;
      default: return &kKernels_sse2;
    }
#else
    return &kKernels_generic;
#endif
  }();
  return *chosen;
}

// ---- multiplier > 1: expanded input rows -----------------------------------------------------------

// dst[p·M + m] = src[p] for p < count, m < M.
void expand(const float* __restrict src, int64_t count, int64_t M, float* __restrict dst) {
  if (M == 2) {
    for (int64_t p = 0; p < count; ++p) dst[2 * p] = dst[2 * p + 1] = src[p];
    return;
  }
  for (int64_t p = 0; p < count; ++p)
    for (int64_t m = 0; m < M; ++m) dst[p * M + m] = src[p];
}

// Whether the vector kernels run: multiplier 1, or a row task's expanded buffer fits the
// per-thread budget (the taps' input rows for forward / backprop-filter, one dx row before its sum
// over the multiplier for backprop-input); otherwise the plain loops do.
bool vectorised(const DepthwiseGeometry& g, int64_t rows) {
  return g.multiplier == 1 || g.in_w * g.channels * g.multiplier <= kExpandFloats / std::max<int64_t>(rows, 1);
}
int64_t tap_row_count(const DepthwiseGeometry& g) { return std::min(g.k_h, g.in_h); }

// The taps' input rows of output row r = (n, oh): straight from x (multiplier 1), or expanded into
// scratch.rows.
TapRows tap_rows(const DepthwiseGeometry& g, const float* x, int64_t r, Scratch& scratch) {
  const int64_t n = r / g.out_h, oh = r % g.out_h, C = g.channels;
  const int64_t ih0 = oh * g.stride_h - g.pad_top;
  const Span is = inside(g.k_h, g.in_h, g.dil_h, ih0);
  if (is.begin == is.end) return {x, 0, is};
  const float* first = x + ((n * g.in_h + ih0 + is.begin * g.dil_h) * g.in_w) * C;
  if (g.multiplier == 1) return {first, g.dil_h * g.in_w * C, is};
  const int64_t K = C * g.multiplier, row = g.in_w * K;
  scratch.rows.resize(size_t((is.end - is.begin) * row));
  for (int64_t i = is.begin; i < is.end; ++i)
    expand(first + (i - is.begin) * g.dil_h * g.in_w * C, g.in_w * C, g.multiplier,
           scratch.rows.data() + (i - is.begin) * row);
  return {scratch.rows.data(), row, is};
}

// ---- plain loops: any multiplier, for rows too wide to expand (kExpandFloats) --------------------

// acc[c·M + m] += a[c]·b[c·M + m] for c < C, m < M: one input channel against its M output channels.
inline void mul_add(int64_t C, int64_t M, const float* __restrict a, const float* __restrict b,
                    float* __restrict acc) {
  for (int64_t c = 0; c < C; ++c) {
    const float ac = a[c];
    const float* bc = b + c * M;
    float* out = acc + c * M;
    for (int64_t m = 0; m < M; ++m) out[m] += ac * bc[m];
  }
}

// acc[c] += Σ_m a[c·M + m]·b[c·M + m]: an input channel's share of its M output channels.
inline void dot_add(int64_t C, int64_t M, const float* __restrict a, const float* __restrict b,
                    float* __restrict acc) {
  for (int64_t c = 0; c < C; ++c) {
    const float* ac = a + c * M;
    const float* bc = b + c * M;
    float s = 0.0f;
    for (int64_t m = 0; m < M; ++m) s += ac[m] * bc[m];
    acc[c] += s;
  }
}

// Output row r = (n, oh): y[n, oh, ow, :] = Σ over taps (i, j) in order of x[n, ih, iw, :]·filter[i, j, :]
// (the taps that fall in the padding are skipped).
void forward_row(const DepthwiseGeometry& g, const float* x, const float* filter, float* y, int64_t r) {
  const int64_t C = g.channels, M = g.multiplier, OC = C * M;
  const int64_t n = r / g.out_h, oh = r % g.out_h;
  float* yrow = y + r * g.out_w * OC;
  std::fill(yrow, yrow + g.out_w * OC, 0.0f);
  for (int64_t i = 0; i < g.k_h; ++i) {
    const int64_t ih = oh * g.stride_h - g.pad_top + i * g.dil_h;
    if (ih < 0 || ih >= g.in_h) continue;
    const float* xrow = x + (n * g.in_h + ih) * g.in_w * C;
    for (int64_t j = 0; j < g.k_w; ++j) {
      const float* w = filter + (i * g.k_w + j) * OC;
      const int64_t offset = j * g.dil_w - g.pad_left;
      const Span s = inside(g.out_w, g.in_w, g.stride_w, offset);
      for (int64_t ow = s.begin; ow < s.end; ++ow)
        mul_add(C, M, xrow + (ow * g.stride_w + offset) * C, w, yrow + ow * OC);
    }
  }
}

// Input row r = (n, ih): every output (oh, ow) that tap (i, j) maps onto this row adds
// dy[n, oh, ow, :]·filter[i, j, :] into dx[n, ih, iw, :]; taps in order.
void backprop_input_row(const DepthwiseGeometry& g, const float* dy, const float* filter, float* dx, int64_t r) {
  const int64_t C = g.channels, M = g.multiplier, OC = C * M;
  const int64_t n = r / g.in_h, ih = r % g.in_h;
  float* dxrow = dx + r * g.in_w * C;
  std::fill(dxrow, dxrow + g.in_w * C, 0.0f);
  for (int64_t i = 0; i < g.k_h; ++i) {
    const int64_t th = ih + g.pad_top - i * g.dil_h;  // = oh·stride_h
    if (th < 0 || th % g.stride_h != 0) continue;
    const int64_t oh = th / g.stride_h;
    if (oh >= g.out_h) continue;
    const float* dyrow = dy + (n * g.out_h + oh) * g.out_w * OC;
    for (int64_t j = 0; j < g.k_w; ++j) {
      const float* w = filter + (i * g.k_w + j) * OC;
      const int64_t offset = j * g.dil_w - g.pad_left;
      const Span s = inside(g.out_w, g.in_w, g.stride_w, offset);
      for (int64_t ow = s.begin; ow < s.end; ++ow)
        dot_add(C, M, dyrow + ow * OC, w, dxrow + (ow * g.stride_w + offset) * C);
    }
  }
}

// partial[i, j, :] += Σ over the output rows r0 ≤ r < r1 (r = n·out_h + oh) and columns ow of
// x[n, ih, iw, :]·dy[n, oh, ow, :], in that order.
void filter_partial(const DepthwiseGeometry& g, const float* x, const float* dy, int64_t r0, int64_t r1,
                    float* partial) {
  const int64_t C = g.channels, M = g.multiplier, OC = C * M;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t n = r / g.out_h, oh = r % g.out_h;
    const float* dyrow = dy + r * g.out_w * OC;
    for (int64_t i = 0; i < g.k_h; ++i) {
      const int64_t ih = oh * g.stride_h - g.pad_top + i * g.dil_h;
      if (ih < 0 || ih >= g.in_h) continue;
      const float* xrow = x + (n * g.in_h + ih) * g.in_w * C;
      for (int64_t j = 0; j < g.k_w; ++j) {
        float* p = partial + (i * g.k_w + j) * OC;
        const int64_t offset = j * g.dil_w - g.pad_left;
        const Span s = inside(g.out_w, g.in_w, g.stride_w, offset);
        for (int64_t ow = s.begin; ow < s.end; ++ow)
          mul_add(C, M, xrow + (ow * g.stride_w + offset) * C, dyrow + ow * OC, p);
      }
    }
  }
}

// ---- the passes ----------------------------------------------------------------------------------

// The partial filters' buffer: a per-thread cache, so a training loop does not page-fault a fresh
// allocation on every call.
float* partials_buffer(size_t n) {
  thread_local std::vector<float> cache;
  if (cache.size() < n) cache.resize(n);
  return cache.data();
}

// dfilter = Σ over fixed chunks of output rows of each chunk's partial filter, the partials summed
// in chunk order in double.
template <class Partial>
void backprop_filter_chunks(const DepthwiseGeometry& g, float* dfilter, const Partial& partial_of) {
  const int64_t P = g.k_h * g.k_w * g.channels * g.multiplier;
  const int64_t rows = g.batch * g.out_h;
  const int64_t row_work = std::max<int64_t>(1, g.k_h * g.k_w * g.out_w * g.channels * g.multiplier);
  const int64_t step = std::max({int64_t(1), ceil_div(kChunkWork, row_work), ceil_div(rows, kMaxChunks)});
  const int64_t chunks = ceil_div(rows, step);
  if (chunks == 1) {  // small: one pass straight into dfilter (the same sums in the same order)
    std::fill(dfilter, dfilter + P, 0.0f);
    partial_of(0, rows, dfilter);
    return;
  }
  float* partial = partials_buffer(size_t(chunks * P));
  parallel_for(chunks, [&](int64_t k) {
    float* p = partial + k * P;
    std::fill(p, p + P, 0.0f);
    partial_of(k * step, std::min(rows, (k + 1) * step), p);
  });
  parallel_for(ceil_div(P, kSumBlock), [&](int64_t b) {
    const int64_t q0 = b * kSumBlock, q1 = std::min(P, q0 + kSumBlock);
    double acc[kSumBlock] = {};
    for (int64_t k = 0; k < chunks; ++k) {
      const float* p = partial + k * P;
      for (int64_t q = q0; q < q1; ++q) acc[q - q0] += double(p[q]);
    }
    for (int64_t q = q0; q < q1; ++q) dfilter[q] = float(acc[q - q0]);
  });
}

}  // namespace

void depthwise_forward(const DepthwiseGeometry& g, const float* x, const float* filter, float* y) {
  const int64_t K = g.channels * g.multiplier;
  if (vectorised(g, tap_row_count(g))) {
    const auto row = kernels().forward_row;
    parallel_for(g.batch * g.out_h, [&](int64_t r) {
      thread_local Scratch scratch;
      row(g, K, tap_rows(g, x, r, scratch), filter, y + r * g.out_w * K);
    });
  } else {
    parallel_for(g.batch * g.out_h, [&](int64_t r) { forward_row(g, x, filter, y, r); });
  }
}

void depthwise_backprop_input(const DepthwiseGeometry& g, const float* dy, const float* filter, float* dx) {
  const int64_t C = g.channels, M = g.multiplier, K = C * M;
  if (vectorised(g, 1)) {
    const auto row = kernels().backprop_input_row;
    parallel_for(g.batch * g.in_h, [&](int64_t r) {
      thread_local Scratch scratch;
      float* dxrow = dx + r * g.in_w * C;
      if (M == 1) {
        row(g, K, dy, r / g.in_h, r % g.in_h, filter, dxrow, scratch);
        return;
      }
      scratch.out.resize(size_t(g.in_w * K));
      const float* e = scratch.out.data();
      row(g, K, dy, r / g.in_h, r % g.in_h, filter, scratch.out.data(), scratch);
      for (int64_t p = 0; p < g.in_w * C; ++p) {  // dx[p] = Σ_m e[p·M + m], after the taps
        float s = 0.0f;
        for (int64_t m = 0; m < M; ++m) s += e[p * M + m];
        dxrow[p] = s;
      }
    });
  } else {
    parallel_for(g.batch * g.in_h, [&](int64_t r) { backprop_input_row(g, dy, filter, dx, r); });
  }
}

void depthwise_backprop_filter(const DepthwiseGeometry& g, const float* x, const float* dy, float* dfilter) {
  const int64_t K = g.channels * g.multiplier, P = g.k_h * g.k_w * K;
  if (P == 0) return;
  if (g.batch * g.out_h == 0 || g.out_w == 0) {
    std::fill(dfilter, dfilter + P, 0.0f);
    return;
  }
  if (vectorised(g, tap_row_count(g))) {
    const auto row = kernels().filter_row;
    backprop_filter_chunks(g, dfilter, [&](int64_t r0, int64_t r1, float* p) {
      thread_local Scratch scratch;
      for (int64_t r = r0; r < r1; ++r) row(g, K, tap_rows(g, x, r, scratch), dy + r * g.out_w * K, p);
    });
  } else {
    backprop_filter_chunks(g, dfilter, [&](int64_t r0, int64_t r1, float* p) { filter_partial(g, x, dy, r0, r1, p); });
  }
}

}  // namespace topofr
