#include "elementwise.h"

#include <algorithm>

#include "thread_pool.h"

namespace topofr {
namespace {

constexpr int64_t kTaskFloats = int64_t(1) << 16;  // 256 KiB of output per task

template <Operand K>
inline float load(const float* p, int64_t r, int64_t c, int64_t cols) {
  if constexpr (K == Operand::Full) return p[r * cols + c];
  else if constexpr (K == Operand::Row) return p[c];
  else if constexpr (K == Operand::Column) return p[r];
  else return p[0];
}

template <BinaryOp Op>
inline float apply(float x, float y) {
  if constexpr (Op == BinaryOp::Add) return x + y;
  else if constexpr (Op == BinaryOp::Sub) return x - y;
  else if constexpr (Op == BinaryOp::Mul) return x * y;
  else return x / y;
}

// One instantiation per (op, a kind, b kind): the inner loop is a plain vectorisable stream.
template <BinaryOp Op, Operand A, Operand B>
void run(int64_t rows, int64_t cols, const float* a, const float* b, float* out) {
  const int64_t rows_per_task = std::max<int64_t>(1, kTaskFloats / std::max<int64_t>(cols, 1));
  parallel_for((rows + rows_per_task - 1) / rows_per_task, [&](int64_t t) {
    const int64_t r1 = std::min(rows, (t + 1) * rows_per_task);
    for (int64_t r = t * rows_per_task; r < r1; r++) {
      float* o = out + r * cols;
      for (int64_t c = 0; c < cols; c++) o[c] = apply<Op>(load<A>(a, r, c, cols), load<B>(b, r, c, cols));
    }
  });
}

template <BinaryOp Op, Operand A>
void dispatch_b(Operand b_kind, int64_t rows, int64_t cols, const float* a, const float* b, float* out) {
  switch (b_kind) {
    case Operand::Full: return run<Op, A, Operand::Full>(rows, cols, a, b, out);
    case Operand::Row: return run<Op, A, Operand::Row>(rows, cols, a, b, out);
    case Operand::Column: return run<Op, A, Operand::Column>(rows, cols, a, b, out);
    case Operand::Scalar: return run<Op, A, Operand::Scalar>(rows, cols, a, b, out);
  }
}

template <BinaryOp Op>
void dispatch_a(Operand a_kind, Operand b_kind, int64_t rows, int64_t cols, const float* a, const float* b, float* out) {
  switch (a_kind) {
    case Operand::Full: return dispatch_b<Op, Operand::Full>(b_kind, rows, cols, a, b, out);
    case Operand::Row: return dispatch_b<Op, Operand::Row>(b_kind, rows, cols, a, b, out);
    case Operand::Column: return dispatch_b<Op, Operand::Column>(b_kind, rows, cols, a, b, out);
    case Operand::Scalar: return dispatch_b<Op, Operand::Scalar>(b_kind, rows, cols, a, b, out);
  }
}

}  // namespace

void binary_op(BinaryOp op, int64_t rows, int64_t cols, const float* a, Operand a_kind, const float* b, Operand b_kind,
               float* out) {
  switch (op) {
    case BinaryOp::Add: return dispatch_a<BinaryOp::Add>(a_kind, b_kind, rows, cols, a, b, out);
    case BinaryOp::Sub: return dispatch_a<BinaryOp::Sub>(a_kind, b_kind, rows, cols, a, b, out);
    case BinaryOp::Mul: return dispatch_a<BinaryOp::Mul>(a_kind, b_kind, rows, cols, a, b, out);
    case BinaryOp::Div: return dispatch_a<BinaryOp::Div>(a_kind, b_kind, rows, cols, a, b, out);
  }
}

}  // namespace topofr
