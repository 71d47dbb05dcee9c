#include "errors.h"

namespace topofr {
namespace {

// Per environment (napi instance data, freed with it).
struct ErrorClasses {
  Napi::FunctionReference generic, type, range;
};

Napi::FunctionReference constructor_arg(const Napi::CallbackInfo& info, size_t index) {
  if (!info[index].IsFunction())
    throw Napi::TypeError::New(info.Env(), "setErrorClasses: expected three error classes");
  return Napi::Persistent(info[index].As<Napi::Function>());
}

}  // namespace

Napi::Value SetErrorClasses(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ErrorClasses* classes = env.GetInstanceData<ErrorClasses>();
  if (classes == nullptr) {
    classes = new ErrorClasses();
    env.SetInstanceData(classes);  // deleted when the environment ends
  }
  classes->generic = constructor_arg(info, 0);
  classes->type = constructor_arg(info, 1);
  classes->range = constructor_arg(info, 2);
  return env.Undefined();
}

ErrorInfo ErrorInfo::from_current() {
  ErrorInfo info;
  try {
    throw;
  } catch (const UserError& e) {
    info.kind = e.kind;
    info.code = e.code;
    info.message = e.what();
  } catch (const std::domain_error& e) {  // the core's way of meeting a NaN it did not expect (input changed mid-call)
    info.kind = ErrorKind::Range;
    info.code = "ERR_TOPOFR_NON_FINITE";
    info.message = e.what();
  } catch (const std::length_error& e) {  // the core's way of refusing a request too large to compute
    info.kind = ErrorKind::Range;
    info.code = "ERR_TOPOFR_TOO_LARGE";
    info.message = e.what();
  } catch (const std::invalid_argument& e) {  // the core's way of rejecting a value it cannot handle
    info.kind = ErrorKind::Range;
    info.code = "ERR_TOPOFR_INVALID_VALUE";
    info.message = e.what();
  } catch (const std::bad_alloc&) {
    info.kind = ErrorKind::Range;
    info.code = "ERR_TOPOFR_TOO_LARGE";
    info.message = "out of memory";
  } catch (const std::exception& e) {
    info.message = e.what();
  } catch (...) {
    info.message = "unknown native error";
  }
  return info;
}

Napi::Error ErrorInfo::to_js(Napi::Env env) const {
  if (const ErrorClasses* classes = env.GetInstanceData<ErrorClasses>()) {
    const Napi::FunctionReference& make = kind == ErrorKind::Type    ? classes->type
                                          : kind == ErrorKind::Range ? classes->range
                                                                     : classes->generic;
    return Napi::Error(env, make.New({Napi::String::New(env, code), Napi::String::New(env, message)}));
  }
  Napi::Error error = kind == ErrorKind::Type    ? Napi::TypeError::New(env, message)
                      : kind == ErrorKind::Range ? Napi::RangeError::New(env, message)
                                                 : Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

}  // namespace topofr
