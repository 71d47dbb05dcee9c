// What every stage of the engine shares: the distances under the threshold, the number system,
// the coefficients and the threads.
#pragma once
#include "binomial.h"
#include "distance_matrix.h"
#include "modular.h"

namespace topofr::rips {

template <class Distances>
struct Filtration {
  const Distances& distances;
  const BinomialTable& binomial;
  value_t threshold;  // simplices with a longer edge are not in the filtration
  const Modulus& modulus;
  int max_dim;
  int threads;
};

}  // namespace topofr::rips
