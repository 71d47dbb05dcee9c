// The collectives topofr uses, on one communicator, over raw buffers (called on the MPI thread).
//
// Reductions come in two modes:
// - deterministic: a rank-ordered reduce-scatter — every rank sends chunk q of its buffer to rank
//   q (MPI_Alltoallv), rank q adds the W pieces it receives in rank order, ((x0 + x1) + x2) + …,
//   in the buffer's own precision — then, for an all-reduce, an MPI_Allgatherv of the chunks.
//   The result is the same bits on every rank, for every network and algorithm the MPI library
//   picks, and equals the same ordered sum computed in one process (float additions rounded to
//   the element type, whatever the order of the elements).
// - fast: MPI_Allreduce / MPI_Reduce_scatter, whose summation order is the library's (it may
//   depend on the rank count, the message size and the transport).
// Max and min are exact in any order; they always use MPI_Allreduce.
//
// MPI counts are 32-bit: buffers are split into pieces below 2³¹ where the operation allows it
// (broadcast, fast all-reduce); elsewhere larger requests are refused with ERR_TOPOFR_TOO_LARGE.
#pragma once
#include <mpi.h>

#include <cstdint>
#include <vector>

namespace topofr::mpi {

enum class Dtype { F32, F64 };
enum class ReduceOp { Sum, Max, Min };

size_t element_size(Dtype type);

void all_reduce(MPI_Comm comm, void* data, int64_t count, Dtype type, ReduceOp op, bool deterministic);
// recv (counts[rank] elements) ← the sum over ranks of their slice [Σ counts[<rank], + counts[rank]).
void reduce_scatter(MPI_Comm comm, const void* send, void* recv, const std::vector<int64_t>& counts, Dtype type,
                    bool deterministic);
void broadcast(MPI_Comm comm, void* data, int64_t bytes, int root);
// recv ← every rank's send in rank order; recv_bytes[q] = what rank q sends.
void all_gatherv(MPI_Comm comm, const void* send, int64_t send_bytes, void* recv, const std::vector<int64_t>& recv_bytes);
void barrier(MPI_Comm comm);

}  // namespace topofr::mpi
