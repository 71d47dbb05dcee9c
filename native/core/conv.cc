#include "conv.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "conv_kernel.h"
#include "sgemm.h"
#include "thread_pool.h"

namespace topofr {
namespace {

int64_t col_budget() { return kColBudgetFloats; }

// The im2col buffer: a per-thread cache up to twice the budget (no page faults on every kernel
// call of a training loop), a one-off allocation beyond (one huge image for backprop-input).
float* scratch(size_t n, std::vector<float>& one_off) {
  thread_local std::vector<float> cache;
  if (n <= size_t(2 * kColBudgetFloats)) {
    if (cache.size() < n) cache.resize(n);
    return cache.data();
  }
  one_off.resize(n);
  return one_off.data();
}

int64_t patch_size(const ConvGeometry& g) { return g.k_h * g.k_w * g.in_c; }

// A 1×1 filter with stride 1 and no padding: the im2col matrix is x itself.
bool is_pointwise(const ConvGeometry& g) {
  return g.k_h == 1 && g.k_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 && g.pad_left == 0 &&
         g.out_h == g.in_h && g.out_w == g.in_w;
}

// Output rows (flat over batch·out_h) per band so that the band's im2col buffer stays in budget.
int64_t rows_per_band(const ConvGeometry& g) {
  const int64_t per_row = std::max<int64_t>(1, g.out_w * patch_size(g));
  return std::max<int64_t>(1, col_budget() / per_row);
}

// Fills col [(r1 − r0)·out_w, K] for the flat output rows r0 ≤ r < r1 (r = n·out_h + oh).
void im2col_rows(const ConvGeometry& g, const float* x, int64_t r0, int64_t r1, float* col) {
  const int64_t K = patch_size(g), c = g.in_c;
  const size_t cbytes = size_t(c) * sizeof(float);
  parallel_for(r1 - r0, [&](int64_t rr) {
    const int64_t r = r0 + rr, n = r / g.out_h, oh = r % g.out_h;
    const float* xn = x + n * g.in_h * g.in_w * c;
    float* dst_row = col + rr * g.out_w * K;
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
      float* dst = dst_row + ow * K;
      for (int64_t i = 0; i < g.k_h; ++i) {
        const int64_t ih = oh * g.stride_h - g.pad_top + i * g.dil_h;
        if (ih < 0 || ih >= g.in_h) {
          std::memset(dst, 0, cbytes * size_t(g.k_w));
          dst += g.k_w * c;
          continue;
        }
        const float* xrow = xn + ih * g.in_w * c;
        for (int64_t j = 0; j < g.k_w; ++j, dst += c) {
          const int64_t iw = ow * g.stride_w - g.pad_left + j * g.dil_w;
          if (iw < 0 || iw >= g.in_w) std::memset(dst, 0, cbytes);
          else std::memcpy(dst, xrow + iw * c, cbytes);
        }
      }
    }
  });
}

bool empty_geometry(const ConvGeometry& g) {
  return g.batch == 0 || g.out_h == 0 || g.out_w == 0 || g.out_c == 0 || g.in_c == 0 || g.k_h == 0 || g.k_w == 0;
}

// im2col of x in bands of output rows, so the column buffer stays bounded: band(col, r0, m) gets
// the m = rows·out_w patch rows starting at output row r0 (over the whole batch).
template <class Band>
void for_each_im2col_band(const ConvGeometry& g, const float* x, Band&& band) {
  const int64_t K = patch_size(g), total_rows = g.batch * g.out_h;
  const int64_t rows = std::min(rows_per_band(g), total_rows);
  std::vector<float> one_off;
  float* col = scratch(size_t(rows * g.out_w * K), one_off);
  for (int64_t r0 = 0; r0 < total_rows; r0 += rows) {
    const int64_t r1 = std::min(total_rows, r0 + rows);
    im2col_rows(g, x, r0, r1, col);
    band(col, r0, (r1 - r0) * g.out_w);
  }
}

// --- direct kernels (conv_kernel.h) for layers with few channels ---

struct DirectKernels {
  void (*rows)(const gemm_isa::DirectConv&, const float*, float*, int64_t, int64_t);
  void (*filter)(const gemm_isa::DirectConv&, const float*, float*, int64_t, int64_t);
  int64_t width;  // floats per vector: channel counts must be a multiple
};

// The instruction set the builtin GEMM dispatched to, for the direct kernels too;
// TOPOFR_CONV_ISA=sse2|avx2 caps it (tests cover every width on one machine that way).
const DirectKernels& direct_kernels() {
  static const DirectKernels chosen = [] {
    const std::string isa = builtin_isa();
    const char* env = std::getenv("TOPOFR_CONV_ISA");
    const std::string cap = env ? env : "";
    if (isa == "avx512" && cap != "avx2" && cap != "sse2")
      return DirectKernels{gemm_isa::direct_conv_rows_avx512, gemm_isa::direct_conv_filter_avx512, 16};
    if ((isa == "avx512" || isa == "avx2") && cap != "sse2")
      return DirectKernels{gemm_isa::direct_conv_rows_avx2, gemm_isa::direct_conv_filter_avx2, 8};
    return DirectKernels{gemm_isa::direct_conv_rows_sse2, gemm_isa::direct_conv_filter_sse2, 4};
  }();
  return chosen;
}

// Whether the direct kernels take a convolution whose vectorised channels (the output's for the
// forward and the filter gradient, the input's for the input gradient) number `channels`: a
// multiple of the vector width, and few enough that im2col + GEMM would mostly move data.
// TOPOFR_CONV=direct takes the direct kernels wherever the channel count is a multiple of the
// vector width, TOPOFR_CONV=im2col never (tests cover both paths that way); unset, the thresholds.
bool direct_fits(int64_t channels, int64_t max_channels) {
  static const std::string forced = [] {
    const char* env = std::getenv("TOPOFR_CONV");
    return std::string(env ? env : "");
  }();
  if (forced == "im2col" || channels <= 0 || channels % direct_kernels().width != 0) return false;
  return forced == "direct" || channels <= max_channels;
}

// x zero-padded for the direct kernels: pad_top/pad_left zeros before, and as many rows and
// columns after as the kernels read (whole tiles of kDirectTile pixels per output row), cropped
// where the input reaches further than any read.
struct PaddedInput {
  std::unique_ptr<float[]> data;
  std::vector<int64_t> offsets;
  gemm_isa::DirectConv conv;
};

PaddedInput pad_for_direct(const ConvGeometry& g, const float* x) {
  const int64_t c = g.in_c;
  const int64_t tiles = (g.out_w + gemm_isa::kDirectTile - 1) / gemm_isa::kDirectTile;
  const int64_t hp = (g.out_h - 1) * g.stride_h + (g.k_h - 1) * g.dil_h + 1;
  const int64_t wp = (tiles * gemm_isa::kDirectTile - 1) * g.stride_w + (g.k_w - 1) * g.dil_w + 1;
  PaddedInput p;
  p.data.reset(new float[size_t(g.batch * hp * wp * c)]);
  float* data = p.data.get();
  parallel_for(g.batch * hp, [&](int64_t t) {
    const int64_t n = t / hp, r = t % hp, ih = r - g.pad_top;
    float* dst = data + t * wp * c;
    if (ih < 0 || ih >= g.in_h) {
      std::fill(dst, dst + wp * c, 0.0f);
      return;
    }
    const int64_t first = std::min(g.pad_left, wp), last = std::min(wp, g.pad_left + g.in_w);  // [first, last) from x
    std::fill(dst, dst + first * c, 0.0f);
    if (last > first) std::memcpy(dst + first * c, x + ((n * g.in_h + ih) * g.in_w) * c, size_t((last - first) * c) * sizeof(float));
    std::fill(dst + std::max(first, last) * c, dst + wp * c, 0.0f);
  });
  for (int64_t i = 0; i < g.k_h; ++i)
    for (int64_t j = 0; j < g.k_w; ++j)
      for (int64_t ch = 0; ch < c; ++ch) p.offsets.push_back((i * g.dil_h * wp + j * g.dil_w) * c + ch);
  p.conv = {data, hp, wp, c, g.batch, g.out_h, g.out_w, g.stride_h, g.stride_w, p.offsets.data(), patch_size(g), g.out_c};
  return p;
}

void direct_forward(const ConvGeometry& g, const float* x, const float* filter, float* y) {
  const PaddedInput p = pad_for_direct(g, x);
  parallel_for(g.batch * g.out_h, [&](int64_t row) { direct_kernels().rows(p.conv, filter, y, row, row + 1); });
}

void direct_backprop_filter(const ConvGeometry& g, const float* x, const float* dy, float* dfilter) {
  const PaddedInput p = pad_for_direct(g, x);
  const int64_t k = patch_size(g), step = gemm_isa::kDirectTile;
  parallel_for((k + step - 1) / step, [&](int64_t t) {
    direct_kernels().filter(p.conv, dy, dfilter, t * step, std::min(k, (t + 1) * step));
  });
}

// The input gradient of a stride-1, undilated convolution is a forward convolution of dy, padded
// by k − 1 − pad, with the filter flipped and its channel axes swapped.
bool direct_backprop_input_fits(const ConvGeometry& g) {
  return g.stride_h == 1 && g.stride_w == 1 && g.dil_h == 1 && g.dil_w == 1 && g.pad_top < g.k_h && g.pad_left < g.k_w &&
         direct_fits(g.in_c, kDirectMaxChannels);
}

void direct_backprop_input(const ConvGeometry& g, const float* dy, const float* filter, float* dx) {
  const int64_t co = g.out_c, ci = g.in_c;
  std::vector<float> flipped(size_t(g.k_h * g.k_w * co * ci));
  for (int64_t i = 0; i < g.k_h; ++i)
    for (int64_t j = 0; j < g.k_w; ++j)
      for (int64_t o = 0; o < co; ++o)
        for (int64_t c = 0; c < ci; ++c)
          flipped[size_t(((i * g.k_w + j) * co + o) * ci + c)] =
              filter[(((g.k_h - 1 - i) * g.k_w + (g.k_w - 1 - j)) * ci + c) * co + o];
  const ConvGeometry t{g.batch, g.out_h, g.out_w, co, g.in_h, g.in_w, ci, g.k_h, g.k_w, 1, 1, 1, 1,
                       g.k_h - 1 - g.pad_top, g.k_w - 1 - g.pad_left};
  direct_forward(t, dy, flipped.data(), dx);
}

}  // namespace

