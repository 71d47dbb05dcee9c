// ripsPersistence(input, maxDim, threshold, modulus, threads, async, metric, device) → Barcode[] | Promise
//   input: { kind: 'points', data, n, dim, metric } | { kind: 'matrix', data, n }
//        | { kind: 'lower', lower, n } | { kind: 'sparse', n, i, j, d }
// threshold: NaN = the engine's default (enclosing radius for dense input).
// device 'cuda': dense input assembles the columns of dimensions ≥ 2 on the GPU (native/cuda/rips.cu).
#include <cmath>
#include <cstring>
#include <memory>

#include "../core/distances.h"
#include "../core/rips/memory.h"
#include "../core/rips/rips.h"
#include "../cuda/cuda_api.h"
#include "args.h"
#include "async.h"
#include "bindings.h"

namespace topofr {
namespace {

Napi::Value barcodes_to_js(Napi::Env env, const std::vector<rips::Barcode>& barcodes) {
  Napi::Array out = Napi::Array::New(env, barcodes.size());
  for (size_t b = 0; b < barcodes.size(); ++b) {
    const auto& intervals = barcodes[b].intervals;
    const size_t count = intervals.size();
    auto births = Napi::Float32Array::New(env, count), deaths = Napi::Float32Array::New(env, count);
    auto birth_edges = Napi::Int32Array::New(env, 2 * count), death_edges = Napi::Int32Array::New(env, 2 * count);
    for (size_t k = 0; k < count; ++k) {
      births[k] = intervals[k].birth;
      deaths[k] = intervals[k].death;
      std::memcpy(birth_edges.Data() + 2 * k, intervals[k].birth_edge, 2 * sizeof(int32_t));
      std::memcpy(death_edges.Data() + 2 * k, intervals[k].death_edge, 2 * sizeof(int32_t));
    }
    Napi::Object barcode = Napi::Object::New(env);
    barcode.Set("dim", barcodes[b].dim);
    barcode.Set("births", births);
    barcode.Set("deaths", deaths);
    barcode.Set("birthEdges", birth_edges);
    barcode.Set("deathEdges", death_edges);
    out[b] = barcode;
  }
  return out;
}

Napi::Int32Array int32_field(const Napi::Object& input, const char* name) {
  Napi::Value v = input.Get(name);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", std::string("input.") + name + " must be an Int32Array");
  return v.As<Napi::Int32Array>();
}

Napi::Float32Array float32_field(const Napi::Object& input, const char* name) {
  Napi::Value v = input.Get(name);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", std::string("input.") + name + " must be a Float32Array");
  return v.As<Napi::Float32Array>();
}

int64_t count_field(const Napi::Object& input, const char* name, int64_t min) {
  Napi::Value v = input.Get(name);
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d == std::floor(d)) || d < double(min) || d > double(INT32_MAX))
    throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE", std::string("input.") + name + " must be an integer ≥ " + std::to_string(min));
  return static_cast<int64_t>(d);
}

void check_lower(const float* lower, int64_t count) {
  for (int64_t k = 0; k < count; ++k)
    if (std::isnan(lower[k]) || lower[k] < 0)
      throw UserError(ErrorKind::Range, std::isnan(lower[k]) ? "ERR_TOPOFR_NON_FINITE" : "ERR_TOPOFR_INVALID_VALUE",
                      "lower distance matrix entry " + std::to_string(k) + " is " + std::to_string(lower[k]) +
                          ": distances must be ≥ 0 and not NaN");
}

void check_sparse(int64_t n, const int32_t* i, const int32_t* j, const float* d, int64_t m) {
  for (int64_t k = 0; k < m; ++k) {
    if (i[k] < 0 || i[k] >= n || j[k] < 0 || j[k] >= n)
      throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_VALUE",
                      "sparse entry " + std::to_string(k) + " joins vertices " + std::to_string(i[k]) + " and " +
                          std::to_string(j[k]) + ", outside 0…n−1 = " + std::to_string(n - 1));
    if (std::isnan(d[k]) || d[k] < 0)
      throw UserError(ErrorKind::Range, std::isnan(d[k]) ? "ERR_TOPOFR_NON_FINITE" : "ERR_TOPOFR_INVALID_VALUE",
                      "sparse entry " + std::to_string(k) + " has distance " + std::to_string(d[k]) + ": distances must be ≥ 0 and not NaN");
  }
}

}  // namespace

