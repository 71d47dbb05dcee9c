// Element-wise binary arithmetic for the native Add/Sub/Multiply/RealDiv tfjs kernels, over the
// broadcasts a training step uses: equal shapes, a scalar on either side, a vector along the
// last axis (bias, per-channel scale) and one value per row (a softmax's max or sum, kept as
// [..., 1]) on either side. The output is viewed as rows × cols; each operand is Full
// (rows × cols), Row (cols values repeated for every row), Column (rows values, one repeated
// along each row) or Scalar.
#pragma once
#include <cstdint>

namespace topofr {

enum class BinaryOp { Add, Sub, Mul, Div };
enum class Operand { Full, Row, Column, Scalar };

// out[r, c] = a[r, c] op b[r, c] with a and b read according to their Operand kind.
void binary_op(BinaryOp op, int64_t rows, int64_t cols, const float* a, Operand a_kind, const float* b, Operand b_kind,
               float* out);

}  // namespace topofr
