// Sync and Promise forms of one computation, written once.
//
// An entry point describes its job as `work` (pure C++, no N-API: it may run on a libuv thread)
// and `finish` (builds the JS result on the JS thread). run_sync does both now; run_async returns a
// Promise and holds references to the JS values the job writes until it settles.
//
// The rule for memory (docs/decisions.md, "Async calls own their inputs"): an async job never reads
// a JS buffer. N-API cannot pin an ArrayBuffer's memory: the caller may detach it (transfer it to a
// worker, structuredClone with transfer) or resize it while a libuv thread reads it. So its inputs
// are copied into native memory (JobInput) before it is queued; a sync call reads them in place,
// since the JS thread is inside the call and nothing can detach them — unless they live in a
// SharedArrayBuffer, which other threads may write: copied too. So the core only ever reads inputs
// that were checked and cannot change.
//
// The environment may end while a job runs (worker.terminate(), process.exit() in a worker): Node
// waits for the job, then runs its completion with JS disallowed. Every N-API call then fails, so
// the completion drops the result instead of throwing out of a callback that must not throw
// (with NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS, set by the build, node-addon-api does the same for
// errors thrown from sync entry points while the environment ends).
#pragma once
#include <napi.h>

#include <functional>
#include <initializer_list>
#include <memory>
#include <vector>

#include "errors.h"

namespace topofr {

using Work = std::function<void()>;
using Finish = std::function<Napi::Value(Napi::Env)>;

// The elements a job reads: the caller's array in place (sync), or a native copy that the job owns
// (async, or a SharedArrayBuffer that another thread may write meanwhile). Cheap to copy into a
// lambda; the copy lives as long as the last job holding it.
template <class T>
class JobInput {
 public:
  JobInput(const T* data, size_t length, bool copy)
      : owned_(copy ? std::make_shared<std::vector<T>>(data, data + length) : nullptr),
        data_(copy ? owned_->data() : data) {}
  const T* data() const { return data_; }

 private:
  std::shared_ptr<const std::vector<T>> owned_;
  const T* data_;
};

inline Napi::Value run_sync(Napi::Env env, const Work& work, const Finish& finish) {
  try {
    work();
  } catch (...) {
    throw ErrorInfo::from_current().to_js(env);
  }
  return finish(env);
}

class PromiseWorker final : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, std::initializer_list<Napi::Value> keep_alive, Work work, Finish finish)
      : Napi::AsyncWorker(env, "topofr"), deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)), finish_(std::move(finish)) {
    for (const Napi::Value& v : keep_alive) refs_.push_back(Napi::Persistent(v));
  }
  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      work_();
    } catch (...) {
      error_ = ErrorInfo::from_current();
      failed_ = true;
    }
  }
  // Settles the promise. Any N-API failure here means either a JS error while building the result
  // (the promise is rejected with it) or an environment that is ending (nothing can observe the
  // promise any more: the result is dropped). Nothing is thrown out of this callback.
  void OnOK() override {
    try {
      Napi::HandleScope scope(Env());
      try {
        if (failed_) deferred_.Reject(error_.to_js(Env()).Value());
        else deferred_.Resolve(finish_(Env()));
      } catch (const Napi::Error& e) {
        deferred_.Reject(e.Value());
      }
    } catch (...) {
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  Finish finish_;
  std::vector<Napi::Reference<Napi::Value>> refs_;
  ErrorInfo error_;
  bool failed_ = false;
};

// keep_alive: the JS values the job writes (outputs), held until it settles. Inputs go through
// JobInput with copy = true instead.
inline Napi::Value run_async(Napi::Env env, std::initializer_list<Napi::Value> keep_alive, Work work,
                             Finish finish) {
  auto* worker = new PromiseWorker(env, keep_alive, std::move(work), std::move(finish));
  Napi::Promise promise = worker->promise();
  worker->Queue();  // the worker deletes itself once settled
  return promise;
}

}  // namespace topofr
