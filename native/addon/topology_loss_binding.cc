// The GPU topology loss (native/cuda/topology_loss.cu):
//   topologyInputSpace(x, n, dim) → an opaque handle: the batch's input space on the device
//     (distances and H0 pairing), prepared once per batch; freed when the handle is collected.
//   topologyAlign(space, z, n, dim, symmetric, inputScale, latentScale, inputGradient)
//     → { loss, gradLatent: Float32Array, gradInput?: Float32Array, inputEdges, latentEdges: Int32Array }
#include <cstring>
#include <memory>

#include "../cuda/cuda_api.h"
#include "args.h"
#include "bindings.h"
#include "errors.h"

namespace topofr {
namespace {

using Space = std::shared_ptr<cuda::InputSpace>;

struct Handle {
  Space space;
  int64_t n, dim;
};

template <class T, class Array>
Array copy_to_js(Napi::Env env, const std::vector<T>& values) {
  Array out = Array::New(env, values.size());
  if (!values.empty()) std::memcpy(out.Data(), values.data(), values.size() * sizeof(T));
  return out;
}

}  // namespace

Napi::Value TopologyInputSpace(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const PointsArg cloud = points_arg(info, 0);
    const float* x = cloud.points.data;
    check_points_finite(x, cloud.n, cloud.dim, 0);
    auto* handle = new Handle{nullptr, cloud.n, cloud.dim};
    try {
      handle->space = cuda::prepare_input_space(x, cloud.n, cloud.dim);
    } catch (...) {
      delete handle;
      throw;
    }
    return Napi::External<Handle>::New(info.Env(), handle, [](Napi::Env, Handle* h) { delete h; });
  });
}

Napi::Value TopologyAlign(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (!info[0].IsExternal())
      throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", "space must be a handle from topologyInputSpace");
    const Handle& handle = *info[0].As<Napi::External<Handle>>().Data();
    const PointsArg cloud = points_arg(info, 1);
    if (cloud.n != handle.n)
      throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE",
                      "the latent batch has " + std::to_string(cloud.n) + " samples but the input batch " +
                          std::to_string(handle.n));
    check_points_finite(cloud.points.data, cloud.n, cloud.dim, 0);
    cuda::AlignmentParams params;
    params.symmetric = boolean_arg(info, 4, "symmetric");
    params.input_scale = number_arg(info, 5, "inputScale");
    params.latent_scale = number_arg(info, 6, "latentScale");
    params.input_gradient = boolean_arg(info, 7, "inputGradient");
    if (!(params.input_scale > 0) || !(params.latent_scale > 0))
      throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_VALUE", "the scales must be > 0");
    const cuda::AlignmentResult r = cuda::align(*handle.space, cloud.points.data, cloud.dim, params);
    Napi::Object out = Napi::Object::New(env);
    out.Set("loss", r.loss);
    out.Set("gradLatent", copy_to_js<float, Napi::Float32Array>(env, r.grad_latent));
    if (params.input_gradient) out.Set("gradInput", copy_to_js<float, Napi::Float32Array>(env, r.grad_input));
    out.Set("inputEdges", copy_to_js<int32_t, Napi::Int32Array>(env, r.input_edges));
    out.Set("latentEdges", copy_to_js<int32_t, Napi::Int32Array>(env, r.latent_edges));
    return out;
  });
}

}  // namespace topofr
