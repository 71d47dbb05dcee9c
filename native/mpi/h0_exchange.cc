#include "h0_exchange.h"

#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "../addon/errors.h"
#include "runtime.h"

namespace topofr::mpi {
namespace {

void min_edges_op(void* in, void* inout, int* len, MPI_Datatype*) {
  const auto* a = static_cast<const H0Edge*>(in);
  auto* b = static_cast<H0Edge*>(inout);
  for (int i = 0; i < *len; ++i)
    if (a[i] < b[i]) b[i] = a[i];
}

std::vector<int> ints(const int64_t* values, int count) {
  std::vector<int> out(count);
  for (int i = 0; i < count; ++i) {
    if (values[i] > INT_MAX)
      throw UserError(ErrorKind::Range, "ERR_TOPOFR_TOO_LARGE",
                      "distributed H0: " + std::to_string(values[i]) + " bytes per rank exceed MPI's 32-bit counts; use more ranks");
    out[i] = static_cast<int>(values[i]);
  }
  return out;
}

}  // namespace

H0MpiExchange::H0MpiExchange(MPI_Comm comm) : comm_(comm) {
  check(MPI_Comm_rank(comm, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(comm, &size_), "MPI_Comm_size");
  static_assert(sizeof(H0Edge) == 12, "H0Edge is sent as 12 bytes");
  check(MPI_Type_contiguous(sizeof(H0Edge), MPI_BYTE, &edge_type_), "MPI_Type_contiguous");
  check(MPI_Type_commit(&edge_type_), "MPI_Type_commit");
  check(MPI_Op_create(min_edges_op, 1, &min_op_), "MPI_Op_create");
}

H0MpiExchange::~H0MpiExchange() {
  if (min_op_ != MPI_OP_NULL) MPI_Op_free(&min_op_);
  if (edge_type_ != MPI_DATATYPE_NULL) MPI_Type_free(&edge_type_);
}

void H0MpiExchange::min_edges(H0Edge* edges, int64_t count) {
  constexpr int64_t kPiece = int64_t{1} << 26;
  for (int64_t at = 0; at < count; at += kPiece)
    check(MPI_Allreduce(MPI_IN_PLACE, edges + at, static_cast<int>(std::min(kPiece, count - at)), edge_type_, min_op_, comm_),
          "MPI_Allreduce");
}

void H0MpiExchange::all_to_all(const void* send, const int64_t* send_bytes, const int64_t* send_offset, void* recv,
                               const int64_t* recv_bytes, const int64_t* recv_offset) {
  const std::vector<int> sc = ints(send_bytes, size_), so = ints(send_offset, size_), rc = ints(recv_bytes, size_),
                         ro = ints(recv_offset, size_);
  check(MPI_Alltoallv(send, sc.data(), so.data(), MPI_BYTE, recv, rc.data(), ro.data(), MPI_BYTE, comm_), "MPI_Alltoallv");
}

}  // namespace topofr::mpi
