#include "distances.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "sgemm.h"
#include "thread_pool.h"

namespace topofr {
namespace {

// Below this fraction the GEMM identity has cancelled too many digits to be trusted. For
// (squared) Euclidean: d² ≤ (|x|² + |y|²)/8; the identity's absolute error is ≈ √dim·ε·(|x|²+|y|²),
// so the relative error of d stays ≲ 4·√dim·ε (≈ 5e-6 at dim 512) above it. For cosine: 1 − cos ≤ 1/8.
// High-dimensional data (random or face embeddings) almost never falls below it, so the direct
// path costs nothing there and rescues near-duplicates where it matters.
constexpr float kRefineFraction = 0.125f;

// (Squared) Euclidean in float32 needs |x|² + |y|² in the normal range: products of coordinates
// below ~2^-126 lose digits to underflow (subnormals), above 2^128 overflow. A cloud whose largest
// coordinate lies outside [2^-kScaleFreeExponent, 2^kScaleFreeExponent] is multiplied by a power of
// two (exact) for the GEMM, the results by its inverse; a pair whose |x|² + |y|² is still below
// kMinGemmSum there (a point far smaller than the largest) is computed directly, in double.
constexpr int kScaleFreeExponent = 40;
constexpr float kMinGemmSum = 0x1p-100f;

// Σ (a_k − b_k)² in double, with a fixed summation order: symmetric in (a, b), since (a−b)² = (b−a)².
double direct_squared(const float* a, const float* b, int64_t dim, double scale_a = 1.0, double scale_b = 1.0) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t k = 0;
  for (; k + 8 <= dim; k += 8)
    for (int l = 0; l < 8; ++l) {
      double d = a[k + l] * scale_a - b[k + l] * scale_b;
      acc[l] += d * d;
    }
  for (; k < dim; ++k) {
    double d = a[k] * scale_a - b[k] * scale_b;
    acc[0] += d * d;
  }
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

}  // namespace

PointDistances::PointDistances(const float* points, int64_t n, int64_t dim, Metric metric)
    : x_(points), rows_(points), n_(n), dim_(dim), metric_(metric) {
  if (metric == Metric::Cosine) {
    inv_norm_.resize(n);
    gemm_rows_.resize(static_cast<size_t>(n * dim));
    rows_ = gemm_rows_.data();
  } else {
    norm2_.resize(n);
    float largest = 0;
    for (int64_t k = 0; k < n * dim; ++k) largest = std::max(largest, std::fabs(points[k]));
    const int exponent = largest > 0 ? std::ilogb(largest) : 0;
    if (exponent < -kScaleFreeExponent || exponent > kScaleFreeExponent) {
      scale_exponent_ = -exponent;  // the largest coordinate becomes [1, 2)
      gemm_rows_.resize(static_cast<size_t>(n * dim));
      for (int64_t k = 0; k < n * dim; ++k) gemm_rows_[k] = std::ldexp(points[k], scale_exponent_);
      rows_ = gemm_rows_.data();
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    const float* row = points + i * dim;
    double s = 0;  // exact enough for any float32 row: squares of float32 values neither over- nor underflow in double
    for (int64_t k = 0; k < dim; ++k) s += double(row[k]) * row[k];
    if (metric != Metric::Cosine) {
      norm2_[i] = static_cast<float>(std::ldexp(s, 2 * scale_exponent_));
      continue;
    }
    if (s == 0)
      throw std::invalid_argument("cosine distance is undefined for a zero vector (row " + std::to_string(i) + ")");
    inv_norm_[i] = 1.0 / std::sqrt(s);
    for (int64_t k = 0; k < dim; ++k) gemm_rows_[i * dim + k] = static_cast<float>(row[k] * inv_norm_[i]);
  }
}

float PointDistances::direct(int64_t i, int64_t j) const {
  const float* a = x_ + i * dim_;
  const float* b = x_ + j * dim_;
  switch (metric_) {
    case Metric::SqEuclidean: return static_cast<float>(direct_squared(a, b, dim_));
    case Metric::Euclidean: return static_cast<float>(std::sqrt(direct_squared(a, b, dim_)));
    case Metric::Cosine:  // 1 − cos = ½·|x/|x| − y/|y||²
      return static_cast<float>(0.5 * direct_squared(a, b, dim_, inv_norm_[i], inv_norm_[j]));
  }
  return 0;
}

// Gram block: out[i][j] = x_{r0+i}·x_{c0+j}, bitwise the same for (i, j) and (j, i) and whatever
// the tiling. Short rows: one sgemm_builtin chain per element. Long rows (a batch of flattened
// images: 128 × 37 632): a few tiles cannot keep the threads busy, so the dot products are split
// at fixed kChunkDim-column boundaries, the chunks computed in parallel and added in chunk order.
// The boundaries depend on dim only, so every element is still a function of its two rows alone.
void PointDistances::gram(int64_t r0, int64_t rows, int64_t c0, int64_t cols, float* out, int64_t ld) const {
  constexpr int64_t kSplitDim = 8192, kChunkDim = 4096;
  const float* a = rows_ + r0 * dim_;
  const float* b = rows_ + c0 * dim_;
  if (dim_ < kSplitDim) {
    sgemm_builtin(false, true, rows, cols, dim_, 1.0f, a, dim_, b, dim_, 0.0f, out, ld);
    return;
  }
  const int64_t chunks = (dim_ + kChunkDim - 1) / kChunkDim, block = rows * cols;
  std::vector<float> partial(static_cast<size_t>(chunks * block));
  parallel_for(chunks, [&](int64_t c) {
    const int64_t k0 = c * kChunkDim;
    sgemm_builtin(false, true, rows, cols, std::min(kChunkDim, dim_ - k0), 1.0f, a + k0, dim_, b + k0, dim_, 0.0f,
                  partial.data() + c * block, cols);
  });
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      float sum = partial[static_cast<size_t>(i * cols + j)];
      for (int64_t c = 1; c < chunks; ++c) sum += partial[static_cast<size_t>(c * block + i * cols + j)];
      out[i * ld + j] = sum;
    }
}

void PointDistances::tile(int64_t r0, int64_t rows, int64_t c0, int64_t cols, float* out, int64_t ld) const {
  if (rows <= 0 || cols <= 0) return;
  gram(r0, rows, c0, cols, out, ld);
  for (int64_t i = 0; i < rows; ++i) {
    float* o = out + i * ld;
    bool refine = false;
    // Branch-free main loop (vectorised); pairs that need the direct path are marked −1 and redone
    // below. Every expression is symmetric in (i, j): sums and products of the two rows' values only.
    if (metric_ == Metric::Cosine) {
      for (int64_t j = 0; j < cols; ++j) {
        const float d = 1.0f - o[j];  // the Gram of unit rows
        const bool near = !(d > kRefineFraction);
        refine |= near;
        o[j] = near ? -1.0f : d;
      }
    } else {
      const float* nc = norm2_.data() + c0;
      const float ni = norm2_[r0 + i];
      const bool squared = metric_ == Metric::SqEuclidean;
      for (int64_t j = 0; j < cols; ++j) {
        const float s = ni + nc[j];
        const float d2 = s - 2.0f * o[j];
        const bool near = !(d2 > kRefineFraction * s) | !(s >= kMinGemmSum);
        refine |= near;
        o[j] = near ? -1.0f : squared ? d2 : std::sqrt(d2);
      }
      if (scale_exponent_ != 0) {  // back to the caller's scale: one rounding, of the exact product
        const int back = (squared ? -2 : -1) * scale_exponent_;
        for (int64_t j = 0; j < cols; ++j)
          if (o[j] >= 0.0f) o[j] = static_cast<float>(std::ldexp(double(o[j]), back));
      }
    }
    if (!refine) continue;
    for (int64_t j = 0; j < cols; ++j)
      if (o[j] < 0.0f) o[j] = r0 + i == c0 + j ? 0.0f : direct(r0 + i, c0 + j);
  }
}

void MatrixDistances::tile(int64_t r0, int64_t rows, int64_t c0, int64_t cols, float* out, int64_t ld) const {
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t r = r0 + i;
    for (int64_t j = 0; j < cols; ++j) {
      const int64_t c = c0 + j;
      out[i * ld + j] = r == c ? 0.0f : r < c ? m_[r * n_ + c] : m_[c * n_ + r];
    }
  }
}

