// The vocabulary of the engine: simplices as integers, their place in the filtration, and entries
// of (co)boundary columns with coefficients in Z/p.
#pragma once
#include <cstdint>

#include "rips.h"

namespace topofr::rips {

// A simplex {v_k > … > v_0} is the integer Σ_i C(v_i, i + 1) of the combinatorial number system
// (binomial.h): dense, order-preserving within a dimension, and computable on the fly.
using index_t = int64_t;
using coefficient_t = uint32_t;  // in [0, p), p < 2^16 so that a product fits in 32 bits

struct Simplex {
  index_t index;
  value_t diameter;
};

// A simplex with a coefficient: one entry of a column. Kept apart from the index (Ripser packs it
// into the index's high bits), which costs nothing — the struct is padded to 16 bytes anyway — and
// leaves all 63 bits to the index.
struct Entry {
  index_t index;
  value_t diameter;
  coefficient_t coefficient;
};

// The filtration order: by diameter, and among equal diameters the larger index first (Ripser's
// order). Columns are reduced in the reverse order, so the pivot of a coboundary column, its
// earliest cofacet, is the one that is "later" nowhere else.
template <class A, class B>
inline bool comes_before(const A& a, const B& b) {
  return a.diameter < b.diameter || (a.diameter == b.diameter && a.index > b.index);
}

// The reduction order of columns: the filtration order reversed.
struct ReductionOrder {
  template <class A>
  bool operator()(const A& a, const A& b) const { return comes_before(b, a); }
};

}  // namespace topofr::rips
