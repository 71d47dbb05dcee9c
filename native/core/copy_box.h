// Copies an axis-aligned box between two dense row-major float32 tensors of the same rank: the one
// strided copy behind the native Slice (box at `begin` of the source → whole destination) and
// PadV2 (whole source → box at `before` of a destination pre-filled with the constant).
#pragma once
#include <cstdint>
#include <vector>

namespace topofr {

// dst[dst_offset + i] = src[src_offset + i] for every index i < box (all vectors of the same rank;
// the caller guarantees offset + box ≤ shape on both sides).
void copy_box(const float* src, const std::vector<int64_t>& src_shape, const std::vector<int64_t>& src_offset,
              float* dst, const std::vector<int64_t>& dst_shape, const std::vector<int64_t>& dst_offset,
              const std::vector<int64_t>& box);

// Every element of dst set to value, in parallel (large pads are memory-bound).
void fill(float* dst, int64_t count, float value);

}  // namespace topofr
