// The fused IResNet residual block behind src/tf/kernels/residual-block.ts (native/core/residual_block.h).
// Synchronous; the caller allocates every output.
//
//   residualBlockForward(x, params, y, saved, shape, epsilon)
//   residualBlockBackward(x, params, saved, dy, grads, shape, epsilon)
//     params = [γ1, β1, filter1, γ2, β2, α, filter2, γ3, β3, filterD, γD, βD]   (the last three null
//              without the downsample)
//     saved  = [c1, c2, d, stats1, stats2, stats3, statsD]                    (d, statsD likewise)
//     grads  = [dx, dγ1, dβ1, dfilter1, dγ2, dβ2, dα, dfilter2, dγ3, dβ3, dfilterD, dγD, dβD]
//     shape  = [batch, height, width, inChannels, outChannels, stride, outHeight, outWidth, downsample 0|1]
//
// Every array's length is checked against the shape (overflow-safe) before memory is touched.
#include <string>
#include <vector>

#include "../core/residual_block.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"

namespace topofr {
namespace {

[[noreturn]] void fail(ErrorKind kind, const char* code, const std::string& message) { throw UserError(kind, code, message); }

ResidualBlockShape shape_arg(const Napi::CallbackInfo& info, size_t index, size_t eps_index) {
  const std::vector<int64_t> v = integer_array_arg(info, index, "shape", 0, INT32_MAX);
  if (v.size() != 9) fail(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE", "shape must have 9 entries, got " + std::to_string(v.size()));
  ResidualBlockShape s{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8] != 0, float(number_arg(info, eps_index, "epsilon"))};
  const char* names[] = {"batch", "height", "width", "inChannels", "outChannels"};
  for (int i = 0; i < 5; i++)
    if (v[size_t(i)] < 1) fail(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE", std::string("shape: ") + names[i] + " must be ≥ 1");
  if (s.stride != 1 && s.stride != 2) fail(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE", "shape: stride must be 1 or 2");
  if (v[8] > 1) fail(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE", "shape: downsample must be 0 or 1");
  if (s.out_h != (s.height - 1) / s.stride + 1 || s.out_w != (s.width - 1) / s.stride + 1)
    fail(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE", "shape: outHeight × outWidth must be " +
         std::to_string((s.height - 1) / s.stride + 1) + " × " + std::to_string((s.width - 1) / s.stride + 1));
  if (!s.downsample && (s.stride != 1 || s.in_c != s.out_c))
    fail(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE", "shape: a block without downsample needs stride 1 and inChannels == outChannels");
  if (!(s.eps > 0)) fail(ErrorKind::Range, "ERR_TOPOFR_INVALID_VALUE", "epsilon must be > 0");
  return s;
}

// The Float32Arrays of an array argument, each checked against its expected length; an entry
// whose expected length is 0 must be null (the downsample's, without one).
std::vector<float*> arrays_arg(const Napi::CallbackInfo& info, size_t index, const char* what,
                               const std::vector<const char*>& names, const std::vector<uint64_t>& lengths) {
  if (!info[index].IsArray() || info[index].As<Napi::Array>().Length() != names.size())
    fail(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", std::string(what) + " must be an array of " + std::to_string(names.size()) + " entries");
  Napi::Array a = info[index].As<Napi::Array>();
  std::vector<float*> out(names.size(), nullptr);
  for (uint32_t i = 0; i < names.size(); i++) {
    Napi::Value v = a.Get(i);
    const std::string name = std::string(what) + "." + names[i];
    if (lengths[i] == 0) {
      if (!v.IsNull() && !v.IsUndefined()) fail(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", name + " must be null without the downsample");
      continue;
    }
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      fail(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", name + " must be a Float32Array");
    auto f = v.As<Napi::Float32Array>();
    expect_length({f.Data(), f.ElementLength()}, lengths[i], name.c_str(), std::to_string(lengths[i]) + " values");
    out[i] = f.Data();
  }
  return out;
}

struct Sizes {
  uint64_t x, out, c1, in_c, out_c, filter1, filter2, filter_d, stats_in, stats_out, ds;  // ds: 1 with the downsample
};

Sizes sizes_of(const ResidualBlockShape& s) {
  const uint64_t ds = s.downsample ? 1 : 0;
  return {checked_product({s.batch, s.height, s.width, s.in_c}), checked_product({s.batch, s.out_h, s.out_w, s.out_c}),
          checked_product({s.batch, s.height, s.width, s.out_c}), uint64_t(s.in_c), uint64_t(s.out_c),
          checked_product({9, s.in_c, s.out_c}), checked_product({9, s.out_c, s.out_c}), checked_product({s.in_c, s.out_c}),
          uint64_t(4 * s.in_c), uint64_t(4 * s.out_c), ds};
}

ResidualBlockParams params_arg(const Napi::CallbackInfo& info, size_t index, const Sizes& z) {
  const auto p = arrays_arg(info, index, "params",
      {"gamma1", "beta1", "filter1", "gamma2", "beta2", "alpha", "filter2", "gamma3", "beta3", "filterD", "gammaD", "betaD"},
      {z.in_c, z.in_c, z.filter1, z.out_c, z.out_c, z.out_c, z.filter2, z.out_c, z.out_c, z.filter_d * z.ds, z.out_c * z.ds, z.out_c * z.ds});
  return {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]};
}

ResidualBlockSaved saved_arg(const Napi::CallbackInfo& info, size_t index, const Sizes& z) {
  const auto v = arrays_arg(info, index, "saved", {"c1", "c2", "d", "stats1", "stats2", "stats3", "statsD"},
                            {z.c1, z.out, z.out * z.ds, z.stats_in, z.stats_out, z.stats_out, z.stats_out * z.ds});
  return {v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
}

// The arguments both passes start with: the count, the shape (and epsilon), and x checked against it.
struct BlockCall {
  ResidualBlockShape shape;
  Sizes sizes;
  FloatArray x;
};

BlockCall block_call(const Napi::CallbackInfo& info, size_t arity, size_t shape_index) {
  if (info.Length() != arity)
    fail(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", "expected " + std::to_string(arity) + " arguments, got " + std::to_string(info.Length()));
  BlockCall c{shape_arg(info, shape_index, shape_index + 1), {}, float32_arg(info, 0, "x")};
  c.sizes = sizes_of(c.shape);
  const ResidualBlockShape& s = c.shape;
  expect_length(c.x, c.sizes.x, "x", shape_string({s.batch, s.height, s.width, s.in_c}));
  return c;
}

// An output-sized array (y or dy).
FloatArray out_arg(const Napi::CallbackInfo& info, size_t index, const char* name, const BlockCall& c) {
  FloatArray a = float32_arg(info, index, name);
  const ResidualBlockShape& s = c.shape;
  expect_length(a, c.sizes.out, name, shape_string({s.batch, s.out_h, s.out_w, s.out_c}));
  return a;
}

}  // namespace

Napi::Value ResidualBlockForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const BlockCall c = block_call(info, 6, 4);
    FloatArray y = out_arg(info, 2, "y", c);
    residual_block_forward(c.shape, c.x.data, params_arg(info, 1, c.sizes), y.data, saved_arg(info, 3, c.sizes));
  });
}

Napi::Value ResidualBlockBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&] {
    const BlockCall c = block_call(info, 7, 5);
    FloatArray dy = out_arg(info, 3, "dy", c);
    const Sizes& z = c.sizes;
    const auto g = arrays_arg(info, 4, "grads",
        {"dx", "dgamma1", "dbeta1", "dfilter1", "dgamma2", "dbeta2", "dalpha", "dfilter2", "dgamma3", "dbeta3", "dfilterD", "dgammaD", "dbetaD"},
        {z.x, z.in_c, z.in_c, z.filter1, z.out_c, z.out_c, z.out_c, z.filter2, z.out_c, z.out_c, z.filter_d * z.ds, z.out_c * z.ds, z.out_c * z.ds});
    residual_block_backward(c.shape, c.x.data, params_arg(info, 1, z), saved_arg(info, 2, z), dy.data,
                            {g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12]});
  });
}

}  // namespace topofr
