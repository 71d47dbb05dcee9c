// Where pairwise distances come from: computed from points, or read from a matrix.
//
// The H0 engine sees only this interface, so pairing from points and pairing from a distance
// matrix are one algorithm. A source defines d(i, j) once: tile() must return the same value for
// (i, j) and (j, i), whatever the tile's position and size, so every comparison the engine makes
// is consistent (and points → pairwiseDistances → matrix → H0 pairs exactly like points → H0).
#pragma once
#include <cstdint>

namespace topofr {

class DistanceSource {
 public:
  virtual ~DistanceSource() = default;
  virtual int64_t size() const = 0;
  // out[i·ld + j] = d(r0 + i, c0 + j) for i < rows, j < cols; d(i, i) = 0. Thread-safe.
  virtual void tile(int64_t r0, int64_t rows, int64_t c0, int64_t cols, float* out, int64_t ld) const = 0;
};

}  // namespace topofr
