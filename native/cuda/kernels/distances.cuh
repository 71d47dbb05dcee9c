// Pairwise-distance kernels, with the CPU's definition and precision rules (core/distances.h):
//   d²(x, y) = |x|² + |y|² − 2·x·y        (euclidean, squared euclidean)
//   1 − cos  = 1 − u·v, u = x/|x|, v = y/|y| (cosine: the GEMM multiplies unit rows)
// and, where that identity cancels (d² ≤ (|x|²+|y|²)/8, |x|² + |y|² below 2⁻¹⁰⁰, or 1 − cos ≤ 1/8),
// the pair recomputed from the coordinates in double: Σ(x − y)², or ½·Σ(x/|x| − y/|y|)². A cloud
// whose largest coordinate lies outside [2⁻⁴⁰, 2⁴⁰] is multiplied by a power of two for the GEMM
// (exact) and the results by its inverse, so float32 products neither over- nor underflow. Norms are
// summed in double. Identical points are exactly 0 apart.
//
// Two shapes. Large n: distance_tiles, a register-tiled SGEMM of X·Xᵀ over the 128×128 tiles on or
// above the diagonal whose epilogue turns each dot product into a distance and writes it at (i, j)
// and (j, i). The training batch (n ≈ 128, d up to 37 632) has one or a few tiles, far fewer than
// the GPU's multiprocessors: split-K (gram_partials) cuts the k range into at least as many slices
// as there are multiprocessors, each block one tile × one slice, and split_k_distances adds the
// slices in slice order and applies the same epilogue. Every pair is computed once and mirrored,
// so the output is exactly symmetric whatever the rounding.
//
// Inputs are padded: x is n_pad × ldx (n_pad a multiple of kTile, ldx of kSlab), zero beyond n and
// dim, which changes no dot product or norm.
#pragma once
#include <cstdint>

#include "../../core/distances.h"
#include "../portable.cuh"

