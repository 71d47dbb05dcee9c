// The addon's exported functions, one file each family; registered in addon.cc.
#pragma once
#include <napi.h>

#include "../core/h0.h"

namespace topofr {

// { edges: Int32Array, deaths: Float32Array } (also the MPI addon's distributed H0 result).
Napi::Value h0_result(Napi::Env env, const H0Pairs& pairs);

Napi::Value PairwiseDistances(const Napi::CallbackInfo& info);
Napi::Value RipserEuclideanLower(const Napi::CallbackInfo& info);
Napi::Value PersistenceH0Points(const Napi::CallbackInfo& info);
Napi::Value PersistenceH0Matrix(const Napi::CallbackInfo& info);
Napi::Value RipsPersistence(const Napi::CallbackInfo& info);
Napi::Value Sgemm(const Napi::CallbackInfo& info);
Napi::Value Capabilities(const Napi::CallbackInfo& info);
Napi::Value Conv2dForward(const Napi::CallbackInfo& info);
Napi::Value Conv2dBackpropInput(const Napi::CallbackInfo& info);
Napi::Value Conv2dBackpropFilter(const Napi::CallbackInfo& info);
Napi::Value BatchMatMul(const Napi::CallbackInfo& info);
Napi::Value BatchNormTrainingForward(const Napi::CallbackInfo& info);
Napi::Value BatchNormTrainingBackward(const Napi::CallbackInfo& info);
Napi::Value BatchNormPreluForward(const Napi::CallbackInfo& info);
Napi::Value BatchNormPreluBackward(const Napi::CallbackInfo& info);
Napi::Value PreluForward(const Napi::CallbackInfo& info);
Napi::Value PreluBackward(const Napi::CallbackInfo& info);
Napi::Value CopyBox(const Napi::CallbackInfo& info);
Napi::Value Fill(const Napi::CallbackInfo& info);
Napi::Value Permute(const Napi::CallbackInfo& info);
Napi::Value BinaryOpEntry(const Napi::CallbackInfo& info);
Napi::Value RetainFreedMemory(const Napi::CallbackInfo& info);
Napi::Value DepthwiseConv2dForward(const Napi::CallbackInfo& info);
Napi::Value DepthwiseConv2dBackpropInput(const Napi::CallbackInfo& info);
Napi::Value DepthwiseConv2dBackpropFilter(const Napi::CallbackInfo& info);
Napi::Value JpegLibrary(const Napi::CallbackInfo& info);
Napi::Value JpegDecode(const Napi::CallbackInfo& info);
Napi::Value JpegDecodeBatch(const Napi::CallbackInfo& info);
Napi::Value ResidualBlockForward(const Napi::CallbackInfo& info);
Napi::Value ResidualBlockBackward(const Napi::CallbackInfo& info);
Napi::Value TopologyInputSpace(const Napi::CallbackInfo& info);
Napi::Value TopologyAlign(const Napi::CallbackInfo& info);

}  // namespace topofr
