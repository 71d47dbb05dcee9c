// The emulated CUDA runtime (runtime.h): host memory as device memory, synchronous streams.
#include "runtime.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

namespace {

struct Device {
  size_t global_memory = size_t{8} << 30;
  int multiprocessors = 16;
  size_t in_use = 0;
  std::unordered_map<void*, size_t> allocations;
  std::mutex mutex;
};

Device& device() {
  static Device d;
  return d;
}

// Like the runtime's per-thread last error; the launch message stands in for the device's report.
thread_local cudaError_t last_error = cudaSuccess;
thread_local std::string last_message;

cudaError_t record(cudaError_t e) {
  if (e != cudaSuccess) last_error = e;
  return e;
}

}  // namespace

namespace topofr::emu {

void set_device(size_t global_memory, int multiprocessors) {
  Device& d = device();
  std::lock_guard<std::mutex> lock(d.mutex);
  d.global_memory = global_memory;
  d.multiprocessors = multiprocessors;
}

size_t device_memory_in_use() {
  Device& d = device();
  std::lock_guard<std::mutex> lock(d.mutex);
  return d.in_use;
}

void launch_or_record(const char* name, dim3 grid, dim3 block, size_t shared_bytes, const std::function<void()>& body) {
  try {
    launch(name, grid, block, shared_bytes, body);
  } catch (const KernelError& e) {
    last_error = cudaErrorLaunchFailure;
    last_message = e.what();
  }
}

}  // namespace topofr::emu

cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device_id) {
  if (device_id != 0) return record(cudaErrorInvalidValue);
  Device& d = device();
  std::memset(prop, 0, sizeof *prop);
  std::strncpy(prop->name, "SIMT emulator", sizeof prop->name - 1);
  prop->totalGlobalMem = d.global_memory;
  prop->sharedMemPerBlock = 48 * 1024;
  prop->multiProcessorCount = d.multiprocessors;
  prop->maxThreadsPerBlock = 1024;
  prop->warpSize = 32;
  prop->major = 9;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device_id) { return device_id == 0 ? cudaSuccess : record(cudaErrorInvalidValue); }

cudaError_t cudaMalloc(void** p, size_t bytes) {
  Device& d = device();
  std::lock_guard<std::mutex> lock(d.mutex);
  *p = nullptr;
  if (bytes > d.global_memory - d.in_use) return record(cudaErrorMemoryAllocation);
  // Exactly `bytes` (ASan sees an overrun), 256-byte aligned as cudaMalloc's, 0xff-filled so that
  // unwritten floats read as NaN.
  void* q = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (!q) return record(cudaErrorMemoryAllocation);
  std::memset(q, 0xff, bytes);
  d.allocations[q] = bytes;
  d.in_use += bytes;
  *p = q;
  return cudaSuccess;
}

cudaError_t cudaFree(void* p) {
  if (!p) return cudaSuccess;
  Device& d = device();
  std::lock_guard<std::mutex> lock(d.mutex);
  auto it = d.allocations.find(p);
  if (it == d.allocations.end()) return record(cudaErrorInvalidValue);
  d.in_use -= it->second;
  d.allocations.erase(it);
  std::free(p);
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  Device& d = device();
  std::lock_guard<std::mutex> lock(d.mutex);
  *free_bytes = d.global_memory - d.in_use;
  *total_bytes = d.global_memory;
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind) {
  if (bytes) std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
  return cudaMemcpy(dst, src, bytes, kind);
}

cudaError_t cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t height,
                              cudaMemcpyKind, cudaStream_t) {
  if (width > dpitch || width > spitch) return record(cudaErrorInvalidValue);
  for (size_t r = 0; r < height; ++r)
    std::memmove(static_cast<char*>(dst) + r * dpitch, static_cast<const char*>(src) + r * spitch, width);
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t) {
  if (bytes) std::memset(p, value, bytes);
  return cudaSuccess;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) {
  *stream = reinterpret_cast<cudaStream_t>(new char);
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  delete reinterpret_cast<char*>(stream);
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t) { return last_error; }
cudaError_t cudaDeviceSynchronize() { return last_error; }

cudaError_t cudaGetLastError() {
  const cudaError_t e = last_error;
  last_error = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError() { return last_error; }

const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorLaunchFailure: return last_message.c_str();  // the emulator's diagnosis
  }
  return "unknown error";
}
