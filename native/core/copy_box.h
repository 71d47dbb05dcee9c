// The strided copies behind the native Slice, PadV2 and Transpose kernels. copy_box copies an
// axis-aligned box between two dense row-major float32 tensors of the same rank: Slice (box at
// `begin` of the source → whole destination) and PadV2 (whole source → box at `before` of a
// destination pre-filled with the constant); permute reorders axes.
#pragma once
#include <cstdint>
#include <vector>

namespace topofr {

// dst[dst_offset + i] = src[src_offset + i] for every index i < box (all vectors of the same rank;
// the caller guarantees offset + box ≤ shape on both sides).
void copy_box(const float* src, const std::vector<int64_t>& src_shape, const std::vector<int64_t>& src_offset,
              float* dst, const std::vector<int64_t>& dst_shape, const std::vector<int64_t>& dst_offset,
              const std::vector<int64_t>& box);

// dst = src with its axes permuted: dst axis d is src axis perm[d] (tf.transpose), dst shape
// [src_shape[perm[0]], …]. perm must be a permutation of 0..rank−1 (the caller checks).
void permute(const float* src, const std::vector<int64_t>& src_shape, const std::vector<int64_t>& perm, float* dst);

// Every element of dst set to value, in parallel (large pads are memory-bound).
void fill(float* dst, int64_t count, float value);

}  // namespace topofr
