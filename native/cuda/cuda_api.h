// The GPU half of the addon. Built from the .cu files when nvcc is present at build time, from
// cuda_stub.cc otherwise; callers never need #ifdefs.
#pragma once
#include <cstdint>
#include <string>

#include "../core/distances.h"
#include "../core/h0.h"

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

}  // namespace topofr::cuda
