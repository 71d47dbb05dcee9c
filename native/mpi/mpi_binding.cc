// topofr_mpi.node: the MPI binding, a separate addon linked against the user's MPI library and
// loaded only in distributed mode (src/distributed/mpi.ts), so the main addon stays libc-only.
//
//   init() → { rank, size, localRank, localSize, threadLevel, library, processor }
//   finalize()                 abort(code)
//   allReduce(buffer, 'sum'|'max'|'min', deterministic, async)            Float32Array | Float64Array
//   reduceScatter(send, recv, counts, deterministic, async)               sum; counts in elements
//   broadcast(buffer, root, async)           allGatherv(send, recv, counts, async)   any typed array
//   barrier(async)
//   persistenceH0Points(points, n, dim, metric, threads, async) → { edges, deaths }
// `async` true returns a Promise; the MPI call runs on the MPI thread either way (runtime.h).
#include <napi.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../addon/args.h"
#include "../addon/async.h"
#include "../addon/bindings.h"
#include "../core/distances.h"
#include "../core/h0.h"
#include "../core/thread_pool.h"
#include "collectives.h"
#include "h0_exchange.h"
#include "runtime.h"

namespace topofr::mpi {
namespace {

struct Buffer {
  void* data;
  int64_t length;  // elements
  size_t element;  // bytes per element
  napi_typedarray_type type;
};

Buffer typed_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (!info[index].IsTypedArray())
    throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", std::string(name) + " must be a typed array");
  Napi::TypedArray array = info[index].As<Napi::TypedArray>();
  auto* base = static_cast<unsigned char*>(array.ArrayBuffer().Data());
  return {base + array.ByteOffset(), static_cast<int64_t>(array.ElementLength()), array.ElementSize(),
          array.TypedArrayType()};
}

Dtype float_type(const Buffer& buffer, const char* name) {
  if (buffer.type == napi_float32_array) return Dtype::F32;
  if (buffer.type == napi_float64_array) return Dtype::F64;
  throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", std::string(name) + " must be a Float32Array or Float64Array");
}

void same_type(const Buffer& a, const Buffer& b) {
  if (a.type != b.type)
    throw UserError(ErrorKind::Type, "ERR_TOPOFR_INVALID_TYPE", "send and receive buffers must be typed arrays of the same type");
}

// Per-rank element counts: one per rank, each ≥ 0, summing to `total` (when total ≥ 0).
std::vector<int64_t> counts_arg(const Napi::CallbackInfo& info, size_t index, int64_t total, const char* what) {
  std::vector<int64_t> counts = integer_array_arg(info, index, "counts", 0, INT64_MAX / 16);
  const size_t ranks = static_cast<size_t>(Runtime::instance().world().size);
  if (counts.size() != ranks)
    throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE",
                    std::string(what) + ": counts has " + std::to_string(counts.size()) + " entries, one per rank expected (" + std::to_string(ranks) + ")");
  int64_t sum = 0;
  for (int64_t c : counts) sum += c;
  if (sum != total)
    throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE",
                    std::string(what) + ": counts sum to " + std::to_string(sum) + " but the buffer holds " + std::to_string(total) + " elements");
  return counts;
}

// Claims the runtime now (call order = collective order) and runs `job` on the MPI thread, now or
// as a Promise. `keep` holds the buffers the job reads or writes until it settles.
Napi::Value collective(const Napi::CallbackInfo& info, bool async, std::initializer_list<Napi::Value> keep,
                       std::function<void(MPI_Comm)> job, Finish finish = nullptr) {
  if (!finish) finish = [](Napi::Env env) -> Napi::Value { return env.Undefined(); };
  Runtime::instance().claim();
  Work work = [job = std::move(job)] { Runtime::instance().run(job); };
  return async ? run_async(info.Env(), keep, work, finish) : run_sync(info.Env(), work, finish);
}

Napi::Value Init(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const WorldInfo w = Runtime::instance().init();
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("rank", w.rank);
    out.Set("size", w.size);
    out.Set("localRank", w.local_rank);
    out.Set("localSize", w.local_size);
    out.Set("threadLevel", w.thread_level);
    out.Set("library", w.library);
    out.Set("processor", w.processor);
    return out;
  });
}

Napi::Value Finalize(const Napi::CallbackInfo& info) {
  return guarded(info, [&] { Runtime::instance().finalize(); });
}

