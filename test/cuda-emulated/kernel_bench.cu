// Kernel rates on a GPU (cuda_tests --bench, run by scripts/gpu-check.sh): the FP32 rate this GPU
// reaches on a pure FMA kernel, and the distance kernels' rate on the device-resident points
// (upload and download excluded), for both shapes. DESIGN.md §6's target: distances at ≥ 50 % of
// the measured FP32 rate. Built for the emulator too (it compiles there, its timings mean nothing).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "../../native/cuda/distances.cuh"
#include "harness.h"

namespace topofr::test {
namespace {

constexpr int kChains = 8;  // independent FMA chains per thread: enough to hide the FMA latency

__global__ void fma_rate(float* out, int iterations, float x, float y) {
  float a[kChains];
  for (int c = 0; c < kChains; ++c) a[c] = static_cast<float>(threadIdx.x + c);
  for (int i = 0; i < iterations; ++i)
#pragma unroll
    for (int c = 0; c < kChains; ++c) a[c] = fmaf(a[c], x, y);
  float s = 0;
  for (int c = 0; c < kChains; ++c) s += a[c];
  out[blockIdx.x * blockDim.x + threadIdx.x] = s;  // keeps the chains alive
}

// Median wall time of `runs` calls of f (each ends with a stream synchronisation), after a warm-up.
template <class F>
double median_ms(int runs, F&& f) {
  f();
  std::vector<double> t;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

std::string json(const char* format, double a, double b, double c) {
  char buf[256];
  std::snprintf(buf, sizeof buf, format, a, b, c);
  return buf;
}

double fp32_gflops() {
  const int blocks = cuda::detail::multiprocessors() * 16, threads = 256, iterations = 4096;
  cuda::detail::DeviceArray<float> out(static_cast<int64_t>(blocks) * threads);
  cuda::detail::Stream stream;
  const double ms = median_ms(5, [&] {
    TOPOFR_LAUNCH(fma_rate, blocks, threads, 0, stream)(out.get(), iterations, 0.999f, 0.001f);
    stream.synchronize();
  });
  return 2.0 * kChains * iterations * blocks * threads / (ms * 1e6);
}

// The distance kernels' rate on n × dim points already on the device: n²·dim useful multiply-adds.
std::string distance_rate(int64_t n, int64_t dim) {
  cuda::detail::use_device();
  cuda::detail::Stream stream;
  const std::vector<float> x = gaussian_points(n, dim, 1);
  const cuda::detail::DevicePoints p = cuda::detail::upload_points(x.data(), n, dim, stream);
  const int64_t ld = cuda::detail::distance_ld(n);
  cuda::detail::DeviceArray<float> out(n * ld);
  const double ms = median_ms(9, [&] {
    cuda::detail::compute_distances(p, Metric::Euclidean, out.get(), ld, stream);
    stream.synchronize();
  });
  const double gflops = 2.0 * static_cast<double>(n) * n * dim / 2 / (ms * 1e6);
  const double peak = fp32_gflops();
  return json("{\"ms\": %.4f, \"gflops\": %.1f, \"fraction_of_fp32\": %.3f}", ms, gflops, gflops / peak);
}

BENCH("fp32-fma-rate") { return json("{\"gflops\": %.1f, \"chains\": %.0f, \"iterations\": %.0f}", fp32_gflops(), kChains, 4096); }
BENCH("distances-16384x512 (tiled)") { return distance_rate(16384, 512); }
BENCH("distances-128x37632 (split-K)") { return distance_rate(128, 37632); }
BENCH("distances-128x512 (split-K)") { return distance_rate(128, 512); }

}  // namespace
}  // namespace topofr::test
