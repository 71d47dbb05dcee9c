// Host-side helpers shared by the GPU entry points: owned device allocations and streams, and the
// memory check that every entry point makes before it allocates.
#pragma once
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "check.cuh"
#include "cuda_api.h"
#include "portable.cuh"

namespace topofr::cuda::detail {

inline int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// Owns a device allocation (count elements); frees it on every path out.
template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(int64_t count) { allocate(count); }
  ~DeviceArray() { release(); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept : p_(o.p_), count_(o.count_) { o.p_ = nullptr, o.count_ = 0; }
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    if (this != &o) {
      release();
      p_ = o.p_, count_ = o.count_;
      o.p_ = nullptr, o.count_ = 0;
    }
    return *this;
  }

  void allocate(int64_t count) {
    release();
    if (count > 0) TOPOFR_CUDA_CHECK(cudaMalloc(&p_, static_cast<size_t>(count) * sizeof(T)));
    count_ = count;
  }
  T* get() const { return p_; }
  int64_t size() const { return count_; }

 private:
  void release() {
    if (p_) discard(cudaFree(p_));
    p_ = nullptr;
    count_ = 0;
  }
  T* p_ = nullptr;
  int64_t count_ = 0;
};

// A stream of the call's own, so concurrent calls from several threads do not serialize on the
// legacy default stream.
class Stream {
 public:
  Stream() { TOPOFR_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  ~Stream() { discard(cudaStreamDestroy(s_)); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  operator cudaStream_t() const { return s_; }
  void synchronize() const { TOPOFR_CUDA_CHECK(cudaStreamSynchronize(s_)); }

 private:
  cudaStream_t s_ = nullptr;
};

inline std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

// Device 0, after checking that it exists.
inline const DeviceInfo& use_device() {
  const DeviceInfo& info = device_info();
  if (info.device_count == 0) throw std::runtime_error("no usable CUDA device: " + info.error);
  TOPOFR_CUDA_CHECK(cudaSetDevice(0));
  return info;
}

// Free device memory now; what a computation may plan to allocate.
inline double free_device_bytes() {
  size_t free_bytes = 0, total_bytes = 0;
  TOPOFR_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  return static_cast<double>(free_bytes);
}

// Refuses, before anything is allocated, a computation whose `need` bytes (in double: absurd sizes
// would overflow 64 bits first) exceed the device's free memory.
inline void require_device_memory(double need, const std::string& what) {
  size_t free_bytes = 0, total_bytes = 0;
  TOPOFR_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  if (need > static_cast<double>(free_bytes))
    throw std::runtime_error(what + " need" + (what.empty() ? "" : "s") + " " + gib(need) + " of GPU memory, but " +
                             device_info().name + " has " + gib(static_cast<double>(free_bytes)) + " free of " +
                             gib(static_cast<double>(total_bytes)));
}

// Multiprocessors of device 0 (what split-K sizes its grid by).
inline int multiprocessors() {
  cudaDeviceProp prop;
  TOPOFR_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  return prop.multiProcessorCount;
}

}  // namespace topofr::cuda::detail
