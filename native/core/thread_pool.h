// A persistent compute pool shared by every entry point of the addon.
//
// Why not std::thread per call: the tfjs kernels call native code hundreds of times per training
// step, and thread creation would dominate small calls. Why not the libuv pool: it is shared with
// fs, dns and image decoding, and long compute jobs there starve I/O.
//
// Several callers (the JS thread, AsyncWorkers on libuv threads, tasks that nest) may run jobs at
// once: each job has its own task counter, idle workers pick up any open job, and the caller always
// works on its own job, so a job finishes even when every worker is busy elsewhere (no deadlock).
#pragma once
#include <cstdint>
#include <functional>

namespace topofr {

// Runs task(i) for every i in [0, count), on at most max_threads threads (0 = all the pool has),
// the calling thread included. Returns when every task has finished; rethrows the first exception.
void parallel_for(int64_t count, const std::function<void(int64_t)>& task, int max_threads = 0);

// Threads a job may use: the hardware's cores unless TOPOFR_NUM_THREADS says otherwise.
int pool_threads();

// The addon's environments (main thread, worker_threads) hold the pool; the last release joins it.
void pool_acquire();
void pool_release();

}  // namespace topofr