namespace topofr::cuda::kernels {

// Output tile 128×128, computed by 256 threads that each own an 8×8 micro-tile: 64 accumulators in
// registers, and per k-step 8 + 8 operands read from shared memory (four 128-bit loads) feed 64 FMAs,
// which keeps the FMA pipes, not shared memory, the limit. 16.5 KiB of shared memory and ≤ 128
// registers per thread let two blocks share an SM on every target, so one block's __syncthreads and
// epilogue overlap the other's FMAs.
constexpr int kTile = 128;
constexpr int kHalf = kTile / 2;
constexpr int kSlab = 8;  // k-depth of one shared-memory stage (one float4 per operand per thread)
constexpr int kTileThreads = 256;
constexpr int kMicro = 8;
// A stage holds the operands k-major (transposed), so a thread reads its 4 consecutive rows of a step
// as one float4. The 4-float pad keeps that alignment and staggers the banks of the transposing
// stores (the two k-halves a warp stores land 16 banks apart: conflict-free).
constexpr int kStageLd = kTile + 4;
// Output rows start on 128-byte boundaries: every float4 store is aligned and the 32-byte pieces
// that a warp's mirrored stores write fill whole sectors.
constexpr int kOutAlign = 32;
// split_k_distances: a block covers a kPairTile × kPairTile square of pairs, a warp kPairRows rows.
constexpr int kPairTile = 32;
constexpr int kPairThreads = 256;
constexpr int kPairRows = kPairTile / (kPairThreads / 32);

// Both operand stages, double-buffered: the shared-memory budget of the tile kernels.
struct TileStages {
  __align__(16) float a[2][kSlab][kStageLd];  // row operand
  __align__(16) float b[2][kSlab][kStageLd];  // column operand
};
static_assert(sizeof(TileStages) <= 24 * 1024, "two tile blocks must fit one SM's shared memory");

// Row (or column) in the tile of micro-tile entry r of thread t along that edge: two 4-wide strips,
// 64 apart. The 16 threads along an edge then read 16 consecutive float4 from shared memory (no bank
// conflicts) and store 16 consecutive float4 to global memory (coalesced).
__device__ __forceinline__ int strip(int t, int r) { return (r >> 2) * kHalf + t * 4 + (r & 3); }

// Block b → tile (bi, bj), bi ≤ bj, enumerating the upper triangle column by column, so that the blocks
// in flight share their column operand and walk the row operands in order (L2 reuse).
__device__ __forceinline__ void tile_of_block(int64_t b, int& bi, int& bj) {
  int64_t j = static_cast<int64_t>((sqrt(8.0 * static_cast<double>(b) + 1.0) - 1.0) * 0.5);
  while (j * (j + 1) / 2 > b) --j;  // the square root is only a guess: make it exact
  while ((j + 1) * (j + 2) / 2 <= b) ++j;
  bj = static_cast<int>(j);
  bi = static_cast<int>(b - j * (j + 1) / 2);
}

// The power of two the (squared) Euclidean GEMM scales the rows by: 0 unless the largest
// coordinate (its float bits: largest_bits) lies outside [2⁻⁴⁰, 2⁴⁰], else what brings it to [1, 2).
constexpr int kScaleFreeExponent = 40;
constexpr float kMinGemmSum = 0x1p-100f;
__device__ __forceinline__ int scale_exponent(unsigned largest_bits) {
  if (largest_bits == 0) return 0;
  const int e = ilogbf(__uint_as_float(largest_bits));
  return e < -kScaleFreeExponent || e > kScaleFreeExponent ? -e : 0;
}

// What the epilogue and the direct path read per row, and the original points.
struct Rows {
  const float* x;            // the caller's points, padded (the direct path)
  int64_t ldx;
  const float* norm2;        // (squared) Euclidean: |x_i|² of the GEMM rows (zero past n)
  const double* inv_norm;    // cosine: 1/|x_i|
  const unsigned* largest;   // (squared) Euclidean: the float bits of the largest |coordinate|
};

__device__ __forceinline__ unsigned umax(unsigned a, unsigned b) { return a > b ? a : b; }

// The largest |coordinate| of the cloud, as float bits (non-negative floats order as their bits).
__global__ void largest_coordinate(const float* __restrict__ x, int64_t count, unsigned* __restrict__ largest) {
  unsigned m = 0;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < count;
       k += static_cast<int64_t>(gridDim.x) * blockDim.x)
    m = umax(m, __float_as_uint(fabsf(x[k])));
  for (int offset = 16; offset > 0; offset >>= 1) m = umax(m, __shfl_xor_sync(kFullWarp, m, offset));
  if ((threadIdx.x & 31) == 0 && m != 0) atomicMax(largest, m);
}

