// What device code sees when g++ compiles it for the emulator: CUDA's keywords, built-in variables,
// vector types and the intrinsics the kernels use, with CUDA's names and semantics. Included only
// through ../portable.cuh, never with nvcc.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "simt.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// One instance per process, shared by the fibers of the running block (blocks run one at a time,
// all on one OS thread; thread_local keeps emulations on different OS threads apart).
#define __shared__ static thread_local
#define __align__(n) __attribute__((aligned(n)))

#define threadIdx (::topofr::emu::detail::current->thread_idx)
#define blockIdx (::topofr::emu::detail::current->block_idx)
#define blockDim (::topofr::emu::detail::current->block_dim)
#define gridDim (::topofr::emu::detail::current->grid_dim)

using dim3 = ::topofr::emu::dim3;
constexpr int warpSize = 32;

struct __attribute__((aligned(16))) float4 {
  float x, y, z, w;
};
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }

// --- synchronisation and warp collectives ---
inline void __syncthreads() { ::topofr::emu::detail::sync_block(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  ::topofr::emu::detail::warp_collective(::topofr::emu::detail::WarpOp::Sync, mask, 0, 0, 32);
}
inline void __threadfence() {}
inline void __threadfence_block() {}

namespace topofr::emu::detail {
template <class T>
T shuffle(WarpOp op, unsigned mask, T v, int arg, int width) {
  return from_bits<T>(warp_collective(op, mask, to_bits(v), arg, width));
}
}  // namespace topofr::emu::detail

template <class T>
T __shfl_sync(unsigned mask, T v, int src_lane, int width = 32) {
  return ::topofr::emu::detail::shuffle(::topofr::emu::detail::WarpOp::Shfl, mask, v, src_lane, width);
}
template <class T>
T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  return ::topofr::emu::detail::shuffle(::topofr::emu::detail::WarpOp::ShflUp, mask, v, static_cast<int>(delta), width);
}
template <class T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  return ::topofr::emu::detail::shuffle(::topofr::emu::detail::WarpOp::ShflDown, mask, v, static_cast<int>(delta), width);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  return ::topofr::emu::detail::shuffle(::topofr::emu::detail::WarpOp::ShflXor, mask, v, lane_mask, width);
}
inline unsigned __ballot_sync(unsigned mask, int predicate) {
  return static_cast<unsigned>(
      ::topofr::emu::detail::warp_collective(::topofr::emu::detail::WarpOp::Ballot, mask, predicate != 0, 0, 32));
}
inline int __any_sync(unsigned mask, int predicate) {
  return static_cast<int>(
      ::topofr::emu::detail::warp_collective(::topofr::emu::detail::WarpOp::Any, mask, predicate != 0, 0, 32));
}
inline int __all_sync(unsigned mask, int predicate) {
  return static_cast<int>(
      ::topofr::emu::detail::warp_collective(::topofr::emu::detail::WarpOp::All, mask, predicate != 0, 0, 32));
}

// --- atomics: fibers switch only at synchronisation points, so a read-modify-write is atomic ---
template <class T>
T atomicAdd(T* address, T value) {
  const T old = *address;
  *address = old + value;
  return old;
}
template <class T>
T atomicMin(T* address, T value) {
  const T old = *address;
  *address = std::min(old, value);
  return old;
}
template <class T>
T atomicMax(T* address, T value) {
  const T old = *address;
  *address = std::max(old, value);
  return old;
}
template <class T>
T atomicCAS(T* address, T compare, T value) {
  const T old = *address;
  if (old == compare) *address = value;
  return old;
}

// --- memory and arithmetic intrinsics ---
template <class T>
T __ldg(const T* p) { return *p; }
template <class T>
void __stcs(T* p, T v) { *p = v; }
// Round-to-nearest products and sums: without -mfma g++ never contracts them into an FMA.
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline float __double2float_rn(double a) { return static_cast<float>(a); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll(static_cast<unsigned long long>(x)); }
inline float __int_as_float(int x) { return ::topofr::emu::detail::from_bits<float>(static_cast<uint32_t>(x)); }
inline int __float_as_int(float x) { return static_cast<int>(::topofr::emu::detail::to_bits(x)); }
inline unsigned __float_as_uint(float x) { return static_cast<unsigned>(::topofr::emu::detail::to_bits(x)); }
inline float __uint_as_float(unsigned x) { return ::topofr::emu::detail::from_bits<float>(x); }
inline double __longlong_as_double(long long x) { return ::topofr::emu::detail::from_bits<double>(static_cast<uint64_t>(x)); }
