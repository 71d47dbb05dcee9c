#include "args.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "../core/thread_pool.h"
#include "errors.h"

namespace topofr {
namespace {

[[noreturn]] void type_error(const std::string& message) {
  throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", message);
}

std::string position(const Napi::CallbackInfo& info, size_t index, const char* name) {
  return std::string(name) + " (argument " + std::to_string(index + 1) + ")";
}

// Runs check(row) over rows in parallel chunks and reports the smallest offending row, so the
// message is the same whatever the thread count.
template <typename Check>
int64_t first_bad_row(int64_t rows, int threads, Check check) {
  constexpr int64_t kChunk = 256;
  std::atomic<int64_t> first{std::numeric_limits<int64_t>::max()};
  parallel_for((rows + kChunk - 1) / kChunk, [&](int64_t c) {
    const int64_t end = std::min(rows, (c + 1) * kChunk);
    for (int64_t r = c * kChunk; r < end && r < first.load(std::memory_order_relaxed); ++r)
      if (!check(r)) {
        int64_t seen = first.load();
        while (r < seen && !first.compare_exchange_weak(seen, r)) {}
        return;
      }
  }, threads);
  return first.load();
}

}  // namespace

bool is_shared(const Napi::TypedArray& array) {
  return !array.ArrayBuffer().IsArrayBuffer();  // N-API: false for a SharedArrayBuffer
}

FloatArray float32_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value v = info[index];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    type_error(position(info, index, name) + " must be a Float32Array");
  auto array = v.As<Napi::Float32Array>();
  return {array.Data(), array.ElementLength(), is_shared(array)};
}

PointsArg points_arg(const Napi::CallbackInfo& info, size_t first) {
  PointsArg p{float32_arg(info, first, "points"), integer_arg(info, first + 1, "n", 0, INT32_MAX),
              integer_arg(info, first + 2, "dim", 1, INT32_MAX)};
  expect_shape(p.points, p.n, p.dim, "points");
  return p;
}

FloatArray optional_float32_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (info[index].IsNull() || info[index].IsUndefined()) return {nullptr, 0};
  return float32_arg(info, index, name);
}

std::vector<int64_t> integer_array_arg(const Napi::CallbackInfo& info, size_t index, const char* name, int64_t min,
                                       int64_t max) {
  if (!info[index].IsArray()) type_error(position(info, index, name) + " must be an array of integers");
  Napi::Array array = info[index].As<Napi::Array>();
  std::vector<int64_t> out(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value v = array.Get(i);
    const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
    if (!(d == std::floor(d)) || d < double(min) || d > double(max))
      throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_VALUE",
                      position(info, index, name) + "[" + std::to_string(i) + "] must be an integer in [" +
                          std::to_string(min) + ", " + std::to_string(max) + "]");
    out[i] = int64_t(d);
  }
  return out;
}

int64_t integer_arg(const Napi::CallbackInfo& info, size_t index, const char* name, int64_t min, int64_t max) {
  Napi::Value v = info[index];
  if (!v.IsNumber()) type_error(position(info, index, name) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d == std::floor(d)) || d < double(min) || d > double(max))
    throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_VALUE",
                    position(info, index, name) + " must be an integer in [" + std::to_string(min) + ", " +
                        std::to_string(max) + "]");
  return static_cast<int64_t>(d);
}

double number_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (!info[index].IsNumber()) type_error(position(info, index, name) + " must be a number");
  return info[index].As<Napi::Number>().DoubleValue();
}

bool boolean_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (!info[index].IsBoolean()) type_error(position(info, index, name) + " must be a boolean");
  return info[index].As<Napi::Boolean>().Value();
}

std::string string_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (!info[index].IsString()) type_error(position(info, index, name) + " must be a string");
  return info[index].As<Napi::String>().Utf8Value();
}

