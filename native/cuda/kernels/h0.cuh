// H0 pairing kernels: the minimum spanning tree under the CPU's strict edge order (core/h0.h):
// (d, u, v) with u < v, the order of the official TopoFR code's stable sort of the row-major upper
// triangle, compared as packed keys (edge_key.cuh), so ties break exactly as on the CPU.
//
// With a strict total order the MST is unique, so any correct algorithm gives the CPU's edges:
//   * h0_prim: n ≤ kPrimMax, one block per matrix: Prim's algorithm with one thread per vertex,
//     then a bitonic sort of the n − 1 keys in shared memory;
//   * large n: dense Borůvka rounds (boruvka_min_edges, boruvka_hook, boruvka_compress) over the
//     whole matrix, O(n²) reads per round and O(log n) rounds.
// Matrices are full and symmetric on the device (row stride ld); rows are read, never columns.
#pragma once
#include <cstdint>

#include "../portable.cuh"
#include "edge_key.cuh"

namespace topofr::cuda::kernels {

// Sorts keys[0 … count) ascending in shared memory (padding to a power of two with kNoEdge).
__device__ __forceinline__ void bitonic_sort(EdgeKey* keys, int count) {
  int size = 1;
  while (size < count) size <<= 1;
  for (int i = count + static_cast<int>(threadIdx.x); i < size; i += blockDim.x) keys[i] = kNoEdge;
  __syncthreads();
  for (int k = 2; k <= size; k <<= 1) {
    for (int j = k >> 1; j > 0; j >>= 1) {
      for (int i = threadIdx.x; i < size; i += blockDim.x) {
        const int partner = i ^ j;
        if (partner <= i) continue;
        const bool ascending = (i & k) == 0;
        const EdgeKey a = keys[i], b = keys[partner];
        if ((a > b) == ascending) keys[i] = b, keys[partner] = a;
      }
      __syncthreads();
    }
  }
}

// One block per matrix (blockIdx.x: matrix d + blockIdx.x · stride); blockDim.x ≥ n, a multiple of
// 32, ≤ kPrimMax. Writes the n − 1 MST keys in ascending order to out + blockIdx.x · (n − 1).
//
// Thread v keeps the lightest key from the tree to v. Each step the block's minimum over the
// vertices outside the tree is the next tree edge (Prim under a strict order: the MST's edges,
// in another order); its outside endpoint joins, and every thread relaxes with that vertex's row.
__global__ void __launch_bounds__(kPrimMax) h0_prim(const float* __restrict__ d, int64_t ld, int64_t stride, int n,
                                                    EdgeKey* __restrict__ out) {
  __shared__ EdgeKey keys[kPrimMax];
  __shared__ EdgeKey slots[kPrimMax / 32];
  __shared__ int joined;
  const float* m = d + blockIdx.x * stride;
  const int v = threadIdx.x;
  bool in_tree = v == 0 || v >= n;  // threads past n stand for no vertex
  EdgeKey best = kNoEdge;
  int current = 0;
  for (int step = 0; step < n - 1; ++step) {
    if (!in_tree) best = key_min(best, edge_key(m[current * ld + v], current, v));
    const EdgeKey k = block_min(in_tree ? kNoEdge : best, slots);
    // Keys are unique, so exactly one outside vertex holds the minimum.
    if (!in_tree && best == k) {
      in_tree = true;
      joined = v;
      keys[step] = k;
    }
    __syncthreads();
    current = joined;
  }
  bitonic_sort(keys, n - 1);
  EdgeKey* o = out + static_cast<int64_t>(blockIdx.x) * (n - 1);
  for (int i = threadIdx.x; i < n - 1; i += blockDim.x) o[i] = keys[i];
}

// Borůvka, step 1: the lightest edge from each vertex out of its component, folded into its
// component's best (atomicMin on the key). One block per vertex (row).
__global__ void __launch_bounds__(kBoruvkaThreads) boruvka_min_edges(const float* __restrict__ d, int64_t ld, int n,
                                                                     const int* __restrict__ component,
                                                                     EdgeKey* __restrict__ best) {
  __shared__ EdgeKey slots[kBoruvkaThreads / 32];
  const int v = blockIdx.x;
  const int c = component[v];
  const float* row = d + static_cast<int64_t>(v) * ld;
  EdgeKey k = kNoEdge;
  for (int w = threadIdx.x; w < n; w += blockDim.x)
    if (component[w] != c) k = key_min(k, edge_key(row[w], v, w));
  k = block_min(k, slots);
  if (threadIdx.x == 0 && k != kNoEdge) atomicMin(&best[c], k);
}

// Borůvka, step 2: each component c (a root: component[c] == c) hooks onto the component across
// its best edge. Under a strict order the chosen edges form a forest plus pairs of components that
// chose the same edge; of such a pair the larger root hooks, so the edge is taken once. Taken edges
// are appended to tree (order irrelevant: the caller sorts).
__global__ void boruvka_hook(int n, const int* __restrict__ component, const EdgeKey* __restrict__ best,
                             int* __restrict__ parent, EdgeKey* __restrict__ tree, int* __restrict__ tree_size) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= n) return;
  parent[c] = component[c];
  if (component[c] != c || best[c] == kNoEdge) return;
  const EdgeKey k = best[c];
  const int a = component[key_u(k)], b = component[key_v(k)];
  const int other = a == c ? b : a;
  if (best[other] == k && c < other) return;  // the pair's smaller root stays a root
  parent[c] = other;
  tree[atomicAdd(tree_size, 1)] = k;
}

// Borůvka, step 3: every vertex takes the root of its component's hook chain; the bests are reset.
__global__ void boruvka_compress(int n, int* __restrict__ component, const int* __restrict__ parent,
                                 EdgeKey* __restrict__ best) {
  const int v = blockIdx.x * blockDim.x + threadIdx.x;
  if (v >= n) return;
  int r = component[v];
  while (parent[r] != r) r = parent[r];
  component[v] = r;
  best[v] = kNoEdge;
}

// Mirrors the upper triangle of a full n × n matrix (row stride ld) into the lower one: the CPU
// reads d(i, j), i < j, from [i][j] (core/distances.h MatrixDistances), and the kernels above read
// rows. One thread per lower entry.
__global__ void mirror_upper(float* __restrict__ m, int64_t ld, int n) {
  const int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t i = t / n, j = t % n;
  if (i < n && j < i) m[i * ld + j] = m[j * ld + i];
}

}  // namespace topofr::cuda::kernels
