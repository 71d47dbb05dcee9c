// The CUDA runtime API subset that native/cuda's host code uses, for the emulator: one device
// ("SIMT emulator") whose global memory is host memory, streams that run their work at once, and
// launches through simt.h. The same host code (distances.cu, h0.cu, …) compiled with g++ against
// this header runs every allocation, copy and launch of the real path. Included only through
// ../portable.cuh, never with nvcc.
#pragma once
#include <cstddef>
#include <cstdint>

#include "simt.h"

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorNoDevice = 100,
  cudaErrorLaunchFailure = 719,
};

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};

struct CUstream_st;
using cudaStream_t = CUstream_st*;
constexpr unsigned cudaStreamNonBlocking = 1;

struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  size_t sharedMemPerBlock;
  int multiProcessorCount;
  int maxThreadsPerBlock;
  int warpSize;
  int major, minor;
};

cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaMalloc(void** p, size_t bytes);
template <class T>
cudaError_t cudaMalloc(T** p, size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(p), bytes);
}
cudaError_t cudaFree(void* p);
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream = nullptr);
cudaError_t cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t height,
                              cudaMemcpyKind kind, cudaStream_t stream = nullptr);
cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorName(cudaError_t e);
const char* cudaGetErrorString(cudaError_t e);

namespace topofr::emu {

// The emulated device's size: its global memory (cudaMemGetInfo, and cudaMalloc fails beyond it)
// and its multiprocessor count (what the host code sizes grids by). Tests shrink the memory to
// exercise the fall-backs that are checked before allocating.
void set_device(size_t global_memory, int multiprocessors);
// Bytes currently allocated with cudaMalloc (a test's leak check).
size_t device_memory_in_use();

// Runs kernel(args...) as a grid: the emulator's <<<grid, block, shared, stream>>>. A KernelError
// becomes the launch's error, reported by cudaGetLastError as on the hardware.
void launch_or_record(const char* name, dim3 grid, dim3 block, size_t shared_bytes, const std::function<void()>& body);

struct LaunchConfig {
  const char* name;
  dim3 grid, block;
  size_t shared;
  template <class Kernel>
  auto with(Kernel* kernel) const {
    return [config = *this, kernel](auto&&... args) {
      launch_or_record(config.name, config.grid, config.block, config.shared, [&] { kernel(args...); });
    };
  }
};

}  // namespace topofr::emu
