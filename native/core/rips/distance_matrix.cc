#include "distance_matrix.h"

#include <cmath>

#include "../thread_pool.h"
#include "memory.h"

namespace topofr::rips {

SparseDistances::SparseDistances(const DenseDistances& dense, value_t threshold, int threads) {
  const int64_t n = dense.size();
  const auto is_edge = [threshold](value_t d) { return d <= threshold && d < kInfinity; };
  // Two passes over the triangle, each parallel over rows: count, then fill. Row i's own list
  // (vertices below i, then above) is written by task i alone.
  std::vector<int64_t> degree(n, 0);
  parallel_for(n, [&](int64_t i) {
    int64_t count = 0;
    for (int64_t j = 0; j < n; ++j)
      if (j != i && is_edge(dense(static_cast<vertex_t>(i), static_cast<vertex_t>(j)))) ++count;
    degree[i] = count;
  }, threads);
  offsets_.assign(n + 1, 0);
  for (int64_t i = 0; i < n; ++i) offsets_[i + 1] = offsets_[i] + degree[i];
  require_memory(offsets_[n] * static_cast<int64_t>(sizeof(Neighbour)), "the neighbour lists");
  neighbours_.resize(offsets_[n]);
  parallel_for(n, [&](int64_t i) {
    Neighbour* out = neighbours_.data() + offsets_[i];
    for (int64_t j = 0; j < n; ++j) {
      const value_t d = dense(static_cast<vertex_t>(i), static_cast<vertex_t>(j));
      if (j != i && is_edge(d)) *out++ = {static_cast<vertex_t>(j), d};
    }
  }, threads);
}

SparseDistances::SparseDistances(int64_t n, const int32_t* i, const int32_t* j, const value_t* d, int64_t m,
                                 value_t threshold) {
  offsets_.assign(n + 1, 0);
  const auto kept = [&](int64_t e) { return i[e] != j[e] && d[e] <= threshold && d[e] < kInfinity; };
  for (int64_t e = 0; e < m; ++e)
    if (kept(e)) ++offsets_[i[e] + 1], ++offsets_[j[e] + 1];
  for (int64_t v = 0; v < n; ++v) offsets_[v + 1] += offsets_[v];
  require_memory(offsets_[n] * static_cast<int64_t>(sizeof(Neighbour)), "the neighbour lists");
  std::vector<int64_t> fill(offsets_.begin(), offsets_.end() - 1);
  neighbours_.resize(offsets_[n]);
  for (int64_t e = 0; e < m; ++e)
    if (kept(e)) {
      neighbours_[fill[i[e]]++] = {j[e], d[e]};
      neighbours_[fill[j[e]]++] = {i[e], d[e]};
    }
  // Sort each list by (vertex, distance) and keep the first of each vertex: the smallest distance.
  // A repeated pair is repeated in both endpoints' lists, so both keep the same distance.
  int64_t out = 0;
  for (int64_t v = 0; v < n; ++v) {
    Neighbour* b = neighbours_.data() + offsets_[v];
    Neighbour* e = neighbours_.data() + offsets_[v + 1];
    std::sort(b, e, [](const Neighbour& x, const Neighbour& y) {
      return x.vertex != y.vertex ? x.vertex < y.vertex : x.distance < y.distance;
    });
    offsets_[v] = out;
    for (Neighbour* it = b; it != e; ++it)
      if (it == b || it->vertex != it[-1].vertex) neighbours_[out++] = *it;
  }
  offsets_[n] = out;
  neighbours_.resize(out);
  neighbours_.shrink_to_fit();
}

value_t enclosing_radius(const DenseDistances& distances) {
  const int64_t n = distances.size();
  std::vector<value_t> eccentricity(n, 0);
  for (vertex_t i = 0; i < n; ++i)
    for (vertex_t j = 0; j < i; ++j) {
      const value_t d = distances(i, j);
      eccentricity[i] = std::max(eccentricity[i], d);
      eccentricity[j] = std::max(eccentricity[j], d);
    }
  value_t radius = kInfinity;
  for (value_t e : eccentricity) radius = std::min(radius, e);
  return n == 0 ? 0 : radius;
}

}  // namespace topofr::rips
