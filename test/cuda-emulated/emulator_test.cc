// The SIMT emulator itself (native/cuda/emulator/): the collectives compute what CUDA specifies,
// barriers order what they should, and the faults the hardware would hang or trap on are reported.
// Built only for the emulator (scripts/build-cuda-tests.mjs).
#include <string>
#include <vector>

#include "../../native/cuda/portable.cuh"
#include "harness.h"

namespace topofr::test {
namespace {

using cuda::kFullWarp;

// Each lane: its shuffles and votes, written to out[lane · 8 + k].
__global__ void collectives(int* out) {
  const int lane = threadIdx.x & 31;
  int* o = out + threadIdx.x * 8;
  o[0] = __shfl_sync(kFullWarp, lane * 10, 3);
  o[1] = __shfl_xor_sync(kFullWarp, lane, 1);
  o[2] = __shfl_down_sync(kFullWarp, lane, 4);
  o[3] = __shfl_up_sync(kFullWarp, lane, 2);
  o[4] = static_cast<int>(__ballot_sync(kFullWarp, lane % 3 == 0));
  o[5] = __shfl_xor_sync(kFullWarp, lane, 8, 16);  // width 16: within each half
  o[6] = __any_sync(kFullWarp, lane == 31);
  o[7] = __all_sync(kFullWarp, lane < 31);
}

TEST("emulator: shuffles, ballots and votes") {
  int* d = nullptr;
  cudaMalloc(&d, 64 * 8 * sizeof(int));
  TOPOFR_LAUNCH(collectives, 1, 64, 0, nullptr)(d);
  CHECK(cudaGetLastError() == cudaSuccess) << cudaGetErrorString(cudaErrorLaunchFailure);
  for (int t = 0; t < 64; ++t) {
    const int lane = t & 31, *o = d + t * 8;
    CHECK(o[0] == 30 && o[1] == (lane ^ 1) && o[2] == (lane + 4 < 32 ? lane + 4 : lane) &&
          o[3] == (lane >= 2 ? lane - 2 : lane) && o[4] == static_cast<int>(0x49249249u) && o[5] == (lane ^ 8) &&
          o[6] == 1 && o[7] == 0)
        << "thread " << t;
  }
  cudaFree(d);
}

// Thread t writes shared[t], then reads its neighbour's after the barrier: the barrier must hold
// every thread until all have written, whatever the order.
__global__ void neighbours(int* out) {
  __shared__ int values[256];
  values[threadIdx.x] = static_cast<int>(threadIdx.x) * 3;
  __syncthreads();
  out[threadIdx.x] = values[(threadIdx.x + 1) % blockDim.x];
}

TEST("emulator: __syncthreads orders writes before reads in every schedule") {
  int* d = nullptr;
  cudaMalloc(&d, 256 * sizeof(int));
  TOPOFR_LAUNCH(neighbours, 2, 256, 0, nullptr)(d);
  for (int t = 0; t < 256; ++t) CHECK(d[t] == ((t + 1) % 256) * 3) << "thread " << t << " read " << d[t];
  cudaFree(d);
}

// Dynamic shared memory: the size given at launch, fresh per block.
__global__ void reverse_block(const float* in, float* out) {
  TOPOFR_DYNAMIC_SHARED(float, buffer);
  const int t = threadIdx.x, n = blockDim.x;
  buffer[t] = in[blockIdx.x * n + t];
  __syncthreads();
  out[blockIdx.x * n + t] = buffer[n - 1 - t];
}

TEST("emulator: dynamic shared memory, blocks in turn") {
  float *in = nullptr, *out = nullptr;
  cudaMalloc(&in, 3 * 96 * sizeof(float));
  cudaMalloc(&out, 3 * 96 * sizeof(float));
  for (int i = 0; i < 3 * 96; ++i) in[i] = static_cast<float>(i);
  TOPOFR_LAUNCH(reverse_block, 3, 96, 96 * sizeof(float), nullptr)(in, out);
  for (int b = 0; b < 3; ++b)
    for (int t = 0; t < 96; ++t) CHECK(out[b * 96 + t] == in[b * 96 + 95 - t]) << "block " << b << " thread " << t;
  cudaFree(in);
  cudaFree(out);
}

// Faults: each kernel below is wrong in one way the hardware would hang or trap on.
__global__ void lane_leaves(int* out) {
  if ((threadIdx.x & 31) >= 16) return;
  out[threadIdx.x] = __shfl_xor_sync(kFullWarp, static_cast<int>(threadIdx.x), 1);
}
__global__ void half_at_barrier(int* out) {
  if (threadIdx.x < 16) __syncthreads();
  else out[threadIdx.x] = __shfl_sync(kFullWarp, 1, 0);
}
__global__ void reads_outside_mask(int* out) {
  if (threadIdx.x < 16) out[threadIdx.x] = __shfl_sync(0x0000ffffu, 1, 20);
}
__global__ void mismatched_masks(int* out) {  // undefined on the hardware
  out[threadIdx.x] = __shfl_sync(threadIdx.x < 16 ? 0xffffffffu : 0xffff0000u, 1, 16);
}

std::string failure_of(void (*kernel)(int*), const char* name) {
  int* d = nullptr;
  cudaMalloc(&d, 64 * sizeof(int));
  ::topofr::emu::LaunchConfig{name, dim3(1), dim3(32), 0}.with(kernel)(d);
  cudaFree(d);
  return cudaGetLastError() == cudaErrorLaunchFailure ? cudaGetErrorString(cudaErrorLaunchFailure) : "";
}

TEST("emulator: reports lanes that exit before a collective, deadlocks, masks") {
  const std::string exited = failure_of(lane_leaves, "lane_leaves");
  CHECK(exited.find("which has exited") != std::string::npos) << "got '" << exited << "'";
  const std::string deadlock = failure_of(half_at_barrier, "half_at_barrier");
  CHECK(deadlock.find("deadlock") != std::string::npos) << "got '" << deadlock << "'";
  const std::string outside = failure_of(reads_outside_mask, "reads_outside_mask");
  CHECK(outside.find("not in the mask") != std::string::npos) << "got '" << outside << "'";
  const std::string mismatch = failure_of(mismatched_masks, "mismatched_masks");
  // Which one the emulator meets first depends on the schedule: lanes at another collective, or the
  // upper half gone once its own shuffle completed.
  CHECK(mismatch.find("different collectives") != std::string::npos || mismatch.find("which has exited") != std::string::npos)
      << "got '" << mismatch << "'";
}

TEST("emulator: refuses launch configurations the hardware refuses") {
  int* d = nullptr;
  cudaMalloc(&d, 4);
  TOPOFR_LAUNCH(lane_leaves, 1, 2048, 0, nullptr)(d);
  CHECK(cudaGetLastError() == cudaErrorLaunchFailure) << "2048 threads per block";
  TOPOFR_LAUNCH(reverse_block, 1, 32, 64 * 1024, nullptr)(nullptr, nullptr);
  CHECK(cudaGetLastError() == cudaErrorLaunchFailure) << "64 KiB of dynamic shared memory";
  cudaFree(d);
}

}  // namespace
}  // namespace topofr::test
