// Dimension 0: Kruskal's algorithm over the edges in filtration order. An edge that joins two
// components kills one (the interval [0, d)); every other edge is a column of dimension 1 unless
// it is the facet of an apparent pair.
#pragma once
#include <vector>

#include "filtration.h"

namespace topofr::rips {

struct Edge {
  value_t diameter;
  vertex_t u, v;  // u < v; its index is C(v, 2) + u
};

// The edges under the threshold, in no particular order.
std::vector<Edge> edges_under_threshold(const DenseDistances& distances, value_t threshold, int threads);
std::vector<Edge> edges_under_threshold(const SparseDistances& distances, int threads);

// Appends the intervals of dimension 0 to `intervals` and returns the columns of dimension 1 in
// reduction order. Consumes `edges`.
template <class Distances>
std::vector<Simplex> dimension_0(const Filtration<Distances>& filtration, std::vector<Edge>& edges,
                                 std::vector<Interval>& intervals, bool want_columns);

}  // namespace topofr::rips
