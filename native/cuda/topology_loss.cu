// The topology loss on the GPU (kernels: kernels/topology_loss.cuh): the input space is prepared once
// per batch and kept on the device; align() does the latent side, the loss and the gradients, and
// brings every result back in one transfer.
#include <algorithm>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include "distances.cuh"
#include "h0.cuh"
#include "kernels/topology_loss.cuh"

namespace topofr::cuda {
namespace {

// One batch on the device: its points, Euclidean distances (n × ld) and H0 keys.
struct DeviceSpace {
  detail::DeviceDistances distances;
  detail::DeviceArray<kernels::EdgeKey> keys;

  // Queues the upload, the distances and the pairing of x on stream.
  void build(const float* x, int64_t n, int64_t dim, cudaStream_t stream) {
    distances = detail::distances_on_device(x, n, dim, Metric::Euclidean, stream);
    keys.allocate(n - 1);
    detail::launch_prim(distances.matrix.get(), distances.ld, 0, static_cast<int>(n), 1, keys.get(), stream);
  }
};

}  // namespace

// A batch's input space, kept on the device between the calls of align().
class InputSpace {
 public:
  int64_t n = 0, dim = 0;
  detail::Stream stream;  // every call on this space runs on it, in order
  DeviceSpace space;
  std::mutex mutex;
};

namespace {

double space_bytes(int64_t n, int64_t dim) { return detail::distances_on_device_bytes(n, dim) + 8.0 * static_cast<double>(n); }

// The per-pair scratch of one side (kernels::AlignmentSide) in device arrays.
struct SideScratch {
  detail::DeviceArray<int> ends, offsets, incident;
  detail::DeviceArray<double> factor;
  SideScratch(int64_t n, int64_t pairs) : ends(2 * pairs), offsets(n + 1), incident(2 * pairs), factor(pairs) {}
  kernels::AlignmentSide view() const { return {ends.get(), factor.get(), offsets.get(), incident.get()}; }
};

kernels::AlignmentSpace view(const DeviceSpace& s, double scale) {
  const detail::DeviceDistances& d = s.distances;
  return {d.points.x.get(), d.points.ldx, d.points.dim, d.matrix.get(), d.ld, s.keys.get(), scale};
}

void check_batch(int64_t n) {
  if (n > kMaxAlignmentPoints)
    throw std::invalid_argument("the GPU topology loss takes batches of at most " + std::to_string(kMaxAlignmentPoints) +
                                " samples, got " + std::to_string(n));
}

}  // namespace

std::shared_ptr<InputSpace> prepare_input_space(const float* x, int64_t n, int64_t dim) {
  check_batch(n);
  const DeviceInfo& info = detail::use_device();
  auto space = std::make_shared<InputSpace>();
  space->n = n;
  space->dim = dim;
  if (n < 2) return space;  // no pairs: nothing to compute
  detail::require_device_memory(space_bytes(n, dim),
                                "the input space of a batch of " + std::to_string(n) + " (dim " + std::to_string(dim) +
                                    ") on " + info.name);
  space->space.build(x, n, dim, space->stream);
  return space;
}

AlignmentResult align(InputSpace& input, const float* z, int64_t dim, const AlignmentParams& params) {
  std::lock_guard<std::mutex> lock(input.mutex);
  const int64_t n = input.n;
  AlignmentResult result;
  result.grad_latent.assign(static_cast<size_t>(n * dim), 0.0f);
  if (params.input_gradient) result.grad_input.assign(static_cast<size_t>(n * input.dim), 0.0f);
  if (n < 2) return result;

  const int64_t pairs = params.symmetric ? 2 * (n - 1) : n - 1;
  // The packed result: loss, both pairings, the latent gradient, the input gradient.
  const size_t edges_bytes = static_cast<size_t>(n - 1) * 2 * sizeof(int32_t);
  const size_t at_input_edges = sizeof(double), at_latent_edges = at_input_edges + edges_bytes;
  const size_t at_grad_latent = at_latent_edges + edges_bytes;
  const size_t at_grad_input = at_grad_latent + static_cast<size_t>(n * dim) * sizeof(float);
  const size_t bytes = at_grad_input + result.grad_input.size() * sizeof(float);
  detail::require_device_memory(space_bytes(n, dim) + static_cast<double>(bytes) +
                                    static_cast<double>(pairs) * (8 + 2 * 2 * 4 + 2 * 8) + 2.0 * 4 * (n + 1),
                                "the topology loss of a batch of " + std::to_string(n) + " (latent dim " +
                                    std::to_string(dim) + ")");

  cudaStream_t stream = input.stream;
  DeviceSpace latent;
  latent.build(z, n, dim, stream);
  SideScratch latent_side(n, pairs), input_side(n, params.input_gradient ? pairs : 0);
  detail::DeviceArray<double> terms(pairs);
  detail::DeviceArray<unsigned char> packed(static_cast<int64_t>(bytes));
  unsigned char* out = packed.get();

  kernels::AlignmentArgs a;
  a.input = view(input.space, params.input_scale);
  a.latent = view(latent, params.latent_scale);
  a.n = static_cast<int>(n);
  a.symmetric = params.symmetric;
  a.input_gradient = params.input_gradient;
  a.input_side = input_side.view();
  a.latent_side = latent_side.view();
  a.terms = terms.get();
  a.loss = reinterpret_cast<double*>(out);
  a.input_edges = reinterpret_cast<int32_t*>(out + at_input_edges);
  a.latent_edges = reinterpret_cast<int32_t*>(out + at_latent_edges);
  const int threads = static_cast<int>(detail::round_up(std::min<int64_t>(kernels::kAlignThreads, std::max(n, pairs)), 32));
  TOPOFR_LAUNCH(kernels::alignment_pairs, 1, threads, 0, stream)(a);
  detail::check(cudaGetLastError(), "alignment_pairs<<<>>>");
  const auto gradient = [&](const kernels::AlignmentSpace& space, const kernels::AlignmentSide& side, size_t at) {
    const dim3 grid(static_cast<unsigned>((space.dim + kernels::kGradientThreads - 1) / kernels::kGradientThreads),
                    static_cast<unsigned>(n));
    TOPOFR_LAUNCH(kernels::edge_gradient, grid, kernels::kGradientThreads, 0, stream)(
        space, side, reinterpret_cast<float*>(out + at));
    detail::check(cudaGetLastError(), "edge_gradient<<<>>>");
  };
  if (dim > 0) gradient(a.latent, a.latent_side, at_grad_latent);
  if (params.input_gradient && input.dim > 0) gradient(a.input, a.input_side, at_grad_input);

  std::vector<unsigned char> host(bytes);
  TOPOFR_CUDA_CHECK(cudaMemcpyAsync(host.data(), out, bytes, cudaMemcpyDeviceToHost, stream));
  TOPOFR_CUDA_CHECK(cudaStreamSynchronize(stream));
  std::memcpy(&result.loss, host.data(), sizeof(double));
  result.input_edges.resize(2 * (n - 1));
  result.latent_edges.resize(2 * (n - 1));
  std::memcpy(result.input_edges.data(), host.data() + at_input_edges, edges_bytes);
  std::memcpy(result.latent_edges.data(), host.data() + at_latent_edges, edges_bytes);
  std::copy_n(reinterpret_cast<const float*>(host.data() + at_grad_latent), result.grad_latent.size(), result.grad_latent.data());
  std::copy_n(reinterpret_cast<const float*>(host.data() + at_grad_input), result.grad_input.size(), result.grad_input.data());
  return result;
}

}  // namespace topofr::cuda
