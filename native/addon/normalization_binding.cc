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

void expect_vector(const FloatArray& a, const Layout& l, const char* name) {
  expect_length(a, uint64_t(l.channels), name, l.vector);
}
void expect_tensor(const FloatArray& a, const Layout& l, const char* name) { expect_length(a, l.elements, name, l.tensor); }

}  // namespace

Napi::Value BatchNormTrainingForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    expect_arity(info, 9);
    const Layout l = layout_args(info, 7);
    FloatArray x = float32_arg(info, 0, "x"), gamma = optional_float32_arg(info, 1, "gamma"),
               beta = optional_float32_arg(info, 2, "beta");
    const float eps = float(number_arg(info, 3, "epsilon"));
    FloatArray y = float32_arg(info, 4, "y"), mean = float32_arg(info, 5, "mean"),
               variance = float32_arg(info, 6, "variance");
    expect_tensor(x, l, "x"), expect_tensor(y, l, "y");
    if (gamma.data) expect_vector(gamma, l, "gamma");
    if (beta.data) expect_vector(beta, l, "beta");
    expect_vector(mean, l, "mean"), expect_vector(variance, l, "variance");
    batch_norm_training_forward(l.rows, l.channels, x.data, gamma.data, beta.data, eps, y.data, mean.data,
                                variance.data);
  });
}

Napi::Value BatchNormTrainingBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    expect_arity(info, 11);
    const Layout l = layout_args(info, 9);
    FloatArray x = float32_arg(info, 0, "x"), mean = float32_arg(info, 1, "mean"),
               variance = float32_arg(info, 2, "variance"), gamma = optional_float32_arg(info, 3, "gamma");
    const float eps = float(number_arg(info, 4, "epsilon"));
    FloatArray dy = float32_arg(info, 5, "dy"), dx = float32_arg(info, 6, "dx"), dgamma = float32_arg(info, 7, "dgamma"),
               dbeta = float32_arg(info, 8, "dbeta");
    expect_tensor(x, l, "x"), expect_tensor(dy, l, "dy"), expect_tensor(dx, l, "dx");
    expect_vector(mean, l, "mean"), expect_vector(variance, l, "variance");
    if (gamma.data) expect_vector(gamma, l, "gamma");
    expect_vector(dgamma, l, "dgamma"), expect_vector(dbeta, l, "dbeta");
    batch_norm_training_backward(l.rows, l.channels, x.data, mean.data, variance.data, gamma.data, eps, dy.data,
                                 dx.data, dgamma.data, dbeta.data);
  });
}

Napi::Value BatchNormPreluForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    expect_arity(info, 9);
    const Layout l = layout_args(info, 7);
    FloatArray x = float32_arg(info, 0, "x"), gamma = optional_float32_arg(info, 1, "gamma"),
               beta = optional_float32_arg(info, 2, "beta"), alpha = float32_arg(info, 3, "alpha");
    const float eps = float(number_arg(info, 4, "epsilon"));
    FloatArray y = float32_arg(info, 5, "y"), stats = float32_arg(info, 6, "stats");
    expect_tensor(x, l, "x"), expect_tensor(y, l, "y"), expect_vector(alpha, l, "alpha");
    if (gamma.data) expect_vector(gamma, l, "gamma");
    if (beta.data) expect_vector(beta, l, "beta");
    expect_length(stats, checked_product({4, l.channels}), "stats", shape_string({4, l.channels}));
    batch_norm_prelu_forward(l.rows, l.channels, x.data, gamma.data, beta.data, eps, alpha.data, y.data, stats.data);
  });
}

Napi::Value BatchNormPreluBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    expect_arity(info, 12);
    const Layout l = layout_args(info, 10);
    FloatArray x = float32_arg(info, 0, "x"), stats = float32_arg(info, 1, "stats"),
               gamma = optional_float32_arg(info, 2, "gamma"), alpha = float32_arg(info, 3, "alpha");
    const float eps = float(number_arg(info, 4, "epsilon"));
    FloatArray dy = float32_arg(info, 5, "dy"), dx = float32_arg(info, 6, "dx"), dgamma = float32_arg(info, 7, "dgamma"),
               dbeta = float32_arg(info, 8, "dbeta"), dalpha = float32_arg(info, 9, "dalpha");
    expect_tensor(x, l, "x"), expect_tensor(dy, l, "dy"), expect_tensor(dx, l, "dx");
    expect_length(stats, checked_product({4, l.channels}), "stats", shape_string({4, l.channels}));
    if (gamma.data) expect_vector(gamma, l, "gamma");
    expect_vector(alpha, l, "alpha"), expect_vector(dgamma, l, "dgamma"), expect_vector(dbeta, l, "dbeta");
    expect_vector(dalpha, l, "dalpha");
    batch_norm_prelu_backward(l.rows, l.channels, x.data, stats.data, gamma.data, eps, alpha.data, dy.data, dx.data,
                              dgamma.data, dbeta.data, dalpha.data);
  });
}

Napi::Value PreluForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    expect_arity(info, 5);
    const Layout l = layout_args(info, 3);
    FloatArray x = float32_arg(info, 0, "x"), alpha = float32_arg(info, 1, "alpha"), y = float32_arg(info, 2, "y");
    expect_tensor(x, l, "x"), expect_vector(alpha, l, "alpha"), expect_tensor(y, l, "y");
    prelu_forward(l.rows, l.channels, x.data, alpha.data, y.data);
  });
}

Napi::Value PreluBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    expect_arity(info, 7);
    const Layout l = layout_args(info, 5);
    FloatArray x = float32_arg(info, 0, "x"), alpha = float32_arg(info, 1, "alpha"), dy = float32_arg(info, 2, "dy"),
               dx = float32_arg(info, 3, "dx"), dalpha = float32_arg(info, 4, "dalpha");
    expect_tensor(x, l, "x"), expect_vector(alpha, l, "alpha"), expect_tensor(dy, l, "dy");
    expect_tensor(dx, l, "dx"), expect_vector(dalpha, l, "dalpha");
    prelu_backward(l.rows, l.channels, x.data, alpha.data, dy.data, dx.data, dalpha.data);
  });
}

}  // namespace topofr
