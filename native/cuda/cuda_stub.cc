// The GPU half of the addon when it was built without nvcc: it reports why, and computes nothing.
#include <stdexcept>

#include "../core/rips/column_assembler.h"

#include "cuda_api.h"

namespace topofr::cuda {

namespace {
constexpr const char* kNotBuilt = "topofr was built without CUDA (nvcc was not found at build time)";
}  // namespace

const DeviceInfo& device_info() {
  static const DeviceInfo info = [] {
    DeviceInfo d;
    d.error = kNotBuilt;
    return d;
  }();
  return info;
}

void pairwise_distances(const float*, int64_t, int64_t, Metric, float*) {
  throw std::runtime_error(kNotBuilt);
}

SplitInfo distance_split(int64_t, int64_t, int) { throw std::runtime_error(kNotBuilt); }

H0Pairs persistence_h0_points(const float*, int64_t, int64_t, Metric, H0Kernel) { throw std::runtime_error(kNotBuilt); }

H0Pairs persistence_h0_matrix(const float*, int64_t, H0Kernel) { throw std::runtime_error(kNotBuilt); }

class InputSpace {};

std::shared_ptr<InputSpace> prepare_input_space(const float*, int64_t, int64_t) { throw std::runtime_error(kNotBuilt); }

AlignmentResult align(InputSpace&, const float*, int64_t, const AlignmentParams&) { throw std::runtime_error(kNotBuilt); }

std::unique_ptr<rips::ColumnAssembler> rips_column_assembler(const float*, int64_t, float, int) {
  throw std::runtime_error(kNotBuilt);
}

}  // namespace topofr::cuda
