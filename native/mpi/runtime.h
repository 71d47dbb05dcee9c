// The MPI runtime of one process: MPI lives on one dedicated thread, "the MPI thread", which calls
// MPI_Init_thread and every later MPI function. Callers hand it one job at a time and wait for it
// (the JS thread for the sync forms, a libuv worker for the async forms), so MPI only ever needs
// MPI_THREAD_FUNNELED — the level every MPI library provides — and a collective in flight never
// blocks the event loop. At most one collective is outstanding: collectives must be issued in the
// same order on every rank, and a second call while one runs is refused (claim()), never queued
// behind it in an order the ranks might not share.
//
// Errors: the library's communicator (a duplicate of MPI_COMM_WORLD) has MPI_ERRORS_RETURN, and
// every return code is checked: a failed call throws UserError ERR_TOPOFR_MPI with MPI's message.
#pragma once
#include <mpi.h>

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace topofr::mpi {

struct WorldInfo {
  int rank = 0, size = 1;
  int local_rank = 0, local_size = 1;  // within the node (MPI_COMM_TYPE_SHARED)
  std::string thread_level;            // what MPI_Init_thread provided
  std::string library;                 // the first line of MPI_Get_library_version
  std::string processor;               // MPI_Get_processor_name
};

// Throws UserError ERR_TOPOFR_MPI naming `call` and MPI's error string unless code is MPI_SUCCESS.
void check(int code, const char* call);

class Runtime {
 public:
  static Runtime& instance();

  // Starts the MPI thread and initialises MPI there. Once per process (MPI cannot be re-initialised).
  WorldInfo init();
  // MPI_Finalize on the MPI thread, then ends the thread. Claims like a collective.
  void finalize();
  bool active() const { return active_; }
  // This process's place in the job (throws ERR_TOPOFR_MPI unless MPI is running).
  const WorldInfo& world() const;

  // Reserves the runtime for one operation (call on the JS thread, in call order); throws
  // ERR_TOPOFR_MPI when MPI is not running or another operation is still in flight.
  void claim();
  // Runs `job` on the MPI thread with the library's communicator and waits; releases the claim,
  // also when the job throws (the exception is rethrown here).
  void run(const std::function<void(MPI_Comm)>& job);

  // MPI_Abort on the whole job, from the calling thread (the MPI thread may be stuck in a
  // collective with a dead peer). If the library does not end the process within a few seconds,
  // _exit(code) does.
  [[noreturn]] void abort(int code);

  // Environment teardown: ends the MPI thread if it is idle (without finalising), else detaches it.
  void shutdown();

 private:
  void loop();

  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::function<void()> job_;
  bool has_job_ = false, job_done_ = false, quit_ = false;
  std::exception_ptr error_;
  bool active_ = false, finalized_ = false, busy_ = false;
  MPI_Comm comm_ = MPI_COMM_NULL;
  WorldInfo world_;
};

}  // namespace topofr::mpi
