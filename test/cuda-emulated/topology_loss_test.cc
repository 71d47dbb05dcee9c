// The GPU topology loss (native/cuda/topology_loss.cu) against src/train/isa.ts's arithmetic,
// written out here in C++ operation for operation, on the GPU's own distance matrices paired by
// the CPU core: loss, gradients and pairings must agree bit for bit.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../../native/core/distances.h"
#include "../../native/core/h0.h"
#include "../../native/cuda/cuda_api.h"
#include "harness.h"

namespace topofr::test {
namespace {

struct Space {
  const std::vector<float>& points;
  int64_t n, dim;
  double scale;
  std::vector<float> matrix;
  H0Pairs h0;
  Space(const std::vector<float>& p, int64_t n_, int64_t dim_, double s) : points(p), n(n_), dim(dim_), scale(s) {
    matrix.resize(static_cast<size_t>(n * n));
    if (n > 0) cuda::pairwise_distances(points.data(), n, dim, Metric::Euclidean, matrix.data());
    h0 = persistence_h0(MatrixDistances(matrix.data(), n));
  }
  double d(int i, int j) const { return matrix[i * n + j] / scale; }
};

// isa.ts addEdgeGradient: s in double from the coordinates, f = c/(√s·scale), the Float32Array
// accumulating f·(p_i − p_j) and its negative.
void add_edge_gradient(std::vector<float>& grad, const Space& p, int i, int j, double c) {
  double s = 0;
  for (int64_t k = 0; k < p.dim; ++k) {
    const double diff = static_cast<double>(p.points[i * p.dim + k]) - static_cast<double>(p.points[j * p.dim + k]);
    s += diff * diff;
  }
  if (s == 0) return;
  const double f = c / (std::sqrt(s) * p.scale);
  for (int64_t k = 0; k < p.dim; ++k) {
    const double diff = f * (static_cast<double>(p.points[i * p.dim + k]) - static_cast<double>(p.points[j * p.dim + k]));
    grad[i * p.dim + k] = static_cast<float>(static_cast<double>(grad[i * p.dim + k]) + diff);
    grad[j * p.dim + k] = static_cast<float>(static_cast<double>(grad[j * p.dim + k]) - diff);
  }
}

// isa.ts structureAlignment, dims [0].
cuda::AlignmentResult reference(const Space& X, const Space& Z, const cuda::AlignmentParams& o) {
  cuda::AlignmentResult r;
  r.grad_latent.assign(static_cast<size_t>(Z.n * Z.dim), 0.0f);
  if (o.input_gradient) r.grad_input.assign(static_cast<size_t>(X.n * X.dim), 0.0f);
  const auto align = [&](double w, int xi, int xj, int zi, int zj) {
    const double diff = X.d(xi, xj) - Z.d(zi, zj);
    r.loss += w * diff * diff;
    add_edge_gradient(r.grad_latent, Z, zi, zj, -2 * w * diff);
    if (o.input_gradient) add_edge_gradient(r.grad_input, X, xi, xj, 2 * w * diff);
  };
  const auto& xe = X.h0.edges;
  const auto& ze = Z.h0.edges;
  if (!o.symmetric) {
    for (size_t k = 0; k < xe.size() / 2; ++k) align(1.0 / static_cast<double>(X.n), xe[2 * k], xe[2 * k + 1], ze[2 * k], ze[2 * k + 1]);
  } else {
    for (const auto* edges : {&xe, &ze})
      for (size_t k = 0; k < edges->size() / 2; ++k) {
        const int i = (*edges)[2 * k], j = (*edges)[2 * k + 1];
        align(0.5, i, j, i, j);
      }
  }
  r.input_edges.assign(xe.begin(), xe.end());
  r.latent_edges.assign(ze.begin(), ze.end());
  return r;
}

void check(const std::vector<float>& x, int64_t dx, const std::vector<float>& z, int64_t dz, int64_t n,
           const cuda::AlignmentParams& o, cuda::InputSpace* prepared = nullptr) {
  const Space X(x, n, dx, o.input_scale), Z(z, n, dz, o.latent_scale);
  const cuda::AlignmentResult want = reference(X, Z, o);
  std::shared_ptr<cuda::InputSpace> own;
  if (!prepared) own = cuda::prepare_input_space(x.data(), n, dx);
  const cuda::AlignmentResult got = cuda::align(prepared ? *prepared : *own, z.data(), dz, o);
  const std::string what = std::string(o.symmetric ? "symmetric" : "code") + (o.input_gradient ? "+input" : "") +
                           " n=" + std::to_string(n) + " dx=" + std::to_string(dx) + " dz=" + std::to_string(dz);
  CHECK(std::memcmp(&got.loss, &want.loss, sizeof(double)) == 0) << what << ": loss " << got.loss << " vs " << want.loss;
  CHECK(got.input_edges == want.input_edges) << what << ": input pairing";
  CHECK(got.latent_edges == want.latent_edges) << what << ": latent pairing";
  CHECK(same_bits(got.grad_latent, want.grad_latent)) << what << ": latent gradient";
  CHECK(same_bits(got.grad_input, want.grad_input)) << what << ": input gradient";
}

TEST("topology loss: both variants, both gradients, edge batch sizes") {
  for (int64_t n : {0, 1, 2, 3, 45, 128}) {
    const std::vector<float> x = gaussian_points(n, 300, n + 11), z = gaussian_points(n, 24, n + 12);
    for (bool symmetric : {false, true})
      for (bool input_gradient : {false, true}) {
        cuda::AlignmentParams o;
        o.symmetric = symmetric;
        o.input_gradient = input_gradient;
        o.input_scale = std::sqrt(4.0 * 300);
        o.latent_scale = 1.5;
        check(x, 300, z, 24, n, o);
      }
  }
}

TEST("topology loss: duplicates (zero-length edges get no gradient), ties, split-K input") {
  const int64_t n = 64, dx = 3000, dz = 8;
  std::vector<float> x = gaussian_points(n, dx, 21), z(static_cast<size_t>(n * dz));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < dz; ++k) z[i * dz + k] = static_cast<float>(((i / 3) >> k) & 1);  // lattice, triplicates
  for (int64_t k = 0; k < dx; ++k) x[5 * dx + k] = x[9 * dx + k];                          // a duplicate image
  for (bool symmetric : {false, true}) {
    cuda::AlignmentParams o;
    o.symmetric = symmetric;
    o.input_gradient = true;
    o.input_scale = 10;
    check(x, dx, z, dz, n, o);
  }
}

TEST("topology loss: one prepared input space serves several latent batches") {
  const int64_t n = 50, dx = 40, dz = 16;
  const std::vector<float> x = gaussian_points(n, dx, 31);
  const auto space = cuda::prepare_input_space(x.data(), n, dx);
  for (uint64_t seed : {1, 2, 3}) {
    cuda::AlignmentParams o;
    o.input_scale = 4;
    check(x, dx, gaussian_points(n, dz, seed), dz, n, o, space.get());
  }
}

TEST("topology loss: refuses batches beyond one block") {
  std::string message;
  try {
    cuda::prepare_input_space(nullptr, cuda::kMaxAlignmentPoints + 1, 4);
  } catch (const std::invalid_argument& e) {
    message = e.what();
  }
  CHECK(message.find("at most 1024") != std::string::npos) << "got '" << message << "'";
}

}  // namespace
}  // namespace topofr::test
