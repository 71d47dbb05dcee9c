// The two ways the engine sees distances: the caller's dense lower triangle (never copied), or
// neighbour lists of the edges under the threshold (sparse input, or dense input cut by a
// threshold below the enclosing radius).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "simplex.h"

namespace topofr::rips {

using vertex_t = int32_t;

// Ripser's compressed lower-triangular matrix: row i holds d(i, 0) … d(i, i − 1).
class DenseDistances {
 public:
  DenseDistances(const value_t* lower, int64_t n) : n_(n), rows_(n) {
    for (int64_t i = 0; i < n; ++i) rows_[i] = lower + i * (i - 1) / 2;
  }
  int64_t size() const { return n_; }
  value_t operator()(vertex_t i, vertex_t j) const {
    if (i == j) return 0;
    return i > j ? rows_[i][j] : rows_[j][i];
  }

  // Full rows (the square matrix, diagonal 0) for fast coboundary enumeration: built only for the
  // dense reduction, and only while small (kMaxSquare points: 16 MB).
  static constexpr int64_t kMaxSquare = 2048;
  void build_square() {
    if (n_ > kMaxSquare) return;
    square_.assign(n_ * n_, 0);
    for (int64_t i = 0; i < n_; ++i)
      for (int64_t j = 0; j < i; ++j) square_[i * n_ + j] = square_[j * n_ + i] = rows_[i][j];
  }
  // Row i of the square matrix, or nullptr when it is not built.
  const value_t* full_row(vertex_t i) const { return square_.empty() ? nullptr : square_.data() + i * n_; }

 private:
  int64_t n_;
  std::vector<const value_t*> rows_;
  std::vector<value_t> square_;
};

struct Neighbour {
  vertex_t vertex;
  value_t distance;
};

// Compressed neighbour lists, each sorted by vertex: the intersection of sorted lists enumerates
// common neighbours, hence cofacets, in vertex order.
class SparseDistances {
 public:
  // From dense input: the pairs with distance ≤ threshold (and finite).
  SparseDistances(const DenseDistances& dense, value_t threshold, int threads);
  // From an edge list: pairs with i ≠ j and distance ≤ threshold; a repeated pair keeps its
  // smallest distance.
  SparseDistances(int64_t n, const int32_t* i, const int32_t* j, const value_t* d, int64_t m, value_t threshold);

  int64_t size() const { return static_cast<int64_t>(offsets_.size()) - 1; }
  int64_t edge_count() const { return static_cast<int64_t>(neighbours_.size()) / 2; }
  const Neighbour* begin(vertex_t v) const { return neighbours_.data() + offsets_[v]; }
  const Neighbour* end(vertex_t v) const { return neighbours_.data() + offsets_[v + 1]; }

  // +infinity when i and j are not neighbours.
  value_t operator()(vertex_t i, vertex_t j) const {
    if (i == j) return 0;
    const Neighbour* e = end(i);
    const Neighbour* it = std::lower_bound(begin(i), e, j, [](const Neighbour& a, vertex_t v) { return a.vertex < v; });
    return it != e && it->vertex == j ? it->distance : kInfinity;
  }

 private:
  std::vector<int64_t> offsets_;
  std::vector<Neighbour> neighbours_;
};

// min over i of max over j of d(i, j): beyond it the complex is a cone over a minimising vertex,
// so nothing is born or dies there (apart from the one H0 class that never dies).
value_t enclosing_radius(const DenseDistances& distances);

}  // namespace topofr::rips
