#include "errors.h"

namespace topofr {

ErrorInfo ErrorInfo::from_current() {
  ErrorInfo info;
  try {
    throw;
  } catch (const UserError& e) {
    info.kind = e.kind;
    info.code = e.code;
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
  Napi::Error error = kind == ErrorKind::Type    ? Napi::TypeError::New(env, message)
                      : kind == ErrorKind::Range ? Napi::RangeError::New(env, message)
                                                 : Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

}  // namespace topofr
