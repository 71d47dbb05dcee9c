// The Rips engine's column assembly on the GPU (kernels: kernels/rips.cuh), behind the core's
// ColumnAssembler interface: the engine asks for each dimension's columns and reduces them itself.
// Every allocation is checked against the free device memory first; where it would not fit the
// assembler declines (this dimension and the later ones) and the engine assembles on the CPU.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "../core/rips/column_assembler.h"
#include "device_buffer.cuh"
#include "kernels/rips.cuh"

namespace topofr::cuda {
namespace {

using kernels::Bits;
using kernels::Index;
using rips::Simplex;

constexpr int kThreads = 256;

unsigned blocks(int64_t count, int threads) { return static_cast<unsigned>((count + threads - 1) / threads); }

// A simplex list owned on the device.
struct DeviceSimplices {
  detail::DeviceArray<Index> index;
  detail::DeviceArray<float> diameter;
  int64_t count = 0;
  void allocate(int64_t n) {
    index.allocate(n);
    diameter.allocate(n);
    count = n;
  }
  kernels::SimplexList view() const { return {index.get(), diameter.get()}; }
  static constexpr double kBytes = sizeof(Index) + sizeof(float);
};

class GpuColumns final : public rips::ColumnAssembler {
 public:
  GpuColumns(const float* lower, int64_t n, float threshold, int top) : n_(n), top_(top) {
    const int64_t words = (n + 63) / 64;
    const double need = 4.0 * n * n + 8.0 * n * words + 8.0 * (top + 3) * (n + 1) + 2.0 * n * (n - 1) +
                        DeviceSimplices::kBytes * n;
    if (top > kernels::kRipsMaxDim || n > INT32_MAX / 2 || !fits(need)) return;  // declined: the CPU assembles
    std::vector<Index> binomial(static_cast<size_t>((top + 3) * (n + 1)), 0);
    for (int64_t v = 0; v <= n; ++v)
      for (int k = 0; k <= top + 2; ++k)  // the core's BinomialTable has checked that these fit
        binomial[k * (n + 1) + v] = k == 0 ? 1 : v == 0 ? 0 : binomial[(k - 1) * (n + 1) + v - 1] + binomial[k * (n + 1) + v - 1];
    d_.allocate(n * n);
    adjacency_.allocate(n * words);
    binomial_.allocate(static_cast<int64_t>(binomial.size()));
    TOPOFR_CUDA_CHECK(cudaMemcpyAsync(binomial_.get(), binomial.data(), binomial.size() * sizeof(Index),
                                      cudaMemcpyHostToDevice, stream_));
    {
      detail::DeviceArray<float> d_lower(n * (n - 1) / 2);
      if (n > 1)
        TOPOFR_CUDA_CHECK(cudaMemcpyAsync(d_lower.get(), lower, sizeof(float) * n * (n - 1) / 2, cudaMemcpyHostToDevice, stream_));
      TOPOFR_LAUNCH(kernels::expand_lower, blocks(n * n, kThreads), kThreads, 0, stream_)(d_lower.get(), static_cast<int>(n), d_.get());
      detail::check(cudaGetLastError(), "expand_lower<<<>>>");
      stream_.synchronize();  // before d_lower is freed
    }
    graph_ = {d_.get(), static_cast<int>(n), adjacency_.get(), static_cast<int>(words), binomial_.get()};
    TOPOFR_LAUNCH(kernels::build_adjacency, blocks(n * words, kThreads), kThreads, 0, stream_)(graph_, threshold, adjacency_.get());
    detail::check(cudaGetLastError(), "build_adjacency<<<>>>");
    // Dimension 0: the vertices, index v, diameter 0.
    std::vector<Index> vertices(static_cast<size_t>(n));
    for (int64_t v = 0; v < n; ++v) vertices[v] = v;
    faces_.allocate(n);
    TOPOFR_CUDA_CHECK(cudaMemcpyAsync(faces_.index.get(), vertices.data(), sizeof(Index) * n, cudaMemcpyHostToDevice, stream_));
    TOPOFR_CUDA_CHECK(cudaMemsetAsync(faces_.diameter.get(), 0, sizeof(float) * n, stream_));
    faces_dim_ = 0;
    ready_ = true;
  }

