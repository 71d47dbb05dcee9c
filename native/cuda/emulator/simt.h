// A SIMT emulator for testing CUDA kernels on a CPU: the kernels of native/cuda/kernels/ compile
// unchanged with g++ against this header (through ../portable.cuh) and run as fibers.
//
// Model. A launch runs its blocks one after another on the calling thread. Within a block every
// CUDA thread is a ucontext fiber that runs until it reaches a synchronisation point
// (__syncthreads, a warp collective, __syncwarp) or exits; the scheduler then picks the next
// runnable thread in the launch's Schedule order (forward, reversed, or shuffled by a seed), and
// the blocks too run in that order. A barrier opens once every live thread of the block waits at
// it (exited threads count as arrived, as on the hardware); a warp collective completes once every
// lane of its mask waits at the same collective with the same mask.
//
// What it reports as a KernelError (the launch fails, like a device-side fault):
//   * a lane that waits at a collective for a lane of its mask that has exited, or that is not
//     in the mask itself; lanes that meet at different collectives or with different masks;
//   * a shuffle that reads a lane outside the mask; a block in which no thread can go on
//     (deadlock); launch configurations the hardware refuses (> 1024 threads, > 48 KiB dynamic
//     shared memory without opting in).
// Out-of-bounds accesses to emulated global or dynamic shared memory are ASan's to find: both are
// separate heap allocations of exactly the requested size, filled with 0xff bytes (NaN as float,
// −1 as int) so reads of unwritten memory show.
//
// What it cannot see (docs/cuda.md): races between blocks (they never overlap), the weak memory
// model (fibers switch only at synchronisation points, and every write is visible at once), FMA
// contraction and nvcc's other floating-point choices (compare with a tolerance), warp-synchronous
// code that relies on lockstep execution without a __syncwarp (it runs, but sequentially), and
// static __shared__ arrays are zeroed once per process rather than left undefined per block.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace topofr::emu {

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct uint3 {
  unsigned x, y, z;
};

enum class Schedule { Forward, Reversed, Shuffled };

struct Policy {
  Schedule schedule = Schedule::Forward;
  uint64_t seed = 1;  // for Shuffled
};

// The order of the following launches (process-wide; the tests set it once per run).
void set_policy(const Policy& policy);
const Policy& policy();

// A kernel did something the hardware would fault on or hang at; the message names the kernel,
// the block and the threads.
struct KernelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs body() as every thread of a grid<<<grid, block, shared_bytes>>>. Throws KernelError.
void launch(const char* name, dim3 grid, dim3 block, size_t shared_bytes, const std::function<void()>& body);

namespace detail {

struct Context {
  uint3 thread_idx{0, 0, 0}, block_idx{0, 0, 0};
  dim3 block_dim, grid_dim;
  unsigned char* dynamic_shared = nullptr;
};
// The running fiber's context; valid inside a kernel only.
// __thread, not thread_local: a plain TLS slot with no initialisation wrapper, whose call GCC 12 mixes
// up with UBSan's null check of the address (a false "load of null pointer" report).
extern __thread Context* current;

enum class WarpOp { Sync, Shfl, ShflUp, ShflDown, ShflXor, Ballot, Any, All };

void sync_block();
// Waits until every lane of mask has reached the same collective, then returns this lane's result.
uint64_t warp_collective(WarpOp op, unsigned mask, uint64_t value, int arg, int width);

template <class T>
uint64_t to_bits(T v) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "warp collectives move up to 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  return bits;
}
template <class T>
T from_bits(uint64_t bits) {
  T v;
  std::memcpy(&v, &bits, sizeof(T));
  return v;
}

}  // namespace detail
}  // namespace topofr::emu
