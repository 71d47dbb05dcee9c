// The topology-alignment loss and its sparse gradient on the GPU, from the two H0 pairings
// (kernels/h0.cuh) and the two distance matrices: the arithmetic of src/train/isa.ts, operation for
// operation in double with explicit roundings (_rn: never contracted into an FMA), so that on the
// same distances and pairings the loss and the gradient equal the TypeScript path's bit for bit.
//
//   'code':      pair k = (k-th input edge, k-th latent edge), weight 1/n
//   'symmetric': pair k = the k-th input edge in both spaces, then the k-th latent edge, weight ½
// Each pair adds w·(a − b)² (a, b the two distances over their scales) and, through the latent edge
// (i, j), c·(z_i − z_j)/(‖z_i − z_j‖·scale) to ∂/∂z_i and its negative to ∂/∂z_j, c = −2w(a − b);
// the input side likewise with +2w(a − b) when asked for.
#pragma once
#include <cstdint>

#include "../portable.cuh"
#include "edge_key.cuh"

namespace topofr::cuda::kernels {

constexpr int kAlignThreads = 256;  // alignment_pairs: one block (more would spill: 64 registers at 1024)
constexpr int kGradientThreads = 256;

// One side (input or latent) of the alignment: its points, distances and pairing.
struct AlignmentSpace {
  const float* points;   // padded rows, stride ld_points
  int64_t ld_points, dim;
  const float* distances;  // n × ld_distances, full and symmetric
  int64_t ld_distances;
  const EdgeKey* keys;   // the n − 1 MST keys, ascending
  double scale;
};

// Per-pair scratch of one side: which vertices, the gradient factor f (c/(‖·‖·scale)), and the
// pairs at each vertex (ascending pair order, entry 2p + side: side 0 = first endpoint).
struct AlignmentSide {
  int* ends;        // P × 2
  double* factor;   // P
  int* offsets;     // n + 1
  int* incident;    // ≤ 2P
};

struct AlignmentArgs {
  AlignmentSpace input, latent;
  int n;
  bool symmetric, input_gradient;
  AlignmentSide input_side, latent_side;
  double* terms;             // P
  double* loss;              // 1
  int32_t* input_edges;      // (n − 1) × 2
  int32_t* latent_edges;     // (n − 1) × 2
};

__device__ __forceinline__ int pair_count(int n, bool symmetric) { return symmetric ? 2 * (n - 1) : n - 1; }

// Σ_k (p_i[k] − p_j[k])², in double, sequentially (isa.ts's addEdgeGradient).
__device__ __forceinline__ double squared_norm(const float* p, int64_t ld, int64_t dim, int i, int j) {
  const float* a = p + i * ld;
  const float* b = p + j * ld;
  double s = 0;
  for (int64_t k = 0; k < dim; ++k) {
    const double d = __dsub_rn(static_cast<double>(a[k]), static_cast<double>(b[k]));
    s = __dadd_rn(s, __dmul_rn(d, d));
  }
  return s;
}

// One side's factor of pair p, and its incidence lists (built by the threads of the vertices).
__device__ __forceinline__ void side_factor(const AlignmentSpace& space, const AlignmentSide& side, int p, double c) {
  const int i = side.ends[2 * p], j = side.ends[2 * p + 1];
  const double s = squared_norm(space.points, space.ld_points, space.dim, i, j);
  // s = 0 (a zero distance): no gradient, as PyTorch's norm backward; NaN marks the pair as absent.
  side.factor[p] = s == 0 ? __longlong_as_double(-1ll) : __ddiv_rn(c, __dmul_rn(sqrt(s), space.scale));
}

__device__ __forceinline__ bool present(double factor) { return factor == factor; }

// The incidence lists of one side: thread v counts and then lists its pairs; thread 0 turns the
// counts into offsets between the two. count: shared, n ints.
__device__ __forceinline__ void incidence(const AlignmentSide& side, int n, int pairs, int* count) {
  for (int v = threadIdx.x; v < n; v += blockDim.x) {
    int c = 0;
    for (int p = 0; p < pairs; ++p)
      if (present(side.factor[p])) c += (side.ends[2 * p] == v) + (side.ends[2 * p + 1] == v);
    count[v] = c;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    int total = 0;
    for (int v = 0; v < n; ++v) side.offsets[v] = total, total += count[v];
    side.offsets[n] = total;
  }
  __syncthreads();
  for (int v = threadIdx.x; v < n; v += blockDim.x) {
    int e = side.offsets[v];
    for (int p = 0; p < pairs; ++p) {
      if (!present(side.factor[p])) continue;
      if (side.ends[2 * p] == v) side.incident[e++] = 2 * p;
      if (side.ends[2 * p + 1] == v) side.incident[e++] = 2 * p + 1;
    }
  }
}

__device__ __forceinline__ void decode(EdgeKey k, int& u, int& v) {
  u = key_u(k);
  v = key_v(k);
}

// One block: the pairs, their loss terms and factors, the loss (summed in pair order), the edges
// for the caller, and the incidence lists that edge_gradient walks.
__global__ void __launch_bounds__(kAlignThreads) alignment_pairs(AlignmentArgs a) {
  __shared__ int count[kPrimMax];
  const int n = a.n, pairs = pair_count(n, a.symmetric);
  const double w = a.symmetric ? 0.5 : __ddiv_rn(1.0, static_cast<double>(n));
  for (int p = threadIdx.x; p < pairs; p += blockDim.x) {
    int xi, xj, zi, zj;
    if (!a.symmetric) {
      decode(a.input.keys[p], xi, xj);
      decode(a.latent.keys[p], zi, zj);
    } else {
      decode(p < n - 1 ? a.input.keys[p] : a.latent.keys[p - (n - 1)], xi, xj);
      zi = xi, zj = xj;
    }
    const double x_d = __ddiv_rn(static_cast<double>(a.input.distances[xi * a.input.ld_distances + xj]), a.input.scale);
    const double z_d = __ddiv_rn(static_cast<double>(a.latent.distances[zi * a.latent.ld_distances + zj]), a.latent.scale);
    const double diff = __dsub_rn(x_d, z_d);
    a.terms[p] = __dmul_rn(__dmul_rn(w, diff), diff);
    a.latent_side.ends[2 * p] = zi, a.latent_side.ends[2 * p + 1] = zj;
    side_factor(a.latent, a.latent_side, p, __dmul_rn(__dmul_rn(-2.0, w), diff));
    if (a.input_gradient) {
      a.input_side.ends[2 * p] = xi, a.input_side.ends[2 * p + 1] = xj;
      side_factor(a.input, a.input_side, p, __dmul_rn(__dmul_rn(2.0, w), diff));
    }
  }
  for (int k = threadIdx.x; k < n - 1; k += blockDim.x) {
    decode(a.input.keys[k], a.input_edges[2 * k], a.input_edges[2 * k + 1]);
    decode(a.latent.keys[k], a.latent_edges[2 * k], a.latent_edges[2 * k + 1]);
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    double loss = 0;
    for (int p = 0; p < pairs; ++p) loss = __dadd_rn(loss, a.terms[p]);
    *a.loss = loss;
  }
  incidence(a.latent_side, n, pairs, count);
  if (a.input_gradient) {
    __syncthreads();
    incidence(a.input_side, n, pairs, count);
  }
}

// grad (n × dim, row stride dim) of one side: thread (v, k) adds its vertex's pairs in pair order,
// rounding to float after each, as a Float32Array accumulates them.
__global__ void __launch_bounds__(kGradientThreads) edge_gradient(AlignmentSpace space, AlignmentSide side, float* grad) {
  const int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int v = blockIdx.y;
  if (k >= space.dim) return;
  float g = 0.0f;
  for (int e = side.offsets[v]; e < side.offsets[v + 1]; ++e) {
    const int p = side.incident[e] >> 1;
    const int i = side.ends[2 * p], j = side.ends[2 * p + 1];
    const double d = __dmul_rn(side.factor[p], __dsub_rn(static_cast<double>(space.points[i * space.ld_points + k]),
                                                         static_cast<double>(space.points[j * space.ld_points + k])));
    g = __double2float_rn((side.incident[e] & 1) == 0 ? __dadd_rn(static_cast<double>(g), d)
                                                     : __dsub_rn(static_cast<double>(g), d));
  }
  grad[v * space.dim + k] = g;
}

}  // namespace topofr::cuda::kernels
