// GPU distances (native/cuda/distances.cu, kernels/distances.cuh) against the CPU core
// (native/core/distances.cc) on the same points: both shapes (tiled; split-K for few points in many
// dimensions), edge sizes, duplicates and near-duplicates, every metric.
#include <algorithm>
#include <utility>
#include <cmath>
#include <string>
#include <vector>

#include "../../native/core/distances.h"
#include "../../native/cuda/cuda_api.h"
#include "harness.h"

namespace topofr::test {
namespace {

const char* metric_name(Metric m) {
  return m == Metric::Euclidean ? "euclidean" : m == Metric::SqEuclidean ? "sqeuclidean" : "cosine";
}

// The GPU matrix against the CPU's: within 1e-5 relative (floor 1e-3, as the GPU check's criterion),
// exactly symmetric, exactly 0 on the diagonal. Bitwise equality is not required: nvcc contracts
// and orders some float operations differently (docs/cuda.md).
void expect_close(const std::vector<float>& x, int64_t n, int64_t dim, Metric metric) {
  std::vector<float> cpu(static_cast<size_t>(n * n)), gpu(static_cast<size_t>(n * n), -7.0f);
  pairwise_distances(PointDistances(x.data(), n, dim, metric), cpu.data());
  cuda::pairwise_distances(x.data(), n, dim, metric, gpu.data());
  double worst = 0;
  int64_t at = 0;
  for (int64_t k = 0; k < n * n; ++k) {
    const double err = std::fabs(double(gpu[k]) - cpu[k]) / std::max(double(cpu[k]), 1e-3);
    if (!(err <= worst)) worst = err, at = k;
  }
  CHECK(worst <= 1e-5) << metric_name(metric) << " n=" << n << " dim=" << dim << ": relative error " << worst
                       << " at (" << at / n << ", " << at % n << "): gpu " << gpu[at] << " cpu " << cpu[at];
  for (int64_t i = 0; i < n; ++i) {
    CHECK(gpu[i * n + i] == 0.0f) << "diagonal " << i << " is " << gpu[i * n + i];
    for (int64_t j = 0; j < i; ++j)
      if (!(gpu[i * n + j] == gpu[j * n + i])) {
        CHECK(false) << "not symmetric at (" << i << ", " << j << ")";
        return;
      }
  }
}

constexpr Metric kMetrics[] = {Metric::Euclidean, Metric::SqEuclidean, Metric::Cosine};

TEST("distances/tiled: edge sizes, every metric") {
  // 1 and 2 points, a tile boundary (128/129/130), a dimension below one stage (3) and odd ones.
  const int64_t shapes[][2] = {{1, 3}, {2, 1}, {3, 7}, {33, 3}, {129, 13}, {130, 64}, {257, 40}};
  for (Metric m : kMetrics)
    for (const auto& s : shapes) expect_close(gaussian_points(s[0], s[1], s[0] * 31 + s[1]), s[0], s[1], m);
}

TEST("distances/tiled: duplicates are exactly 0, near-duplicates go the direct way") {
  const int64_t n = 150, dim = 24;
  std::vector<float> x = gaussian_points(n, dim, 5);
  for (int64_t i = 0; i < n; i += 3) {  // every third row: a copy of the one before, or nearly
    const int64_t src = i == 0 ? n - 1 : i - 1;
    for (int64_t k = 0; k < dim; ++k) x[i * dim + k] = x[src * dim + k] * (i % 2 ? 1.0f : 1.0f + 1e-6f);
  }
  for (Metric m : kMetrics) {
    expect_close(x, n, dim, m);
    std::vector<float> gpu(static_cast<size_t>(n * n));
    cuda::pairwise_distances(x.data(), n, dim, m, gpu.data());
    for (int64_t i = 3; i < n; i += 6) CHECK(gpu[i * n + i - 1] == 0.0f) << "duplicate rows " << i - 1 << ", " << i;
  }
}

TEST("distances/tiled: ties (lattice points)") {
  // Integer coordinates: many equal distances, all exact in float.
  const int64_t n = 140, dim = 3;
  std::vector<float> x(static_cast<size_t>(n * dim));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < dim; ++k) x[i * dim + k] = static_cast<float>((i >> (2 * k)) & 3);
  expect_close(x, n, dim, Metric::SqEuclidean);
  expect_close(x, n, dim, Metric::Euclidean);
}

TEST("distances/split-K: few points, many dimensions") {
  // One tile (n ≤ 128) and 2048 columns on the emulator's 16 multiprocessors: 16 slices; 100 points
  // leave a partial tile; 9000 columns is past the CPU's own split (8192).
  const cuda::SplitInfo plan = cuda::distance_split(128, 2048);
  CHECK(plan.slices >= plan.multiprocessors) << plan.slices << " slices for " << plan.multiprocessors << " multiprocessors";
  const int64_t shapes[][2] = {{128, 2048}, {100, 512}, {37, 9000}};
  for (Metric m : kMetrics)
    for (const auto& s : shapes) expect_close(gaussian_points(s[0], s[1], s[0] + s[1]), s[0], s[1], m);
}

TEST("distances/split-K: the training batch shapes get at least one slice per multiprocessor") {
  for (int sms : {16, 108, 132}) {
    for (int64_t dim : {int64_t{37632}, int64_t{512}}) {
      const cuda::SplitInfo plan = cuda::distance_split(128, dim, sms);
      if (dim == 37632) CHECK(plan.slices >= sms) << "dim " << dim << ": " << plan.slices << " slices on " << sms;
      CHECK(plan.slices * plan.depth >= dim) << "slices cover the columns";
      CHECK(plan.slices == 1 || plan.depth >= 128) << "depth " << plan.depth;
    }
  }
  CHECK(cuda::distance_split(16384, 512, 132).slices == 1) << "large n stays tiled";
}

// d(i, j) in double straight from the definition: the oracle where float32 GEMMs would over- or
// underflow.
double distance64(const std::vector<float>& x, int64_t dim, int64_t i, int64_t j, Metric m) {
  double ni = 0, nj = 0, s = 0;
  for (int64_t k = 0; k < dim; ++k) ni += double(x[i * dim + k]) * x[i * dim + k], nj += double(x[j * dim + k]) * x[j * dim + k];
  const double si = m == Metric::Cosine ? 1 / std::sqrt(ni) : 1, sj = m == Metric::Cosine ? 1 / std::sqrt(nj) : 1;
  for (int64_t k = 0; k < dim; ++k) {
    const double d = x[i * dim + k] * si - x[j * dim + k] * sj;
    s += d * d;
  }
  return m == Metric::Cosine ? s / 2 : m == Metric::Euclidean ? std::sqrt(s) : s;
}

TEST("distances/tiled and split-K: extreme scales (the GEMM rows scaled by a power of two) against float64") {
  // Coordinates of 1e-25 (squares underflow float32) and 2e19 (squares overflow it), a few points
  // near-duplicates; both shapes.
  for (const auto& [n, dim] : {std::pair<int64_t, int64_t>{70, 9}, {40, 700}})
    for (double scale : {1e-25, 2e19})
      for (Metric m : kMetrics) {
        if (m == Metric::SqEuclidean && scale > 1) continue;  // d² beyond float32: inf on every path
        std::vector<float> x = gaussian_points(n, dim, 17);
        for (float& v : x) v = static_cast<float>(v * scale);
        for (int64_t k = 0; k < dim; ++k) x[3 * dim + k] = x[2 * dim + k] * (1 + 1e-6f);
        std::vector<float> gpu(static_cast<size_t>(n * n));
        cuda::pairwise_distances(x.data(), n, dim, m, gpu.data());
        double worst = 0;
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < n; ++j) {
            const double want = i == j ? 0 : distance64(x, dim, i, j, m);
            worst = std::max(worst, std::fabs(gpu[i * n + j] - want) / std::max(want, 1e-30));
          }
        CHECK(worst <= 1e-5) << metric_name(m) << " scale " << scale << " " << n << "×" << dim << ": relative error " << worst;
      }
}

