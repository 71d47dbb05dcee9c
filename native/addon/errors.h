// Errors that cross the N-API boundary. Native code throws topofr::UserError for bad input (the
// caller's mistake: a typed JS error with a code) and anything else for internal failures; the
// entry points convert, so no C++ exception ever reaches Node.
#pragma once
#include <napi.h>

#include <stdexcept>
#include <string>
#include <type_traits>

namespace topofr {

enum class ErrorKind { Type, Range, Generic };

struct UserError : std::runtime_error {
  UserError(ErrorKind kind, const char* code, const std::string& message)
      : std::runtime_error(message), kind(kind), code(code) {}
  ErrorKind kind;
  const char* code;
};

// setErrorClasses(TopofrError, TopofrTypeError, TopofrRangeError): the JS classes (each constructed
// as new C(code, message)) that native errors are made of from now on in this environment;
// src/native.ts registers them when it loads the addon (a worker_thread loads it again and
// registers its own). Until then, plain Error / TypeError / RangeError with the same `code`.
Napi::Value SetErrorClasses(const Napi::CallbackInfo& info);

// Captures any exception as plain data, so an AsyncWorker can rethrow it as a typed JS error on the JS thread.
struct ErrorInfo {
  ErrorKind kind = ErrorKind::Generic;
  std::string code = "ERR_TOPOFR_NATIVE";
  std::string message;
  static ErrorInfo from_current();  // call inside a catch block
  Napi::Error to_js(Napi::Env env) const;
};

// Runs a synchronous entry point's body and turns any C++ exception into the matching JS error
// (UserError: typed, with its code; anything else: a generic topofr error). JS errors thrown by
// node-addon-api pass through. A body returning void makes the entry point return undefined.
template <class Body>
Napi::Value guarded(const Napi::CallbackInfo& info, const Body& body) {
  try {
    if constexpr (std::is_void_v<decltype(body())>) {
      body();
      return info.Env().Undefined();
    } else {
      return body();
    }
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw ErrorInfo::from_current().to_js(info.Env());
  }
}

}  // namespace topofr
