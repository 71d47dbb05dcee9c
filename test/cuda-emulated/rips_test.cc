// Rips with the columns of dimensions ≥ 2 assembled on the GPU (native/cuda/rips.cu,
// kernels/rips.cuh) against the CPU engine alone (native/core/rips/): the same barcodes, bit for
// bit (births, deaths, critical edges, order), on the dense path (enclosing radius) and the sparse
// one (a threshold below it), with ties and duplicates, and with the CPU taking over when the
// device memory is short.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../../native/core/distances.h"
#include "../../native/core/rips/column_assembler.h"
#include "../../native/core/rips/rips.h"
#include "../../native/cuda/cuda_api.h"
#include "harness.h"

#if defined(TOPOFR_EMULATED)
#include "../../native/cuda/emulator/runtime.h"
#endif

namespace topofr::test {
namespace {

// Forwards to the GPU assembler and counts what it did.
struct Counting final : rips::ColumnAssembler {
  std::unique_ptr<rips::ColumnAssembler> gpu;
  int* done;
  int* declined;
  bool assemble(int dim, const std::vector<rips::index_t>& cleared, std::vector<rips::Simplex>& columns) override {
    const bool ok = gpu->assemble(dim, cleared, columns);
    ++*(ok ? done : declined);
    return ok;
  }
};

bool same(const std::vector<rips::Barcode>& a, const std::vector<rips::Barcode>& b, std::string& why) {
  if (a.size() != b.size()) return why = "dimensions differ", false;
  for (size_t d = 0; d < a.size(); ++d) {
    const auto& x = a[d].intervals;
    const auto& y = b[d].intervals;
    if (x.size() != y.size())
      return why = "dim " + std::to_string(d) + ": " + std::to_string(x.size()) + " vs " + std::to_string(y.size()) + " intervals", false;
    for (size_t k = 0; k < x.size(); ++k)
      if (std::memcmp(&x[k], &y[k], sizeof(rips::Interval)) != 0)
        return why = "dim " + std::to_string(d) + " interval " + std::to_string(k) + " differs", false;
  }
  return true;
}

// Points on the unit sphere S^(dim−1): a long-lived class in dimension dim − 1.
std::vector<float> sphere(int64_t n, int64_t dim, uint64_t seed) {
  std::vector<float> x = gaussian_points(n, dim, seed);
  for (int64_t i = 0; i < n; ++i) {
    double norm = 0;
    for (int64_t k = 0; k < dim; ++k) norm += double(x[i * dim + k]) * x[i * dim + k];
    for (int64_t k = 0; k < dim; ++k) x[i * dim + k] = static_cast<float>(x[i * dim + k] / std::sqrt(norm));
  }
  return x;
}

struct Run {
  int done = 0, declined = 0;
  std::vector<rips::Barcode> barcodes;
};

Run check(const std::vector<float>& x, int64_t n, int64_t dim, int max_dim, float threshold, const std::string& what) {
  std::vector<float> lower(static_cast<size_t>(n * (n - 1) / 2));
  lower_triangle(PointDistances(x.data(), n, dim, Metric::Euclidean), lower.data());
  rips::Options options;
  options.max_dim = max_dim;
  options.threshold = threshold;
  const auto cpu = rips::rips_dense(lower.data(), n, options);
  Run run;
  options.assembler = [&](const float* l, int64_t count, float t, int top) {
    auto c = std::make_unique<Counting>();
    c->gpu = cuda::rips_column_assembler(l, count, t, top);
    c->done = &run.done;
    c->declined = &run.declined;
    return std::unique_ptr<rips::ColumnAssembler>(std::move(c));
  };
  const auto gpu = rips::rips_dense(lower.data(), n, options);
  std::string why;
  CHECK(same(gpu, cpu, why)) << what << ": " << why;
  run.barcodes = cpu;
  return run;
}

std::vector<float> lattice(int64_t n, int64_t side) {  // integer points of a cube: ties everywhere
  std::vector<float> x(static_cast<size_t>(n * 3));
  for (int64_t i = 0; i < n; ++i)
    for (int k = 0; k < 3; ++k) x[i * 3 + k] = static_cast<float>((i / (k == 0 ? 1 : k == 1 ? side : side * side)) % side);
  return x;
}

TEST("rips: dense and sparse paths, dimensions 2 and 3 on the GPU") {
  const float kRadius = NAN;  // the engine's default: the enclosing radius (dense path)
  const Run dense = check(gaussian_points(40, 3, 7), 40, 3, 3, kRadius, "gaussian dense dim 3");
  CHECK(dense.done == 2 && dense.declined == 0) << "GPU assembled " << dense.done << ", declined " << dense.declined;
  const Run sparse = check(gaussian_points(70, 4, 8), 70, 4, 3, 1.6f, "gaussian sparse dim 3");
  CHECK(sparse.done == 2) << "GPU assembled " << sparse.done;
  check(gaussian_points(90, 9, 9), 90, 9, 2, 3.2f, "9-d sparse dim 2");
}

TEST("rips: spheres: the long H2 and H3 classes") {
  const Run s2 = check(sphere(60, 3, 5), 60, 3, 2, NAN, "S² dense");
  const Run s3 = check(sphere(100, 4, 6), 100, 4, 3, 1.5f, "S³ sparse");
  const auto longest = [](const rips::Barcode& b) {
    float best = 0;
    for (const auto& i : b.intervals) best = std::max(best, i.death - i.birth);
    return best;
  };
  CHECK(s2.done == 1 && longest(s2.barcodes[2]) > 0.3f) << "S²: a long H2 bar, from GPU columns (" << s2.done << ", " << longest(s2.barcodes[2]) << ")";
  CHECK(s3.done == 2 && longest(s3.barcodes[3]) > 0.1f) << "S³: a long H3 bar, from GPU columns (" << s3.done << ", " << longest(s3.barcodes[3]) << ")";
}

TEST("rips: ties (a lattice) and duplicate points") {
  check(lattice(27, 3), 27, 3, 3, NAN, "3×3×3 lattice dense");
  check(lattice(64, 4), 64, 3, 2, 1.5f, "4×4×4 lattice sparse");
  std::vector<float> x = gaussian_points(36, 3, 4);
  for (int k = 0; k < 3; ++k) x[5 * 3 + k] = x[6 * 3 + k] = x[7 * 3 + k];
  check(x, 36, 3, 3, NAN, "duplicates");
}

TEST("rips: edge sizes") {
  for (int64_t n : {0, 1, 2, 3, 4, 5}) check(gaussian_points(n, 2, n), n, 2, 3, NAN, "n=" + std::to_string(n));
  check(gaussian_points(65, 3, 3), 65, 3, 2, NAN, "65 points: two adjacency words");
}

#if defined(TOPOFR_EMULATED)
TEST("rips: the CPU takes over when the device memory would not hold it") {
  const std::vector<float> x = gaussian_points(50, 3, 12);
  topofr::emu::set_device(size_t{4} << 10, 16);  // 4 KiB: not even the distance matrix fits
  const Run none = check(x, 50, 3, 3, NAN, "no room at all");
  topofr::emu::set_device(size_t{48} << 10, 16);  // room for the matrix and dimension 2, not dimension 3
  const Run some = check(x, 50, 3, 3, NAN, "room for some");
  topofr::emu::set_device(size_t{8} << 30, 16);
  CHECK(none.done == 0 && none.declined == 2) << "no room: GPU " << none.done << ", declined " << none.declined;
  CHECK(some.declined >= 1) << "some room: GPU " << some.done << ", declined " << some.declined;
  CHECK(topofr::emu::device_memory_in_use() == 0) << topofr::emu::device_memory_in_use() << " bytes left allocated";
}
#endif

}  // namespace
}  // namespace topofr::test