void conv2d_forward(const ConvGeometry& g, const float* x, const float* filter, float* y) {
  const int64_t K = patch_size(g), total_rows = g.batch * g.out_h;
  if (empty_geometry(g)) {
    std::fill(y, y + total_rows * g.out_w * g.out_c, 0.0f);
    return;
  }
  if (is_pointwise(g)) {
    sgemm(false, false, total_rows * g.out_w, g.out_c, K, 1.0f, x, K, filter, g.out_c, 0.0f, y, g.out_c);
    return;
  }
  if (direct_fits(g.out_c, kDirectMaxChannels)) return direct_forward(g, x, filter, y);
  for_each_im2col_band(g, x, [&](const float* col, int64_t r0, int64_t m) {
    sgemm(false, false, m, g.out_c, K, 1.0f, col, K, filter, g.out_c, 0.0f, y + r0 * g.out_w * g.out_c,
          g.out_c);
  });
}

void conv2d_backprop_filter(const ConvGeometry& g, const float* x, const float* dy, float* dfilter) {
  const int64_t K = patch_size(g), total_rows = g.batch * g.out_h;
  if (empty_geometry(g)) {
    std::fill(dfilter, dfilter + K * g.out_c, 0.0f);
    return;
  }
  if (is_pointwise(g)) {
    sgemm(true, false, K, g.out_c, total_rows * g.out_w, 1.0f, x, K, dy, g.out_c, 0.0f, dfilter, g.out_c);
    return;
  }
  if (direct_fits(g.out_c, kDirectMaxFilterChannels)) return direct_backprop_filter(g, x, dy, dfilter);
  for_each_im2col_band(g, x, [&](const float* col, int64_t r0, int64_t m) {
    // dW [K, out_c] (+)= colᵀ [K, m] · dy_band [m, out_c]
    sgemm(true, false, K, g.out_c, m, 1.0f, col, K, dy + r0 * g.out_w * g.out_c, g.out_c,
          r0 == 0 ? 0.0f : 1.0f, dfilter, g.out_c);
  });
}

