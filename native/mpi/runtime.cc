#include "runtime.h"

#include <unistd.h>

#include <chrono>

#include "../addon/errors.h"

namespace topofr::mpi {

void check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
  throw UserError(ErrorKind::Generic, "ERR_TOPOFR_MPI",
                  std::string(call) + " failed: " + (length > 0 ? std::string(text, length) : "error " + std::to_string(code)));
}

namespace {

const char* level_name(int level) {
  switch (level) {
    case MPI_THREAD_SINGLE: return "single";
    case MPI_THREAD_FUNNELED: return "funneled";
    case MPI_THREAD_SERIALIZED: return "serialized";
    case MPI_THREAD_MULTIPLE: return "multiple";
    default: return "unknown";
  }
}

UserError runtime_error(const std::string& message) {
  return UserError(ErrorKind::Generic, "ERR_TOPOFR_MPI", message);
}

}  // namespace

Runtime& Runtime::instance() {
  static Runtime* runtime = new Runtime();  // never destroyed: the MPI thread may outlive exit()
  return *runtime;
}

WorldInfo Runtime::init() {
  if (finalized_) throw runtime_error("MPI was finalized in this process and cannot be initialised again");
  if (active_) throw runtime_error("MPI is already initialised in this process");
  thread_ = std::thread([this] { loop(); });
  active_ = true;
  WorldInfo info;
  claim();
  try {
    run([&](MPI_Comm) {
    int provided = MPI_THREAD_SINGLE;
    // Before MPI_Init_thread returns, errors are fatal (MPI's default): a broken launch aborts.
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
    check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    check(MPI_Comm_rank(comm_, &info.rank), "MPI_Comm_rank");
    check(MPI_Comm_size(comm_, &info.size), "MPI_Comm_size");
    MPI_Comm node = MPI_COMM_NULL;
    check(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, info.rank, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
    check(MPI_Comm_rank(node, &info.local_rank), "MPI_Comm_rank");
    check(MPI_Comm_size(node, &info.local_size), "MPI_Comm_size");
    check(MPI_Comm_free(&node), "MPI_Comm_free");
    info.thread_level = level_name(provided);
    char library[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    check(MPI_Get_library_version(library, &length), "MPI_Get_library_version");
    info.library = std::string(library, length);
    info.library = info.library.substr(0, info.library.find_first_of("\n,"));
    char processor[MPI_MAX_PROCESSOR_NAME];
    check(MPI_Get_processor_name(processor, &length), "MPI_Get_processor_name");
    info.processor = std::string(processor, length);
    });
  } catch (...) {
    active_ = false;
    shutdown();
    throw;
  }
  world_ = info;
  return info;
}

const WorldInfo& Runtime::world() const {
  if (!active_) throw runtime_error(finalized_ ? "MPI has been finalized" : "MPI is not initialised (call init first)");
  return world_;
}

void Runtime::finalize() {
  claim();
  run([this](MPI_Comm) {
    check(MPI_Comm_free(&comm_), "MPI_Comm_free");
    check(MPI_Finalize(), "MPI_Finalize");
  });
  finalized_ = true;
  active_ = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Runtime::claim() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!active_) throw runtime_error(finalized_ ? "MPI has been finalized" : "MPI is not initialised (call init first)");
  if (busy_) throw runtime_error("another MPI operation is still in flight; collectives run one at a time, in the same order on every rank (await the previous one)");
  busy_ = true;
}

void Runtime::run(const std::function<void(MPI_Comm)>& job) {
  std::unique_lock<std::mutex> lock(mutex_);
  job_ = [this, &job] { job(comm_); };
  has_job_ = true;
  job_done_ = false;
  error_ = nullptr;
  wake_.notify_one();
  done_.wait(lock, [this] { return job_done_; });
  busy_ = false;
  if (error_) std::rethrow_exception(error_);
}

void Runtime::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return has_job_ || quit_; });
    if (!has_job_) return;  // quit
    has_job_ = false;
    std::function<void()> job = std::move(job_);
    lock.unlock();
    std::exception_ptr error;
    try {
      job();
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    error_ = error;
    job_done_ = true;
    done_.notify_all();
  }
}

void Runtime::abort(int code) {
  // A watchdog: MPI_Abort should end every rank, but if the library cannot (a broken runtime),
  // this process still ends, and mpirun sees a rank exit with `code`.
  std::thread([code] {
    std::this_thread::sleep_for(std::chrono::seconds(10));
    _exit(code);
  }).detach();
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, code);
  _exit(code);
}

void Runtime::shutdown() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (busy_) {
      thread_.detach();
      return;
    }
    quit_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

}  // namespace topofr::mpi
