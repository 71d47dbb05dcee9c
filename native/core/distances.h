// Pairwise distances between the rows of a float32 point matrix.
#pragma once
#include <cstdint>
#include <vector>

#include "distance_source.h"

namespace topofr {

enum class Metric { Euclidean, SqEuclidean, Cosine };

// The one definition of the distance between two points. d(i, j) comes from the GEMM identity
// |x|² + |y|² − 2·x·y, with x·y from the builtin kernel (bitwise symmetric, independent of
// tiling); where that identity loses digits to cancellation (near-identical points) the pair is
// recomputed directly from the coordinates, in double. Identical points are exactly 0 apart.
//
// Cosine is scale-invariant, and so is its computation: the GEMM runs on the rows divided by their
// norms (computed in double), so no float product over- or underflows at any finite non-zero
// scale (float32 squares of 1e-25 or 2e19 would); 1 − cos = 1 − u_i·u_j, near pairs directly as
// ½·|x_i/|x_i| − x_j/|x_j||² in double. (Squared) Euclidean at extreme scales is brought in range by
// a power of two first (exact); pairs it cannot bring in range take the direct path.
class PointDistances final : public DistanceSource {
 public:
  // Throws std::invalid_argument for a zero row under the cosine metric (direction undefined).
  PointDistances(const float* points, int64_t n, int64_t dim, Metric metric);
  int64_t size() const override { return n_; }
  void tile(int64_t r0, int64_t rows, int64_t c0, int64_t cols, float* out, int64_t ld) const override;

 private:
  float direct(int64_t i, int64_t j) const;
  void gram(int64_t r0, int64_t rows, int64_t c0, int64_t cols, float* out, int64_t ld) const;
  const float* x_;       // the caller's rows (the direct path)
  const float* rows_;    // the rows the GEMM multiplies: x_, the unit rows (cosine) or the scaled rows
  int64_t n_, dim_;
  Metric metric_;
  std::vector<float> norm2_;       // (squared) Euclidean: |x_i|² (of the rows the GEMM multiplies)
  std::vector<double> inv_norm_;   // cosine: 1 / |x_i|
  std::vector<float> gemm_rows_;   // cosine: x_i / |x_i|; (squared) Euclidean far from 1: x_i·2^scale_exponent_
  int scale_exponent_ = 0;
};

// A full, symmetric n×n matrix; the engine reads its upper triangle (i < j), as the official code does.
class MatrixDistances final : public DistanceSource {
 public:
  MatrixDistances(const float* matrix, int64_t n) : m_(matrix), n_(n) {}
  int64_t size() const override { return n_; }
  void tile(int64_t r0, int64_t rows, int64_t c0, int64_t cols, float* out, int64_t ld) const override;

 private:
  const float* m_;
  int64_t n_;
};

// out = the full n×n matrix of d(i, j), exactly symmetric with a zero diagonal.
void pairwise_distances(const PointDistances& distances, float* out, int threads = 0);

// Ripser 1.2.1's Euclidean distance: float32 (x_k − y_k)² summed in coordinate order, then a float32
// square root. Less precise than PointDistances; it exists so that output meant to match Ripser
// (the CLI's text) is bit for bit Ripser's. Fills Ripser's compressed lower triangle.
void ripser_euclidean_lower(const float* points, int64_t n, int64_t dim, float* lower, int threads = 0);

// lower = Ripser's compressed lower triangle: row i holds d(i, 0) … d(i, i−1), n(n−1)/2 values.
void lower_triangle(const DistanceSource& distances, float* lower, int threads = 0);

}  // namespace topofr
