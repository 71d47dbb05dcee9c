// Vietoris–Rips persistent homology in every dimension, with the critical edges of every interval.
//
// Persistent cohomology with clearing, implicit coboundaries over simplices in the combinatorial
// number system, apparent and emergent pairs, coefficients in Z/p (the approach of Ripser, Bauer
// 2021, written anew here), parallel over the compute pool with results identical to one thread.
#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace topofr::rips {

using value_t = float;
constexpr value_t kInfinity = std::numeric_limits<value_t>::infinity();

struct Interval {
  value_t birth;
  value_t death;             // kInfinity: essential
  int32_t birth_edge[2];     // the vertex pair (u < v) whose distance is `birth`; {-1, -1} in dim 0
  int32_t death_edge[2];     // the vertex pair whose distance is `death`; {-1, -1} when essential
};

struct Barcode {
  int dim;
  std::vector<Interval> intervals;  // in the engine's order (reduction order); zero-length ones dropped
};

class ColumnAssembler;  // column_assembler.h

// Makes an assembler for the columns of dimensions 2 … top of dense input (lower: the caller's
// compressed lower triangle, n points, the threshold in force); nullptr to decline.
using AssemblerFactory =
    std::function<std::unique_ptr<ColumnAssembler>(const value_t* lower, int64_t n, value_t threshold, int top)>;

struct Options {
  int max_dim = 1;
  // Edges longer than this are not in the filtration. NaN = Ripser's default: the enclosing radius
  // for a dense matrix (the filtration is a cone beyond it), +infinity for sparse input.
  value_t threshold = std::numeric_limits<value_t>::quiet_NaN();
  int modulus = 2;     // a prime
  int threads = 0;     // 0 = the whole pool; the result does not depend on it
  // Dense input only: where dimensions ≥ 2 assemble their columns (empty: here). The barcodes
  // do not depend on it.
  AssemblerFactory assembler;
};

// Input errors the caller should see as such (non-prime modulus, bad threshold, …).
struct InputError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// A request too large to compute: simplex indices that would overflow, memory that is not there.
struct TooLargeError : std::length_error {
  using std::length_error::length_error;
};

// Bytes rips_dense needs at least for n points beyond the distances themselves: dimension 0's edge
// list, one entry per pair at worst. Lets a caller refuse before computing the distances.
int64_t dense_edge_memory(int64_t n);

// Bytes rips_sparse needs at least for n vertices and m input entries: the neighbour lists, the
// binomial table, dimension 0's edge list and union-find, and one interval per vertex (a lone vertex
// is an essential class). rips_sparse refuses more than the memory available before allocating.
int64_t sparse_memory(int64_t n, int64_t m, int max_dim);

// lower: Ripser's compressed lower-triangular matrix, row i holds d(i, 0) … d(i, i−1), n(n−1)/2 values.
std::vector<Barcode> rips_dense(const value_t* lower, int64_t n, const Options& options);

// Sparse input: m edges (i[k], j[k], d[k]) on n vertices; absent pairs are not edges. Duplicate
// pairs keep the smallest distance; i == j entries are ignored.
std::vector<Barcode> rips_sparse(int64_t n, const int32_t* i, const int32_t* j, const value_t* d, int64_t m,
                                 const Options& options);

}  // namespace topofr::rips