void pairwise_distances(const PointDistances& distances, float* out, int threads) {
  const int64_t n = distances.size();
  constexpr int64_t kTile = 256;
  const int64_t blocks = (n + kTile - 1) / kTile;
  // Upper-triangle tile pairs (I ≤ J); each is computed once, in place, and mirrored below the diagonal.
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t bi = 0; bi < blocks; ++bi)
    for (int64_t bj = bi; bj < blocks; ++bj) pairs.emplace_back(bi, bj);
  parallel_for(static_cast<int64_t>(pairs.size()), [&](int64_t t) {
    const int64_t r0 = pairs[t].first * kTile, c0 = pairs[t].second * kTile;
    const int64_t rows = std::min(kTile, n - r0), cols = std::min(kTile, n - c0);
    distances.tile(r0, rows, c0, cols, out + r0 * n + c0, n);
    if (r0 == c0) return;  // a diagonal tile is already symmetric (the tile's values are)
    // Mirror in small square blocks: a plain column-order copy would touch a new page per element.
    constexpr int64_t kBlock = 16;
    for (int64_t i0 = 0; i0 < rows; i0 += kBlock)
      for (int64_t j0 = 0; j0 < cols; j0 += kBlock)
        for (int64_t j = j0; j < std::min(j0 + kBlock, cols); ++j)
          for (int64_t i = i0; i < std::min(i0 + kBlock, rows); ++i)
            out[(c0 + j) * n + r0 + i] = out[(r0 + i) * n + c0 + j];
  }, threads);
  for (int64_t i = 0; i < n; ++i) out[i * n + i] = 0.0f;
}