void conv2d_backprop_input(const ConvGeometry& g, const float* dy, const float* filter, float* dx) {
  const int64_t K = patch_size(g), c = g.in_c;
  const int64_t dx_size = g.batch * g.in_h * g.in_w * c;
  if (empty_geometry(g)) {
    std::fill(dx, dx + dx_size, 0.0f);
    return;
  }
  if (is_pointwise(g)) {  // dx = dy · Wᵀ
    sgemm(false, true, g.batch * g.out_h * g.out_w, c, g.out_c, 1.0f, dy, g.out_c, filter, g.out_c, 0.0f, dx, c);
    return;
  }
  if (direct_backprop_input_fits(g)) return direct_backprop_input(g, dy, filter, dx);
  // Bands of whole images: dcol [images·out_h·out_w, K] = dy · Wᵀ, then a gather (col2im) that
  // writes every dx element once, so input rows are independent and run in parallel.
  const int64_t per_image = std::max<int64_t>(1, g.out_h * g.out_w * K);
  const int64_t images = std::max<int64_t>(1, std::min(g.batch, col_budget() / per_image));
  std::vector<float> one_off;
  float* dcol = scratch(size_t(images * per_image), one_off);
  for (int64_t n0 = 0; n0 < g.batch; n0 += images) {
    const int64_t n1 = std::min(g.batch, n0 + images), m = (n1 - n0) * g.out_h * g.out_w;
    sgemm(false, true, m, K, g.out_c, 1.0f, dy + n0 * g.out_h * g.out_w * g.out_c, g.out_c, filter, g.out_c, 0.0f,
          dcol, K);
    parallel_for((n1 - n0) * g.in_h, [&](int64_t t) {
      const int64_t nn = t / g.in_h, h = t % g.in_h;
      float* dxrow = dx + ((n0 + nn) * g.in_h + h) * g.in_w * c;
      std::fill(dxrow, dxrow + g.in_w * c, 0.0f);
      const float* dimg = dcol + nn * per_image;
      for (int64_t i = 0; i < g.k_h; ++i) {
        const int64_t th = h + g.pad_top - i * g.dil_h;
        if (th < 0 || th % g.stride_h != 0) continue;
        const int64_t oh = th / g.stride_h;
        if (oh >= g.out_h) continue;
        for (int64_t w = 0; w < g.in_w; ++w) {
          float* d = dxrow + w * c;
          for (int64_t j = 0; j < g.k_w; ++j) {
            const int64_t tw = w + g.pad_left - j * g.dil_w;
            if (tw < 0 || tw % g.stride_w != 0) continue;
            const int64_t ow = tw / g.stride_w;
            if (ow >= g.out_w) continue;
            const float* s = dimg + (oh * g.out_w + ow) * K + (i * g.k_w + j) * c;
            for (int64_t ch = 0; ch < c; ++ch) d[ch] += s[ch];
          }
        }
      }
    });
  }
}

void batched_sgemm(bool trans_a, bool trans_b, int64_t batch, int64_t m, int64_t n, int64_t k, const float* a,
                   int64_t stride_a, const float* b, int64_t stride_b, float* c) {
  if (batch == 0 || m == 0 || n == 0) return;
  const int64_t lda = trans_a ? m : k, ldb = trans_b ? k : n;
  if (k == 0) {
    std::fill(c, c + batch * m * n, 0.0f);
    return;
  }
  // Many small products: one per task on one thread each; large ones: each on the whole pool.
  const bool small = double(m) * double(n) * double(k) < double(1 << 18);
  if (batch > 1 && small) {
    parallel_for(batch, [&](int64_t i) {
      sgemm(trans_a, trans_b, m, n, k, 1.0f, a + i * stride_a, lda, b + i * stride_b, ldb, 0.0f, c + i * m * n, n, 1);
    });
    return;
  }
  for (int64_t i = 0; i < batch; ++i)
    sgemm(trans_a, trans_b, m, n, k, 1.0f, a + i * stride_a, lda, b + i * stride_b, ldb, 0.0f, c + i * m * n, n);
}

}  // namespace topofr
