// Native depthwise-convolution kernels behind src/tf/kernels/depthwise.ts (tfjs cpu backend
// overrides). Synchronous: the caller allocates every output Float32Array.
//
//   depthwiseConv2dForward(x, filter, y, ...geometry)          y = depthwise_conv2d(x, filter)
//   depthwiseConv2dBackpropInput(dy, filter, dx, ...geometry)   dx
//   depthwiseConv2dBackpropFilter(x, dy, dfilter, ...geometry)  dfilter
//     geometry = batch, inH, inW, inC, outH, outW, channelMultiplier, kH, kW, strideH, strideW,
//                dilationH, dilationW, padTop, padLeft   (15 integers; NHWC, filter [kH, kW, inC,
//                channelMultiplier], y [batch, outH, outW, inC·channelMultiplier])
//
// Every array length is checked against the geometry (overflow-safe) before memory is touched, and
// so is the geometry's reach (window positions and per-row work must fit comfortably in int64).
#include <string>

#include "../core/depthwise.h"
#include "args.h"
#include "conv_args.h"
#include "bindings.h"
#include "errors.h"

namespace topofr {
namespace {

constexpr uint64_t kMaxReach = uint64_t(1) << 62;

DepthwiseGeometry geometry_args(const Napi::CallbackInfo& info, size_t first) {
  constexpr int64_t kMax = INT32_MAX;
  DepthwiseGeometry g;
  size_t i = first;
  g.batch = integer_arg(info, i++, "batch", 0, kMax);
  g.in_h = integer_arg(info, i++, "inHeight", 0, kMax);
  g.in_w = integer_arg(info, i++, "inWidth", 0, kMax);
  g.channels = integer_arg(info, i++, "inChannels", 0, kMax);
  g.out_h = integer_arg(info, i++, "outHeight", 0, kMax);
  g.out_w = integer_arg(info, i++, "outWidth", 0, kMax);
  g.multiplier = integer_arg(info, i++, "channelMultiplier", 0, kMax);
  g.k_h = integer_arg(info, i++, "filterHeight", 1, kMax);
  g.k_w = integer_arg(info, i++, "filterWidth", 1, kMax);
  g.stride_h = integer_arg(info, i++, "strideHeight", 1, kMax);
  g.stride_w = integer_arg(info, i++, "strideWidth", 1, kMax);
  g.dil_h = integer_arg(info, i++, "dilationHeight", 1, kMax);
  g.dil_w = integer_arg(info, i++, "dilationWidth", 1, kMax);
  g.pad_top = integer_arg(info, i++, "padTop", 0, kMax);
  g.pad_left = integer_arg(info, i++, "padLeft", 0, kMax);
  return g;
}

// The kernels form out·stride + k·dilation, k_h·k_w·out_w·channels·multiplier and
// in_w·channels·multiplier in int64 (empty tensors let the other dimensions grow unchecked).
void check_reach(const DepthwiseGeometry& g) {
  const auto reach = [](int64_t out, int64_t stride, int64_t k, int64_t dil) {
    const uint64_t a = checked_product({out, stride}), b = checked_product({k, dil});
    return a >= kMaxReach || b >= kMaxReach ? kMaxReach : a + b;
  };
  if (reach(g.out_h, g.stride_h, g.k_h, g.dil_h) >= kMaxReach || reach(g.out_w, g.stride_w, g.k_w, g.dil_w) >= kMaxReach ||
      checked_product({g.k_h, g.k_w, g.out_w, g.channels, g.multiplier}) >= kMaxReach ||
      checked_product({g.in_w, g.channels, g.multiplier}) >= kMaxReach)
    throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_VALUE",
                    "depthwise geometry out of range: output size × stride + filter size × dilation and row sizes must stay below 2^62");
}

Napi::Value depthwise_entry(const Napi::CallbackInfo& info, Pass pass) {
  return guarded(info, [&] {
    const DepthwiseGeometry g = geometry_args(info, 3);
    const std::vector<int64_t> x = {g.batch, g.in_h, g.in_w, g.channels}, f = {g.k_h, g.k_w, g.channels, g.multiplier},
                               y = {g.batch, g.out_h, g.out_w, g.channels, g.multiplier};
    const auto a = pass_arrays(info, pass, {checked_product(x), checked_product(f), checked_product(y), shape_string(x),
                                            shape_string(f), shape_string({g.batch, g.out_h, g.out_w, g.channels * g.multiplier})});
    check_reach(g);
    switch (pass) {
      case Pass::Forward: depthwise_forward(g, a[0].data, a[1].data, a[2].data); break;
      case Pass::BackpropInput: depthwise_backprop_input(g, a[0].data, a[1].data, a[2].data); break;
      case Pass::BackpropFilter: depthwise_backprop_filter(g, a[0].data, a[1].data, a[2].data); break;
    }
  });
}

}  // namespace

Napi::Value DepthwiseConv2dForward(const Napi::CallbackInfo& info) { return depthwise_entry(info, Pass::Forward); }
Napi::Value DepthwiseConv2dBackpropInput(const Napi::CallbackInfo& info) {
  return depthwise_entry(info, Pass::BackpropInput);
}
Napi::Value DepthwiseConv2dBackpropFilter(const Napi::CallbackInfo& info) {
  return depthwise_entry(info, Pass::BackpropFilter);
}

}  // namespace topofr
