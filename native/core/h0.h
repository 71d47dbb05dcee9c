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

// An edge under the strict total order (d, u, v), u < v.
struct H0Edge {
  float d;
  int32_t u, v;

  static H0Edge between(float d, int64_t a, int64_t b) {
    return a < b ? H0Edge{d, static_cast<int32_t>(a), static_cast<int32_t>(b)}
                 : H0Edge{d, static_cast<int32_t>(b), static_cast<int32_t>(a)};
  }
  bool operator<(const H0Edge& o) const {
    if (d != o.d) return d < o.d;
    return u != o.u ? u < o.u : v < o.v;
  }
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

// The collective operations the distributed H0 needs from its processes ("ranks"). Every rank
// calls them in the same order with the same sizes; an implementation may throw.
class H0Exchange {
 public:
  virtual ~H0Exchange() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Element-wise minimum under the strict (d, u, v) order across all ranks, in place.
  virtual void min_edges(H0Edge* edges, int64_t count) = 0;
  // All-to-all: rank q receives `send + send_offset[q]` (`send_bytes[q]` bytes) from every rank p
  // at `recv + recv_offset[p]` (`recv_bytes[p]` bytes).
  virtual void all_to_all(const void* send, const int64_t* send_bytes, const int64_t* send_offset, void* recv,
                          const int64_t* recv_bytes, const int64_t* recv_offset) = 0;
};

// The same pairing computed by `exchange.size()` processes that each hold all the points but
// compute only their share of the distance tiles and own the vertex lists of one contiguous block
// of rows; Borůvka's per-component minima are reduced across ranks under the (d, u, v) order.
// Every rank returns the whole result, identical to persistence_h0's.
H0Pairs persistence_h0_distributed(const DistanceSource& distances, int threads, H0Exchange& exchange);

}  // namespace topofr
