// The emulator's scheduler: fibers, barriers, warp collectives (see simt.h for the model).
#include "simt.h"

#include <sys/mman.h>
#include <unistd.h>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif

#include <algorithm>
#include <cstdio>
#include <deque>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define TOPOFR_EMU_ASAN 1
#else
#define TOPOFR_EMU_ASAN 0
#endif

// Switching between fibers. Each thread of a block is a fiber with its own stack. On x86-64 a
// switch is the hand-written topofr_emu_switch below: it saves the callee-saved registers and the
// floating-point control words on the old stack and restores them from the new one, ~100× cheaper
// than swapcontext, which makes two signal-mask system calls per switch (2.4 µs measured). Other
// machines use ucontext (makecontext/swapcontext).
#if defined(__x86_64__)
extern "C" void topofr_emu_switch(void** save_sp, void* load_sp);
asm(R"(
  .text
  .globl topofr_emu_switch
  .type topofr_emu_switch, @function
topofr_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size topofr_emu_switch, .-topofr_emu_switch
)");
#endif

namespace topofr::emu {

namespace detail {
__thread Context* current = nullptr;
}  // namespace detail

namespace {

using detail::WarpOp;

// ASan runs fibers on its own, larger frames.
constexpr size_t kStackBytes = (TOPOFR_EMU_ASAN ? 512 : 128) * 1024;
constexpr int kMaxThreads = 1024;
constexpr size_t kMaxDynamicShared = 48 * 1024;

Policy g_policy;

enum class State { Ready, AtBarrier, AtWarp, Exited };

const char* op_name(WarpOp op) {
  switch (op) {
    case WarpOp::Sync: return "__syncwarp";
    case WarpOp::Shfl: return "__shfl_sync";
    case WarpOp::ShflUp: return "__shfl_up_sync";
    case WarpOp::ShflDown: return "__shfl_down_sync";
    case WarpOp::ShflXor: return "__shfl_xor_sync";
    case WarpOp::Ballot: return "__ballot_sync";
    case WarpOp::Any: return "__any_sync";
    case WarpOp::All: return "__all_sync";
  }
  return "?";
}

std::string hex(unsigned v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// A fiber's stack: an anonymous mapping with a guard page below it, so an overflow faults.
class Stack {
 public:
  Stack() {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    base_ = mmap(nullptr, kStackBytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base_ == MAP_FAILED) throw std::bad_alloc();
    mprotect(base_, page, PROT_NONE);
    bottom_ = static_cast<char*>(base_) + page;
  }
  ~Stack() { munmap(base_, kStackBytes + static_cast<size_t>(sysconf(_SC_PAGESIZE))); }
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;
  void* bottom() const { return bottom_; }

 private:
  void* base_;
  void* bottom_;
};

// A suspended execution: a stack pointer (x86-64) or a ucontext.
struct Suspended {
#if defined(__x86_64__)
  void* sp = nullptr;
#else
  ucontext_t uc;
#endif
};

void switch_context(Suspended& from, Suspended& to) {
#if defined(__x86_64__)
  topofr_emu_switch(&from.sp, to.sp);
#else
  swapcontext(&from.uc, &to.uc);
#endif
}

struct Fiber {
  detail::Context ctx;
  Suspended suspended;
  std::unique_ptr<Stack> stack;
  State state = State::Ready;
  int linear = 0;
  // The collective it waits at, and its result.
  WarpOp op = WarpOp::Sync;
  unsigned mask = 0;
  uint64_t value = 0, result = 0;
  int arg = 0, width = 32;
  void* fake_stack = nullptr;  // ASan's, while switched out
};

// The running block, on this OS thread.
struct Block {
  const char* kernel = "";
  const std::function<void()>* body = nullptr;
  std::vector<Fiber> fibers;  // kept between launches: their stacks are reused
  int count = 0;              // threads in this block
  std::deque<int> queue;      // the runnable fibers, in the order they will run
  std::vector<int> arrivals;  // per warp: lanes waiting at a collective
  std::vector<unsigned> exited;  // per warp: lanes that have exited
  std::mt19937_64 random;
  Suspended scheduler;
  Fiber* running = nullptr;
  std::string error;          // set by a fiber that found a fault; the block stops
  const void* scheduler_stack = nullptr;  // ASan: the stack the fibers return to
  size_t scheduler_stack_size = 0;
  void* scheduler_fake_stack = nullptr;
};

thread_local Block g_block;

std::string where(const Fiber& f) {
  const auto& t = f.ctx.thread_idx;
  const auto& b = f.ctx.block_idx;
  return "thread (" + std::to_string(t.x) + "," + std::to_string(t.y) + "," + std::to_string(t.z) + ") of block (" +
         std::to_string(b.x) + "," + std::to_string(b.y) + "," + std::to_string(b.z) + ")";
}

// --- switching, with ASan told which stack is live ---

void start_switch(void** fake_stack_save, const void* bottom, size_t size) {
#if TOPOFR_EMU_ASAN
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
#else
  (void)fake_stack_save, (void)bottom, (void)size;
#endif
}
void finish_switch(void* fake_stack_save, const void** bottom_old, size_t* size_old) {
#if TOPOFR_EMU_ASAN
  __sanitizer_finish_switch_fiber(fake_stack_save, bottom_old, size_old);
#else
  (void)fake_stack_save, (void)bottom_old, (void)size_old;
#endif
}

// From a fiber back to the scheduler. An exiting fiber passes exiting = true: ASan drops its frames.
void yield(bool exiting = false) {
  Block& b = g_block;
  Fiber* f = b.running;
  start_switch(exiting ? nullptr : &f->fake_stack, b.scheduler_stack, b.scheduler_stack_size);
  switch_context(f->suspended, b.scheduler);
  finish_switch(f->fake_stack, nullptr, nullptr);
}

[[noreturn]] void fiber_main() {
  Block& b = g_block;
  finish_switch(nullptr, &b.scheduler_stack, &b.scheduler_stack_size);
  (*b.body)();
  b.running->state = State::Exited;
  yield(true);
  __builtin_unreachable();  // an exited fiber is never resumed
}

// Makes f start in fiber_main at its next switch.
void prepare(Fiber& f) {
#if defined(__x86_64__)
  // The frame topofr_emu_switch pops: control words, r15 … rbp, then fiber_main as the return
  // address, above it a null one, so that fiber_main starts with the ABI's stack alignment.
  auto* top = reinterpret_cast<uint64_t*>((reinterpret_cast<uintptr_t>(f.stack->bottom()) + kStackBytes) & ~uintptr_t{15});
  uint32_t mxcsr;
  uint16_t fpcw;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpcw));
  top[-1] = 0;
  top[-2] = reinterpret_cast<uint64_t>(&fiber_main);
  for (int r = 3; r <= 8; ++r) top[-r] = 0;  // rbp, rbx, r12 … r15
  top[-9] = mxcsr | static_cast<uint64_t>(fpcw) << 32;
  f.suspended.sp = top - 9;
#else
  getcontext(&f.suspended.uc);
  f.suspended.uc.uc_stack.ss_sp = f.stack->bottom();
  f.suspended.uc.uc_stack.ss_size = kStackBytes;
  f.suspended.uc.uc_link = nullptr;
  makecontext(&f.suspended.uc, fiber_main, 0);
#endif
}

void run(Fiber& f) {
  Block& b = g_block;
  b.running = &f;
  detail::current = &f.ctx;
  start_switch(&b.scheduler_fake_stack, f.stack->bottom(), kStackBytes);
  switch_context(b.scheduler, f.suspended);
  finish_switch(b.scheduler_fake_stack, nullptr, nullptr);
  detail::current = nullptr;
}

// --- the block's scheduler ---

// Appends fibers to the queue in the policy's order.
void enqueue(std::vector<int> ids) {
  Block& b = g_block;
  switch (g_policy.schedule) {
    case Schedule::Forward: break;
    case Schedule::Reversed: std::reverse(ids.begin(), ids.end()); break;
    case Schedule::Shuffled: std::shuffle(ids.begin(), ids.end(), b.random); break;
  }
  for (int id : ids) b.queue.push_back(id);
}

Fiber* next_runnable() {
  Block& b = g_block;
  if (b.queue.empty()) return nullptr;
  if (g_policy.schedule == Schedule::Shuffled) {
    const size_t k = std::uniform_int_distribution<size_t>(0, b.queue.size() - 1)(b.random);
    std::swap(b.queue[0], b.queue[k]);
  }
  const int id = b.queue.front();
  b.queue.pop_front();
  return &b.fibers[id];
}

[[noreturn]] void fail(const std::string& what) {
  throw KernelError(std::string(g_block.kernel) + ": " + what);
}

// The lane of warp `warp` that is fiber base + lane, or nullptr when the block has no such thread.
Fiber* lane_fiber(int warp, int lane) {
  const int id = warp * 32 + lane;
  return id < g_block.count ? &g_block.fibers[id] : nullptr;
}

int source_lane(const Fiber& f, int lane) {
  const int w = f.width;
  const int segment = lane & ~(w - 1);
  switch (f.op) {
    case WarpOp::Shfl: return segment + (f.arg & (w - 1));
    case WarpOp::ShflUp: return (lane - segment) >= f.arg ? lane - f.arg : lane;
    case WarpOp::ShflDown: return (lane - segment) + f.arg < w ? lane + f.arg : lane;
    case WarpOp::ShflXor: {
      const int src = lane ^ f.arg;
      return src < segment + w ? src : lane;  // later segments are out of reach: own value
    }
    default: return lane;
  }
}

// Called when lane `arrived` reaches a collective: completes it once every lane of its mask is there.
// Lanes are counted as they arrive, so the mask is examined only once enough of them wait.
void try_complete(const Fiber& arrived) {
  const int warp = arrived.linear / 32, lane0 = arrived.linear % 32;
  const unsigned mask = arrived.mask;
  if (const unsigned gone = mask & g_block.exited[warp])
    fail("lane " + std::to_string(lane0) + " (" + where(arrived) + ") waits at " + op_name(arrived.op) + " (mask " +
         hex(mask) + ") for lane " + std::to_string(__builtin_ctz(gone)) + ", which has exited");
  if (++g_block.arrivals[warp] < __builtin_popcount(mask)) return;
  for (int l = 0; l < 32; ++l) {
    if (!(mask >> l & 1u)) continue;
    const Fiber* f = lane_fiber(warp, l);
    if (!f)
      fail(where(arrived) + " calls " + op_name(arrived.op) + " with mask " + hex(mask) + ", which names lane " +
           std::to_string(l) + " of a warp that has no such thread");
    if (f->state == State::Exited)
      fail("lane " + std::to_string(lane0) + " (" + where(arrived) + ") waits at " + op_name(arrived.op) +
           " (mask " + hex(mask) + ") for lane " + std::to_string(l) + ", which has exited");
    if (f->state != State::AtWarp) return;
    if (f->op != arrived.op || f->mask != mask)
      fail("lanes " + std::to_string(lane0) + " and " + std::to_string(l) + " of warp " + std::to_string(warp) +
           " meet at different collectives: " + op_name(arrived.op) + " (mask " + hex(mask) + ") and " +
           op_name(f->op) + " (mask " + hex(f->mask) + ")");
  }
  uint64_t bits = 0;
  for (int l = 0; l < 32; ++l)
    if (mask >> l & 1u) bits |= static_cast<uint64_t>(lane_fiber(warp, l)->value != 0) << l;
  std::vector<int> woken;
  for (int l = 0; l < 32; ++l) {
    if (!(mask >> l & 1u)) continue;
    Fiber& f = *lane_fiber(warp, l);
    switch (f.op) {
      case WarpOp::Sync: f.result = 0; break;
      case WarpOp::Ballot: f.result = bits; break;
      case WarpOp::Any: f.result = bits != 0; break;
      case WarpOp::All: f.result = bits == mask; break;
      default: {
        const int src = source_lane(f, l);
        if (!(mask >> src & 1u))
          fail("lane " + std::to_string(l) + " (" + where(f) + ") reads lane " + std::to_string(src) + " in " +
               op_name(f.op) + ", which is not in the mask " + hex(mask));
        f.result = lane_fiber(warp, src)->value;
      }
    }
    f.state = State::Ready;
    woken.push_back(f.linear);
  }
  g_block.arrivals[warp] -= static_cast<int>(woken.size());
  enqueue(std::move(woken));
}

// A fiber has exited: a lane that waits for it can never go on.
void check_waiters(const Fiber& exited) {
  const int warp = exited.linear / 32, lane = exited.linear % 32;
  g_block.exited[warp] |= 1u << lane;
  for (int l = 0; l < 32; ++l) {
    const Fiber* f = lane_fiber(warp, l);
    if (f && f->state == State::AtWarp && (f->mask >> lane & 1u))
      fail("lane " + std::to_string(l) + " (" + where(*f) + ") waits at " + op_name(f->op) + " (mask " +
           hex(f->mask) + ") for lane " + std::to_string(lane) + ", which has exited");
  }
}

// Opens the barrier when every live thread waits at it; false when some cannot go on.
bool open_barrier() {
  Block& b = g_block;
  std::vector<int> waiting;
  bool live = false;
  for (int i = 0; i < b.count; ++i) {
    const Fiber& f = b.fibers[i];
    if (f.state == State::Exited) continue;
    live = true;
    if (f.state != State::AtBarrier) return false;
    waiting.push_back(i);
  }
  if (!live) return false;
  for (int i : waiting) b.fibers[i].state = State::Ready;
  enqueue(std::move(waiting));
  return true;
}

std::string deadlock() {
  Block& b = g_block;
  int at_barrier = 0;
  std::string warps;
  for (int i = 0; i < b.count; ++i) {
    const Fiber& f = b.fibers[i];
    if (f.state == State::AtBarrier) ++at_barrier;
    if (f.state == State::AtWarp && warps.size() < 400)
      warps += "; " + where(f) + " at " + op_name(f.op) + " (mask " + hex(f.mask) + ")";
  }
  return "deadlock: " + std::to_string(at_barrier) + " threads wait at __syncthreads" + warps;
}

void run_block(const detail::Context& context, int count) {
  Block& b = g_block;
  b.count = count;
  b.queue.clear();
  b.arrivals.assign((count + 31) / 32, 0);
  b.exited.assign((count + 31) / 32, 0);
  b.error.clear();
  if (b.fibers.size() < static_cast<size_t>(count)) b.fibers.resize(count);
  std::vector<int> all(count);
  for (int i = 0; i < count; ++i) {
    Fiber& f = b.fibers[i];
    if (!f.stack) f.stack = std::make_unique<Stack>();
#if TOPOFR_EMU_ASAN
    // A fiber abandoned by an earlier failed launch may have left its frames poisoned.
    ASAN_UNPOISON_MEMORY_REGION(f.stack->bottom(), kStackBytes);
#endif
    f.ctx = context;
    const unsigned bx = context.block_dim.x, by = context.block_dim.y;
    f.ctx.thread_idx = {i % bx, (i / bx) % by, i / (bx * by)};
    f.state = State::Ready;
    f.linear = i;
    f.fake_stack = nullptr;
    prepare(f);
    all[i] = i;
  }
  enqueue(std::move(all));
  for (;;) {
    Fiber* f = next_runnable();
    if (!f) {
      if (open_barrier()) continue;
      if (std::all_of(b.fibers.begin(), b.fibers.begin() + count, [](const Fiber& x) { return x.state == State::Exited; }))
        return;
      fail(deadlock());
    }
    run(*f);
    if (!b.error.empty()) fail(b.error);
    if (f->state == State::AtWarp) try_complete(*f);
    else if (f->state == State::Exited) check_waiters(*f);
  }
}

}  // namespace

