// Error checking for the CUDA runtime (internal to native/cuda). Every runtime call goes through
// TOPOFR_CUDA_CHECK, which throws std::runtime_error naming the call and carrying CUDA's own message.
#pragma once
#include "portable.cuh"

#include <stdexcept>
#include <string>

namespace topofr::cuda::detail {

// e.g. "cudaErrorInsufficientDriver: CUDA driver version is insufficient for CUDA runtime version"
inline std::string describe(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

// A failed call is also recorded as the thread's "last error"; clear it, so that a later and
// unrelated cudaGetLastError() (the kernel-launch check) does not report it a second time.
// Sticky errors (a corrupted context) are not cleared by this and keep failing every call.
inline void discard(cudaError_t e) {
  if (e != cudaSuccess) cudaGetLastError();
}

inline void check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  discard(e);
  throw std::runtime_error(std::string(what) + " failed: " + describe(e));
}

}  // namespace topofr::cuda::detail

#define TOPOFR_CUDA_CHECK(call) ::topofr::cuda::detail::check((call), #call)