  bool assemble(int dim, const std::vector<rips::index_t>& cleared, std::vector<Simplex>& columns) override {
    if (!ready_ || dim > top_ || dim < faces_dim_ + 1) return decline();
    // The generators: the simplices of dimension dim − 1, every one under the threshold.
    while (faces_dim_ < dim - 1)
      if (!next_faces()) return decline();
    if (!fits(sizeof(Index) * static_cast<double>(cleared.size()))) return decline();
    detail::DeviceArray<Index> pivots(static_cast<int64_t>(cleared.size()));
    if (!cleared.empty())
      TOPOFR_CUDA_CHECK(cudaMemcpyAsync(pivots.get(), cleared.data(), sizeof(Index) * cleared.size(),
                                        cudaMemcpyHostToDevice, stream_));
    const int64_t pivot_count = static_cast<int64_t>(cleared.size());
    // Below the top dimension the simplices are stored (they generate the next dimension) and the
    // columns chosen among them; in the top dimension they are chosen as they are generated.
    const bool store = dim < top_;
    if (store && !next_faces()) return decline();
    const int64_t candidates = store ? faces_.count : count_next();
    DeviceSimplices kept;
    detail::DeviceArray<unsigned long long> cursor(1);
    for (int64_t capacity = std::min(candidates, budget());;) {
      if (!fits(DeviceSimplices::kBytes * static_cast<double>(capacity))) return decline();
      kept.allocate(capacity);
      TOPOFR_CUDA_CHECK(cudaMemsetAsync(cursor.get(), 0, sizeof(unsigned long long), stream_));
      TOPOFR_LAUNCH(kernels::select_columns, blocks(faces_.count, kernels::kRipsThreads), kernels::kRipsThreads, 0, stream_)(
          graph_, faces_.view(), faces_.count, dim, !store, pivots.get(), pivot_count, kept.view(), capacity, cursor.get());
      detail::check(cudaGetLastError(), "select_columns<<<>>>");
      const int64_t found = read(cursor.get());
      if (found <= capacity) {
        kept.count = found;
        break;
      }
      capacity = found;  // too many for the first guess: again, with room for all
      kept = DeviceSimplices();
    }
    std::vector<Index> index(static_cast<size_t>(kept.count));
    std::vector<float> diameter(static_cast<size_t>(kept.count));
    if (kept.count > 0) {
      TOPOFR_CUDA_CHECK(cudaMemcpyAsync(index.data(), kept.index.get(), sizeof(Index) * kept.count, cudaMemcpyDeviceToHost, stream_));
      TOPOFR_CUDA_CHECK(cudaMemcpyAsync(diameter.data(), kept.diameter.get(), sizeof(float) * kept.count,
                                        cudaMemcpyDeviceToHost, stream_));
    }
    stream_.synchronize();
    columns.resize(static_cast<size_t>(kept.count));
    for (int64_t k = 0; k < kept.count; ++k) columns[k] = {index[k], diameter[k]};
    return true;
  }

 private:
  // Room for columns at first: all candidates when they fit in a quarter of the free memory.
  int64_t budget() const { return static_cast<int64_t>(detail::free_device_bytes() / 4 / DeviceSimplices::kBytes); }

  static bool fits(double bytes) { return bytes <= detail::free_device_bytes(); }

  bool decline() {
    ready_ = false;  // the CPU takes over this dimension and the later ones
    return false;
  }

  int64_t read(const unsigned long long* counter) {
    unsigned long long value = 0;
    TOPOFR_CUDA_CHECK(cudaMemcpyAsync(&value, counter, sizeof value, cudaMemcpyDeviceToHost, stream_));
    stream_.synchronize();
    return static_cast<int64_t>(value);
  }

  // The number of simplices of dimension faces_dim_ + 1.
  int64_t count_next() {
    detail::DeviceArray<unsigned long long> total(1);
    TOPOFR_CUDA_CHECK(cudaMemsetAsync(total.get(), 0, sizeof(unsigned long long), stream_));
    TOPOFR_LAUNCH(kernels::count_cofacets, blocks(faces_.count, kernels::kRipsThreads), kernels::kRipsThreads, 0, stream_)(
        graph_, faces_.view(), faces_.count, faces_dim_, total.get());
    detail::check(cudaGetLastError(), "count_cofacets<<<>>>");
    return read(total.get());
  }

  // Replaces the stored simplices by those of the next dimension; false when they would not fit.
  bool next_faces() {
    const int64_t count = count_next();
    if (!fits(DeviceSimplices::kBytes * static_cast<double>(count))) return false;
    DeviceSimplices next;
    next.allocate(count);
    detail::DeviceArray<unsigned long long> cursor(1);
    TOPOFR_CUDA_CHECK(cudaMemsetAsync(cursor.get(), 0, sizeof(unsigned long long), stream_));
    TOPOFR_LAUNCH(kernels::fill_cofacets, blocks(faces_.count, kernels::kRipsThreads), kernels::kRipsThreads, 0, stream_)(
        graph_, faces_.view(), faces_.count, faces_dim_, next.view(), cursor.get());
    detail::check(cudaGetLastError(), "fill_cofacets<<<>>>");
    stream_.synchronize();
    faces_ = std::move(next);
    ++faces_dim_;
    return true;
  }

  int64_t n_;
  int top_;
  bool ready_ = false;
  detail::Stream stream_;
  detail::DeviceArray<float> d_;
  detail::DeviceArray<Bits> adjacency_;
  detail::DeviceArray<Index> binomial_;
  kernels::RipsGraph graph_{};
  DeviceSimplices faces_;  // every simplex of dimension faces_dim_ under the threshold
  int faces_dim_ = -1;
};

}  // namespace

std::unique_ptr<rips::ColumnAssembler> rips_column_assembler(const float* lower, int64_t n, float threshold, int top) {
  detail::use_device();
  return std::make_unique<GpuColumns>(lower, n, threshold, top);
}

}  // namespace topofr::cuda
