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

enum class Pass { Forward, BackpropInput, BackpropFilter };

Napi::Value depthwise_entry(const Napi::CallbackInfo& info, Pass pass) {
  return guarded(info, [&] {
    if (info.Length() != 18)
      throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE",
                      "expected 18 arguments (3 arrays and 15 geometry integers), got " + std::to_string(info.Length()));
    const char* names[3][3] = {{"x", "filter", "y"}, {"dy", "filter", "dx"}, {"x", "dy", "dfilter"}};
    const auto& nm = names[int(pass)];
    FloatArray a0 = float32_arg(info, 0, nm[0]), a1 = float32_arg(info, 1, nm[1]), a2 = float32_arg(info, 2, nm[2]);
    const DepthwiseGeometry g = geometry_args(info, 3);
    const std::vector<int64_t> x_shape = {g.batch, g.in_h, g.in_w, g.channels},
                               f_shape = {g.k_h, g.k_w, g.channels, g.multiplier},
                               y_shape = {g.batch, g.out_h, g.out_w, g.channels, g.multiplier};
    const uint64_t x_len = checked_product(x_shape), f_len = checked_product(f_shape), y_len = checked_product(y_shape);
    const std::string xs = shape_string(x_shape), fs = shape_string(f_shape),
                      ys = shape_string({g.batch, g.out_h, g.out_w, g.channels * g.multiplier});  // < 2^62
    switch (pass) {
      case Pass::Forward:
        expect_length(a0, x_len, "x", xs), expect_length(a1, f_len, "filter", fs), expect_length(a2, y_len, "y", ys);
        break;
      case Pass::BackpropInput:
        expect_length(a0, y_len, "dy", ys), expect_length(a1, f_len, "filter", fs), expect_length(a2, x_len, "dx", xs);
        break;
      case Pass::BackpropFilter:
        expect_length(a0, x_len, "x", xs), expect_length(a1, y_len, "dy", ys), expect_length(a2, f_len, "dfilter", fs);
        break;
    }
    check_reach(g);
    switch (pass) {
      case Pass::Forward: depthwise_forward(g, a0.data, a1.data, a2.data); break;
      case Pass::BackpropInput: depthwise_backprop_input(g, a0.data, a1.data, a2.data); break;
      case Pass::BackpropFilter: depthwise_backprop_filter(g, a0.data, a1.data, a2.data); break;
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
