// Direct NHWC convolution for layers with few channels, written once over the instruction sets of
// gemm_kernel.h and compiled with each (the gemm_kernel_<isa>.cc units hold the entry points).
//
// Why: with 16–64 channels, im2col + GEMM spends most of its time moving data (a 9× expanded copy
// of the input, then the GEMM's packing of it, then for the input gradient a col2im gather), not
// multiplying. Here an output tile (R pixels × NV vectors of channels) sits in registers and reads
// the input in place: element l of a pixel's patch is at x[base(pixel) + offsets[l]] of a
// zero-padded copy of the input, so padding, strides and dilations are only offsets.
//
// Arithmetic: the forward computes each output element as one chain acc = fmadd(x_l, w_l, acc)
// over l = 0..K−1 from 0, exactly as the builtin GEMM computes an im2col product, so the results
// are bitwise those of that path. The filter gradient is one chain per element over the pixels
// in order (n, oh, ow).
#pragma once
#include <cstdint>

#include "gemm_kernel.h"

namespace topofr {
namespace gemm_isa {

// A convolution over a zero-padded input: output pixel p = (n, oh, ow) reads
// x[((n·hp + oh·stride_h)·wp + ow·stride_w)·c + offsets[l]] for its patch elements l < k. The padded
// input has slack, so that whole tiles of kDirectTile pixels may be read past the last output column.
struct DirectConv {
  const float* x;  // [batch, hp, wp, c]
  int64_t hp, wp, c;
  int64_t batch, out_h, out_w, stride_h, stride_w;
  const int64_t* offsets;  // k entries
  int64_t k, out_c;        // patch size; output channels, a multiple of the vector width
};

// Pixels per register tile is at most this (the slack the padded input needs along a row) and
// filter-gradient rows are handled in groups of it.
constexpr int64_t kDirectTile = 24;

// y[p, :] = Σ_l x_l(p)·w[l, :] (w is [k, out_c]) for the output rows [row0, row1), row = n·out_h + oh.
void direct_conv_rows_sse2(const DirectConv& d, const float* w, float* y, int64_t row0, int64_t row1);
void direct_conv_rows_avx2(const DirectConv& d, const float* w, float* y, int64_t row0, int64_t row1);
void direct_conv_rows_avx512(const DirectConv& d, const float* w, float* y, int64_t row0, int64_t row1);

// dw[l, :] = Σ_p x_l(p)·dy[p, :] for the patch elements [l0, l1) (dw is [k, out_c]).
void direct_conv_filter_sse2(const DirectConv& d, const float* dy, float* dw, int64_t l0, int64_t l1);
void direct_conv_filter_avx2(const DirectConv& d, const float* dy, float* dw, int64_t l0, int64_t l1);
void direct_conv_filter_avx512(const DirectConv& d, const float* dy, float* dw, int64_t l0, int64_t l1);

namespace {

template <class Isa>
struct DirectConvKernel {
  static constexpr int W = Isa::kWidth;
  static constexpr int kAcc = W == 16 ? 24 : 12;  // accumulator registers: 32 zmm, or 16 ymm/xmm
  typedef typename Vec<W>::type V;
  typedef typename Vec<W>::unaligned VU;

  static V load(const float* p) { return *reinterpret_cast<const VU*>(p); }
  static void store(float* p, V v) { *reinterpret_cast<VU*>(p) = v; }
  static V splat(float x) { return x - V{}; }

  // R pixels (input bases xb + r·xstep) × NV channel vectors of w; `valid` pixels are stored.
  // XSTEP, when not 0, is xstep as a constant: each pixel's broadcast is then the base plus a fixed
  // displacement, where a run-time stride makes the compiler chain the R addresses one add after
  // another (measured: that chain, not the multiply-adds, bounded the loop).
  template <int R, int NV, int64_t XSTEP>
  static void forward_tile(const DirectConv& d, const float* xb, int64_t xstep, const float* w, float* y, int64_t valid) {
    const int64_t step = XSTEP ? XSTEP : xstep;
    V acc[R][NV];
    TOPOFR_TILE_LOOP for (int r = 0; r < R; ++r)
      for (int v = 0; v < NV; ++v) acc[r][v] = V{};
    for (int64_t l = 0; l < d.k; ++l) {
      const float* xs = xb + d.offsets[l];
      V wv[NV];
      for (int v = 0; v < NV; ++v) wv[v] = load(w + l * d.out_c + v * W);
      TOPOFR_TILE_LOOP for (int r = 0; r < R; ++r) {
        V xr = splat(xs[r * step]);
        for (int v = 0; v < NV; ++v) acc[r][v] = Isa::fmadd(xr, wv[v], acc[r][v]);
      }
    }
    for (int64_t r = 0; r < valid; ++r)
      for (int v = 0; v < NV; ++v) store(y + r * d.out_c + v * W, acc[r][v]);
  }

  // A row in tiles of R pixels, the rest in a tile of R/3 or 2R/3 (whichever covers it), so a row
  // of 28 costs 24 + 8 pixels, not 24 + 24.
  template <int R, int NV, int64_t XSTEP>
  static void forward_row(const DirectConv& d, const float* xrow, const float* w, float* yrow) {
    const int64_t xstep = d.stride_w * d.c;
    int64_t ow = 0;
    for (; ow + R <= d.out_w; ow += R) forward_tile<R, NV, XSTEP>(d, xrow + ow * xstep, xstep, w, yrow + ow * d.out_c, R);
    const int64_t rest = d.out_w - ow;
    const float* xb = xrow + ow * xstep;
    float* yb = yrow + ow * d.out_c;
    if (rest > 2 * R / 3) forward_tile<R, NV, XSTEP>(d, xb, xstep, w, yb, rest);
    else if (rest > R / 3) forward_tile<2 * R / 3, NV, XSTEP>(d, xb, xstep, w, yb, rest);
    else if (rest > 0) forward_tile<R / 3, NV, XSTEP>(d, xb, xstep, w, yb, rest);
  }

