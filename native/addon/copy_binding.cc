// Strided box copy, axis permutation and fill behind the native Slice / PadV2 / Transpose kernels (src/tf/kernels/copy.ts).
//
//   copyBox(src, srcShape, srcOffset, dst, dstShape, dstOffset, box)
//     dst[dstOffset + i] = src[srcOffset + i] for i < box; every box must lie inside its tensor.
//   permute(src, shape, perm, dst)   dst = tf.transpose(src, perm)
//   fill(dst, value)
#include <string>

#include "../core/copy_box.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"

namespace topofr {
namespace {

constexpr int64_t kMaxDim = int64_t(1) << 40;
constexpr size_t kMaxRank = 16;

[[noreturn]] void shape_error(const std::string& message) {
  throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE", message);
}

}  // namespace

Napi::Value CopyBox(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    if (info.Length() != 7)
      throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", "expected 7 arguments, got " + std::to_string(info.Length()));
    FloatArray src = float32_arg(info, 0, "src"), dst = float32_arg(info, 3, "dst");
    const std::vector<int64_t> src_shape = integer_array_arg(info, 1, "srcShape", 0, kMaxDim),
                               src_offset = integer_array_arg(info, 2, "srcOffset", 0, kMaxDim),
                               dst_shape = integer_array_arg(info, 4, "dstShape", 0, kMaxDim),
                               dst_offset = integer_array_arg(info, 5, "dstOffset", 0, kMaxDim),
                               box = integer_array_arg(info, 6, "box", 0, kMaxDim);
    const size_t rank = box.size();
    if (rank > kMaxRank) shape_error("rank " + std::to_string(rank) + " is above the supported " + std::to_string(kMaxRank));
    if (src_shape.size() != rank || src_offset.size() != rank || dst_shape.size() != rank || dst_offset.size() != rank)
      shape_error("srcShape, srcOffset, dstShape, dstOffset and box must all have the box's rank " + std::to_string(rank));
    expect_length(src, checked_product(src_shape), "src", shape_string(src_shape));
    expect_length(dst, checked_product(dst_shape), "dst", shape_string(dst_shape));
    for (size_t d = 0; d < rank; d++) {
      if (src_offset[d] + box[d] > src_shape[d] || dst_offset[d] + box[d] > dst_shape[d])
        shape_error("the box " + shape_string(box) + " at " + shape_string(src_offset) + " → " +
                    shape_string(dst_offset) + " leaves the tensors " + shape_string(src_shape) + " → " +
                    shape_string(dst_shape) + " on axis " + std::to_string(d));
    }
    copy_box(src.data, src_shape, src_offset, dst.data, dst_shape, dst_offset, box);
  });
}

Napi::Value Permute(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    if (info.Length() != 4)
      throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", "expected 4 arguments, got " + std::to_string(info.Length()));
    FloatArray src = float32_arg(info, 0, "src"), dst = float32_arg(info, 3, "dst");
    const std::vector<int64_t> shape = integer_array_arg(info, 1, "shape", 0, kMaxDim);
    const std::vector<int64_t> perm = integer_array_arg(info, 2, "perm", 0, kMaxRank);
    if (shape.size() > kMaxRank) shape_error("rank " + std::to_string(shape.size()) + " is above the supported " + std::to_string(kMaxRank));
    std::vector<bool> seen(shape.size(), false);
    if (perm.size() != shape.size()) shape_error("perm must have the shape's rank " + std::to_string(shape.size()));
    for (int64_t p : perm) {
      if (p >= int64_t(shape.size()) || seen[size_t(p)]) shape_error("perm " + shape_string(perm) + " is not a permutation of the axes");
      seen[size_t(p)] = true;
    }
    const uint64_t count = checked_product(shape);
    expect_length(src, count, "src", shape_string(shape));
    expect_length(dst, count, "dst", "the permuted shape");
    permute(src.data, shape, perm, dst.data);
  });
}

Napi::Value Fill(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    if (info.Length() != 2)
      throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", "expected 2 arguments, got " + std::to_string(info.Length()));
    FloatArray dst = float32_arg(info, 0, "dst");
    fill(dst.data, int64_t(dst.length), float(number_arg(info, 1, "value")));
  });
}

}  // namespace topofr
