#include "dimension0.h"

#include <atomic>
#include <memory>

#include "../thread_pool.h"
#include "../union_find.h"
#include "coboundary.h"
#include "memory.h"
#include "parallel_sort.h"

namespace topofr::rips {
namespace {

// The filtration order on edges: by length, then by index C(v, 2) + u descending.
bool edge_before(const Edge& a, const Edge& b) {
  if (a.diameter != b.diameter) return a.diameter < b.diameter;
  return a.v != b.v ? a.v > b.v : a.u > b.u;
}

// The list, the sort's buffer, and the columns of dimension 1 built from it.
constexpr int64_t kBytesPerEdge = 2 * sizeof(Edge) + sizeof(Simplex);

void require_edge_memory(int64_t count) { require_memory(count * kBytesPerEdge, "the edge list"); }

}  // namespace

std::vector<Edge> edges_under_threshold(const DenseDistances& distances, value_t threshold, int threads) {
  const int64_t n = distances.size();
  // Count, then fill, row by row in parallel: row v holds the edges {u, v}, u < v.
  std::vector<int64_t> start(n + 1, 0);
  parallel_for(n, [&](int64_t v) {
    int64_t count = 0;
    for (vertex_t u = 0; u < v; ++u) count += distances(static_cast<vertex_t>(v), u) <= threshold;
    start[v + 1] = count;
  }, threads);
  for (int64_t v = 0; v < n; ++v) start[v + 1] += start[v];
  require_edge_memory(start[n]);
  std::vector<Edge> edges(start[n]);
  parallel_for(n, [&](int64_t v) {
    Edge* out = edges.data() + start[v];
    for (vertex_t u = 0; u < v; ++u) {
      const value_t d = distances(static_cast<vertex_t>(v), u);
      if (d <= threshold) *out++ = {d, u, static_cast<vertex_t>(v)};
    }
  }, threads);
  return edges;
}

std::vector<Edge> edges_under_threshold(const SparseDistances& distances, int threads) {
  require_edge_memory(distances.edge_count());
  std::vector<Edge> edges;
  edges.reserve(distances.edge_count());
  for (vertex_t v = 0; v < distances.size(); ++v)
    for (const Neighbour* it = distances.begin(v); it != distances.end(v) && it->vertex < v; ++it)
      edges.push_back({it->distance, it->vertex, v});
  return edges;
}

template <class Distances>
std::vector<Simplex> dimension_0(const Filtration<Distances>& f, std::vector<Edge>& edges,
                                 std::vector<Interval>& intervals, bool want_columns) {
  const int64_t n = f.distances.size();
  parallel_sort(edges, edge_before, f.threads);
  UnionFind components(n);
  std::vector<Edge> cycles;  // edges that close a cycle: the candidate columns of dimension 1
  for (const Edge& e : edges) {
    if (components.unite(e.u, e.v)) {
      if (e.diameter > 0) intervals.push_back({0, e.diameter, {-1, -1}, {e.u, e.v}});
    } else if (want_columns) {
      cycles.push_back(e);
    }
  }
  for (vertex_t v = 0; v < n; ++v)
    if (components.find(v) == v) intervals.push_back({0, kInfinity, {-1, -1}, {-1, -1}});
  std::vector<Edge>().swap(edges);
  if (!want_columns) return {};

  // Drop the facets of apparent pairs, in parallel over chunks kept in order; then reverse the
  // filtration order into reduction order.
  const int64_t count = static_cast<int64_t>(cycles.size());
  const int64_t chunk = 4096, chunks = (count + chunk - 1) / chunk;
  std::vector<std::vector<Simplex>> kept(chunks);
  std::vector<std::unique_ptr<Coboundary<Distances>>> workers(f.threads);
  std::atomic<int64_t> next{0};
  parallel_for(f.threads, [&](int64_t t) {
    if (!workers[t]) workers[t] = std::make_unique<Coboundary<Distances>>(f.distances, f.binomial, f.threshold, f.max_dim);
    for (int64_t c; (c = next.fetch_add(1, std::memory_order_relaxed)) < chunks;) {
      for (int64_t k = c * chunk; k < std::min(count, (c + 1) * chunk); ++k) {
        const Edge& e = cycles[k];
        const Simplex s{f.binomial(e.v, 2) + e.u, e.diameter};
        const vertex_t w[2] = {e.u, e.v};
        if (workers[t]->apparent_cofacet(s, w, 1) < 0) kept[c].push_back(s);
      }
    }
  }, f.threads);
  std::vector<Simplex> columns;
  for (const auto& part : kept) columns.insert(columns.end(), part.begin(), part.end());
  std::reverse(columns.begin(), columns.end());
  return columns;
}

template std::vector<Simplex> dimension_0(const Filtration<DenseDistances>&, std::vector<Edge>&,
                                          std::vector<Interval>&, bool);
template std::vector<Simplex> dimension_0(const Filtration<SparseDistances>&, std::vector<Edge>&,
                                          std::vector<Interval>&, bool);

int64_t dense_edge_memory(int64_t n) { return n * (n - 1) / 2 * kBytesPerEdge; }

int64_t sparse_memory(int64_t n, int64_t m, int max_dim) {
  // Per vertex: offsets and fill positions of the lists, the binomial table's column, the
  // union-find, its intervals (twice: a vector grows by doubling). Per entry: both directions of
  // the neighbour lists, and the edge list.
  const int64_t top = std::min<int64_t>(max_dim, std::max<int64_t>(n - 1, 0));
  const int64_t per_vertex = 2 * int64_t(sizeof(int64_t)) + (top + 3) * int64_t(sizeof(index_t)) +
                             2 * int64_t(sizeof(int32_t)) + 2 * int64_t(sizeof(Interval));
  return n * per_vertex + m * (2 * int64_t(sizeof(Neighbour)) + kBytesPerEdge);
}

}  // namespace topofr::rips
