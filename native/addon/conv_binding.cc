// Native kernels behind src/tf/native-kernels.ts (tfjs cpu backend overrides). Synchronous: the
// caller allocates every output Float32Array (handed to backend.makeTensorInfo without a copy).
//
//   conv2dForward(x, filter, y, ...geometry)           y = conv2d(x, filter)
//   conv2dBackpropInput(dy, filter, dx, ...geometry)    dx
//   conv2dBackpropFilter(x, dy, dfilter, ...geometry)   dfilter
//     geometry = batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, dilationH,
//                dilationW, padTop, padLeft   (15 integers; NHWC, filter [kH, kW, inC, outC])
//   batchMatMul(a, b, c, batch, m, n, k, transA, transB, broadcastA, broadcastB)
//     c[i] = op(a[i])·op(b[i]); a broadcast side holds one matrix used for every i.
//
// Every array length is checked against the geometry (overflow-safe) before memory is touched.
#include <string>

#include "../core/conv.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"

namespace topofr {
namespace {

ConvGeometry geometry_args(const Napi::CallbackInfo& info, size_t first) {
  constexpr int64_t kMax = INT32_MAX;
  ConvGeometry g;
  size_t i = first;
  g.batch = integer_arg(info, i++, "batch", 0, kMax);
  g.in_h = integer_arg(info, i++, "inHeight", 0, kMax);
  g.in_w = integer_arg(info, i++, "inWidth", 0, kMax);
  g.in_c = integer_arg(info, i++, "inChannels", 0, kMax);
  g.out_h = integer_arg(info, i++, "outHeight", 0, kMax);
  g.out_w = integer_arg(info, i++, "outWidth", 0, kMax);
  g.out_c = integer_arg(info, i++, "outChannels", 0, kMax);
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

enum class Pass { Forward, BackpropInput, BackpropFilter };

Napi::Value conv_entry(const Napi::CallbackInfo& info, Pass pass) {
  return guarded(info, [&] {
    if (info.Length() != 18)
      throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE",
                      "expected 18 arguments (3 arrays and 15 geometry integers), got " + std::to_string(info.Length()));
    const char* names[3][3] = {{"x", "filter", "y"}, {"dy", "filter", "dx"}, {"x", "dy", "dfilter"}};
    const auto& nm = names[int(pass)];
    FloatArray a0 = float32_arg(info, 0, nm[0]), a1 = float32_arg(info, 1, nm[1]), a2 = float32_arg(info, 2, nm[2]);
    const ConvGeometry g = geometry_args(info, 3);
    const uint64_t x_len = checked_product({g.batch, g.in_h, g.in_w, g.in_c});
    const uint64_t f_len = checked_product({g.k_h, g.k_w, g.in_c, g.out_c});
    const uint64_t y_len = checked_product({g.batch, g.out_h, g.out_w, g.out_c});
    const std::string xs = shape_string({g.batch, g.in_h, g.in_w, g.in_c}), fs = shape_string({g.k_h, g.k_w, g.in_c, g.out_c}),
                      ys = shape_string({g.batch, g.out_h, g.out_w, g.out_c});
    switch (pass) {
      case Pass::Forward:
        expect_length(a0, x_len, "x", xs), expect_length(a1, f_len, "filter", fs), expect_length(a2, y_len, "y", ys);
        conv2d_forward(g, a0.data, a1.data, a2.data);
        break;
      case Pass::BackpropInput:
        expect_length(a0, y_len, "dy", ys), expect_length(a1, f_len, "filter", fs), expect_length(a2, x_len, "dx", xs);
        conv2d_backprop_input(g, a0.data, a1.data, a2.data);
        break;
      case Pass::BackpropFilter:
        expect_length(a0, x_len, "x", xs), expect_length(a1, y_len, "dy", ys), expect_length(a2, f_len, "dfilter", fs);
        conv2d_backprop_filter(g, a0.data, a1.data, a2.data);
        break;
    }
  });
}

}  // namespace

Napi::Value Conv2dForward(const Napi::CallbackInfo& info) { return conv_entry(info, Pass::Forward); }
Napi::Value Conv2dBackpropInput(const Napi::CallbackInfo& info) { return conv_entry(info, Pass::BackpropInput); }
Napi::Value Conv2dBackpropFilter(const Napi::CallbackInfo& info) { return conv_entry(info, Pass::BackpropFilter); }

Napi::Value BatchMatMul(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    if (info.Length() != 11)
      throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE",
                      "expected 11 arguments, got " + std::to_string(info.Length()));
    FloatArray a = float32_arg(info, 0, "a"), b = float32_arg(info, 1, "b"), c = float32_arg(info, 2, "c");
    constexpr int64_t kMax = INT32_MAX;
    const int64_t batch = integer_arg(info, 3, "batch", 0, kMax), m = integer_arg(info, 4, "m", 0, kMax),
                  n = integer_arg(info, 5, "n", 0, kMax), k = integer_arg(info, 6, "k", 0, kMax);
    const bool ta = boolean_arg(info, 7, "transA"), tb = boolean_arg(info, 8, "transB");
    const bool bca = boolean_arg(info, 9, "broadcastA"), bcb = boolean_arg(info, 10, "broadcastB");
    expect_length(a, checked_product({bca ? 1 : batch, m, k}), "a", shape_string({bca ? 1 : batch, ta ? k : m, ta ? m : k}));
    expect_length(b, checked_product({bcb ? 1 : batch, k, n}), "b", shape_string({bcb ? 1 : batch, tb ? n : k, tb ? k : n}));
    expect_length(c, checked_product({batch, m, n}), "c", shape_string({batch, m, n}));
    batched_sgemm(ta, tb, batch, m, n, k, a.data, bca ? 0 : m * k, b.data, bcb ? 0 : k * n, c.data);
  });
}

}  // namespace topofr