TEST("distances/tiled and split-K: rows far smaller than the cloud's largest go the direct way, like on the CPU") {
  // A cloud outside [2⁻⁴⁰, 2⁴⁰] (scaled for the GEMM) in which every fifth row is 2⁻⁷⁰ times smaller:
  // after the scaling their |x|² + |y|² lies below 2⁻¹⁰⁰, so their mutual distances (which the float32
  // GEMM would flush towards 0) must come from the direct path; against float64 and the CPU core.
  for (const auto& [n, dim] : {std::pair<int64_t, int64_t>{70, 9}, {40, 700}}) {
    const bool split = cuda::distance_split(n, dim).slices > 1;
    for (float scale : {0x1p50f, 0x1p-45f})
      for (Metric m : kMetrics) {
        std::vector<float> x = gaussian_points(n, dim, 23);
        for (int64_t i = 0; i < n; ++i)
          for (int64_t k = 0; k < dim; ++k) x[i * dim + k] *= i % 5 == 1 ? scale * 0x1p-70f : scale;
        std::vector<float> cpu(static_cast<size_t>(n * n)), gpu(static_cast<size_t>(n * n), -7.0f);
        pairwise_distances(PointDistances(x.data(), n, dim, m), cpu.data());
        cuda::pairwise_distances(x.data(), n, dim, m, gpu.data());
        double worst64 = 0, worst_cpu = 0;
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < n; ++j) {
            const double want = i == j ? 0 : distance64(x, dim, i, j, m), g = gpu[i * n + j];
            worst64 = std::max(worst64, std::fabs(g - want) / std::max(want, 0x1p-126));
            worst_cpu = std::max(worst_cpu, std::fabs(g - cpu[i * n + j]) / std::max(double(cpu[i * n + j]), 0x1p-126));
            if (!(gpu[i * n + j] == gpu[j * n + i])) CHECK(false) << "not symmetric at (" << i << ", " << j << ")";
          }
        CHECK(worst64 <= 1e-5 && worst_cpu <= 1e-5)
            << metric_name(m) << " scale " << scale << " " << n << "×" << dim << (split ? " (split-K)" : " (tiled)")
            << ": relative error " << worst64 << " against float64, " << worst_cpu << " against the CPU";
      }
  }
}

TEST("distances/cosine: a zero row is refused like on the CPU") {
  std::vector<float> x = gaussian_points(40, 5, 9);
  for (int k = 0; k < 5; ++k) x[17 * 5 + k] = 0.0f;
  std::vector<float> out(40 * 40);
  std::string message;
  try {
    cuda::pairwise_distances(x.data(), 40, 5, Metric::Cosine, out.data());
  } catch (const std::invalid_argument& e) {
    message = e.what();
  }
  CHECK(message.find("row 17") != std::string::npos) << "got '" << message << "'";
}

}  // namespace
}  // namespace topofr::test
