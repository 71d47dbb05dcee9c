// binaryOp(op, a, aKind, b, bKind, out, rows, cols) behind the native Add/Sub/Multiply/RealDiv
// (src/tf/kernels/elementwise.ts): op 'add' | 'sub' | 'mul' | 'div'; kinds 'full' (rows·cols
// values), 'row' (cols values, repeated per row), 'column' (rows values, one per row), 'scalar'
// (1 value). Lengths are checked here.
#include <string>

#include "../core/elementwise.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"

namespace topofr {
namespace {

[[noreturn]] void bad_value(const std::string& message) {
  throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_VALUE", message);
}

BinaryOp op_arg(const Napi::CallbackInfo& info, size_t index) {
  const std::string s = string_arg(info, index, "op");
  if (s == "add") return BinaryOp::Add;
  if (s == "sub") return BinaryOp::Sub;
  if (s == "mul") return BinaryOp::Mul;
  if (s == "div") return BinaryOp::Div;
  bad_value("unknown op '" + s + "': use 'add', 'sub', 'mul' or 'div'");
}

Operand kind_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  const std::string s = string_arg(info, index, name);
  if (s == "full") return Operand::Full;
  if (s == "row") return Operand::Row;
  if (s == "column") return Operand::Column;
  if (s == "scalar") return Operand::Scalar;
  bad_value(std::string("unknown ") + name + " '" + s + "': use 'full', 'row', 'column' or 'scalar'");
}

uint64_t operand_length(Operand kind, int64_t rows, int64_t cols) {
  switch (kind) {
    case Operand::Full: return checked_product({rows, cols});
    case Operand::Row: return uint64_t(cols);
    case Operand::Column: return uint64_t(rows);
    case Operand::Scalar: return 1;
  }
  return 0;
}

std::string operand_shape(Operand kind, int64_t rows, int64_t cols) {
  switch (kind) {
    case Operand::Full: return shape_string({rows, cols});
    case Operand::Row: return shape_string({cols});
    case Operand::Column: return shape_string({rows, 1});
    case Operand::Scalar: return "[]";
  }
  return "";
}

}  // namespace

Napi::Value BinaryOpEntry(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    if (info.Length() != 8)
      throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", "expected 8 arguments, got " + std::to_string(info.Length()));
    const BinaryOp op = op_arg(info, 0);
    FloatArray a = float32_arg(info, 1, "a"), b = float32_arg(info, 3, "b"), out = float32_arg(info, 5, "out");
    const Operand ak = kind_arg(info, 2, "aKind"), bk = kind_arg(info, 4, "bKind");
    constexpr int64_t kMax = int64_t(1) << 40;
    const int64_t rows = integer_arg(info, 6, "rows", 0, kMax), cols = integer_arg(info, 7, "cols", 1, kMax);
    expect_length(a, operand_length(ak, rows, cols), "a", operand_shape(ak, rows, cols));
    expect_length(b, operand_length(bk, rows, cols), "b", operand_shape(bk, rows, cols));
    expect_length(out, checked_product({rows, cols}), "out", shape_string({rows, cols}));
    binary_op(op, rows, cols, a.data, ak, b.data, bk, out.data);
  });
}

}  // namespace topofr
