// GPU H0 (native/cuda/h0.cu, kernels/h0.cuh) against the CPU core (native/core/h0.cc) on the same
// distance matrix: identical edges, deaths and order, bit for bit, for both kernels (one-block Prim,
// dense Borůvka), with ties, duplicates, edge sizes and matrix input.
#include <cmath>
#include <string>
#include <vector>

#include "../../native/core/distances.h"
#include "../../native/core/h0.h"
#include "../../native/cuda/cuda_api.h"
#include "harness.h"

namespace topofr::test {
namespace {

using cuda::H0Kernel;

const char* kernel_name(H0Kernel k) { return k == H0Kernel::Prim ? "prim" : k == H0Kernel::Boruvka ? "boruvka" : "auto"; }

void expect_same(const H0Pairs& gpu, const H0Pairs& cpu, const std::string& what) {
  CHECK(gpu.edges == cpu.edges) << what << ": edges differ (" << gpu.edges.size() / 2 << " vs " << cpu.edges.size() / 2 << ")";
  CHECK(same_bits(gpu.deaths, cpu.deaths)) << what << ": deaths differ bitwise";
}

// From points: the GPU pairs its own distances; the CPU pairs the same matrix (the GPU's, which
// the distance tests compare with the CPU's separately).
void check_points(const std::vector<float>& x, int64_t n, int64_t dim, Metric metric, H0Kernel kernel) {
  std::vector<float> matrix(static_cast<size_t>(n * n));
  if (n > 0) cuda::pairwise_distances(x.data(), n, dim, metric, matrix.data());
  const H0Pairs cpu = persistence_h0(MatrixDistances(matrix.data(), n));
  const H0Pairs gpu = cuda::persistence_h0_points(x.data(), n, dim, metric, kernel);
  expect_same(gpu, cpu, std::string(kernel_name(kernel)) + " n=" + std::to_string(n) + " dim=" + std::to_string(dim));
}

void check_matrix(const std::vector<float>& matrix, int64_t n, H0Kernel kernel, const std::string& what) {
  const H0Pairs cpu = persistence_h0(MatrixDistances(matrix.data(), n));
  expect_same(cuda::persistence_h0_matrix(matrix.data(), n, kernel), cpu, std::string(kernel_name(kernel)) + " " + what);
}

TEST("h0/points: random, edge sizes, both kernels") {
  for (H0Kernel k : {H0Kernel::Prim, H0Kernel::Boruvka})
    for (int64_t n : {0, 1, 2, 3, 31, 33, 130})
      check_points(gaussian_points(n, 7, n + 1), n, 7, Metric::Euclidean, k);
  if (!sanitized()) check_points(gaussian_points(1024, 16, 2), 1024, 16, Metric::SqEuclidean, H0Kernel::Prim);  // the largest block
  check_points(gaussian_points(260, 9, 3), 260, 9, Metric::Cosine, H0Kernel::Boruvka);
}

TEST("h0/points: ties and duplicates break as on the CPU") {
  // Lattice points: hundreds of equal squared distances (exact in float), and every point twice.
  const int64_t n = 128, dim = 3;
  std::vector<float> x(static_cast<size_t>(n * dim));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < dim; ++k) x[i * dim + k] = static_cast<float>(((i / 2) >> (2 * k)) & 3);
  for (H0Kernel k : {H0Kernel::Prim, H0Kernel::Boruvka}) check_points(x, n, dim, Metric::SqEuclidean, k);
}

TEST("h0/matrix: ties, the upper triangle, negative zero") {
  // Small integer distances: ties everywhere. The lower triangle is off by a little (the CPU and the
  // GPU read the upper one), and zeros are −0 on one side.
  const int64_t n = 90;
  std::vector<float> m(static_cast<size_t>(n * n));
  uint64_t state = 12345;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const float d = static_cast<float>(state >> 61);  // 0 … 7
      m[i * n + j] = d == 0.0f ? -0.0f : d;
      m[j * n + i] = d * (1.0f + 1e-6f);
    }
  for (H0Kernel k : {H0Kernel::Prim, H0Kernel::Boruvka}) check_matrix(m, n, k, "integer ties");
  const H0Pairs gpu = cuda::persistence_h0_matrix(m.data(), n);
  bool negative_zero = false;
  for (float d : gpu.deaths) negative_zero |= d == 0.0f && std::signbit(d);
  CHECK(negative_zero) << "a −0 death keeps its sign, as on the CPU";
}

TEST("h0/matrix: all distances equal") {
  const int64_t n = 70;
  std::vector<float> m(static_cast<size_t>(n * n), 1.5f);
  for (H0Kernel k : {H0Kernel::Prim, H0Kernel::Boruvka}) check_matrix(m, n, k, "constant");
}

TEST("h0: refuses what it cannot hold, before allocating") {
  std::string message;
  try {
    cuda::persistence_h0_points(nullptr, cuda::kMaxH0Points + 1, 1, Metric::Euclidean);
  } catch (const std::invalid_argument& e) {
    message = e.what();
  }
  CHECK(message.find("at most 65536") != std::string::npos) << "got '" << message << "'";
}

}  // namespace
}  // namespace topofr::test
