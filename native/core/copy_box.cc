#include "copy_box.h"

#include <algorithm>
#include <cstring>

#include "thread_pool.h"

namespace topofr {
namespace {

// Row-major strides of a shape (in elements).
std::vector<int64_t> strides_of(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) s[d - 1] = s[d] * shape[d];
  return s;
}

constexpr int64_t kTaskFloats = int64_t(1) << 15;  // ≈ 128 KiB of copying per task

}  // namespace

void copy_box(const float* src, const std::vector<int64_t>& src_shape, const std::vector<int64_t>& src_offset,
              float* dst, const std::vector<int64_t>& dst_shape, const std::vector<int64_t>& dst_offset,
              const std::vector<int64_t>& box) {
  const size_t rank = box.size();
  int64_t total = 1;
  for (int64_t b : box) total *= b;
  if (total == 0) return;
  if (rank == 0) {
    dst[0] = src[0];
    return;
  }
  const std::vector<int64_t> ss = strides_of(src_shape), ds = strides_of(dst_shape);
  // The box is a set of rows along the last axis: rows = Π box[0..rank-2], each one memcpy.
  const int64_t row = box[rank - 1];
  const int64_t rows = total / row;
  int64_t src_base = 0, dst_base = 0;
  for (size_t d = 0; d < rank; d++) {
    src_base += src_offset[d] * ss[d];
    dst_base += dst_offset[d] * ds[d];
  }
  const int64_t rows_per_task = std::max<int64_t>(1, kTaskFloats / row);
  parallel_for((rows + rows_per_task - 1) / rows_per_task, [&](int64_t t) {
    const int64_t first = t * rows_per_task, last = std::min(rows, first + rows_per_task);
    for (int64_t r = first; r < last; r++) {
      // Unravel the row index over box[0..rank-2] into source and destination offsets.
      int64_t rest = r, so = src_base, dso = dst_base;
      for (size_t d = rank - 1; d-- > 0;) {
        const int64_t i = rest % box[d];
        rest /= box[d];
        so += i * ss[d];
        dso += i * ds[d];
      }
      std::memcpy(dst + dso, src + so, size_t(row) * sizeof(float));
    }
  });
}

void permute(const float* src, const std::vector<int64_t>& src_shape, const std::vector<int64_t>& perm, float* dst) {
  const size_t rank = perm.size();
  int64_t total = 1;
  for (int64_t d : src_shape) total *= d;
  if (total == 0) return;
  if (rank == 0) {
    dst[0] = src[0];
    return;
  }
  const std::vector<int64_t> ss = strides_of(src_shape);
  std::vector<int64_t> out_shape(rank), step(rank);  // step[d]: source stride of output axis d
  for (size_t d = 0; d < rank; d++) {
    out_shape[d] = src_shape[size_t(perm[d])];
    step[d] = ss[size_t(perm[d])];
  }
  const int64_t row = out_shape[rank - 1], inner = step[rank - 1];
  const int64_t rows = total / row;
  const int64_t rows_per_task = std::max<int64_t>(1, kTaskFloats / row);
  parallel_for((rows + rows_per_task - 1) / rows_per_task, [&](int64_t t) {
    const int64_t first = t * rows_per_task, last = std::min(rows, first + rows_per_task);
    for (int64_t r = first; r < last; r++) {
      int64_t rest = r, so = 0;
      for (size_t d = rank - 1; d-- > 0;) {
        so += (rest % out_shape[d]) * step[d];
        rest /= out_shape[d];
      }
      float* out = dst + r * row;
      for (int64_t j = 0; j < row; j++) out[j] = src[so + j * inner];
    }
  });
}

void fill(float* dst, int64_t count, float value) {
  parallel_for((count + kTaskFloats - 1) / kTaskFloats, [&](int64_t t) {
    const int64_t first = t * kTaskFloats, last = std::min(count, first + kTaskFloats);
    std::fill(dst + first, dst + last, value);
  });
}

}  // namespace topofr
