// Every simplex of a dimension under the threshold, found as a clique of the threshold graph: the
// top vertex, then each next vertex among the common lower neighbours of those chosen so far.
//
// This is how the next dimension's columns are assembled: no list of the previous dimension's
// simplices is kept (Ripser keeps one, often the largest structure in memory), and the work splits
// into independent tasks by top vertex.
#pragma once
#include <vector>

#include "binomial.h"
#include "distance_matrix.h"

namespace topofr::rips {

// A vertex that can still join the clique; distance: its largest distance to the vertices chosen.
struct Candidate {
  vertex_t vertex;
  value_t distance;
};

// One per thread: holds a candidate list per level.
template <class Distances>
class Cliques {
 public:
  Cliques(const Distances& distances, const BinomialTable& binomial, value_t threshold, int dim)
      : distances_(distances), binomial_(binomial), threshold_(threshold), dim_(dim), levels_(dim + 1), chosen_(dim + 1) {}

  // Calls f(Simplex, vertices) for every simplex of dimension dim ≥ 1 with top vertex v and
  // diameter ≤ the threshold; vertices: its vertices in ascending order (valid during the call).
  template <class F>
  void for_each_with_top(vertex_t v, F&& f) {
    chosen_[dim_] = v;
    std::vector<Candidate>& first = levels_[dim_];
    lower_neighbours(v, first);
    extend(dim_ - 1, binomial_(v, dim_ + 1), 0, first.data(), first.size(), f);
  }

 private:
  // Chooses the vertex at position p (counted from the bottom) among cand, ascending by vertex.
  template <class F>
  void extend(int p, index_t partial, value_t diameter, const Candidate* cand, size_t count, F& f) {
    if (p == 0) {
      for (size_t i = 0; i < count; ++i) {  // C(u, 1) = u
        chosen_[0] = cand[i].vertex;
        f(Simplex{partial + cand[i].vertex, std::max(diameter, cand[i].distance)}, chosen_.data());
      }
      return;
    }
    std::vector<Candidate>& next = levels_[p];
    for (size_t i = static_cast<size_t>(p); i < count; ++i) {  // p vertices must remain below
      const vertex_t u = cand[i].vertex;
      chosen_[p] = u;
      narrow(cand, i, u, next);
      if (next.size() >= static_cast<size_t>(p))
        extend(p - 1, partial + binomial_(u, p + 1), std::max(diameter, cand[i].distance), next.data(), next.size(), f);
    }
  }

  void lower_neighbours(vertex_t v, std::vector<Candidate>& out) const;
  // The candidates cand[0 … count) (all below u) that are neighbours of u.
  void narrow(const Candidate* cand, size_t count, vertex_t u, std::vector<Candidate>& out) const;

  const Distances& distances_;
  const BinomialTable& binomial_;
  value_t threshold_;
  int dim_;
  std::vector<std::vector<Candidate>> levels_;
  std::vector<vertex_t> chosen_;  // the vertices chosen so far, by position
};

template <>
inline void Cliques<DenseDistances>::lower_neighbours(vertex_t v, std::vector<Candidate>& out) const {
  out.clear();
  for (vertex_t u = 0; u < v; ++u) {
    const value_t d = distances_(v, u);
    if (d <= threshold_) out.push_back({u, d});
  }
}
template <>
inline void Cliques<DenseDistances>::narrow(const Candidate* cand, size_t count, vertex_t u,
                                            std::vector<Candidate>& out) const {
  out.clear();
  for (size_t i = 0; i < count; ++i) {
    const value_t d = distances_(u, cand[i].vertex);
    if (d <= threshold_) out.push_back({cand[i].vertex, std::max(d, cand[i].distance)});
  }
}

template <>
inline void Cliques<SparseDistances>::lower_neighbours(vertex_t v, std::vector<Candidate>& out) const {
  out.clear();
  for (const Neighbour* it = distances_.begin(v); it != distances_.end(v) && it->vertex < v; ++it)
    out.push_back({it->vertex, it->distance});
}
template <>
inline void Cliques<SparseDistances>::narrow(const Candidate* cand, size_t count, vertex_t u,
                                             std::vector<Candidate>& out) const {
  out.clear();
  const Neighbour* it = distances_.begin(u);
  const Neighbour* end = distances_.end(u);
  for (size_t i = 0; i < count && it != end; ++i) {  // merge two ascending lists
    while (it != end && it->vertex < cand[i].vertex) ++it;
    if (it != end && it->vertex == cand[i].vertex) out.push_back({cand[i].vertex, std::max(it->distance, cand[i].distance)});
  }
}

}  // namespace topofr::rips
