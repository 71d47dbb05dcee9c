// 0-dimensional persistence of the Vietoris–Rips filtration: the minimum spanning tree.
//
// Every H0 class is born at 0 and dies at the length of the edge that merges two components; those
// edges are the MST edges in Kruskal order. Edges are ordered by the strict total order
// (d, i, j) with i < j — the stable sort of the row-major upper triangle that the official TopoFR
// code uses — so with ties the MST, and hence the pairing, is unique and matches that code exactly.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "distance_source.h"

namespace topofr {

struct H0Pairs {
  std::vector<int32_t> edges;  // (n−1) × 2, u < v, in ascending (death, u, v) order
  std::vector<float> deaths;   // n − 1
};

// A distance that is NaN: the edge order is undefined. Inputs are checked before the call, so this
// means the input changed during it (a SharedArrayBuffer written by another thread).
struct NonFiniteError : std::domain_error {
  using std::domain_error::domain_error;
};

// O(n²) distance evaluations in tiles, O(n) extra memory (a short sorted candidate list per
// vertex), on the thread pool (threads: 0 = all). The result does not depend on `threads`.
// Throws NonFiniteError when it meets a NaN distance.
H0Pairs persistence_h0(const DistanceSource& distances, int threads = 0);

}  // namespace topofr
