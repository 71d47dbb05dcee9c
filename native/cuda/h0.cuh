// H0 on device matrices: the host side of kernels/h0.cuh, shared by h0.cu and topology_loss.cu.
#pragma once
#include <cstdint>
#include <vector>

#include "../core/h0.h"
#include "device_buffer.cuh"
#include "kernels/edge_key.cuh"

namespace topofr::cuda::detail {

using kernels::EdgeKey;

// Queues Prim on `count` matrices (matrix b at d + b·stride, n × n, row stride ld, full and
// symmetric): out (device) receives count × (n − 1) keys, each matrix's in ascending order. n ≥ 2.
void launch_prim(const float* d, int64_t ld, int64_t stride, int n, int count, EdgeKey* out, cudaStream_t stream);

// Device bytes boruvka_keys allocates for n vertices.
double boruvka_bytes(int64_t n);

// Dense Borůvka on one device matrix: the n − 1 MST keys, ascending (host). One small read-back
// per round (how many edges so far).
std::vector<EdgeKey> boruvka_keys(const float* d, int64_t ld, int n, cudaStream_t stream);

// The CPU's result type from ascending keys. Deaths are the keys' distances, or, where the host
// holds the matrix, its [u][v] entries (bit for bit, −0 included).
H0Pairs pairs_from_keys(const std::vector<EdgeKey>& keys, const float* host_matrix, int64_t n);

}  // namespace topofr::cuda::detail
