// Binomial coefficients C(v, k) for v ≤ n, k ≤ k_max: the combinatorial number system.
//
// Index of {v_k > … > v_0} = Σ_i C(v_i, i + 1). The largest index in dimension d is below
// C(n, d + 1), so the table doubles as the overflow check: it is built once, up front, with checked
// additions, and every index the engine can form stays below its largest entry.
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "simplex.h"

namespace topofr::rips {

class BinomialTable {
 public:
  // Throws TooLargeError when some C(v, k), v ≤ n, k ≤ k_max, does not fit in 63 bits.
  BinomialTable(int64_t n, int k_max) : stride_(n + 1), table_((k_max + 1) * (n + 1)) {
    for (int64_t v = 0; v <= n; ++v) {
      at(v, 0) = 1;
      for (int k = 1; k <= k_max; ++k) {
        if (v == 0) continue;  // C(0, k) = 0
        if (__builtin_add_overflow(at(v - 1, k - 1), at(v - 1, k), &at(v, k)))
          throw TooLargeError("rips: " + std::to_string(n) + " points up to dimension " + std::to_string(k_max - 2) +
                           " need simplex indices beyond 64 bits (C(" + std::to_string(v) + ", " +
                           std::to_string(k) + ") overflows); lower the dimension or use fewer points");
      }
    }
  }

  index_t operator()(int64_t v, int k) const { return table_[k * stride_ + v]; }

  // The largest v ≤ top with C(v, k) ≤ index: the top vertex of a simplex of k vertices whose
  // index is `index` (binary search in row k, which is non-decreasing in v).
  int64_t max_vertex(index_t index, int k, int64_t top) const {
    if (k == 1) return std::min<int64_t>(index, top);  // C(v, 1) = v
    // Branch-free binary search over [k − 1, top]; C(k − 1, k) = 0 ≤ index.
    const index_t* row = &table_[k * stride_];
    const index_t* base = row + k - 1;
    int64_t len = top - k + 2;
    while (len > 1) {
      const int64_t half = len / 2;
      base = base[half] <= index ? base + half : base;
      len -= half;
    }
    return base - row;
  }

  // The vertices of simplex `index` of dimension dim, in ascending order, into out[0 … dim].
  template <class Vertex>
  void vertices(index_t index, int dim, int64_t n, Vertex* out) const {
    int64_t top = n - 1;
    for (int k = dim + 1; k > 0; --k) {
      top = max_vertex(index, k, top);
      out[k - 1] = static_cast<Vertex>(top);
      index -= (*this)(top, k);
    }
  }

 private:
  index_t& at(int64_t v, int k) { return table_[k * stride_ + v]; }

  int64_t stride_;
  std::vector<index_t> table_;
};

}  // namespace topofr::rips
