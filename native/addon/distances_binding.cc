// pairwiseDistances(points, n, dim, metric, device, threads, async) → Float32Array (n×n) | Promise
#include <memory>

#include "../core/distances.h"
#include "../cuda/cuda_api.h"
#include "args.h"
#include "async.h"
#include "bindings.h"

namespace topofr {

// A Float32Array may hold at most this many elements on 64-bit Node (2^32 bytes).
constexpr int64_t kMaxMatrixElements = int64_t(1) << 30;

Napi::Value PairwiseDistances(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const PointsArg cloud = points_arg(info, 0);
    const FloatArray points = cloud.points;
    const int64_t n = cloud.n, dim = cloud.dim;
    const Metric metric = metric_arg(info, 3);
    const bool gpu = cuda_device_arg(info, 4);
    const int threads = static_cast<int>(integer_arg(info, 5, "threads", 0, 4096));
    const bool async = boolean_arg(info, 6, "async");
    if (n * n > kMaxMatrixElements)
      throw UserError(ErrorKind::Range, "ERR_TOPOFR_TOO_LARGE",
                      "an n×n matrix for n = " + std::to_string(n) + " exceeds the largest Float32Array (2^30 elements)");

    Napi::Float32Array out = Napi::Float32Array::New(env, static_cast<size_t>(n * n));
    float* out_data = out.Data();
    const JobInput<float> x(points.data, points.length, async || points.shared);
    Work work = [=] {
      check_points_finite(x.data(), n, dim, threads);
      if (gpu) {
        cuda::pairwise_distances(x.data(), n, dim, metric, out_data);
      } else {
        pairwise_distances(PointDistances(x.data(), n, dim, metric), out_data, threads);
      }
    };
    auto out_ref = std::make_shared<Napi::Reference<Napi::Float32Array>>(Napi::Persistent(out));
    Finish finish = [out_ref](Napi::Env) -> Napi::Value { return out_ref->Value(); };
    return async ? run_async(env, {out}, work, finish) : run_sync(env, work, finish);
  });
}

}  // namespace topofr

namespace topofr {

// ripserEuclideanLower(points, n, dim) → Float32Array (n(n−1)/2): Ripser's own Euclidean distances,
// for output that must match Ripser's bit for bit (the CLI's text).
Napi::Value RipserEuclideanLower(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const PointsArg cloud = points_arg(info, 0);
    const FloatArray points = cloud.points;
    const int64_t n = cloud.n, dim = cloud.dim;
    if (n * (n - 1) / 2 > kMaxMatrixElements)
      throw UserError(ErrorKind::Range, "ERR_TOPOFR_TOO_LARGE",
                      "the lower triangle for n = " + std::to_string(n) + " exceeds the largest Float32Array (2^30 elements)");
    check_points_finite(points.data, n, dim, 0);
    Napi::Float32Array lower = Napi::Float32Array::New(env, static_cast<size_t>(n * (n - 1) / 2));
    ripser_euclidean_lower(points.data, n, dim, lower.Data());
    return lower;
  });
}

}  // namespace topofr
