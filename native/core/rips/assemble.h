// The columns to reduce in dimension dim ≥ 2: every simplex under the threshold except those
// cleared (pivots of dimension dim − 1) and those in apparent pairs, in reduction order.
#pragma once
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "../thread_pool.h"
#include "cliques.h"
#include "coboundary.h"
#include "filtration.h"
#include "memory.h"
#include "parallel_sort.h"
#include "pivot_table.h"

namespace topofr::rips {

template <class Distances>
std::vector<Simplex> assemble_columns(const Filtration<Distances>& f, int dim, const PivotTable& cleared) {
  const int64_t n = f.distances.size();
  // Streaming memory check: the columns (and the sort's buffer) may not outgrow what is available
  // now. Counting them exactly beforehand would cost as much as finding them.
  const int64_t budget = available_memory() / (2 * static_cast<int64_t>(sizeof(Simplex)));
  std::atomic<int64_t> total{0};
  std::vector<std::vector<Simplex>> found(f.threads);
  std::atomic<int64_t> next{0};
  parallel_for(f.threads, [&](int64_t t) {
    Cliques<Distances> cliques(f.distances, f.binomial, f.threshold, dim);
    Coboundary<Distances> zero(f.distances, f.binomial, f.threshold, f.max_dim);
    std::vector<Simplex>& out = found[t];
    // Top vertices from the last: they have the most lower neighbours, the longest tasks first.
    for (int64_t k; (k = next.fetch_add(1, std::memory_order_relaxed)) < n;) {
      const size_t before = out.size();
      cliques.for_each_with_top(static_cast<vertex_t>(n - 1 - k), [&](const Simplex& s, const vertex_t* w) {
        if (!cleared.contains(s.index) && !zero.in_apparent_pair(s, w, dim)) out.push_back(s);
      });
      if (total.fetch_add(static_cast<int64_t>(out.size() - before), std::memory_order_relaxed) > budget)
        require_memory(total.load() * 2 * static_cast<int64_t>(sizeof(Simplex)),
                       "dimension " + std::to_string(dim) + " (" + std::to_string(total.load()) + "+ columns)");
    }
  }, f.threads);
  std::vector<Simplex> columns;
  columns.reserve(total.load());
  for (auto& part : found) {
    columns.insert(columns.end(), part.begin(), part.end());
    std::vector<Simplex>().swap(part);
  }
  parallel_sort(columns, ReductionOrder(), f.threads);
  return columns;
}

}  // namespace topofr::rips
