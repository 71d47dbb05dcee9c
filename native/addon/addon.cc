// Module entry: registers the functions and ties the compute pool's life to the environments
// (main thread, worker_threads) that load the addon.
#include <napi.h>

#include "../core/sgemm.h"
#include "../core/thread_pool.h"
#include "../cuda/cuda_api.h"
#include "bindings.h"
#include "errors.h"

namespace topofr {

Napi::Value Capabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const cuda::DeviceInfo& dev = cuda::device_info();
  Napi::Object cuda = Napi::Object::New(env);
  cuda.Set("compiled", dev.compiled);
  cuda.Set("deviceCount", dev.device_count);
  if (!dev.name.empty()) cuda.Set("name", dev.name);
  if (!dev.error.empty()) cuda.Set("error", dev.error);
  Napi::Object caps = Napi::Object::New(env);
  caps.Set("cuda", cuda);
  caps.Set("threads", pool_threads());
  caps.Set("blas", sgemm_backend());
  return caps;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  pool_acquire();
  env.AddCleanupHook([] { pool_release(); });
  exports.Set("pairwiseDistances", Napi::Function::New(env, PairwiseDistances, "pairwiseDistances"));
  exports.Set("ripserEuclideanLower", Napi::Function::New(env, RipserEuclideanLower, "ripserEuclideanLower"));
  exports.Set("persistenceH0Points", Napi::Function::New(env, PersistenceH0Points, "persistenceH0Points"));
  exports.Set("persistenceH0Matrix", Napi::Function::New(env, PersistenceH0Matrix, "persistenceH0Matrix"));
  exports.Set("ripsPersistence", Napi::Function::New(env, RipsPersistence, "ripsPersistence"));
  exports.Set("sgemm", Napi::Function::New(env, Sgemm, "sgemm"));
  exports.Set("conv2dForward", Napi::Function::New(env, Conv2dForward, "conv2dForward"));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Conv2dBackpropInput, "conv2dBackpropInput"));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Conv2dBackpropFilter, "conv2dBackpropFilter"));
  exports.Set("batchMatMul", Napi::Function::New(env, BatchMatMul, "batchMatMul"));
  exports.Set("batchNormTrainingForward", Napi::Function::New(env, BatchNormTrainingForward, "batchNormTrainingForward"));
  exports.Set("batchNormTrainingBackward", Napi::Function::New(env, BatchNormTrainingBackward, "batchNormTrainingBackward"));
  exports.Set("batchNormPreluForward", Napi::Function::New(env, BatchNormPreluForward, "batchNormPreluForward"));
  exports.Set("batchNormPreluBackward", Napi::Function::New(env, BatchNormPreluBackward, "batchNormPreluBackward"));
  exports.Set("preluForward", Napi::Function::New(env, PreluForward, "preluForward"));
  exports.Set("preluBackward", Napi::Function::New(env, PreluBackward, "preluBackward"));
  exports.Set("copyBox", Napi::Function::New(env, CopyBox, "copyBox"));
  exports.Set("fill", Napi::Function::New(env, Fill, "fill"));
  exports.Set("permute", Napi::Function::New(env, Permute, "permute"));
  exports.Set("binaryOp", Napi::Function::New(env, BinaryOpEntry, "binaryOp"));
  exports.Set("retainFreedMemory", Napi::Function::New(env, RetainFreedMemory, "retainFreedMemory"));
  exports.Set("capabilities", Napi::Function::New(env, Capabilities, "capabilities"));
  exports.Set("setErrorClasses", Napi::Function::New(env, SetErrorClasses, "setErrorClasses"));
  exports.Set("depthwiseConv2dForward", Napi::Function::New(env, DepthwiseConv2dForward, "depthwiseConv2dForward"));
  exports.Set("depthwiseConv2dBackpropInput", Napi::Function::New(env, DepthwiseConv2dBackpropInput, "depthwiseConv2dBackpropInput"));
  exports.Set("depthwiseConv2dBackpropFilter", Napi::Function::New(env, DepthwiseConv2dBackpropFilter, "depthwiseConv2dBackpropFilter"));
  exports.Set("jpegLibrary", Napi::Function::New(env, JpegLibrary, "jpegLibrary"));
  exports.Set("jpegDecode", Napi::Function::New(env, JpegDecode, "jpegDecode"));
  exports.Set("jpegDecodeBatch", Napi::Function::New(env, JpegDecodeBatch, "jpegDecodeBatch"));
  exports.Set("residualBlockForward", Napi::Function::New(env, ResidualBlockForward, "residualBlockForward"));
  exports.Set("residualBlockBackward", Napi::Function::New(env, ResidualBlockBackward, "residualBlockBackward"));
  exports.Set("topologyInputSpace", Napi::Function::New(env, TopologyInputSpace, "topologyInputSpace"));
  exports.Set("topologyAlign", Napi::Function::New(env, TopologyAlign, "topologyAlign"));
  return exports;
}

NODE_API_MODULE(topofr, Init)

}  // namespace topofr
