// The critical edge of a simplex: the vertex pair whose distance is the simplex's diameter, so
// that a gradient with respect to the distances reaches the interval's endpoint.
#pragma once
#include "distance_matrix.h"

namespace topofr::rips {

// Among the longest edges of the simplex with ascending vertices w[0 … dim], the lexicographically
// smallest pair (u, v), u < v: deterministic under ties. {-1, -1} for a vertex.
template <class Distances>
void longest_edge(const Distances& distances, const vertex_t* w, int dim, value_t diameter, int32_t edge[2]) {
  edge[0] = edge[1] = -1;
  for (int a = 0; a < dim; ++a)
    for (int b = a + 1; b <= dim; ++b)
      if (distances(w[a], w[b]) == diameter) {
        edge[0] = w[a];
        edge[1] = w[b];
        return;
      }
}

}  // namespace topofr::rips
