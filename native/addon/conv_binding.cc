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
#include "conv_args.h"
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

Napi::Value conv_entry(const Napi::CallbackInfo& info, Pass pass) {
  return guarded(info, [&] {
    const ConvGeometry g = geometry_args(info, 3);
    const std::vector<int64_t> x = {g.batch, g.in_h, g.in_w, g.in_c}, f = {g.k_h, g.k_w, g.in_c, g.out_c},
                               y = {g.batch, g.out_h, g.out_w, g.out_c};
    const auto a = pass_arrays(info, pass, {checked_product(x), checked_product(f), checked_product(y), shape_string(x),
                                            shape_string(f), shape_string(y)});
    switch (pass) {
      case Pass::Forward: conv2d_forward(g, a[0].data, a[1].data, a[2].data); break;
      case Pass::BackpropInput: conv2d_backprop_input(g, a[0].data, a[1].data, a[2].data); break;
      case Pass::BackpropFilter: conv2d_backprop_filter(g, a[0].data, a[1].data, a[2].data); break;
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
