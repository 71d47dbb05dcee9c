// Errors that cross the N-API boundary. Native code throws topofr::UserError for bad input (the
// caller's mistake: a typed JS error with a code) and anything else for internal failures; the
// entry points convert, so no C++ exception ever reaches Node.
#pragma once
#include <napi.h>

#include <stdexcept>
#include <string>

namespace topofr {

enum class ErrorKind { Type, Range, Generic };

struct UserError : std::runtime_error {
  UserError(ErrorKind kind, const char* code, const std::string& message)
      : std::runtime_error(message), kind(kind), code(code) {}
  ErrorKind kind;
  const char* code;
};

// Captures any exception as plain data, so an AsyncWorker can rethrow it as a typed JS error on the JS thread.
struct ErrorInfo {
  ErrorKind kind = ErrorKind::Generic;
  std::string code = "ERR_TOPOFR_NATIVE";
  std::string message;
  static ErrorInfo from_current();  // call inside a catch block
  Napi::Error to_js(Napi::Env env) const;
};

}  // namespace topofr