  template <int R, int NV>
  static void forward_row(const DirectConv& d, const float* xrow, const float* w, float* yrow) {
    switch (d.stride_w * d.c) {  // the steps of IResNet's narrow layers: 16 channels, stride 1 or 2
      case 16: return forward_row<R, NV, 16>(d, xrow, w, yrow);
      case 32: return forward_row<R, NV, 32>(d, xrow, w, yrow);
      default: return forward_row<R, NV, 0>(d, xrow, w, yrow);
    }
  }

  static void rows(const DirectConv& d, const float* w, float* y, int64_t row0, int64_t row1) {
    for (int64_t row = row0; row < row1; ++row) {
      const int64_t n = row / d.out_h, oh = row % d.out_h;
      const float* xrow = d.x + (n * d.hp + oh * d.stride_h) * d.wp * d.c;
      float* yrow = y + row * d.out_w * d.out_c;
      int64_t c0 = 0;
      for (; c0 + 2 * W <= d.out_c; c0 += 2 * W) forward_row<kAcc / 2, 2>(d, xrow, w + c0, yrow + c0);
      for (; c0 < d.out_c; c0 += W) forward_row<kAcc, 1>(d, xrow, w + c0, yrow + c0);
    }
  }

  // Rows [l0, l0 + valid) of dw (valid ≤ R) × NV channel vectors from c0, over the pixels
  // [p0, p1), continuing the chains stored in dw unless p0 is the first pixel.
  template <int R, int NV>
  static void filter_tile(const DirectConv& d, const float* dy, float* dw, int64_t l0, int64_t valid, int64_t c0,
                          int64_t p0, int64_t p1) {
    int64_t off[R];
    for (int r = 0; r < R; ++r) off[r] = d.offsets[l0 + min64(r, valid - 1)];  // spare rows repeat a valid one
    V acc[R][NV];
    TOPOFR_TILE_LOOP for (int r = 0; r < R; ++r)
      for (int v = 0; v < NV; ++v) acc[r][v] = p0 == 0 || r >= valid ? V{} : load(dw + (l0 + r) * d.out_c + c0 + v * W);
    const int64_t xstep = d.stride_w * d.c;
    for (int64_t p = p0; p < p1;) {  // by runs along an output row
      const int64_t row = p / d.out_w, ow0 = p % d.out_w, run = min64(d.out_w - ow0, p1 - p);
      const int64_t n = row / d.out_h, oh = row % d.out_h;
      const float* xb = d.x + ((n * d.hp + oh * d.stride_h) * d.wp + ow0 * d.stride_w) * d.c;
      const float* g = dy + p * d.out_c + c0;
      for (int64_t i = 0; i < run; ++i, xb += xstep, g += d.out_c) {
        V gv[NV];
        for (int v = 0; v < NV; ++v) gv[v] = load(g + v * W);
        TOPOFR_TILE_LOOP for (int r = 0; r < R; ++r) {
          V xr = splat(xb[off[r]]);
          for (int v = 0; v < NV; ++v) acc[r][v] = Isa::fmadd(xr, gv[v], acc[r][v]);
        }
      }
      p += run;
    }
    for (int64_t r = 0; r < valid; ++r)
      for (int v = 0; v < NV; ++v) store(dw + (l0 + r) * d.out_c + c0 + v * W, acc[r][v]);
  }

  // Rows [l0, l1) in tiles of R, the rest in a tile of R/3 or 2R/3, as forward_row.
  template <int R, int NV>
  static void filter_rows(const DirectConv& d, const float* dy, float* dw, int64_t l0, int64_t l1, int64_t c0, int64_t p0,
                          int64_t p1) {
    int64_t l = l0;
    for (; l + R <= l1; l += R) filter_tile<R, NV>(d, dy, dw, l, R, c0, p0, p1);
    const int64_t rest = l1 - l;
    if (rest > 2 * R / 3) filter_tile<R, NV>(d, dy, dw, l, rest, c0, p0, p1);
    else if (rest > R / 3) filter_tile<2 * R / 3, NV>(d, dy, dw, l, rest, c0, p0, p1);
    else if (rest > 0) filter_tile<R / 3, NV>(d, dy, dw, l, rest, c0, p0, p1);
  }

  // Pixels per pass over the tiles: what a pass reads (dy rows, the input rows under them) stays
  // in L2, so each is read from memory once, not once per tile. The partial sums wait in dw as
  // floats, which keeps every element one chain.
  static constexpr int64_t kPixelChunk = 512;

  static void filter(const DirectConv& d, const float* dy, float* dw, int64_t l0, int64_t l1) {
    const int64_t pixels = d.batch * d.out_h * d.out_w;
    for (int64_t p0 = 0; p0 < pixels; p0 += kPixelChunk) {
      const int64_t p1 = min64(pixels, p0 + kPixelChunk);
      int64_t c0 = 0;
      for (; c0 + 2 * W <= d.out_c; c0 += 2 * W) filter_rows<kAcc / 2, 2>(d, dy, dw, l0, l1, c0, p0, p1);
      for (; c0 < d.out_c; c0 += W) filter_rows<kAcc, 1>(d, dy, dw, l0, l1, c0, p0, p1);
    }
  }
};

}  // namespace
}  // namespace gemm_isa
}  // namespace topofr
