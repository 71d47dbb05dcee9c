#include "collectives.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

#include "../addon/errors.h"
#include "runtime.h"

namespace topofr::mpi {
namespace {

constexpr int64_t kPiece = int64_t{1} << 30;  // elements or bytes per call where a request is split

MPI_Datatype datatype(Dtype type) { return type == Dtype::F32 ? MPI_FLOAT : MPI_DOUBLE; }

MPI_Op reduce_op(ReduceOp op) { return op == ReduceOp::Sum ? MPI_SUM : op == ReduceOp::Max ? MPI_MAX : MPI_MIN; }

int count_int(int64_t count, const char* what) {
  if (count < 0 || count > INT_MAX)
    throw UserError(ErrorKind::Range, "ERR_TOPOFR_TOO_LARGE",
                    std::string(what) + ": " + std::to_string(count) + " exceeds MPI's 32-bit counts (at most 2147483647 per collective)");
  return static_cast<int>(count);
}

struct Layout {
  std::vector<int> counts, offsets;
};

Layout layout_of(const std::vector<int64_t>& counts, const char* what) {
  Layout l;
  int64_t offset = 0;
  for (int64_t c : counts) {
    l.counts.push_back(count_int(c, what));
    l.offsets.push_back(count_int(offset, what));
    offset += c;
  }
  count_int(offset, what);
  return l;
}

// Scratch memory of the MPI thread (the only caller), kept between calls: a fresh allocation the
// size of a gradient buffer would cost its page faults (and zeroing) at every step.
unsigned char* scratch(size_t bytes, int which) {
  static std::vector<unsigned char> buffers[2];
  if (buffers[which].size() < bytes) buffers[which].resize(bytes);
  return buffers[which].data();
}

int comm_rank(MPI_Comm comm) {
  int rank = 0;
  check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  return rank;
}

int comm_size(MPI_Comm comm) {
  int size = 0;
  check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  return size;
}

// out = parts[0] + parts[1] + … in rank order, element by element, in T.
template <class T>
void sum_in_rank_order(const T* parts, int ranks, int64_t count, T* out) {
  std::copy(parts, parts + count, out);
  for (int p = 1; p < ranks; ++p) {
    const T* x = parts + p * count;
    for (int64_t i = 0; i < count; ++i) out[i] += x[i];
  }
}

void ordered_reduce_scatter(MPI_Comm comm, const void* send, void* recv, const std::vector<int64_t>& counts, Dtype type) {
  const int ranks = comm_size(comm), rank = comm_rank(comm);
  const Layout send_layout = layout_of(counts, "reduce-scatter");
  const int64_t mine = counts[rank];
  std::vector<int64_t> pieces(ranks, mine);
  const Layout recv_layout = layout_of(pieces, "reduce-scatter");
  const size_t size = element_size(type);
  unsigned char* received = scratch(static_cast<size_t>(ranks) * mine * size, 0);
  check(MPI_Alltoallv(send, send_layout.counts.data(), send_layout.offsets.data(), datatype(type), received,
                      recv_layout.counts.data(), recv_layout.offsets.data(), datatype(type), comm),
        "MPI_Alltoallv");
  if (type == Dtype::F32)
    sum_in_rank_order(reinterpret_cast<const float*>(received), ranks, mine, static_cast<float*>(recv));
  else
    sum_in_rank_order(reinterpret_cast<const double*>(received), ranks, mine, static_cast<double*>(recv));
}

}  // namespace

size_t element_size(Dtype type) { return type == Dtype::F32 ? sizeof(float) : sizeof(double); }

void all_reduce(MPI_Comm comm, void* data, int64_t count, Dtype type, ReduceOp op, bool deterministic) {
  if (!deterministic || op != ReduceOp::Sum) {
    auto* bytes = static_cast<unsigned char*>(data);
    for (int64_t at = 0; at < count; at += kPiece) {
      const int piece = static_cast<int>(std::min(kPiece, count - at));
      check(MPI_Allreduce(MPI_IN_PLACE, bytes + at * element_size(type), piece, datatype(type), reduce_op(op), comm),
            "MPI_Allreduce");
    }
    return;
  }
  const int ranks = comm_size(comm), rank = comm_rank(comm);
  std::vector<int64_t> counts(ranks);
  for (int q = 0; q < ranks; ++q) counts[q] = count * (q + 1) / ranks - count * q / ranks;
  const int64_t offset = count * rank / ranks;
  const size_t size = element_size(type);
  ordered_reduce_scatter(comm, data, scratch(counts[rank] * size, 1), counts, type);
  std::memcpy(static_cast<unsigned char*>(data) + offset * size, scratch(0, 1), counts[rank] * size);
  const Layout layout = layout_of(counts, "all-reduce");
  check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, layout.counts.data(), layout.offsets.data(),
                       datatype(type), comm),
        "MPI_Allgatherv");
}

void reduce_scatter(MPI_Comm comm, const void* send, void* recv, const std::vector<int64_t>& counts, Dtype type,
                    bool deterministic) {
  if (deterministic) return ordered_reduce_scatter(comm, send, recv, counts, type);
  const Layout layout = layout_of(counts, "reduce-scatter");
  check(MPI_Reduce_scatter(send, recv, layout.counts.data(), datatype(type), MPI_SUM, comm), "MPI_Reduce_scatter");
}

void broadcast(MPI_Comm comm, void* data, int64_t bytes, int root) {
  auto* p = static_cast<unsigned char*>(data);
  for (int64_t at = 0; at < bytes; at += kPiece)
    check(MPI_Bcast(p + at, static_cast<int>(std::min(kPiece, bytes - at)), MPI_BYTE, root, comm), "MPI_Bcast");
}

void all_gatherv(MPI_Comm comm, const void* send, int64_t send_bytes, void* recv, const std::vector<int64_t>& recv_bytes) {
  const Layout layout = layout_of(recv_bytes, "all-gather");
  check(MPI_Allgatherv(send, count_int(send_bytes, "all-gather"), MPI_BYTE, recv, layout.counts.data(),
                       layout.offsets.data(), MPI_BYTE, comm),
        "MPI_Allgatherv");
}

void barrier(MPI_Comm comm) { check(MPI_Barrier(comm), "MPI_Barrier"); }

}  // namespace topofr::mpi
