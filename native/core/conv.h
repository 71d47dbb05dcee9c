// NHWC float32 2-D convolution (forward, backprop-input, backprop-filter) by im2col / col2im and
// topofr::sgemm, for the native tfjs kernels; plus a batched GEMM for BatchMatMul.
//
// Layouts (tfjs's): x [batch, in_h, in_w, in_c], filter [k_h, k_w, in_c, out_c], y and dy
// [batch, out_h, out_w, out_c]. The filter read as a row-major [k_h·k_w·in_c, out_c] matrix is the
// GEMM's B, so no filter transform is needed. Padding is explicit (top, left); out_h/out_w come
// from the caller (tf.backend_util.computeConv2DInfo), the bottom/right padding is implied by them.
// Every input read is bounds-checked against in_h/in_w, so any geometry whose array lengths match
// is memory-safe; callers check the lengths (conv_binding.cc does).
//
// Memory: the im2col buffer is bounded (about kColBudgetFloats floats; at least one output row,
// or one image for backprop-input) by processing the batch in bands of output rows.
#pragma once
#include <cstdint>

namespace topofr {

struct ConvGeometry {
  int64_t batch, in_h, in_w, in_c;
  int64_t out_h, out_w, out_c;
  int64_t k_h, k_w;
  int64_t stride_h, stride_w, dil_h, dil_w;
  int64_t pad_top, pad_left;
};

constexpr int64_t kColBudgetFloats = int64_t(2) << 20;  // 8 MiB of im2col buffer (measured best: L3 is 32 MiB)
// Layers with few channels (a multiple of the SIMD width, at most these many) run on the direct
// kernels of conv_kernel.h instead of im2col + GEMM: the forward and the input gradient with at most
// kDirectMaxChannels output (input) channels, the filter gradient with at most
// kDirectMaxFilterChannels output channels. Measured on AVX-512, one thread (bench/RESULTS.md): at
// 16 channels direct is 1.5× faster in every pass, at 32 only in the filter gradient, at 64 even.
constexpr int64_t kDirectMaxChannels = 16;
constexpr int64_t kDirectMaxFilterChannels = 32;

// y = conv2d(x, filter). y is overwritten.
void conv2d_forward(const ConvGeometry& g, const float* x, const float* filter, float* y);
// dx = conv2d_backprop_input(dy, filter). dx is overwritten.
void conv2d_backprop_input(const ConvGeometry& g, const float* dy, const float* filter, float* dx);
// dfilter = conv2d_backprop_filter(x, dy). dfilter is overwritten.
void conv2d_backprop_filter(const ConvGeometry& g, const float* x, const float* dy, float* dfilter);

// c[i] = op(a[i])·op(b[i]) for i < batch, with a[i] = a + i·stride_a (stride 0 broadcasts),
// op(a) m×k, op(b) k×n, c dense [batch, m, n].
void batched_sgemm(bool trans_a, bool trans_b, int64_t batch, int64_t m, int64_t n, int64_t k, const float* a,
                   int64_t stride_a, const float* b, int64_t stride_b, float* c);

}  // namespace topofr
