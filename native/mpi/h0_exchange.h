// The distributed H0's exchange over MPI: the per-component minima reduced with a user operation
// (the strict (d, u, v) order, exact in any order), the neighbour lists sent with MPI_Alltoallv.
#pragma once
#include <mpi.h>

#include "../core/h0.h"

namespace topofr::mpi {

class H0MpiExchange final : public H0Exchange {
 public:
  explicit H0MpiExchange(MPI_Comm comm);
  ~H0MpiExchange() override;
  H0MpiExchange(const H0MpiExchange&) = delete;
  H0MpiExchange& operator=(const H0MpiExchange&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void min_edges(H0Edge* edges, int64_t count) override;
  void all_to_all(const void* send, const int64_t* send_bytes, const int64_t* send_offset, void* recv,
                  const int64_t* recv_bytes, const int64_t* recv_offset) override;

 private:
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  MPI_Datatype edge_type_ = MPI_DATATYPE_NULL;
  MPI_Op min_op_ = MPI_OP_NULL;
};

}  // namespace topofr::mpi
