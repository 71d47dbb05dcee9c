// sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc): the internal GEMM, exposed for
// the bench (the machine's GEMM ceiling) and for tests of both backends. Bounds are checked here.
#include <string>

#include "../core/sgemm.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"

namespace topofr {
namespace {

// A rows×cols row-major view with leading dimension ld must fit in the array.
void check_view(const FloatArray& a, int64_t rows, int64_t cols, int64_t ld, const char* name) {
  if (ld < std::max<int64_t>(cols, 1))
    throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE",
                    std::string("leading dimension of ") + name + " must be ≥ its column count");
  if (rows > 0 && cols > 0 && uint64_t(rows - 1) * uint64_t(ld) + uint64_t(cols) > a.length)
    throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE", std::string(name) + " is too short for its shape");
}

}  // namespace

Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const bool ta = boolean_arg(info, 0, "transA"), tb = boolean_arg(info, 1, "transB");
    const int64_t m = integer_arg(info, 2, "m", 0, INT32_MAX), n = integer_arg(info, 3, "n", 0, INT32_MAX),
                  k = integer_arg(info, 4, "k", 0, INT32_MAX);
    const float alpha = static_cast<float>(number_arg(info, 5, "alpha"));
    FloatArray a = float32_arg(info, 6, "a");
    const int64_t lda = integer_arg(info, 7, "lda", 1, INT32_MAX);
    FloatArray b = float32_arg(info, 8, "b");
    const int64_t ldb = integer_arg(info, 9, "ldb", 1, INT32_MAX);
    const float beta = static_cast<float>(number_arg(info, 10, "beta"));
    FloatArray c = float32_arg(info, 11, "c");
    const int64_t ldc = integer_arg(info, 12, "ldc", 1, INT32_MAX);
    check_view(a, ta ? k : m, ta ? m : k, lda, "a");
    check_view(b, tb ? n : k, tb ? k : n, ldb, "b");
    check_view(c, m, n, ldc, "c");
    sgemm(ta, tb, m, n, k, alpha, a.data, lda, b.data, ldb, beta, c.data, ldc);
    return info.Env().Undefined();
  });
}

}  // namespace topofr
