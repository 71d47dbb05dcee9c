// Sync and Promise forms of one computation, written once.
//
// An entry point describes its job as `work` (pure C++, no N-API: it may run on a libuv thread)
// and `finish` (builds the JS result on the JS thread). run_sync does both now; run_async returns a
// Promise and holds references to the JS values the job reads or writes until it settles, so the
// garbage collector cannot free them under the worker.
#pragma once
#include <napi.h>

#include <functional>
#include <initializer_list>
#include <vector>

#include "errors.h"

namespace topofr {

using Work = std::function<void()>;
using Finish = std::function<Napi::Value(Napi::Env)>;

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
  void OnOK() override {
    Napi::HandleScope scope(Env());
    if (failed_) {
      deferred_.Reject(error_.to_js(Env()).Value());
      return;
    }
    try {
      deferred_.Resolve(finish_(Env()));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
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

inline Napi::Value run_async(Napi::Env env, std::initializer_list<Napi::Value> keep_alive, Work work,
                             Finish finish) {
  auto* worker = new PromiseWorker(env, keep_alive, std::move(work), std::move(finish));
  Napi::Promise promise = worker->promise();
  worker->Queue();  // the worker deletes itself once settled
  return promise;
}

}  // namespace topofr