void lower_triangle(const DistanceSource& distances, float* lower, int threads) {
  const int64_t n = distances.size();
  constexpr int64_t kRows = 64;  // a band of rows × all the columns before it: one tile call
  parallel_for((n + kRows - 1) / kRows, [&](int64_t band) {
    const int64_t r0 = band * kRows, rows = std::min(kRows, n - r0);
    std::vector<float> tile(static_cast<size_t>(rows * (r0 + rows)));
    distances.tile(r0, rows, 0, r0 + rows, tile.data(), r0 + rows);
    for (int64_t i = r0; i < r0 + rows; ++i)
      std::copy_n(tile.data() + (i - r0) * (r0 + rows), i, lower + i * (i - 1) / 2);
  }, threads);
}

void ripser_euclidean_lower(const float* points, int64_t n, int64_t dim, float* lower, int threads) {
  constexpr int64_t kPairs = 8;  // independent sums in flight: each stays one sequential chain
  parallel_for(n, [&](int64_t i) {
    const float* x = points + i * dim;
    float* row = lower + i * (i - 1) / 2;
    for (int64_t j0 = 0; j0 < i; j0 += kPairs) {
      const int64_t count = std::min(kPairs, i - j0);
      float sum[kPairs] = {};
      for (int64_t k = 0; k < dim; ++k)
        for (int64_t p = 0; p < count; ++p) {
          const float diff = x[k] - points[(j0 + p) * dim + k];
          sum[p] = sum[p] + diff * diff;
        }
      for (int64_t p = 0; p < count; ++p) row[j0 + p] = std::sqrt(sum[p]);
    }
  }, threads);
}

}  // namespace topofr