void set_policy(const Policy& policy) { g_policy = policy; }
const Policy& policy() { return g_policy; }

void launch(const char* name, dim3 grid, dim3 block, size_t shared_bytes, const std::function<void()>& body) {
  Block& b = g_block;
  if (b.running && detail::current) throw KernelError(std::string(name) + ": launched from inside a kernel");
  const uint64_t threads = uint64_t{block.x} * block.y * block.z;
  const uint64_t blocks = uint64_t{grid.x} * grid.y * grid.z;
  if (threads == 0 || threads > kMaxThreads)
    throw KernelError(std::string(name) + ": invalid configuration: " + std::to_string(threads) + " threads per block");
  if (blocks == 0) throw KernelError(std::string(name) + ": invalid configuration: an empty grid");
  if (shared_bytes > kMaxDynamicShared)
    throw KernelError(std::string(name) + ": " + std::to_string(shared_bytes) + " bytes of dynamic shared memory (> 48 KiB)");
  b.kernel = name;
  b.body = &body;
  b.random.seed(g_policy.seed);
  std::vector<uint64_t> order(blocks);
  std::iota(order.begin(), order.end(), uint64_t{0});
  if (g_policy.schedule == Schedule::Reversed) std::reverse(order.begin(), order.end());
  if (g_policy.schedule == Schedule::Shuffled) std::shuffle(order.begin(), order.end(), b.random);
  for (uint64_t linear : order) {
    detail::Context context;
    context.block_dim = block;
    context.grid_dim = grid;
    context.block_idx = {static_cast<unsigned>(linear % grid.x), static_cast<unsigned>(linear / grid.x % grid.y),
                         static_cast<unsigned>(linear / (uint64_t{grid.x} * grid.y))};
    // Exactly the requested size, filled with 0xff: ASan sees overruns, unwritten floats read as NaN.
    std::unique_ptr<unsigned char[]> shared(shared_bytes ? new unsigned char[shared_bytes] : nullptr);
    if (shared_bytes) std::memset(shared.get(), 0xff, shared_bytes);
    context.dynamic_shared = shared.get();
    try {
      run_block(context, static_cast<int>(threads));
    } catch (...) {
      b.running = nullptr;
      throw;
    }
    b.running = nullptr;
  }
}

namespace detail {

void sync_block() {
  Block& b = g_block;
  b.running->state = State::AtBarrier;
  yield();
}

uint64_t warp_collective(WarpOp op, unsigned mask, uint64_t value, int arg, int width) {
  Block& b = g_block;
  Fiber& f = *b.running;
  const int lane = f.linear % 32;
  if (!(mask >> lane & 1u)) {
    b.error = where(f) + " calls " + op_name(op) + " with mask " + hex(mask) + ", which leaves out its own lane " +
              std::to_string(lane);
    yield();
  }
  if (width < 1 || width > 32 || (width & (width - 1)) != 0) {
    b.error = where(f) + " calls " + op_name(op) + " with width " + std::to_string(width) + " (a power of 2 ≤ 32)";
    yield();
  }
  f.state = State::AtWarp;
  f.op = op;
  f.mask = mask;
  f.value = value;
  f.arg = arg;
  f.width = width;
  yield();
  return f.result;
}

}  // namespace detail
}  // namespace topofr::emu
