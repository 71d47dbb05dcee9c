// A parallel sort for the engine's big lists (edges, columns). Their orders are strict and
// total (indices are unique), so the result does not depend on the split.
#pragma once
#include <algorithm>
#include <vector>

#include "../thread_pool.h"

namespace topofr::rips {

// Sorts runs on up to `threads` threads, then merges pairs of runs level by level, in parallel.
template <class T, class Less>
void parallel_sort(std::vector<T>& items, Less less, int threads) {
  const int64_t n = static_cast<int64_t>(items.size());
  int64_t runs = std::min<int64_t>(threads, n / 4096 + 1);
  if (runs <= 1) {
    std::sort(items.begin(), items.end(), less);
    return;
  }
  std::vector<int64_t> bounds(runs + 1);
  for (int64_t r = 0; r <= runs; ++r) bounds[r] = n * r / runs;
  parallel_for(runs, [&](int64_t r) { std::sort(items.begin() + bounds[r], items.begin() + bounds[r + 1], less); },
               threads);
  std::vector<T> buffer(items.size());
  std::vector<T>* from = &items;
  std::vector<T>* to = &buffer;
  for (int64_t width = 1; width < runs; width *= 2) {
    const int64_t pairs = (runs + 2 * width - 1) / (2 * width);
    parallel_for(pairs, [&](int64_t k) {
      const int64_t lo = bounds[2 * k * width];
      const int64_t mid = bounds[std::min(runs, (2 * k + 1) * width)];
      const int64_t hi = bounds[std::min(runs, (2 * k + 2) * width)];
      std::merge(from->begin() + lo, from->begin() + mid, from->begin() + mid, from->begin() + hi, to->begin() + lo, less);
    }, threads);
    std::swap(from, to);
  }
  if (from != &items) items.swap(buffer);
}

}  // namespace topofr::rips
