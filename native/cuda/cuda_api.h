// The GPU half of the addon. Built from the .cu files when nvcc is present at build time, from
// cuda_stub.cc otherwise; callers never need #ifdefs.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../core/distances.h"
#include "../core/h0.h"
#include "../core/rips/column_assembler.h"

namespace topofr::cuda {

struct DeviceInfo {
  bool compiled = false;   // the binary carries CUDA kernels
  int device_count = 0;    // usable devices (0 without a driver or GPU)
  std::string name;        // device 0's name, when there is one
  std::string error;       // why there is no device, when there is none
};

// Queried once, then cached: a driverless machine answers quickly and never crashes.
const DeviceInfo& device_info();

// out (host, n×n) = pairwise distances of the n×dim row-major host matrix, computed on device 0.
// Same definition as the CPU's PointDistances (to float32 rounding). Throws std::runtime_error
// with CUDA's own message on any failure (no device, out of device memory, …).
void pairwise_distances(const float* points, int64_t n, int64_t dim, Metric metric, float* out);

// How pairwise_distances splits the k range for n points of dimension dim: one slice (the tiled
// kernel) for large n, else at least one block per multiprocessor where the depth allows (split-K).
// multiprocessors 0: device 0's count.
struct SplitInfo {
  int slices;
  int64_t depth;
  int multiprocessors;
};
SplitInfo distance_split(int64_t n, int64_t dim, int multiprocessors = 0);

// 0-dimensional persistence on device 0: the same edges, deaths and order as the CPU's
// persistence_h0 on the same distances (the MST under the strict order (d, u, v) is unique).
// From points the distances stay on the GPU; a matrix is uploaded and its upper triangle used, as
// on the CPU. The keys pack each vertex in 16 bits: n ≤ kMaxH0Points. Throws std::runtime_error
// (no device, too little device memory: checked before allocating).
constexpr int64_t kMaxH0Points = 65536;
// Auto: the one-block Prim kernel up to 1024 points, dense Borůvka beyond (the tests force either).
enum class H0Kernel { Auto, Prim, Boruvka };
H0Pairs persistence_h0_points(const float* points, int64_t n, int64_t dim, Metric metric,
                              H0Kernel kernel = H0Kernel::Auto);
H0Pairs persistence_h0_matrix(const float* matrix, int64_t n, H0Kernel kernel = H0Kernel::Auto);

// The topology-alignment loss of src/train/isa.ts (dims [0]) on the GPU. The input space (a batch
// of n ≤ kMaxAlignmentPoints points: its distances and H0 pairing) is prepared once per batch and
// stays on the device; each align() then uploads the latent batch, pairs it, and brings back the
// loss, the gradient(s) and both pairings in one transfer after one synchronisation. On the same
// distances and pairings the numbers equal isa.ts's bit for bit (the same double arithmetic).
constexpr int64_t kMaxAlignmentPoints = 1024;
class InputSpace;
// Queues the upload, the distances (Euclidean) and the pairing of x (n × dim); does not wait.
std::shared_ptr<InputSpace> prepare_input_space(const float* x, int64_t n, int64_t dim);
struct AlignmentParams {
  bool symmetric = false;  // 'symmetric' (paper Eq. 2) or 'code' (the official step)
  double input_scale = 1, latent_scale = 1;
  bool input_gradient = false;
};
struct AlignmentResult {
  double loss = 0;
  std::vector<float> grad_latent, grad_input;   // n × dim of each side (grad_input when asked)
  std::vector<int32_t> input_edges, latent_edges;  // (n − 1) × 2, ascending (death, u, v)
};
// Thread-safe per input space (calls on one are serialised).
AlignmentResult align(InputSpace& input, const float* z, int64_t dim, const AlignmentParams& params);

// The Rips engine's column assembly for dimensions ≥ 2 on device 0, for rips::Options::assembler:
// lower is the dense input (Ripser's lower triangle, n points), top the highest dimension reduced.
// It declines, and the engine assembles on the CPU, where the device memory would not hold a step
// (checked before allocating) or beyond dimension 7.
std::unique_ptr<rips::ColumnAssembler> rips_column_assembler(const float* lower, int64_t n, float threshold, int top);

}  // namespace topofr::cuda
