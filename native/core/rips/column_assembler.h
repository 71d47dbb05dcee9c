// A place other than the CPU where the columns of dimensions ≥ 2 can be assembled (the GPU:
// native/cuda/rips.cu), while the reduction stays in this engine. Rips.cc asks it first and
// assembles on the CPU whenever it declines.
#pragma once
#include <vector>

#include "simplex.h"

namespace topofr::rips {

class ColumnAssembler {
 public:
  virtual ~ColumnAssembler() = default;
  // The columns of dimension dim ≥ 2: every simplex with diameter ≤ the threshold that is neither
  // in `cleared` (ascending: the pivots of dimension dim − 1) nor in an apparent pair, in any order.
  // false: not done here (say, the device memory would not hold it); columns is then untouched.
  virtual bool assemble(int dim, const std::vector<index_t>& cleared, std::vector<Simplex>& columns) = 0;
};

}  // namespace topofr::rips
