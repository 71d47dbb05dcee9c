// Pairwise distances on the GPU, with the CPU's definition (core/distances.h):
//   d²(x, y) = |x|² + |y|² − 2·x·y        (euclidean, squared euclidean)
//   1 − cos  = 1 − x·y / (|x|·|y|)        (cosine)
// and, where that identity cancels (d² ≤ (|x|²+|y|²)/8, or 1 − cos ≤ 1/8), the pair recomputed from
// the coordinates: Σ(x − y)², or ½·Σ(x/|x| − y/|y|)². Identical points are exactly 0 apart.
//
// One kernel does the work: a register-tiled SGEMM of X·Xᵀ over the tiles on or above the diagonal
// (the matrix is symmetric, so half the arithmetic), whose epilogue turns each dot product into a
// distance and writes it at (i, j) and at (j, i). Every pair is computed once and mirrored, so the
// output is exactly symmetric whatever the rounding.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "../core/distances.h"
#include "check.cuh"
#include "cuda_api.h"

namespace topofr::cuda {

namespace {

// Output tile 128×128, computed by 256 threads that each own an 8×8 micro-tile: 64 accumulators in
// registers, and per k-step 8 + 8 operands read from shared memory (four 128-bit loads) feed 64 FMAs,
// which keeps the FMA pipes, not shared memory, the limit. 16.5 KiB of shared memory and ≤ 128
// registers per thread let two blocks share an SM on every target (sm_75 … sm_90), so one block's
// __syncthreads and epilogue overlap the other's FMAs.
constexpr int kTile = 128;
constexpr int kHalf = kTile / 2;
constexpr int kSlab = 8;      // k-depth of one shared-memory stage (one float4 per operand per thread)
constexpr int kThreads = 256;
constexpr int kMicro = 8;
// A stage holds the operands k-major (transposed), so a thread reads its 4 consecutive rows of a step
// as one float4. The 4-float pad keeps that alignment and staggers the banks of the transposing
// stores (the two k-halves a warp stores land 16 banks apart: conflict-free).
constexpr int kStageLd = kTile + 4;
// Output rows start on 128-byte boundaries: every float4 store is aligned and the 32-byte pieces
// that a warp's mirrored stores write fill whole sectors.
constexpr int kOutAlign = 32;
constexpr unsigned kFullWarp = 0xffffffffu;

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

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

// Per-row quantity of the epilogue: |x|² for (squared) euclidean, 1/|x| for cosine, each rounded as
// the CPU rounds it (the sum in double, then float). One warp per row; n·dim double FMAs are cheap even
// where double is slow. Under cosine a zero row is reported through first_zero (the lowest one wins).
template <Metric M>
__global__ void row_norms(const float* __restrict__ x, int64_t ldx, int n, float* __restrict__ per_row,
                          int* __restrict__ first_zero) {
  const int row = static_cast<int>((static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) >> 5);
  const int lane = threadIdx.x & 31;
  if (row >= n) return;  // uniform per warp, so the shuffles below always see a full warp
  const float4* r = reinterpret_cast<const float4*>(x + static_cast<int64_t>(row) * ldx);
  double sum = 0.0;
  for (int64_t k = lane; k < ldx / 4; k += 32) {
    const float4 v = __ldg(r + k);
    sum = fma(double(v.x), double(v.x), sum);
    sum = fma(double(v.y), double(v.y), sum);
    sum = fma(double(v.z), double(v.z), sum);
    sum = fma(double(v.w), double(v.w), sum);
  }
  for (int offset = 16; offset > 0; offset >>= 1) sum += __shfl_xor_sync(kFullWarp, sum, offset);
  if (lane != 0) return;
  const float norm2 = static_cast<float>(sum);
  if constexpr (M == Metric::Cosine) {
    if (sum == 0.0) atomicMin(first_zero, row);
    per_row[row] = 1.0f / sqrtf(norm2);
  } else {
    per_row[row] = norm2;
  }
}

// The distance of one pair straight from the coordinates, by the whole warp (coalesced loads, one
// shuffle reduction); every lane gets the result. For the pairs whose GEMM identity cancels.
template <Metric M>
__device__ float direct_distance(const float* __restrict__ x, int64_t ldx, const float* __restrict__ per_row,
                                 int i, int j, int lane) {
  const float4* xi = reinterpret_cast<const float4*>(x + static_cast<int64_t>(i) * ldx);
  const float4* xj = reinterpret_cast<const float4*>(x + static_cast<int64_t>(j) * ldx);
  float si = 1.0f, sj = 1.0f;
  if constexpr (M == Metric::Cosine) {
    si = per_row[i];
    sj = per_row[j];
  }
  // Cosine: a·si − b·sj with one rounding of the difference itself (p + e = b·sj exactly), not of
  // each product, whose rounding errors (≈ ε·|a·si|) would swamp a difference near 0. Identical
  // rows give exactly 0. The rounding of si and sj themselves only rescales the unit vectors, which
  // moves ½|x̂ − ŷ|² by a relative ε (plus ε² absolute).
  auto diff = [&](float a, float b) {
    if constexpr (M == Metric::Cosine) {
      const float p = __fmul_rn(b, sj);
      const float e = fmaf(b, sj, -p);
      return fmaf(a, si, -p) - e;
    } else {
      return a - b;
    }
  };
  float sum = 0.0f;
  for (int64_t k = lane; k < ldx / 4; k += 32) {
    const float4 a = __ldg(xi + k), b = __ldg(xj + k);
    const float dx = diff(a.x, b.x), dy = diff(a.y, b.y), dz = diff(a.z, b.z), dw = diff(a.w, b.w);
    sum = fmaf(dx, dx, sum);
    sum = fmaf(dy, dy, sum);
    sum = fmaf(dz, dz, sum);
    sum = fmaf(dw, dw, sum);
  }
  for (int offset = 16; offset > 0; offset >>= 1) sum += __shfl_xor_sync(kFullWarp, sum, offset);
  if constexpr (M == Metric::Cosine) return 0.5f * sum;
  else if constexpr (M == Metric::Euclidean) return sqrtf(sum);
  else return sum;
}

// x: n_pad × ldx (zero padded), per_row: n_pad values from row_norms (zero past n), out: n × ldo.
// One block per tile (bi ≤ bj) of the upper triangle.
template <Metric M>
__global__ void __launch_bounds__(kThreads, 2)
    distance_tiles(const float* __restrict__ x, int64_t ldx, const float* __restrict__ per_row, int n,
                   float* __restrict__ out, int64_t ldo) {
  __shared__ __align__(16) float sa[2][kSlab][kStageLd];  // row operand, double-buffered
  __shared__ __align__(16) float sb[2][kSlab][kStageLd];  // column operand

  int bi, bj;
  tile_of_block(blockIdx.x, bi, bj);
  const int row0 = bi * kTile, col0 = bj * kTile;
  const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4, lane = tid & 31;

  // Loading: per stage, thread t fetches k-values (t & 1)·4 … +3 of row t/2 of each operand (one float4).
  const int load_row = tid >> 1, load_k = (tid & 1) * 4;
  const float4* ga = reinterpret_cast<const float4*>(x + static_cast<int64_t>(row0 + load_row) * ldx + load_k);
  const float4* gb = reinterpret_cast<const float4*>(x + static_cast<int64_t>(col0 + load_row) * ldx + load_k);
  const int slabs = static_cast<int>(ldx / kSlab);
  auto stage = [&](int buf, float4 a, float4 b) {
    sa[buf][load_k + 0][load_row] = a.x;
    sa[buf][load_k + 1][load_row] = a.y;
    sa[buf][load_k + 2][load_row] = a.z;
    sa[buf][load_k + 3][load_row] = a.w;
    sb[buf][load_k + 0][load_row] = b.x;
    sb[buf][load_k + 1][load_row] = b.y;
    sb[buf][load_k + 2][load_row] = b.z;
    sb[buf][load_k + 3][load_row] = b.w;
  };

  float acc[kMicro][kMicro] = {};
  float4 next_a = __ldg(ga), next_b = __ldg(gb);
  stage(0, next_a, next_b);
  __syncthreads();
  // Double buffering: stage s + 1 is fetched into registers before stage s is multiplied, and
  // written to the other buffer after, so global latency hides behind 512 FMAs and one barrier per
  // stage suffices (the buffer being written was last read before the previous barrier).
  for (int s = 0; s < slabs; ++s) {
    const int buf = s & 1;
    const bool more = s + 1 < slabs;
    if (more) {
      next_a = __ldg(ga + (s + 1) * (kSlab / 4));
      next_b = __ldg(gb + (s + 1) * (kSlab / 4));
    }
#pragma unroll
    for (int k = 0; k < kSlab; ++k) {
      const float4 a0 = *reinterpret_cast<const float4*>(&sa[buf][k][ty * 4]);
      const float4 a1 = *reinterpret_cast<const float4*>(&sa[buf][k][kHalf + ty * 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&sb[buf][k][tx * 4]);
      const float4 b1 = *reinterpret_cast<const float4*>(&sb[buf][k][kHalf + tx * 4]);
      const float a[kMicro] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float b[kMicro] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int r = 0; r < kMicro; ++r)
#pragma unroll
        for (int c = 0; c < kMicro; ++c) acc[r][c] = fmaf(a[r], b[c], acc[r][c]);
    }
    if (more) stage(buf ^ 1, next_a, next_b);
    __syncthreads();
  }

  // Epilogue: dot products → distances, in place, with the CPU's expressions and roundings (each dot
  // product is the same sequential FMA chain over k as the CPU's builtin kernel, so where the CPU
  // uses FMA the results agree bitwise). Pairs whose identity cancels are only flagged here and
  // recomputed below, so the common path stays branch-free; `!(v > t)` also sends NaN there, as
  // on the CPU.
  const bool diagonal = bi == bj;
  float pi[kMicro], pj[kMicro];
#pragma unroll
  for (int r = 0; r < kMicro; ++r) {
    pi[r] = per_row[row0 + strip(ty, r)];
    pj[r] = per_row[col0 + strip(tx, r)];
  }
  uint64_t cancels = 0;  // bit r·8 + c: entry (r, c) needs the direct formula
#pragma unroll
  for (int r = 0; r < kMicro; ++r) {
#pragma unroll
    for (int c = 0; c < kMicro; ++c) {
      float v;
      bool lost;
      if constexpr (M == Metric::Cosine) {
        v = 1.0f - __fmul_rn(acc[r][c], __fmul_rn(pi[r], pj[c]));  // _rn: not contracted, like the CPU
        lost = !(v > 0.125f);
      } else {
        const float norms = pi[r] + pj[c];
        v = norms - 2.0f * acc[r][c];
        lost = !(v > 0.125f * norms);  // also every v ≤ 0: no negative square survives
        if constexpr (M == Metric::Euclidean) v = sqrtf(fmaxf(v, 0.0f));
      }
      if (lost) cancels |= 1ull << (r * kMicro + c);
      acc[r][c] = v;
    }
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
  // indices push the kernel past 128 registers.)
#pragma unroll
  for (int r = 0; r < kMicro; ++r) {
#pragma unroll
    for (int c = 0; c < kMicro; ++c) {
      const int i = row0 + strip(ty, r), j = col0 + strip(tx, c);
      if (j >= n || i >= n || (diagonal && i >= j)) cancels &= ~(1ull << (r * kMicro + c));
    }
  }

  // The flagged pairs, one at a time per warp, each computed by all 32 lanes: a lone flagged entry
  // costs the warp dim/128 coalesced steps instead of a dim-long serial loop that would stall its
  // 31 neighbours. The owner rewrites both copies after its own stores above (program order).
  for (;;) {
    const unsigned pending = __ballot_sync(kFullWarp, cancels != 0);
    if (pending == 0) break;
    const int leader = __ffs(pending) - 1;
    const int e = __ffsll(static_cast<long long>(cancels)) - 1;  // meaningful on the leader only
    const int i = __shfl_sync(kFullWarp, row0 + strip(ty, e >> 3), leader);
    const int j = __shfl_sync(kFullWarp, col0 + strip(tx, e & 7), leader);
    const float v = direct_distance<M>(x, ldx, per_row, i, j, lane);
    if (lane == leader) {
      out[static_cast<int64_t>(i) * ldo + j] = v;
      out[static_cast<int64_t>(j) * ldo + i] = v;
      cancels &= cancels - 1;
    }
  }
}

template <Metric M>
void launch(const float* x, int64_t n_pad, int64_t ldx, int n, float* per_row, int* first_zero, float* out,
            int64_t ldo, cudaStream_t stream) {
  constexpr int kWarpsPerBlock = kThreads / 32;
  row_norms<M><<<static_cast<unsigned>((n + kWarpsPerBlock - 1) / kWarpsPerBlock), kThreads, 0, stream>>>(
      x, ldx, n, per_row, first_zero);
  detail::check(cudaGetLastError(), "row_norms<<<>>>");
  if constexpr (M == Metric::Cosine) {
    int zero_row = 0;
    TOPOFR_CUDA_CHECK(cudaMemcpyAsync(&zero_row, first_zero, sizeof(int), cudaMemcpyDeviceToHost, stream));
    TOPOFR_CUDA_CHECK(cudaStreamSynchronize(stream));
    if (zero_row < n)
      throw std::invalid_argument("cosine distance is undefined for a zero vector (row " +
                                  std::to_string(zero_row) + ")");
  }
  const int64_t tiles = n_pad / kTile;
  const auto blocks = static_cast<unsigned>(tiles * (tiles + 1) / 2);
  distance_tiles<M><<<blocks, kThreads, 0, stream>>>(x, ldx, per_row, n, out, ldo);
  detail::check(cudaGetLastError(), "distance_tiles<<<>>>");
}

// Owns a device allocation; frees it on every path out of pairwise_distances.
template <typename T>
class DeviceArray {
 public:
  explicit DeviceArray(int64_t count) {
    TOPOFR_CUDA_CHECK(cudaMalloc(&p_, static_cast<size_t>(count) * sizeof(T)));
  }
  ~DeviceArray() { detail::discard(cudaFree(p_)); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  T* get() const { return p_; }

 private:
  T* p_ = nullptr;
};

// A stream of this call's own, so concurrent calls from several threads do not serialize on the
// legacy default stream.
class Stream {
 public:
  Stream() { TOPOFR_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  ~Stream() { detail::discard(cudaStreamDestroy(s_)); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  operator cudaStream_t() const { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

}  // namespace

void pairwise_distances(const float* points, int64_t n, int64_t dim, Metric metric, float* out) {
  if (n < 0 || dim < 0) throw std::invalid_argument("pairwise_distances: negative matrix size");
  const DeviceInfo& info = device_info();
  if (info.device_count == 0) throw std::runtime_error("no usable CUDA device: " + info.error);
  if (n == 0) return;

  const int64_t n_pad = round_up(n, kTile);
  // Padded input rows are a whole number of stages (no k bounds checks in the kernel), at least one.
  const int64_t ldx = round_up(dim > 0 ? dim : 1, kSlab);
  const int64_t ldo = round_up(n, kOutAlign);

  TOPOFR_CUDA_CHECK(cudaSetDevice(0));
  size_t free_bytes = 0, total_bytes = 0;
  TOPOFR_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  // In double: for absurd sizes the byte count would overflow 64 bits before the comparison fails.
  const double need = 4.0 * (static_cast<double>(n) * ldo + static_cast<double>(n_pad) * ldx + n_pad + 1);
  if (need > static_cast<double>(free_bytes))
    throw std::runtime_error("pairwise distances of n = " + std::to_string(n) + " points (dim " +
                             std::to_string(dim) + ") need " + gib(need) + " of GPU memory for the n×n " +
                             "float32 matrix and the input, but " + info.name + " has " +
                             gib(static_cast<double>(free_bytes)) + " free of " +
                             gib(static_cast<double>(total_bytes)));
  // From here every size is far below 2³¹ rows / 2³¹ blocks: the memory check bounds them.

  Stream stream;
  DeviceArray<float> d_x(n_pad * ldx), d_per_row(n_pad), d_out(n * ldo);
  DeviceArray<int> d_first_zero(1);

  // Zero padding (rows past n, columns past dim) leaves every dot product and norm unchanged.
  TOPOFR_CUDA_CHECK(cudaMemsetAsync(d_x.get(), 0, static_cast<size_t>(n_pad * ldx) * sizeof(float), stream));
  if (dim > 0)
    TOPOFR_CUDA_CHECK(cudaMemcpy2DAsync(d_x.get(), static_cast<size_t>(ldx) * sizeof(float), points,
                                        static_cast<size_t>(dim) * sizeof(float),
                                        static_cast<size_t>(dim) * sizeof(float), static_cast<size_t>(n),
                                        cudaMemcpyHostToDevice, stream));
  TOPOFR_CUDA_CHECK(cudaMemsetAsync(d_per_row.get(), 0, static_cast<size_t>(n_pad) * sizeof(float), stream));
  // 0x7f7f7f7f: larger than any row index, so atomicMin finds the first zero row.
  TOPOFR_CUDA_CHECK(cudaMemsetAsync(d_first_zero.get(), 0x7f, sizeof(int), stream));

  const int rows = static_cast<int>(n);
  switch (metric) {
    case Metric::Euclidean:
      launch<Metric::Euclidean>(d_x.get(), n_pad, ldx, rows, d_per_row.get(), d_first_zero.get(), d_out.get(),
                                ldo, stream);
      break;
    case Metric::SqEuclidean:
      launch<Metric::SqEuclidean>(d_x.get(), n_pad, ldx, rows, d_per_row.get(), d_first_zero.get(),
                                  d_out.get(), ldo, stream);
      break;
    case Metric::Cosine:
      launch<Metric::Cosine>(d_x.get(), n_pad, ldx, rows, d_per_row.get(), d_first_zero.get(), d_out.get(), ldo,
                             stream);
      break;
  }

  TOPOFR_CUDA_CHECK(cudaMemcpy2DAsync(out, static_cast<size_t>(n) * sizeof(float), d_out.get(),
                                      static_cast<size_t>(ldo) * sizeof(float),
                                      static_cast<size_t>(n) * sizeof(float), static_cast<size_t>(n),
                                      cudaMemcpyDeviceToHost, stream));
  TOPOFR_CUDA_CHECK(cudaStreamSynchronize(stream));
}

}  // namespace topofr::cuda
