// 0-dimensional persistence on the GPU (kernels: kernels/h0.cuh): from points, the distances stay on
// the device and only the n − 1 edges come back; from a matrix, it is uploaded and mirrored.
#include "h0.cuh"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "distances.cuh"
#include "kernels/h0.cuh"

namespace topofr::cuda {
namespace detail {
namespace {

constexpr int kThreads = 256;

unsigned blocks_for(int64_t count) { return static_cast<unsigned>((count + kThreads - 1) / kThreads); }

bool use_prim(int64_t n, H0Kernel kernel) {
  return kernel == H0Kernel::Prim || (kernel == H0Kernel::Auto && n <= kernels::kPrimMax);
}

void check_size(int64_t n, H0Kernel kernel) {
  if (n > kMaxH0Points)
    throw std::invalid_argument("GPU H0 handles at most " + std::to_string(kMaxH0Points) + " points, got " + std::to_string(n));
  if (kernel == H0Kernel::Prim && n > kernels::kPrimMax)
    throw std::invalid_argument("the one-block H0 kernel handles at most " + std::to_string(kernels::kPrimMax) + " points");
}

// The MST keys of a device matrix by the chosen kernel, ascending, on the host.
std::vector<EdgeKey> mst_keys(const float* d, int64_t ld, int64_t n, H0Kernel kernel, cudaStream_t stream) {
  if (!use_prim(n, kernel)) return boruvka_keys(d, ld, static_cast<int>(n), stream);
  DeviceArray<EdgeKey> keys(n - 1);
  launch_prim(d, ld, 0, static_cast<int>(n), 1, keys.get(), stream);
  std::vector<EdgeKey> out(static_cast<size_t>(n - 1));
  TOPOFR_CUDA_CHECK(cudaMemcpyAsync(out.data(), keys.get(), out.size() * sizeof(EdgeKey), cudaMemcpyDeviceToHost, stream));
  TOPOFR_CUDA_CHECK(cudaStreamSynchronize(stream));
  return out;
}

double mst_bytes(int64_t n, H0Kernel kernel) {
  return use_prim(n, kernel) ? 8.0 * static_cast<double>(n) : boruvka_bytes(n);
}

}  // namespace

void launch_prim(const float* d, int64_t ld, int64_t stride, int n, int count, EdgeKey* out, cudaStream_t stream) {
  const int threads = static_cast<int>(round_up(n, 32));
  TOPOFR_LAUNCH(kernels::h0_prim, count, threads, 0, stream)(d, ld, stride, n, out);
  check(cudaGetLastError(), "h0_prim<<<>>>");
}

double boruvka_bytes(int64_t n) { return static_cast<double>(n) * (4 + 4 + 8 + 8) + 4; }

std::vector<EdgeKey> boruvka_keys(const float* d, int64_t ld, int n, cudaStream_t stream) {
  DeviceArray<int> component(n), parent(n), tree_size(1);
  DeviceArray<EdgeKey> best(n), tree(n - 1);
  std::vector<int> identity(static_cast<size_t>(n));
  for (int v = 0; v < n; ++v) identity[v] = v;
  TOPOFR_CUDA_CHECK(cudaMemcpyAsync(component.get(), identity.data(), sizeof(int) * n, cudaMemcpyHostToDevice, stream));
  TOPOFR_CUDA_CHECK(cudaMemsetAsync(best.get(), 0xff, sizeof(EdgeKey) * n, stream));  // kNoEdge
  TOPOFR_CUDA_CHECK(cudaMemsetAsync(tree_size.get(), 0, sizeof(int), stream));
  int found = 0;
  // Every round at least halves the number of components.
  for (int round = 0; found < n - 1; ++round) {
    if (round > 2 * kernels::kKeyIndexBits) throw std::logic_error("Borůvka did not converge");
    TOPOFR_LAUNCH(kernels::boruvka_min_edges, n, kernels::kBoruvkaThreads, 0, stream)(d, ld, n, component.get(), best.get());
    check(cudaGetLastError(), "boruvka_min_edges<<<>>>");
    TOPOFR_LAUNCH(kernels::boruvka_hook, blocks_for(n), kThreads, 0, stream)(n, component.get(), best.get(), parent.get(),
                                                                           tree.get(), tree_size.get());
    check(cudaGetLastError(), "boruvka_hook<<<>>>");
    TOPOFR_LAUNCH(kernels::boruvka_compress, blocks_for(n), kThreads, 0, stream)(n, component.get(), parent.get(), best.get());
    check(cudaGetLastError(), "boruvka_compress<<<>>>");
    TOPOFR_CUDA_CHECK(cudaMemcpyAsync(&found, tree_size.get(), sizeof(int), cudaMemcpyDeviceToHost, stream));
    TOPOFR_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
  std::vector<EdgeKey> keys(static_cast<size_t>(n - 1));
  TOPOFR_CUDA_CHECK(cudaMemcpyAsync(keys.data(), tree.get(), keys.size() * sizeof(EdgeKey), cudaMemcpyDeviceToHost, stream));
  TOPOFR_CUDA_CHECK(cudaStreamSynchronize(stream));
  std::sort(keys.begin(), keys.end());
  return keys;
}

H0Pairs pairs_from_keys(const std::vector<EdgeKey>& keys, const float* host_matrix, int64_t n) {
  H0Pairs out;
  out.edges.reserve(2 * keys.size());
  out.deaths.reserve(keys.size());
  for (const EdgeKey k : keys) {
    const int32_t u = static_cast<int32_t>(k >> kernels::kKeyIndexBits & 0xffff), v = static_cast<int32_t>(k & 0xffff);
    const uint32_t bits = static_cast<uint32_t>(k >> 32);
    float d;
    std::memcpy(&d, &bits, sizeof d);
    out.edges.push_back(u);
    out.edges.push_back(v);
    out.deaths.push_back(host_matrix ? host_matrix[u * n + v] : d);
  }
  return out;
}

}  // namespace detail

H0Pairs persistence_h0_points(const float* points, int64_t n, int64_t dim, Metric metric, H0Kernel kernel) {
  detail::check_size(n, kernel);
  const DeviceInfo& info = detail::use_device();
  if (n < 2) return {};
  detail::require_device_memory(detail::distances_on_device_bytes(n, dim) + detail::mst_bytes(n, kernel),
                                "H0 of n = " + std::to_string(n) + " points (dim " + std::to_string(dim) +
                                    ", the n×n float32 distances on the device) on " + info.name);
  detail::Stream stream;
  const detail::DeviceDistances d = detail::distances_on_device(points, n, dim, metric, stream);
  return detail::pairs_from_keys(detail::mst_keys(d.matrix.get(), d.ld, n, kernel, stream), nullptr, n);
}

H0Pairs persistence_h0_matrix(const float* matrix, int64_t n, H0Kernel kernel) {
  detail::check_size(n, kernel);
  const DeviceInfo& info = detail::use_device();
  if (n < 2) return {};
  const int64_t ld = detail::distance_ld(n);
  detail::require_device_memory(4.0 * static_cast<double>(n) * ld + detail::mst_bytes(n, kernel),
                                "H0 of an n = " + std::to_string(n) + " distance matrix on " + info.name);
  detail::Stream stream;
  detail::DeviceArray<float> d(n * ld);
  TOPOFR_CUDA_CHECK(cudaMemcpy2DAsync(d.get(), static_cast<size_t>(ld) * sizeof(float), matrix,
                                      static_cast<size_t>(n) * sizeof(float), static_cast<size_t>(n) * sizeof(float),
                                      static_cast<size_t>(n), cudaMemcpyHostToDevice, stream));
  TOPOFR_LAUNCH(kernels::mirror_upper, detail::blocks_for(n * n), detail::kThreads, 0, stream)(d.get(), ld, static_cast<int>(n));
  detail::check(cudaGetLastError(), "mirror_upper<<<>>>");
  return detail::pairs_from_keys(detail::mst_keys(d.get(), ld, n, kernel, stream), matrix, n);
}

}  // namespace topofr::cuda
