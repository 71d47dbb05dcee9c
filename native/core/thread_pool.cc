#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace topofr {
namespace {

struct Job {
  const std::function<void(int64_t)>* task;
  int64_t count;
  int max_helpers;                // workers besides the caller
  std::atomic<int64_t> next{0};   // next task index to hand out
  std::atomic<int64_t> done{0};   // tasks finished (or skipped after an error)
  std::atomic<bool> failed{false};
  std::atomic<int> helpers{0};
  std::exception_ptr error;       // the first exception; written once, under error_mutex
  std::mutex error_mutex;
  std::mutex done_mutex;
  std::condition_variable done_cv;

  // Runs tasks until none is left to hand out. After a failure the rest are skipped, not run,
  // but still counted, so `done` always reaches `count`.
  void work() {
    for (;;) {
      int64_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= count) return;
      if (!failed.load(std::memory_order_relaxed)) {
        try {
          (*task)(i);
        } catch (...) {
          std::lock_guard<std::mutex> lock(error_mutex);
          if (!error) error = std::current_exception();
          failed.store(true, std::memory_order_relaxed);
        }
      }
      if (done.fetch_add(1, std::memory_order_acq_rel) + 1 == count) {
        std::lock_guard<std::mutex> lock(done_mutex);
        done_cv.notify_all();
      }
    }
  }
  bool open() const { return next.load(std::memory_order_relaxed) < count; }
};

class Pool {
 public:
  void acquire() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (users_++ == 0) start_locked();
  }
  void release() {
    std::vector<std::thread> joining;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (users_ == 0 || --users_ > 0) return;
      stopping_ = true;
      joining.swap(workers_);
    }
    cv_.notify_all();
    for (auto& t : joining) t.join();
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = false;
  }

  void run(int64_t count, const std::function<void(int64_t)>& task, int max_threads) {
    if (count <= 0) return;
    int threads = max_threads > 0 ? std::min(max_threads, size_) : size_;
    if (count == 1 || threads <= 1) {
      for (int64_t i = 0; i < count; ++i) task(i);
      return;
    }
    auto job = std::make_shared<Job>();
    job->task = &task;
    job->count = count;
    job->max_helpers = static_cast<int>(std::min<int64_t>(threads - 1, count - 1));
    bool pooled;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pooled = !workers_.empty();
      if (pooled) jobs_.push_back(job);
    }
    if (pooled) cv_.notify_all();
    job->work();
    {
      std::unique_lock<std::mutex> lock(job->done_mutex);
      job->done_cv.wait(lock, [&] { return job->done.load(std::memory_order_acquire) >= job->count; });
    }
    if (pooled) {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.remove(job);
    }
    if (job->error) std::rethrow_exception(job->error);
  }

  int size() const { return size_; }

 private:
  void start_locked() {
    size_ = configured_threads();
    for (int i = 1; i < size_; ++i) workers_.emplace_back([this] { loop(); });
  }

  static int configured_threads() {
    if (const char* env = std::getenv("TOPOFR_NUM_THREADS")) {
      int n = std::atoi(env);
      if (n > 0) return std::min(n, 1024);
    }
    return std::max(1u, std::thread::hardware_concurrency());
  }

  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      std::shared_ptr<Job> job;
      cv_.wait(lock, [&] { return stopping_ || (job = pick_locked()) != nullptr; });
      if (stopping_) return;
      job->helpers.fetch_add(1, std::memory_order_relaxed);
      lock.unlock();
      job->work();
      job->helpers.fetch_sub(1, std::memory_order_relaxed);
      job.reset();
      lock.lock();
    }
  }

  std::shared_ptr<Job> pick_locked() {
    for (auto& job : jobs_)
      if (job->open() && job->helpers.load(std::memory_order_relaxed) < job->max_helpers) return job;
    return nullptr;
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::list<std::shared_ptr<Job>> jobs_;
  std::vector<std::thread> workers_;
  int users_ = 0;
  int size_ = configured_threads();
  bool stopping_ = false;
};

Pool& pool() {
  static Pool* instance = new Pool();  // never destroyed: threads are joined by the last release
  return *instance;
}

}  // namespace

void parallel_for(int64_t count, const std::function<void(int64_t)>& task, int max_threads) {
  pool().run(count, task, max_threads);
}
int pool_threads() { return pool().size(); }
void pool_acquire() { pool().acquire(); }
void pool_release() { pool().release(); }

}  // namespace topofr