Metric metric_arg(const Napi::CallbackInfo& info, size_t index) {
  const std::string m = string_arg(info, index, "metric");
  if (m == "euclidean") return Metric::Euclidean;
  if (m == "sqeuclidean") return Metric::SqEuclidean;
  if (m == "cosine") return Metric::Cosine;
  throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_VALUE",
                  "unknown metric '" + m + "': use 'euclidean', 'sqeuclidean' or 'cosine'");
}

bool cuda_device_arg(const Napi::CallbackInfo& info, size_t index) {
  const std::string device = string_arg(info, index, "device");
  if (device != "cpu" && device != "cuda")
    throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_VALUE", "device must be 'cpu' or 'cuda', not '" + device + "'");
  return device == "cuda";
}

void expect_shape(const FloatArray& array, int64_t rows, int64_t cols, const char* name) {
  // rows, cols < 2^31 each (checked by the callers), so the product fits in 64 bits.
  if (static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols) != array.length)
    throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE",
                    std::string(name) + " has " + std::to_string(array.length) + " elements, but " +
                        std::to_string(rows) + "×" + std::to_string(cols) + " = " +
                        std::to_string(rows * cols) + " were expected");
}

uint64_t checked_product(const std::vector<int64_t>& factors) {
  uint64_t p = 1;
  for (int64_t f : factors) {
    const uint64_t u = uint64_t(f);
    if (u != 0 && p > std::numeric_limits<uint64_t>::max() / u) return std::numeric_limits<uint64_t>::max();
    p *= u;
  }
  return p;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (int64_t v : shape) s += (s.size() > 1 ? ", " : "") + std::to_string(v);
  return s + "]";
}

void expect_length(const FloatArray& array, uint64_t expected, const char* name, const std::string& shape) {
  if (array.length != expected)
    throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE",
                    std::string(name) + " has " + std::to_string(array.length) + " elements, but its shape " + shape +
                        " needs " +
                        (expected == std::numeric_limits<uint64_t>::max() ? std::string("more than 2^64")
                                                                          : std::to_string(expected)));
}

void check_points_finite(const float* data, int64_t n, int64_t dim, int threads) {
  int64_t bad = first_bad_row(n, threads, [&](int64_t r) {
    const float* row = data + r * dim;
    bool ok = true;
    for (int64_t k = 0; k < dim; ++k) ok &= std::isfinite(row[k]);
    return ok;
  });
  if (bad >= n) return;
  int64_t col = 0;
  while (std::isfinite(data[bad * dim + col])) ++col;
  throw UserError(ErrorKind::Range, "ERR_TOPOFR_NON_FINITE",
                  "points must be finite, but row " + std::to_string(bad) + ", column " + std::to_string(col) +
                      " is " + std::to_string(data[bad * dim + col]));
}

void check_distance_matrix(const float* data, int64_t n, int threads) {
  auto entry_ok = [&](int64_t r, int64_t c) {
    const float a = data[r * n + c], b = data[c * n + r];
    if (std::isnan(a) || a < 0) return false;
    if (a == b) return true;
    return std::fabs(a - b) <= 1e-4f * std::max(std::fabs(a), std::fabs(b)) + 1e-6f;
  };
  int64_t bad = first_bad_row(n, threads, [&](int64_t r) {
    bool ok = true;
    for (int64_t c = 0; c < n; ++c) ok &= entry_ok(r, c);
    return ok;
  });
  if (bad >= n) return;
  int64_t c = 0;
  while (entry_ok(bad, c)) ++c;
  const float a = data[bad * n + c], b = data[c * n + bad];
  const std::string where = "distance matrix entry [" + std::to_string(bad) + "][" + std::to_string(c) + "]";
  if (std::isnan(a)) throw UserError(ErrorKind::Range, "ERR_TOPOFR_NON_FINITE", where + " is NaN");
  if (a < 0)
    throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_VALUE", where + " is negative (" + std::to_string(a) + ")");
  throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_VALUE",
                  where + " = " + std::to_string(a) + " but [" + std::to_string(c) + "][" + std::to_string(bad) +
                      "] = " + std::to_string(b) + ": the matrix must be symmetric (a full n×n matrix, not a triangle)");
}

}  // namespace topofr