Napi::Value Abort(const Napi::CallbackInfo& info) {
  return guarded(info, [&] { Runtime::instance().abort(static_cast<int>(integer_arg(info, 0, "code", 1, 255))); });
}

Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const Buffer buffer = typed_arg(info, 0, "buffer");
    const Dtype type = float_type(buffer, "buffer");
    const std::string name = string_arg(info, 1, "op");
    if (name != "sum" && name != "max" && name != "min")
      throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_VALUE", "op must be 'sum', 'max' or 'min', got '" + name + "'");
    const ReduceOp op = name == "sum" ? ReduceOp::Sum : name == "max" ? ReduceOp::Max : ReduceOp::Min;
    const bool deterministic = boolean_arg(info, 2, "deterministic");
    return collective(info, boolean_arg(info, 3, "async"), {info[0]}, [=](MPI_Comm comm) {
      all_reduce(comm, buffer.data, buffer.length, type, op, deterministic);
    });
  });
}

Napi::Value ReduceScatter(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const Buffer send = typed_arg(info, 0, "send"), recv = typed_arg(info, 1, "recv");
    const Dtype type = float_type(send, "send");
    same_type(send, recv);
    const std::vector<int64_t> counts = counts_arg(info, 2, send.length, "reduceScatter");
    const int rank = Runtime::instance().world().rank;
    if (recv.length != counts[rank])
      throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE",
                      "reduceScatter: recv holds " + std::to_string(recv.length) + " elements, this rank's count is " + std::to_string(counts[rank]));
    const bool deterministic = boolean_arg(info, 3, "deterministic");
    return collective(info, boolean_arg(info, 4, "async"), {info[0], info[1]}, [=](MPI_Comm comm) {
      reduce_scatter(comm, send.data, recv.data, counts, type, deterministic);
    });
  });
}

Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const Buffer buffer = typed_arg(info, 0, "buffer");
    const int root = static_cast<int>(integer_arg(info, 1, "root", 0, Runtime::instance().world().size - 1));
    return collective(info, boolean_arg(info, 2, "async"), {info[0]}, [=](MPI_Comm comm) {
      broadcast(comm, buffer.data, buffer.length * static_cast<int64_t>(buffer.element), root);
    });
  });
}

Napi::Value AllGatherv(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const Buffer send = typed_arg(info, 0, "send"), recv = typed_arg(info, 1, "recv");
    same_type(send, recv);
    std::vector<int64_t> counts = counts_arg(info, 2, recv.length, "allGatherv");
    if (send.length != counts[Runtime::instance().world().rank])
      throw UserError(ErrorKind::Range, "ERR_TOPOFR_INVALID_SHAPE",
                      "allGatherv: send holds " + std::to_string(send.length) + " elements, this rank's count is " + std::to_string(counts[Runtime::instance().world().rank]));
    for (int64_t& c : counts) c *= static_cast<int64_t>(send.element);
    return collective(info, boolean_arg(info, 3, "async"), {info[0], info[1]}, [=](MPI_Comm comm) {
      all_gatherv(comm, send.data, send.length * static_cast<int64_t>(send.element), recv.data, counts);
    });
  });
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    return collective(info, boolean_arg(info, 0, "async"), {}, [](MPI_Comm comm) { barrier(comm); });
  });
}

Napi::Value PersistenceH0Points(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const PointsArg cloud = points_arg(info, 0);
    const float* x = cloud.points.data;
    const int64_t n = cloud.n, dim = cloud.dim;
    const Metric metric = metric_arg(info, 3);
    const int threads = static_cast<int>(integer_arg(info, 4, "threads", 0, 4096));
    auto pairs = std::make_shared<H0Pairs>();
    return collective(
        info, boolean_arg(info, 5, "async"), {info[0]},
        [=](MPI_Comm comm) {
          check_points_finite(x, n, dim, threads);
          H0MpiExchange exchange(comm);
          *pairs = persistence_h0_distributed(PointDistances(x, n, dim, metric), threads, exchange);
        },
        [pairs](Napi::Env env) { return h0_result(env, *pairs); });
  });
}

Napi::Object Register(Napi::Env env, Napi::Object exports) {
  pool_acquire();
  env.AddCleanupHook([] {
    Runtime::instance().shutdown();
    pool_release();
  });
  using Entry = Napi::Value (*)(const Napi::CallbackInfo&);
  const std::pair<const char*, Entry> entries[] = {
      {"init", Init}, {"finalize", Finalize}, {"abort", Abort}, {"allReduce", AllReduce},
      {"reduceScatter", ReduceScatter}, {"broadcast", Broadcast}, {"allGatherv", AllGatherv}, {"barrier", Barrier},
      {"persistenceH0Points", PersistenceH0Points},
  };
  for (const auto& [name, entry] : entries) exports.Set(name, Napi::Function::New(env, entry, name));
  return exports;
}

NODE_API_MODULE(topofr_mpi, Register)

}  // namespace
}  // namespace topofr::mpi
