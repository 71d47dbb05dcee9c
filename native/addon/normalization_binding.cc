// Fused batch-norm (training) and PReLU kernels behind src/tf/kernels/normalization.ts. Synchronous;
// the caller allocates every output. Tensors are rows × channels, channel last.
//
//   batchNormTrainingForward(x, gamma|null, beta|null, eps, y, mean, variance, rows, channels)
//   batchNormTrainingBackward(x, mean, variance, gamma|null, eps, dy, dx, dgamma, dbeta, rows, channels)
//   batchNormPreluForward(x, gamma|null, beta|null, alpha, eps, y, stats, rows, channels)
//   batchNormPreluBackward(x, stats, gamma|null, alpha, eps, dy, dx, dgamma, dbeta, dalpha, rows, channels)
//     stats [4, channels]: mean, variance, scale, shift (written by the forward)
//   preluForward(x, alpha, y, rows, channels)
//   preluBackward(x, alpha, dy, dx, dalpha, rows, channels)
#include <string>

#include "../core/normalization.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"

namespace topofr {
namespace {

constexpr int64_t kMaxDim = int64_t(1) << 40;

void expect_arity(const Napi::CallbackInfo& info, size_t n) {
  if (info.Length() != n)
    throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE",
                    "expected " + std::to_string(n) + " arguments, got " + std::to_string(info.Length()));
}

struct Layout {
  int64_t rows, channels;
  uint64_t elements;
  std::string tensor, vector;
};

Layout layout_args(const Napi::CallbackInfo& info, size_t first) {
  Layout l;
  l.rows = integer_arg(info, first, "rows", 0, kMaxDim);
  l.channels = integer_arg(info, first + 1, "channels", 1, kMaxDim);
  l.elements = checked_product({l.rows, l.channels});
  l.tensor = shape_string({l.rows, l.channels});
  l.vector = shape_string({l.channels});
  return l;
}

// Reading an argument and checking its length against the layout in one step: a rows × channels
// tensor, a per-channel vector (optional: null allowed), or the [4, channels] statistics.
FloatArray tensor_arg(const Napi::CallbackInfo& info, size_t i, const char* name, const Layout& l) {
  FloatArray a = float32_arg(info, i, name);
  expect_length(a, l.elements, name, l.tensor);
  return a;
}
FloatArray vector_arg(const Napi::CallbackInfo& info, size_t i, const char* name, const Layout& l, bool optional = false) {
  FloatArray a = optional ? optional_float32_arg(info, i, name) : float32_arg(info, i, name);
  if (a.data) expect_length(a, uint64_t(l.channels), name, l.vector);
  return a;
}
FloatArray stats_arg(const Napi::CallbackInfo& info, size_t i, const Layout& l) {
  FloatArray a = float32_arg(info, i, "stats");
  expect_length(a, checked_product({4, l.channels}), "stats", shape_string({4, l.channels}));
  return a;
}
constexpr bool kOptional = true;

}  // namespace

Napi::Value BatchNormTrainingForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    expect_arity(info, 9);
    const Layout l = layout_args(info, 7);
    FloatArray x = tensor_arg(info, 0, "x", l), gamma = vector_arg(info, 1, "gamma", l, kOptional),
               beta = vector_arg(info, 2, "beta", l, kOptional), y = tensor_arg(info, 4, "y", l),
               mean = vector_arg(info, 5, "mean", l), variance = vector_arg(info, 6, "variance", l);
    batch_norm_training_forward(l.rows, l.channels, x.data, gamma.data, beta.data, float(number_arg(info, 3, "epsilon")),
                                y.data, mean.data, variance.data);
  });
}

Napi::Value BatchNormTrainingBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    expect_arity(info, 11);
    const Layout l = layout_args(info, 9);
    FloatArray x = tensor_arg(info, 0, "x", l), mean = vector_arg(info, 1, "mean", l),
               variance = vector_arg(info, 2, "variance", l), gamma = vector_arg(info, 3, "gamma", l, kOptional),
               dy = tensor_arg(info, 5, "dy", l), dx = tensor_arg(info, 6, "dx", l), dgamma = vector_arg(info, 7, "dgamma", l),
               dbeta = vector_arg(info, 8, "dbeta", l);
    batch_norm_training_backward(l.rows, l.channels, x.data, mean.data, variance.data, gamma.data,
                                 float(number_arg(info, 4, "epsilon")), dy.data, dx.data, dgamma.data, dbeta.data);
  });
}

Napi::Value BatchNormPreluForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    expect_arity(info, 9);
    const Layout l = layout_args(info, 7);
    FloatArray x = tensor_arg(info, 0, "x", l), gamma = vector_arg(info, 1, "gamma", l, kOptional),
               beta = vector_arg(info, 2, "beta", l, kOptional), alpha = vector_arg(info, 3, "alpha", l),
               y = tensor_arg(info, 5, "y", l), stats = stats_arg(info, 6, l);
    batch_norm_prelu_forward(l.rows, l.channels, x.data, gamma.data, beta.data, float(number_arg(info, 4, "epsilon")),
                             alpha.data, y.data, stats.data);
  });
}

Napi::Value BatchNormPreluBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    expect_arity(info, 12);
    const Layout l = layout_args(info, 10);
    FloatArray x = tensor_arg(info, 0, "x", l), stats = stats_arg(info, 1, l), gamma = vector_arg(info, 2, "gamma", l, kOptional),
               alpha = vector_arg(info, 3, "alpha", l), dy = tensor_arg(info, 5, "dy", l), dx = tensor_arg(info, 6, "dx", l),
               dgamma = vector_arg(info, 7, "dgamma", l), dbeta = vector_arg(info, 8, "dbeta", l),
               dalpha = vector_arg(info, 9, "dalpha", l);
    batch_norm_prelu_backward(l.rows, l.channels, x.data, stats.data, gamma.data, float(number_arg(info, 4, "epsilon")),
                              alpha.data, dy.data, dx.data, dgamma.data, dbeta.data, dalpha.data);
  });
}

Napi::Value PreluForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    expect_arity(info, 5);
    const Layout l = layout_args(info, 3);
    FloatArray x = tensor_arg(info, 0, "x", l), alpha = vector_arg(info, 1, "alpha", l), y = tensor_arg(info, 2, "y", l);
    prelu_forward(l.rows, l.channels, x.data, alpha.data, y.data);
  });
}

Napi::Value PreluBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    expect_arity(info, 7);
    const Layout l = layout_args(info, 5);
    FloatArray x = tensor_arg(info, 0, "x", l), alpha = vector_arg(info, 1, "alpha", l), dy = tensor_arg(info, 2, "dy", l),
               dx = tensor_arg(info, 3, "dx", l), dalpha = vector_arg(info, 4, "dalpha", l);
    prelu_backward(l.rows, l.channels, x.data, alpha.data, dy.data, dx.data, dalpha.data);
  });
}

}  // namespace topofr
