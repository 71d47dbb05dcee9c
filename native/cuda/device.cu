// What the CUDA runtime can see, asked once per process.
#include "check.cuh"
#include "cuda_api.h"

namespace topofr::cuda {

namespace {

DeviceInfo query() {
  DeviceInfo info;
  info.compiled = true;
  int count = 0;
  // Without a driver (or GPU) this fails quickly with cudaErrorInsufficientDriver / cudaErrorNoDevice;
  // that is an answer, not a failure of the addon.
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    detail::discard(e);
    info.error = detail::describe(e);
    return info;
  }
  if (count == 0) {
    info.error = "no CUDA device found";
    return info;
  }
  cudaDeviceProp prop;
  const cudaError_t p = cudaGetDeviceProperties(&prop, 0);
  if (p != cudaSuccess) {  // a device that cannot even be described cannot be used either
    detail::discard(p);
    info.error = detail::describe(p);
    return info;
  }
  info.device_count = count;
  info.name = prop.name;
  return info;
}

}  // namespace

const DeviceInfo& device_info() {
  static const DeviceInfo info = query();  // thread-safe one-time initialisation (C++11 statics)
  return info;
}

}  // namespace topofr::cuda
