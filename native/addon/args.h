// Argument checks shared by the entry points: every value is checked before any memory is touched.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../core/distances.h"

namespace topofr {

struct FloatArray {
  float* data;
  size_t length;
  bool shared = false;  // backed by a SharedArrayBuffer: another thread may write it during a call
};

// Whether a typed array's memory is a SharedArrayBuffer's. A job reads such memory only from a copy
// (async.h's JobInput), like any async job's input: what it reads cannot change under it.
bool is_shared(const Napi::TypedArray& array);

FloatArray float32_arg(const Napi::CallbackInfo& info, size_t index, const char* name);
// A row-major point cloud passed as (points, n, dim) from argument `first` on; its length is checked.
struct PointsArg {
  FloatArray points;
  int64_t n, dim;
};
PointsArg points_arg(const Napi::CallbackInfo& info, size_t first);

// A Float32Array, or null/undefined → {nullptr, 0}.
FloatArray optional_float32_arg(const Napi::CallbackInfo& info, size_t index, const char* name);
// An array of integers, each in [min, max].
std::vector<int64_t> integer_array_arg(const Napi::CallbackInfo& info, size_t index, const char* name, int64_t min,
                                       int64_t max);
int64_t integer_arg(const Napi::CallbackInfo& info, size_t index, const char* name, int64_t min, int64_t max);
double number_arg(const Napi::CallbackInfo& info, size_t index, const char* name);
bool boolean_arg(const Napi::CallbackInfo& info, size_t index, const char* name);
std::string string_arg(const Napi::CallbackInfo& info, size_t index, const char* name);
Metric metric_arg(const Napi::CallbackInfo& info, size_t index);
// 'cpu' or 'cuda' (the TypeScript layer has resolved 'auto'); true for 'cuda'.
bool cuda_device_arg(const Napi::CallbackInfo& info, size_t index);

// Throws ERR_TOPOFR_INVALID_SHAPE unless length == rows·cols (checked without overflow).
void expect_shape(const FloatArray& array, int64_t rows, int64_t cols, const char* name);

// Product of non-negative factors, or UINT64_MAX on overflow (then no array length can match).
uint64_t checked_product(const std::vector<int64_t>& factors);
// "[a, b, c]" for messages.
std::string shape_string(const std::vector<int64_t>& shape);
// Throws ERR_TOPOFR_INVALID_SHAPE unless array.length == expected (an element count of `shape`).
void expect_length(const FloatArray& array, uint64_t expected, const char* name, const std::string& shape);

// Throws ERR_TOPOFR_NON_FINITE naming the first NaN/±Inf coordinate (row, column).
void check_points_finite(const float* data, int64_t n, int64_t dim, int threads);

// A usable n×n distance matrix: no NaN, no negative entry, symmetric to 1e-4 relative
// (+Infinity is allowed: "no edge"). Throws a typed error naming the first offending entry.
void check_distance_matrix(const float* data, int64_t n, int threads);

}  // namespace topofr
