// Distances that stay on the device: the building block of pairwise_distances, of H0 from points
// and of the topology loss (h0.cu, topology_loss.cu), which keep the n×n matrix on the GPU.
#pragma once
#include <cstdint>

#include "../core/distances.h"
#include "device_buffer.cuh"

namespace topofr::cuda::detail {

// How the k range is split: slices × depth ≥ ldx; slices == 1 is the plain tiled kernel.
struct SplitK {
  int slices;
  int64_t depth;
};

// Points on the device, zero-padded for the distance kernels (n_pad × ldx), with the workspace of
// their distance computation (the rows the GEMM multiplies, per-row norms, split-K partials); it
// lives as long as this object, so nothing waits for the kernels.
struct DevicePoints {
  int64_t n = 0, dim = 0, n_pad = 0, ldx = 0;
  SplitK split{1, 0};
  DeviceArray<float> x, gemm, norm2, partial;
  DeviceArray<double> inv_norm;
  DeviceArray<unsigned> largest;
  DeviceArray<int> first_zero;
};

// Large n (at least as many tiles as multiprocessors): one slice. Otherwise enough slices of at
// least kMinDepth columns for tiles × slices ≥ multiprocessors, where the depth allows.
SplitK plan_split_k(int64_t n, int64_t dim, int multiprocessors);

// The row stride of a device distance matrix for n points.
int64_t distance_ld(int64_t n);

// Device bytes that upload_points allocates for n × dim points (input and workspace).
double distance_workspace_bytes(int64_t n, int64_t dim, int multiprocessors);

// Allocates and queues the upload of the n × dim host matrix on `stream`.
DevicePoints upload_points(const float* points, int64_t n, int64_t dim, cudaStream_t stream);

// Queues out (device, n × ldo) = the distances of p. Under cosine it waits for the row norms and
// throws std::invalid_argument naming the first zero row.
void compute_distances(const DevicePoints& p, Metric metric, float* out, int64_t ldo, cudaStream_t stream);

// Points uploaded and their distance matrix (n × ld) computed, all on the device, queued on stream.
struct DeviceDistances {
  DevicePoints points;
  DeviceArray<float> matrix;
  int64_t ld = 0;
};
DeviceDistances distances_on_device(const float* points, int64_t n, int64_t dim, Metric metric, cudaStream_t stream);
// The device bytes that distances_on_device allocates (checked by callers before anything is).
double distances_on_device_bytes(int64_t n, int64_t dim);

}  // namespace topofr::cuda::detail
