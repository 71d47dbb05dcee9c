// NHWC float32 depthwise 2-D convolution (forward, backprop-input, backprop-filter) by direct loops,
// for the native tfjs kernels (src/tf/kernels/depthwise.ts).
//
// Layouts (tfjs's): x [batch, in_h, in_w, channels], filter [k_h, k_w, channels, multiplier],
// y and dy [batch, out_h, out_w, channels·multiplier], output channel c·multiplier + m reading input
// channel c. Padding is explicit (top, left); out_h/out_w come from the caller
// (tf.backend_util.computeConv2DInfo with depthwise = true), the bottom/right padding is implied.
// Every input read is bounds-checked against in_h/in_w, so any geometry whose array lengths match
// is memory-safe; callers check the lengths (depthwise_binding.cc does).
//
// Why no im2col: each output reads k_h·k_w values of one channel, so there is no GEMM to feed.
// Direct loops run over channels innermost (contiguous in NHWC): a block of channels sits in
// vector registers across the taps (SSE2 / AVX2 / AVX-512, chosen at run time;
// TOPOFR_ISA=sse2|avx2 caps the choice, cpu_isa.h). Multiplier 1 (MobileNet, most of MobileFaceNet)
// reads x as it is; a larger multiplier first expands a task's input rows to x[c] repeated
// multiplier times (in a per-thread buffer), after which the filter [k_h, k_w, channels,
// multiplier] is a plain per-channel filter over channels·multiplier; rows too wide for that
// buffer take plain loops.
//
// Work is split by output rows (forward, backprop-filter) or input rows (backprop-input), one writer
// per element, so forward and backprop-input need no reduction across threads. Backprop-filter sums
// over every output position: fixed chunks of rows (from the shape alone) each fill a partial
// filter, and the partials are summed in chunk order in double, so the result does not depend on
// the thread count (bitwise).
#pragma once
#include <cstdint>

namespace topofr {

struct DepthwiseGeometry {
  int64_t batch, in_h, in_w, channels;
  int64_t out_h, out_w, multiplier;
  int64_t k_h, k_w;
  int64_t stride_h, stride_w, dil_h, dil_w;
  int64_t pad_top, pad_left;
};

// y = depthwise_conv2d(x, filter). y is overwritten.
void depthwise_forward(const DepthwiseGeometry& g, const float* x, const float* filter, float* y);
// dx = ∂⟨y, dy⟩/∂x. dx is overwritten.
void depthwise_backprop_input(const DepthwiseGeometry& g, const float* dy, const float* filter, float* dx);
// dfilter = ∂⟨y, dy⟩/∂filter. dfilter is overwritten.
void depthwise_backprop_filter(const DepthwiseGeometry& g, const float* x, const float* dy, float* dfilter);

}  // namespace topofr