// Per row, one warp: |x|² in double, then the row the GEMM multiplies (gemm, same layout): for
// cosine x/|x| (rounded once from double) and 1/|x| in double, a zero row reported through
// first_zero (the lowest wins); otherwise x·2^scale (exact) and |x|²·2^(2·scale) rounded to float.
template <Metric M>
__global__ void prepare_rows(const float* __restrict__ x, int64_t ldx, int n, float* __restrict__ gemm,
                             float* __restrict__ norm2, double* __restrict__ inv_norm, const unsigned* __restrict__ largest,
                             int* __restrict__ first_zero) {
  const int row = static_cast<int>((static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5);
  const int lane = threadIdx.x & 31;
  if (row >= n) return;  // uniform per warp, so the shuffles below always see a full warp
  if (TOPOFR_MUTANT(lane_exit) && lane * 4 >= ldx) return;  // lanes without data leave: a bug
  const float4* r = reinterpret_cast<const float4*>(x + static_cast<int64_t>(row) * ldx);
  float4* g = reinterpret_cast<float4*>(gemm + static_cast<int64_t>(row) * ldx);
  double sum = 0.0;
  for (int64_t k = lane; k < ldx / 4; k += 32) {
    const float4 v = __ldg(r + k);
    sum = fma(double(v.x), double(v.x), sum);
    sum = fma(double(v.y), double(v.y), sum);
    sum = fma(double(v.z), double(v.z), sum);
    sum = fma(double(v.w), double(v.w), sum);
  }
  for (int offset = 16; offset > 0; offset >>= 1) sum += __shfl_xor_sync(kFullWarp, sum, offset);
  if constexpr (M == Metric::Cosine) {
    if (sum == 0.0) {
      if (lane == 0) atomicMin(first_zero, row);
      return;
    }
    const double inv = 1.0 / sqrt(sum);
    if (lane == 0) inv_norm[row] = inv;
    for (int64_t k = lane; k < ldx / 4; k += 32) {
      const float4 v = __ldg(r + k);
      g[k] = make_float4(static_cast<float>(v.x * inv), static_cast<float>(v.y * inv), static_cast<float>(v.z * inv),
                         static_cast<float>(v.w * inv));
    }
  } else {
    const int scale = scale_exponent(*largest);
    if (lane == 0) norm2[row] = static_cast<float>(ldexp(sum, 2 * scale));
    for (int64_t k = lane; k < ldx / 4; k += 32) {
      const float4 v = __ldg(r + k);
      g[k] = make_float4(ldexpf(v.x, scale), ldexpf(v.y, scale), ldexpf(v.z, scale), ldexpf(v.w, scale));
    }
  }
}

// The distance of one pair straight from the coordinates, in double, by the whole warp (coalesced
// loads, one shuffle reduction); every lane gets the result. For the pairs whose identity cancels.
template <Metric M>
__device__ float direct_distance(const Rows& rows, int i, int j, int lane) {
  const float4* xi = reinterpret_cast<const float4*>(rows.x + static_cast<int64_t>(i) * rows.ldx);
  const float4* xj = reinterpret_cast<const float4*>(rows.x + static_cast<int64_t>(j) * rows.ldx);
  double si = 1.0, sj = 1.0;
  if constexpr (M == Metric::Cosine) si = rows.inv_norm[i], sj = rows.inv_norm[j];
  const auto term = [&](float a, float b) {
    const double d = __dsub_rn(__dmul_rn(double(a), si), __dmul_rn(double(b), sj));
    return __dmul_rn(d, d);
  };
  double sum = 0.0;
  for (int64_t k = lane; k < rows.ldx / 4; k += 32) {
    const float4 a = __ldg(xi + k), b = __ldg(xj + k);
    sum = __dadd_rn(sum, __dadd_rn(__dadd_rn(term(a.x, b.x), term(a.y, b.y)), __dadd_rn(term(a.z, b.z), term(a.w, b.w))));
  }
  for (int offset = 16; offset > 0; offset >>= 1) sum += __shfl_xor_sync(kFullWarp, sum, offset);
  if constexpr (M == Metric::Cosine) return static_cast<float>(0.5 * sum);
  else if constexpr (M == Metric::Euclidean) return static_cast<float>(sqrt(sum));
  else return static_cast<float>(sum);
}

// Dot product → distance with the CPU's expressions and roundings; *lost when the identity has
// cancelled and the pair must be recomputed directly (`!(v > t)` also sends NaN there, as on the
// CPU). pi, pj: the rows' |x|² (unused under cosine). A distance of scaled rows still needs
// scale_back.
template <Metric M>
__device__ __forceinline__ float distance_of_dot(float dot, float pi, float pj, bool& lost) {
  if constexpr (M == Metric::Cosine) {
    const float v = 1.0f - dot;  // the Gram of unit rows
    lost = !(v > 0.125f);
    return v;
  } else {
    const float norms = pi + pj;
    float v = norms - 2.0f * dot;
    lost = !(v > 0.125f * norms) | !(norms >= kMinGemmSum);  // also every v ≤ 0: no negative square survives
    if constexpr (M == Metric::Euclidean) v = sqrtf(fmaxf(v, 0.0f));
    return v;
  }
}

// The factor that takes a (squared) Euclidean distance of rows scaled by 2^scale back to the
// caller's scale, 2^(−scale) or 2^(−2·scale), as a double (exact: |exponent| ≤ 2·149).
template <Metric M>
__device__ __forceinline__ double unscale_factor(int scale) {
  const int back = (M == Metric::SqEuclidean ? -2 : -1) * scale;
  return __longlong_as_double(static_cast<long long>(1023 + back) << 52);
}

// Back to the caller's scale: one rounding, of the exact product (as the CPU's float(ldexp(double))).
__device__ __forceinline__ float scale_back(float v, double factor) {
  return static_cast<float>(__dmul_rn(static_cast<double>(v), factor));
}

// acc += X[row0 … +128) · X[col0 … +128)ᵀ over columns [k0, k1) (multiples of kSlab), each entry one
// sequential FMA chain over k, as the CPU's builtin kernel computes a dot product.
__device__ __forceinline__ void tile_gram(const float* __restrict__ x, int64_t ldx, int row0, int col0, int64_t k0,
                                          int64_t k1, TileStages& s, float (&acc)[kMicro][kMicro]) {
  const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
  // Loading: per stage, thread t fetches k-values (t & 1)·4 … +3 of row t/2 of each operand (one float4).
  const int load_row = tid >> 1, load_k = (tid & 1) * 4;
  const float4* ga = reinterpret_cast<const float4*>(x + static_cast<int64_t>(row0 + load_row) * ldx + k0 + load_k);
  const float4* gb = reinterpret_cast<const float4*>(x + static_cast<int64_t>(col0 + load_row) * ldx + k0 + load_k);
  const int slabs = static_cast<int>((k1 - k0) / kSlab);
  auto stage = [&](int buf, float4 a, float4 b) {
    s.a[buf][load_k + 0][load_row] = a.x;
    s.a[buf][load_k + 1][load_row] = a.y;
    s.a[buf][load_k + 2][load_row] = a.z;
    s.a[buf][load_k + 3][load_row] = a.w;
    s.b[buf][load_k + 0][load_row] = b.x;
    s.b[buf][load_k + 1][load_row] = b.y;
    s.b[buf][load_k + 2][load_row] = b.z;
    s.b[buf][load_k + 3][load_row] = b.w;
  };

  float4 next_a = __ldg(ga), next_b = __ldg(gb);
  stage(0, next_a, next_b);
  __syncthreads();
  // Double buffering: stage t + 1 is fetched into registers before stage t is multiplied, and
  // written to the other buffer after, so global latency hides behind 512 FMAs and one barrier per
  // stage suffices (the buffer being written was last read before the previous barrier).
  for (int t = 0; t < slabs; ++t) {
    const int buf = t & 1;
    const bool more = t + 1 < slabs;
    if (more) {
      next_a = __ldg(ga + (t + 1) * (kSlab / 4));
      next_b = __ldg(gb + (t + 1) * (kSlab / 4));
    }
#pragma unroll
    for (int k = 0; k < kSlab; ++k) {
      const float4 a0 = *reinterpret_cast<const float4*>(&s.a[buf][k][ty * 4]);
      const float4 a1 = *reinterpret_cast<const float4*>(&s.a[buf][k][kHalf + ty * 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&s.b[buf][k][tx * 4]);
      const float4 b1 = *reinterpret_cast<const float4*>(&s.b[buf][k][kHalf + tx * 4]);
      const float a[kMicro] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float b[kMicro] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int r = 0; r < kMicro; ++r)
#pragma unroll
        for (int c = 0; c < kMicro; ++c) acc[r][c] = fmaf(a[r], b[c], acc[r][c]);
    }
    if (more) stage(buf ^ 1, next_a, next_b);
    if (!TOPOFR_MUTANT(drop_sync)) __syncthreads();
  }
}

// The flagged pairs of a warp, one at a time, each computed by all 32 lanes: a lone flagged entry
// costs the warp dim/128 coalesced steps instead of a dim-long serial loop that would stall its 31
// neighbours. flags: per lane, bit e set for the lane's entry e, whose pair pair_of(e) gives.
template <Metric M, class PairOf>
__device__ __forceinline__ void recompute_flagged(uint64_t flags, PairOf pair_of, const Rows& rows, float* __restrict__ out,
                                                  int64_t ldo) {
  const int lane = threadIdx.x & 31;
  for (;;) {
    const unsigned pending = __ballot_sync(kFullWarp, flags != 0);
    if (pending == 0) break;
    const int leader = __ffs(static_cast<int>(pending)) - 1;
    const int e = __ffsll(static_cast<long long>(flags)) - 1;  // meaningful on the leader only
    int i = 0, j = 0;
    if (lane == leader) pair_of(e, i, j);
    i = __shfl_sync(kFullWarp, i, leader);
    j = __shfl_sync(kFullWarp, j, leader);
    const float v = direct_distance<M>(rows, i, j, lane);
    if (lane == leader) {
      out[static_cast<int64_t>(i) * ldo + j] = v;
      out[static_cast<int64_t>(j) * ldo + i] = v;
      flags &= flags - 1;
    }
  }
}

// Large n. gemm: the rows from prepare_rows, out: n × ldo. One block per tile (bi ≤ bj) of the
// upper triangle.
template <Metric M>
__global__ void __launch_bounds__(kTileThreads, 2)
    distance_tiles(const float* __restrict__ gemm, Rows rows, int n, float* __restrict__ out, int64_t ldo) {
  __shared__ TileStages stages;
  int bi, bj;
  tile_of_block(blockIdx.x, bi, bj);
  const int row0 = bi * kTile, col0 = bj * kTile;
  const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;

  float acc[kMicro][kMicro] = {};
  tile_gram(gemm, rows.ldx, row0, col0, 0, rows.ldx, stages, acc);

  // Epilogue: dot products → distances, in place. Pairs whose identity cancels are only flagged here
  // and recomputed below, so the common path stays branch-free.
  const bool diagonal = bi == bj;
  float pi[kMicro], pj[kMicro];
  int scale = 0;
  if constexpr (M != Metric::Cosine) {
#pragma unroll
    for (int r = 0; r < kMicro; ++r) {
      pi[r] = rows.norm2[row0 + strip(ty, r)];
      pj[r] = rows.norm2[col0 + strip(tx, r)];
    }
    scale = scale_exponent(*rows.largest);
  }
  uint64_t cancels = 0;  // bit r·8 + c: entry (r, c) needs the direct formula
#pragma unroll
  for (int r = 0; r < kMicro; ++r) {
#pragma unroll
    for (int c = 0; c < kMicro; ++c) {
      bool lost;
      acc[r][c] = distance_of_dot<M>(acc[r][c], pi[r], pj[c], lost);
      if (lost) cancels |= 1ull << (r * kMicro + c);
    }
  }
  if (scale != 0) {  // uniform: the whole grid, and only for clouds far from 1
    const double factor = unscale_factor<M>(scale);
#pragma unroll
    for (int r = 0; r < kMicro; ++r)
#pragma unroll
      for (int c = 0; c < kMicro; ++c) acc[r][c] = scale_back(acc[r][c], factor);
  }

  // Streaming stores (__stcs): the n² output is written once and never read here, so it should not
  // evict the input rows that other blocks are still reading from L2.
  if (!diagonal) {
    // Rows of an off-diagonal tile precede its columns, so only the columns need a bounds check;
    // a float4 starting before n may run into the row padding (ldo ≥ n rounded up to 4), never past it.
#pragma unroll
    for (int r = 0; r < kMicro; ++r) {
      const int64_t i = row0 + strip(ty, r);
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int j0 = col0 + strip(tx, 4 * h);
        if (j0 < n)
          __stcs(reinterpret_cast<float4*>(out + i * ldo + j0),
                 make_float4(acc[r][4 * h], acc[r][4 * h + 1], acc[r][4 * h + 2], acc[r][4 * h + 3]));
      }
    }
#pragma unroll
    for (int c = 0; c < kMicro; ++c) {
      const int64_t j = col0 + strip(tx, c);
      if (j >= n) continue;
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int i0 = row0 + strip(ty, 4 * h);
        __stcs(reinterpret_cast<float4*>(out + j * ldo + i0),
               make_float4(acc[4 * h][c], acc[4 * h + 1][c], acc[4 * h + 2][c], acc[4 * h + 3][c]));
      }
    }
  } else {
    // 1 tile in T(T+1)/2: scalar stores of the i ≤ j half, mirrored, and the exact zero diagonal.
#pragma unroll
    for (int r = 0; r < kMicro; ++r) {
#pragma unroll
      for (int c = 0; c < kMicro; ++c) {
        const int64_t i = row0 + strip(ty, r), j = col0 + strip(tx, c);
        if (i > j || j >= n) continue;
        const float v = i == j ? 0.0f : acc[r][c];
        __stcs(out + i * ldo + j, v);
        __stcs(out + j * ldo + i, v);
      }
    }
  }

  // Keep only the flags of real pairs, and in a diagonal tile, which holds each pair twice, only those
  // of the i < j copy. (Done here, once the accumulators are dead: in the loop above the extra live
  // indices push the kernel past 128 registers.) The owner rewrites both copies after its own
  // stores above (program order).
