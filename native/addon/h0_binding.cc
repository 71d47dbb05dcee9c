// persistenceH0Points(points, n, dim, metric, threads, async, device) and
// persistenceH0Matrix(matrix, n, threads, async, device) → { edges: Int32Array, deaths: Float32Array } | Promise
// device: 'cpu' or 'cuda' (the GPU pairing, native/cuda/h0.cu: the same result).
#include <cstring>
#include <memory>

#include "../core/distances.h"
#include "../core/h0.h"
#include "../cuda/cuda_api.h"
#include "args.h"
#include "async.h"
#include "bindings.h"

namespace topofr {

Napi::Value h0_result(Napi::Env env, const H0Pairs& pairs) {
  Napi::Int32Array edges = Napi::Int32Array::New(env, pairs.edges.size());
  Napi::Float32Array deaths = Napi::Float32Array::New(env, pairs.deaths.size());
  if (!pairs.edges.empty()) std::memcpy(edges.Data(), pairs.edges.data(), pairs.edges.size() * sizeof(int32_t));
  if (!pairs.deaths.empty()) std::memcpy(deaths.Data(), pairs.deaths.data(), pairs.deaths.size() * sizeof(float));
  Napi::Object result = Napi::Object::New(env);
  result.Set("edges", edges);
  result.Set("deaths", deaths);
  return result;
}

namespace {

Napi::Value run_h0(const Napi::CallbackInfo& info, bool async, std::function<H0Pairs()> compute) {
  auto pairs = std::make_shared<H0Pairs>();
  Work work = [pairs, compute] { *pairs = compute(); };
  Finish finish = [pairs](Napi::Env env) { return h0_result(env, *pairs); };
  return async ? run_async(info.Env(), {}, work, finish) : run_sync(info.Env(), work, finish);
}

}  // namespace

Napi::Value PersistenceH0Points(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const PointsArg cloud = points_arg(info, 0);
    const FloatArray points = cloud.points;
    const int64_t n = cloud.n, dim = cloud.dim;
    const Metric metric = metric_arg(info, 3);
    const int threads = static_cast<int>(integer_arg(info, 4, "threads", 0, 4096));
    const bool async = boolean_arg(info, 5, "async");
    const bool gpu = cuda_device_arg(info, 6);
    const JobInput<float> x(points.data, points.length, async || points.shared);
    return run_h0(info, async, [=] {
      check_points_finite(x.data(), n, dim, threads);
      if (gpu) return cuda::persistence_h0_points(x.data(), n, dim, metric);
      return persistence_h0(PointDistances(x.data(), n, dim, metric), threads);
    });
  });
}

Napi::Value PersistenceH0Matrix(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    FloatArray matrix = float32_arg(info, 0, "matrix");
    const int64_t n = integer_arg(info, 1, "n", 0, INT32_MAX);
    expect_shape(matrix, n, n, "matrix");
    const int threads = static_cast<int>(integer_arg(info, 2, "threads", 0, 4096));
    const bool async = boolean_arg(info, 3, "async");
    const bool gpu = cuda_device_arg(info, 4);
    const JobInput<float> m(matrix.data, matrix.length, async || matrix.shared);
    return run_h0(info, async, [=] {
      check_distance_matrix(m.data(), n, threads);
      if (gpu) return cuda::persistence_h0_matrix(m.data(), n);
      return persistence_h0(MatrixDistances(m.data(), n), threads);
    });
  });
}

}  // namespace topofr
