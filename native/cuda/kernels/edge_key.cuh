// Edges as 64-bit keys: distance bits above u above v (u < v), so that one integer comparison is
// the CPU's strict edge order (d, u, v) (core/h0.h). Distances are ≥ 0 (checked at the boundary),
// so their bit patterns order as the floats do; −0 is keyed as +0, which compares equal to it.
// Shared by the H0 kernels (h0.cuh) and the topology loss (topology_loss.cuh).
#pragma once
#include <cstdint>

#include "../portable.cuh"

namespace topofr::cuda::kernels {

using EdgeKey = unsigned long long;
constexpr EdgeKey kNoEdge = ~0ull;
constexpr int kPrimMax = 1024;        // one thread per vertex in one block
constexpr int kKeyIndexBits = 16;     // so n ≤ 65 536
constexpr int kBoruvkaThreads = 256;

__device__ __forceinline__ EdgeKey edge_key(float d, int a, int b) {
  const unsigned bits = d == 0.0f ? 0u : __float_as_uint(d);
  const int u = a < b ? a : b, v = a < b ? b : a;
  return static_cast<EdgeKey>(bits) << 32 | static_cast<EdgeKey>(u) << kKeyIndexBits | static_cast<EdgeKey>(v);
}
__device__ __forceinline__ int key_u(EdgeKey k) { return static_cast<int>(k >> kKeyIndexBits & 0xffff); }
__device__ __forceinline__ int key_v(EdgeKey k) { return static_cast<int>(k & 0xffff); }

__device__ __forceinline__ EdgeKey key_min(EdgeKey a, EdgeKey b) { return a < b ? a : b; }

__device__ __forceinline__ EdgeKey warp_min(EdgeKey k) {
  for (int offset = 16; offset > 0; offset >>= 1) k = key_min(k, __shfl_xor_sync(kFullWarp, k, offset));
  return k;
}

// The block's minimum key, in every thread. slots: one per warp; the call starts and ends with a
// barrier's worth of separation from other uses of them (the first __syncthreads inside publishes
// the warps' minima, the caller separates consecutive calls).
__device__ __forceinline__ EdgeKey block_min(EdgeKey k, EdgeKey* slots) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
  k = warp_min(k);
  if (lane == 0) slots[warp] = k;
  __syncthreads();
  k = lane < warps ? slots[lane] : kNoEdge;
  return warp_min(k);
}

}  // namespace topofr::cuda::kernels
