// The engine's entry points: choose the distances (dense under the enclosing radius, or sparse
// neighbour lists), then dimension 0 by Kruskal, then each dimension by reduction, the pivots of
// one clearing the columns of the next.
#include "rips.h"

#include <cmath>
#include <string>

#include "../thread_pool.h"
#include "assemble.h"
#include "column_assembler.h"
#include "dimension0.h"
#include "memory.h"
#include "reduction.h"

namespace topofr::rips {
namespace {

// The columns of dimension dim ≥ 2: from the assembler when there is one and it accepts.
template <class Distances>
std::vector<Simplex> columns_of(const Filtration<Distances>& f, int dim, const PivotTable& cleared,
                                ColumnAssembler* elsewhere) {
  std::vector<Simplex> columns;
  if (elsewhere && elsewhere->assemble(dim, cleared.indices(), columns)) {
    parallel_sort(columns, ReductionOrder(), f.threads);
    return columns;
  }
  return assemble_columns(f, dim, cleared);
}

// lower: the dense input, for options.assembler (nullptr for sparse input).
template <class Distances>
std::vector<Barcode> persistence(const Distances& distances, value_t threshold, std::vector<Edge> edges,
                                 const Options& options, const value_t* lower) {
  const int64_t n = distances.size();
  const int max_dim = options.max_dim;
  std::vector<Barcode> barcodes(max_dim + 1);
  for (int d = 0; d <= max_dim; ++d) barcodes[d].dim = d;
  // Beyond n − 1 there are no simplices; beyond the top dimension computed, no indices are formed.
  const int top = static_cast<int>(std::min<int64_t>(max_dim, std::max<int64_t>(n - 1, 0)));
  const BinomialTable binomial(n, top + 2);
  const Modulus modulus(options.modulus);
  const int threads = options.threads > 0 ? options.threads : pool_threads();
  const Filtration<Distances> f{distances, binomial, threshold, modulus, top, threads};
  const std::unique_ptr<ColumnAssembler> elsewhere =
      lower && options.assembler && top >= 2 ? options.assembler(lower, n, threshold, top) : nullptr;

  std::vector<Simplex> columns = dimension_0(f, edges, barcodes[0].intervals, top >= 1);
  for (int dim = 1; dim <= top; ++dim) {
    PivotTable pivots = Reduction<Distances>(f, dim, columns).run(barcodes[dim].intervals);
    std::vector<Simplex>().swap(columns);
    if (dim < top) columns = columns_of(f, dim + 1, pivots, elsewhere.get());
  }
  return barcodes;
}

void check_options(const Options& options, int64_t n) {
  if (options.max_dim < 0) throw InputError("rips: max_dim must be ≥ 0");
  if (n < 0 || n > INT32_MAX) throw InputError("rips: the number of points must be in [0, 2^31)");
  if (std::isnan(options.threshold) == false && options.threshold < 0)
    throw InputError("rips: the threshold must be ≥ 0");
  Modulus check(options.modulus);  // throws unless prime
}

}  // namespace

std::vector<Barcode> rips_dense(const value_t* lower, int64_t n, const Options& options) {
  check_options(options, n);
  for (int64_t k = 0; k < n * (n - 1) / 2; ++k)
    if (std::isnan(lower[k])) throw InputError("rips: the distance matrix contains NaN");
  DenseDistances dense(lower, n);
  // Beyond the enclosing radius nothing is born or dies, so a larger threshold changes nothing.
  const value_t radius = enclosing_radius(dense);
  const value_t threshold = std::isnan(options.threshold) ? radius : std::min(options.threshold, radius);
  const int threads = options.threads > 0 ? options.threads : pool_threads();
  if (threshold == radius && radius < kInfinity) {
    if (options.max_dim >= 1) dense.build_square();
    return persistence(dense, threshold, edges_under_threshold(dense, threshold, threads), options, lower);
  }
  // A threshold below the radius (or infinite distances): neighbour lists, as Ripser does.
  const SparseDistances sparse(dense, threshold, threads);
  return persistence(sparse, threshold, edges_under_threshold(sparse, threads), options, lower);
}

std::vector<Barcode> rips_sparse(int64_t n, const int32_t* i, const int32_t* j, const value_t* d, int64_t m,
                                 const Options& options) {
  check_options(options, n);
  for (int64_t k = 0; k < m; ++k) {
    if (i[k] < 0 || i[k] >= n || j[k] < 0 || j[k] >= n)
      throw InputError("rips: edge " + std::to_string(k) + " has a vertex outside [0, " + std::to_string(n) + ")");
    if (std::isnan(d[k])) throw InputError("rips: edge " + std::to_string(k) + " has a NaN distance");
  }
  require_memory(sparse_memory(n, m, options.max_dim),
                 "sparse input of " + std::to_string(n) + " points and " + std::to_string(m) + " entries");
  const value_t threshold = std::isnan(options.threshold) ? kInfinity : options.threshold;
  const SparseDistances sparse(n, i, j, d, m, threshold);
  const int threads = options.threads > 0 ? options.threads : pool_threads();
  return persistence(sparse, threshold, edges_under_threshold(sparse, threads), options, nullptr);
}

}  // namespace topofr::rips
