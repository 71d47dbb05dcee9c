// What the convolution entry points (conv_binding.cc, depthwise_binding.cc) share: the three
// passes, their three arrays in argument order, and the length checks that name each array.
#pragma once
#include <array>
#include <string>

#include "args.h"
#include "errors.h"

namespace topofr {

enum class Pass { Forward, BackpropInput, BackpropFilter };

// Element counts and printable shapes of the input x, the filter and the output y.
struct ConvSizes {
  uint64_t x, filter, y;
  std::string x_shape, filter_shape, y_shape;
};

// The three arrays of a pass (forward: x, filter, y; backprop-input: dy, filter, dx; backprop-filter:
// x, dy, dfilter) after checking the argument count (3 arrays + 15 geometry integers) and every
// array's length against the sizes.
inline std::array<FloatArray, 3> pass_arrays(const Napi::CallbackInfo& info, Pass pass, const ConvSizes& s) {
  if (info.Length() != 18)
    throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE",
                    "expected 18 arguments (3 arrays and 15 geometry integers), got " + std::to_string(info.Length()));
  const char* names[3][3] = {{"x", "filter", "y"}, {"dy", "filter", "dx"}, {"x", "dy", "dfilter"}};
  const auto& nm = names[int(pass)];
  std::array<FloatArray, 3> a = {float32_arg(info, 0, nm[0]), float32_arg(info, 1, nm[1]), float32_arg(info, 2, nm[2])};
  const uint64_t len[3][3] = {{s.x, s.filter, s.y}, {s.y, s.filter, s.x}, {s.x, s.y, s.filter}};
  const std::string* shape[3][3] = {{&s.x_shape, &s.filter_shape, &s.y_shape}, {&s.y_shape, &s.filter_shape, &s.x_shape},
                                    {&s.x_shape, &s.y_shape, &s.filter_shape}};
  for (int k = 0; k < 3; k++) expect_length(a[k], len[int(pass)][k], nm[k], *shape[int(pass)][k]);
  return a;
}

}  // namespace topofr