#pragma unroll
  for (int r = 0; r < kMicro; ++r) {
#pragma unroll
    for (int c = 0; c < kMicro; ++c) {
      const int i = row0 + strip(ty, r), j = col0 + strip(tx, c);
      if (j >= n || i >= n || (diagonal && i >= j)) cancels &= ~(1ull << (r * kMicro + c));
    }
  }
  recompute_flagged<M>(
      cancels, [&](int e, int& i, int& j) { i = row0 + strip(ty, e >> 3), j = col0 + strip(tx, e & 7); }, rows, out,
      ldo);
}

// Split-K, first half: block b computes tile (b mod tiles) over k-slice (b / tiles), [s·depth,
// min((s+1)·depth, ldx)), into partial[s] (n_pad × n_pad, the full tile: the epilogue reads i ≤ j).
__global__ void __launch_bounds__(kTileThreads, 2)
    gram_partials(const float* __restrict__ x, int64_t ldx, int n_pad, int tiles, int depth,
                  float* __restrict__ partial) {
  __shared__ TileStages stages;
  int bi, bj;
  tile_of_block(blockIdx.x % tiles, bi, bj);
  const int slice = static_cast<int>(blockIdx.x / tiles);
  const int64_t k0 = static_cast<int64_t>(slice) * depth, k1 = k0 + depth < ldx ? k0 + depth : ldx;

  float acc[kMicro][kMicro] = {};
  tile_gram(x, ldx, bi * kTile, bj * kTile, k0, k1, stages, acc);

  // Indices recomputed from blockIdx rather than kept live through the main loop (registers).
  tile_of_block(blockIdx.x % tiles, bi, bj);
  const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
  float* p = partial + (static_cast<int64_t>(blockIdx.x / tiles) * n_pad + bi * kTile) * n_pad + bj * kTile;
#pragma unroll
  for (int r = 0; r < kMicro; ++r) {
    const int64_t i = strip(ty, r);
#pragma unroll
    for (int h = 0; h < 2; ++h)
      __stcs(reinterpret_cast<float4*>(p + i * n_pad + strip(tx, 4 * h)),
             make_float4(acc[r][4 * h], acc[r][4 * h + 1], acc[r][4 * h + 2], acc[r][4 * h + 3]));
  }
}