Napi::Value RipsPersistence(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", "input must be an object");
    Napi::Object input = info[0].As<Napi::Object>();
    rips::Options options;
    options.max_dim = static_cast<int>(integer_arg(info, 1, "maxDim", 0, 64));
    options.threshold = static_cast<float>(number_arg(info, 2, "threshold"));
    if (options.threshold < 0)
      throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_VALUE", "threshold must be ≥ 0");
    options.modulus = static_cast<int>(integer_arg(info, 3, "modulus", 2, 65521));
    options.threads = static_cast<int>(integer_arg(info, 4, "threads", 0, 4096));
    const bool async = boolean_arg(info, 5, "async");
    const bool gpu = cuda_device_arg(info, 7);
    if (gpu) options.assembler = cuda::rips_column_assembler;
    const std::string kind = input.Get("kind").IsString() ? input.Get("kind").As<Napi::String>().Utf8Value() : "";
    auto result = std::make_shared<std::vector<rips::Barcode>>();
    const int threads = options.threads;
    Work work;
    if (kind == "points" || kind == "matrix") {
      Napi::Float32Array data = float32_field(input, "data");
      const int64_t n = count_field(input, "n", 0);
      const int64_t dim = kind == "points" ? count_field(input, "dim", 1) : n;
      expect_shape({data.Data(), data.ElementLength()}, n, dim, "input.data");
      const Metric metric = kind == "points" ? metric_arg(info, 6) : Metric::Euclidean;
      const JobInput<float> input_data(data.Data(), data.ElementLength(), async || is_shared(data));
      const bool points = kind == "points";
      work = [=] {
        const float* x = input_data.data();
        if (points) check_points_finite(x, n, dim, threads);
        else check_distance_matrix(x, n, threads);
        // Refused before the distances are computed: they and dimension 0's edges must both fit.
        rips::require_memory(n * (n - 1) / 2 * int64_t(sizeof(float)) + rips::dense_edge_memory(n),
                             "the distance matrix and its edge list");
        std::vector<float> lower(static_cast<size_t>(n * (n - 1) / 2));
        if (points) lower_triangle(PointDistances(x, n, dim, metric), lower.data(), threads);
        else lower_triangle(MatrixDistances(x, n), lower.data(), threads);
        *result = rips::rips_dense(lower.data(), n, options);
      };
    } else if (kind == "lower") {
      Napi::Float32Array lower = float32_field(input, "lower");
      const int64_t n = count_field(input, "n", 0);
      const int64_t expected = n * (n - 1) / 2;
      if (static_cast<int64_t>(lower.ElementLength()) != expected)
        throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE",
                        "input.lower has " + std::to_string(lower.ElementLength()) + " values but n(n−1)/2 = " +
                            std::to_string(expected));
      const JobInput<float> l(lower.Data(), lower.ElementLength(), async || is_shared(lower));
      work = [=] {
        check_lower(l.data(), expected);
        *result = rips::rips_dense(l.data(), n, options);
      };
    } else if (kind == "sparse") {
      if (gpu)
        throw UserError(ErrorKind::Generic, "ERR_TOPOFR_UNSUPPORTED",
                        "the GPU assembles the Rips columns of dense input only; use device 'cpu' or 'auto' for sparse input");
      const int64_t n = count_field(input, "n", 0);
      Napi::Int32Array i = int32_field(input, "i"), j = int32_field(input, "j");
      Napi::Float32Array d = float32_field(input, "d");
      const int64_t m = static_cast<int64_t>(d.ElementLength());
      if (static_cast<int64_t>(i.ElementLength()) != m || static_cast<int64_t>(j.ElementLength()) != m)
        throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE", "input.i, input.j and input.d must have the same length");
      const bool copy = async || is_shared(i) || is_shared(j) || is_shared(d);
      const JobInput<int32_t> pi(i.Data(), i.ElementLength(), copy), pj(j.Data(), j.ElementLength(), copy);
      const JobInput<float> pd(d.Data(), d.ElementLength(), copy);
      work = [=] {
        check_sparse(n, pi.data(), pj.data(), pd.data(), m);
        *result = rips::rips_sparse(n, pi.data(), pj.data(), pd.data(), m, options);
      };
    } else {
      throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", "input.kind must be 'points', 'matrix', 'lower' or 'sparse'");
    }
    Finish finish = [result](Napi::Env e) { return barcodes_to_js(e, *result); };
    return async ? run_async(env, {}, work, finish) : run_sync(env, work, finish);
  });
}

}  // namespace topofr
