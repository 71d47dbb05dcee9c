// The GPU half of the addon. Built from the .cu files when nvcc is present at build time, from
// cuda_stub.cc otherwise; callers never need #ifdefs.
#pragma once
#include <cstdint>
#include <string>

#include "../core/distances.h"

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

}  // namespace topofr::cuda