// Split-K, second half: the slices of each pair i ≤ j added in slice order (deterministic), then
// the distance epilogue; out[i][j] and out[j][i] both written. Block b → the b-th kPairTile square
// of the upper triangle (tile_of_block's order); warp w → rows w·kPairRows …, lane → one column.
template <Metric M>
__global__ void __launch_bounds__(kPairThreads)
    split_k_distances(const float* __restrict__ partial, int slices, int64_t n_pad, Rows rows, int n,
                      float* __restrict__ out, int64_t ldo) {
  int bi, bj;
  tile_of_block(blockIdx.x, bi, bj);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int j = bj * kPairTile + lane;
  const int first_row = bi * kPairTile + warp * kPairRows;
  uint64_t flags = 0;  // bit r: row first_row + r needs the direct formula
  const int scale = M == Metric::Cosine ? 0 : scale_exponent(*rows.largest);
  for (int r = 0; r < kPairRows; ++r) {
    const int i = first_row + r;
    if (i > j || (j >= n && !TOPOFR_MUTANT(no_bound))) continue;
    float dot = 0.0f;
    for (int s = 0; s < slices; ++s) dot += partial[(s * n_pad + i) * n_pad + j];
    bool lost;
    float v = M == Metric::Cosine ? distance_of_dot<M>(dot, 0, 0, lost)
                                  : distance_of_dot<M>(dot, rows.norm2[i], rows.norm2[j], lost);
    if (scale != 0) v = scale_back(v, unscale_factor<M>(scale));
    if (i == j) v = 0.0f, lost = false;
    else if (lost) flags |= 1ull << r;
    out[static_cast<int64_t>(i) * ldo + j] = v;
    out[static_cast<int64_t>(j) * ldo + i] = v;
  }
  recompute_flagged<M>(flags, [&](int e, int& i, int& jj) { i = first_row + e, jj = j; }, rows, out, ldo);
}

}  // namespace topofr::cuda::kernels
