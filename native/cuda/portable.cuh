// The thin portability layer: the kernels (kernels/*.cuh) and their host code (*.cu) include this
// and nothing CUDA-specific, so the same source builds with nvcc for the GPU and with g++ for the
// SIMT emulator (emulator/), which runs the real kernels in CI (test/cuda-emulated/).
//
//   TOPOFR_LAUNCH(kernel, grid, block, shared_bytes, stream)(args...)   a kernel launch
//   TOPOFR_DYNAMIC_SHARED(T, name)                                       extern __shared__ T name[]
//   TOPOFR_MUTANT(name)   true only in the mutation tests' builds (-DTOPOFR_MUTATION=name): the
//                         three deliberate bugs that test/cuda-emulated.test.ts must catch.
#pragma once

#if defined(__CUDACC__)
#include <cuda_runtime.h>

#define TOPOFR_LAUNCH(kernel, grid, block, shared_bytes, stream) kernel<<<(grid), (block), (shared_bytes), (stream)>>>
#define TOPOFR_DYNAMIC_SHARED(T, name) extern __shared__ __align__(16) T name[]

#else
#include "emulator/device.h"
#include "emulator/runtime.h"

#define TOPOFR_LAUNCH(kernel, grid, block, shared_bytes, stream) \
  ((void)(stream), ::topofr::emu::LaunchConfig{#kernel, dim3(grid), dim3(block), size_t(shared_bytes)}.with(kernel))
#define TOPOFR_DYNAMIC_SHARED(T, name) \
  T* name = reinterpret_cast<T*>(::topofr::emu::detail::current->dynamic_shared)
#endif

// The mutations (see the test): drop_sync removes a __syncthreads, lane_exit lets lanes leave
// before a full-warp shuffle, no_bound drops a bounds check.
#define TOPOFR_MUTATION_drop_sync 1
#define TOPOFR_MUTATION_lane_exit 2
#define TOPOFR_MUTATION_no_bound 3
#if defined(TOPOFR_MUTATION)
#define TOPOFR_MUTANT(name) (TOPOFR_MUTATION == TOPOFR_MUTATION_##name)
#else
#define TOPOFR_MUTANT(name) false
#endif

namespace topofr::cuda {

constexpr unsigned kFullWarp = 0xffffffffu;

}  // namespace topofr::cuda
