// Pairwise distances on the GPU (the kernels: kernels/distances.cuh): the host side that pads and
// uploads the points, chooses between the tiled kernel and split-K, and brings the matrix back.
#include "distances.cuh"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernels/distances.cuh"

namespace topofr::cuda {
namespace detail {
namespace {

using kernels::kOutAlign;
using kernels::kSlab;
using kernels::kTile;

// Below this k-depth per slice a block spends more on its prologue and epilogue than on FMAs.
constexpr int64_t kMinDepth = 128;

int64_t tiles_of(int64_t n) {
  const int64_t t = round_up(n, kTile) / kTile;
  return t * (t + 1) / 2;
}

int64_t ldx_of(int64_t dim) { return round_up(dim > 0 ? dim : 1, kSlab); }

template <Metric M>
void launch(const DevicePoints& p, float* out, int64_t ldo, cudaStream_t stream) {
  const int n = static_cast<int>(p.n);
  const kernels::Rows rows{p.x.get(), p.ldx, p.norm2.get(), p.inv_norm.get(), p.largest.get()};
  if constexpr (M != Metric::Cosine) {
    const int64_t count = p.n_pad * p.ldx;
    TOPOFR_LAUNCH(kernels::largest_coordinate, static_cast<unsigned>(std::min<int64_t>((count + 255) / 256, 1024)), 256, 0,
                  stream)(p.x.get(), count, p.largest.get());
    check(cudaGetLastError(), "largest_coordinate<<<>>>");
  }
  constexpr int kWarpsPerBlock = kernels::kTileThreads / 32;
  TOPOFR_LAUNCH(kernels::prepare_rows<M>, static_cast<unsigned>((n + kWarpsPerBlock - 1) / kWarpsPerBlock),
                kernels::kTileThreads, 0, stream)(p.x.get(), p.ldx, n, p.gemm.get(), p.norm2.get(), p.inv_norm.get(),
                                                 p.largest.get(), p.first_zero.get());
  check(cudaGetLastError(), "prepare_rows<<<>>>");
  if constexpr (M == Metric::Cosine) {
    int zero_row = 0;
    TOPOFR_CUDA_CHECK(cudaMemcpyAsync(&zero_row, p.first_zero.get(), sizeof(int), cudaMemcpyDeviceToHost, stream));
    TOPOFR_CUDA_CHECK(cudaStreamSynchronize(stream));
    if (zero_row < n)
      throw std::invalid_argument("cosine distance is undefined for a zero vector (row " + std::to_string(zero_row) + ")");
  }
  const int64_t tiles = tiles_of(p.n);
  const SplitK& split = p.split;
  if (split.slices == 1) {
    TOPOFR_LAUNCH(kernels::distance_tiles<M>, static_cast<unsigned>(tiles), kernels::kTileThreads, 0, stream)(
        p.gemm.get(), rows, n, out, ldo);
    check(cudaGetLastError(), "distance_tiles<<<>>>");
    return;
  }
  TOPOFR_LAUNCH(kernels::gram_partials, static_cast<unsigned>(tiles * split.slices), kernels::kTileThreads, 0, stream)(
      p.gemm.get(), p.ldx, static_cast<int>(p.n_pad), static_cast<int>(tiles), static_cast<int>(split.depth),
      p.partial.get());
  check(cudaGetLastError(), "gram_partials<<<>>>");
  const int64_t pair_tiles = (p.n + kernels::kPairTile - 1) / kernels::kPairTile;
  TOPOFR_LAUNCH(kernels::split_k_distances<M>, static_cast<unsigned>(pair_tiles * (pair_tiles + 1) / 2),
                kernels::kPairThreads, 0, stream)(p.partial.get(), split.slices, p.n_pad, rows, n, out, ldo);
  check(cudaGetLastError(), "split_k_distances<<<>>>");
}

}  // namespace

SplitK plan_split_k(int64_t n, int64_t dim, int multiprocessors) {
  const int64_t ldx = ldx_of(dim), tiles = tiles_of(n);
  if (tiles >= multiprocessors || ldx < 2 * kMinDepth) return {1, ldx};
  const int64_t wanted = (multiprocessors + tiles - 1) / tiles;
  const int64_t depth = std::max(kMinDepth, ldx / wanted / kSlab * kSlab);
  const int64_t slices = (ldx + depth - 1) / depth;
  return slices > 1 ? SplitK{static_cast<int>(slices), depth} : SplitK{1, ldx};
}

int64_t distance_ld(int64_t n) { return round_up(n, kOutAlign); }

double distance_workspace_bytes(int64_t n, int64_t dim, int multiprocessors) {
  const double n_pad = static_cast<double>(round_up(n, kTile));
  const SplitK split = plan_split_k(n, dim, multiprocessors);
  const double partials = split.slices > 1 ? split.slices * n_pad * n_pad : 0.0;
  // x and the GEMM rows, |x|² (float) and 1/|x| (double) per row, two counters, the partials.
  return 4.0 * (2 * n_pad * static_cast<double>(ldx_of(dim)) + 3 * n_pad + 2 + partials);
}

DevicePoints upload_points(const float* points, int64_t n, int64_t dim, cudaStream_t stream) {
  DevicePoints p;
  p.n = n;
  p.dim = dim;
  p.n_pad = round_up(n, kTile);
  // Padded input rows are a whole number of stages (no k bounds checks in the kernel), at least one.
  p.ldx = ldx_of(dim);
  p.split = plan_split_k(n, dim, multiprocessors());
  p.x.allocate(p.n_pad * p.ldx);
  p.gemm.allocate(p.n_pad * p.ldx);
  p.norm2.allocate(p.n_pad);
  p.inv_norm.allocate(p.n_pad);
  p.largest.allocate(1);
  p.first_zero.allocate(1);
  if (p.split.slices > 1) p.partial.allocate(p.split.slices * p.n_pad * p.n_pad);
  // Zero padding (rows past n, columns past dim) leaves every dot product and norm unchanged.
  TOPOFR_CUDA_CHECK(cudaMemsetAsync(p.x.get(), 0, static_cast<size_t>(p.n_pad * p.ldx) * sizeof(float), stream));
  TOPOFR_CUDA_CHECK(cudaMemsetAsync(p.gemm.get(), 0, static_cast<size_t>(p.n_pad * p.ldx) * sizeof(float), stream));
  if (n > 0 && dim > 0)
    TOPOFR_CUDA_CHECK(cudaMemcpy2DAsync(p.x.get(), static_cast<size_t>(p.ldx) * sizeof(float), points,
                                        static_cast<size_t>(dim) * sizeof(float), static_cast<size_t>(dim) * sizeof(float),
                                        static_cast<size_t>(n), cudaMemcpyHostToDevice, stream));
  TOPOFR_CUDA_CHECK(cudaMemsetAsync(p.norm2.get(), 0, static_cast<size_t>(p.n_pad) * sizeof(float), stream));
  TOPOFR_CUDA_CHECK(cudaMemsetAsync(p.largest.get(), 0, sizeof(unsigned), stream));
  // 0x7f7f7f7f: larger than any row index, so atomicMin finds the first zero row.
  TOPOFR_CUDA_CHECK(cudaMemsetAsync(p.first_zero.get(), 0x7f, sizeof(int), stream));
  return p;
}

void compute_distances(const DevicePoints& p, Metric metric, float* out, int64_t ldo, cudaStream_t stream) {
  if (p.n == 0) return;
  switch (metric) {
    case Metric::Euclidean: return launch<Metric::Euclidean>(p, out, ldo, stream);
    case Metric::SqEuclidean: return launch<Metric::SqEuclidean>(p, out, ldo, stream);
    case Metric::Cosine: return launch<Metric::Cosine>(p, out, ldo, stream);
  }
}

DeviceDistances distances_on_device(const float* points, int64_t n, int64_t dim, Metric metric, cudaStream_t stream) {
  DeviceDistances d;
  d.points = upload_points(points, n, dim, stream);
  d.ld = distance_ld(n);
  d.matrix.allocate(n * d.ld);
  compute_distances(d.points, metric, d.matrix.get(), d.ld, stream);
  return d;
}

double distances_on_device_bytes(int64_t n, int64_t dim) {
  return 4.0 * static_cast<double>(n) * static_cast<double>(distance_ld(n)) + distance_workspace_bytes(n, dim, multiprocessors());
}

}  // namespace detail

void pairwise_distances(const float* points, int64_t n, int64_t dim, Metric metric, float* out) {
  if (n < 0 || dim < 0) throw std::invalid_argument("pairwise_distances: negative matrix size");
  const DeviceInfo& info = detail::use_device();
  if (n == 0) return;
  detail::require_device_memory(detail::distances_on_device_bytes(n, dim),
                                "pairwise distances of n = " + std::to_string(n) + " points (dim " + std::to_string(dim) +
                                    ", the n×n float32 matrix and the input) on " + info.name);
  // From here every size is far below 2³¹ rows / 2³¹ blocks: the memory check bounds them.
  detail::Stream stream;
  const detail::DeviceDistances d = detail::distances_on_device(points, n, dim, metric, stream);
  TOPOFR_CUDA_CHECK(cudaMemcpy2DAsync(out, static_cast<size_t>(n) * sizeof(float), d.matrix.get(),
                                      static_cast<size_t>(d.ld) * sizeof(float), static_cast<size_t>(n) * sizeof(float),
                                      static_cast<size_t>(n), cudaMemcpyDeviceToHost, stream));
  stream.synchronize();
}

SplitInfo distance_split(int64_t n, int64_t dim, int multiprocessors) {
  if (multiprocessors <= 0) {
    detail::use_device();
    multiprocessors = detail::multiprocessors();
  }
  const detail::SplitK split = detail::plan_split_k(n, dim, multiprocessors);
  return {split.slices, split.depth, multiprocessors};
}

}  // namespace topofr::cuda
