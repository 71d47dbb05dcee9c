// Column assembly for the Rips engine on the GPU, in Ripser++'s manner: every simplex of a dimension
// under the threshold is generated in parallel from the previous dimension's (one thread per
// simplex, appending the cofacets whose new vertex lies above all of its vertices: each simplex
// exactly once), and one thread per candidate column drops the cleared ones (binary search in the
// sorted pivots of the dimension below) and those in apparent pairs. The reduction stays on the CPU
// (core/rips/); the tests check the barcodes bit for bit.
//
// The apparent-pair rules are the CPU's (core/rips/coboundary.h), on the same numbers: the pivot
// cofacet of s is the cofacet of equal diameter with the largest index (the added vertex scanned
// from n − 1 down), the pivot facet of t the facet of equal diameter with the smallest index (the
// removed vertex scanned from the top down); (s, t) is apparent when each is the other's pivot.
// Candidate vertices come from adjacency bitsets (d ≤ threshold): a cofacet of equal diameter is
// a common neighbour of all the simplex's vertices, so 64 candidates are ruled out per AND.
#pragma once
#include <cstdint>

#include "../portable.cuh"

namespace topofr::cuda::kernels {

constexpr int kRipsMaxDim = 7;  // simplices up to 8 vertices (cofacets 9), as the CPU's fast path
constexpr int kRipsThreads = 128;
// Blocks per multiprocessor the kernels are built for (64 registers a thread): also what keeps
// ptxas from choosing 32 registers and spilling on sm_80.
constexpr int kRipsBlocksPerSM = 8;

using Index = long long;
using Bits = unsigned long long;

struct RipsGraph {
  const float* d;         // n × n, zero diagonal
  int n;
  const Bits* adjacency;  // n rows of `words`: bit w of row v is d(v, w) ≤ threshold, w ≠ v, finite
  int words;
  const Index* binomial;  // C(v, k) at [k · (n + 1) + v], v ≤ n, k ≤ top + 2 (core/rips/binomial.h)
};

// A list of simplices of one dimension on the device.
struct SimplexList {
  Index* index;
  float* diameter;
};

__device__ __forceinline__ Index choose(const RipsGraph& g, int v, int k) { return g.binomial[k * (g.n + 1) + v]; }
__device__ __forceinline__ float dist(const RipsGraph& g, int a, int b) { return g.d[static_cast<int64_t>(a) * g.n + b]; }

// The largest v ≤ top with C(v, k) ≤ index (binomial.h's max_vertex).
__device__ __forceinline__ int max_vertex(const RipsGraph& g, Index index, int k, int top) {
  if (k == 1) return index < top ? static_cast<int>(index) : top;
  int lo = k - 1, len = top - k + 2;  // C(k − 1, k) = 0 ≤ index
  while (len > 1) {
    const int half = len / 2;
    if (choose(g, lo + half, k) <= index) lo += half;
    len -= half;
  }
  return lo;
}

// The vertices of simplex `index` of dimension dim, ascending, into w[0 … dim].
__device__ __forceinline__ void vertices_of(const RipsGraph& g, Index index, int dim, int* w) {
  int top = g.n - 1;
  for (int k = dim + 1; k > 0; --k) {
    top = max_vertex(g, index, k, top);
    w[k - 1] = top;
    index -= choose(g, top, k);
  }
}

// The index of w[0 … dim] with x inserted; and of w without w[r].
__device__ __forceinline__ Index index_with(const RipsGraph& g, const int* w, int dim, int x) {
  Index index = 0;
  int i = 0;
  for (; i <= dim && w[i] < x; ++i) index += choose(g, w[i], i + 1);
  index += choose(g, x, i + 1);
  for (; i <= dim; ++i) index += choose(g, w[i], i + 2);
  return index;
}
__device__ __forceinline__ Index index_without(const RipsGraph& g, const int* w, int dim, int r) {
  Index index = 0;
  for (int i = 0; i < r; ++i) index += choose(g, w[i], i + 1);
  for (int i = r + 1; i <= dim; ++i) index += choose(g, w[i], i);
  return index;
}

// The common neighbours of w[0 … dim] in word `word`.
__device__ __forceinline__ Bits common(const RipsGraph& g, const int* w, int dim, int word) {
  Bits bits = ~0ull;
  for (int i = 0; i <= dim; ++i) bits &= g.adjacency[static_cast<int64_t>(w[i]) * g.words + word];
  return bits;
}

// The pivot cofacet of the simplex w (diameter diam): its index, −1 when none; *added its new vertex.
__device__ __forceinline__ Index pivot_cofacet(const RipsGraph& g, const int* w, int dim, float diam, int* added) {
  for (int word = g.words - 1; word >= 0; --word) {
    for (Bits bits = common(g, w, dim, word); bits != 0;) {
      const int b = 63 - __clzll(static_cast<long long>(bits));
      bits &= ~(1ull << b);
      const int x = word * 64 + b;
      bool equal = true;
      for (int i = 0; i <= dim && equal; ++i) equal = !(dist(g, x, w[i]) > diam);
      if (equal) {
        *added = x;
        return index_with(g, w, dim, x);
      }
    }
  }
  return -1;
}

// The pivot facet of the simplex w (diameter diam): its index, −1 when none; *removed the position
// of the vertex it leaves out. Facet r has t's diameter iff some longest edge of t avoids w[r].
__device__ __forceinline__ Index pivot_facet(const RipsGraph& g, const int* w, int dim, float diam, int* removed) {
  for (int r = dim; r >= 0; --r) {
    for (int a = 0; a <= dim; ++a) {
      if (a == r) continue;
      for (int b = a + 1; b <= dim; ++b) {
        if (b == r || dist(g, w[a], w[b]) != diam) continue;
        *removed = r;
        return index_without(g, w, dim, r);
      }
    }
  }
  return -1;
}

// Whether the simplex (w, dim, diam, index) is in an apparent pair, as the facet or as the cofacet.
__device__ __forceinline__ bool in_apparent_pair(const RipsGraph& g, const int* w, int dim, float diam, Index index) {
  int other[kRipsMaxDim + 3];
  int x, r;
  if (pivot_cofacet(g, w, dim, diam, &x) >= 0) {  // t = w ∪ {x}: is w its pivot facet?
    int k = 0, i = 0;
    for (; i <= dim && w[i] < x; ++i) other[k++] = w[i];
    other[k++] = x;
    for (; i <= dim; ++i) other[k++] = w[i];
    if (pivot_facet(g, other, dim + 1, diam, &r) == index) return true;
  }
  if (dim == 0) return false;
  const Index s = pivot_facet(g, w, dim, diam, &r);  // s = w \ {w[r]}: is w its pivot cofacet?
  if (s < 0) return false;
  for (int i = 0, k = 0; i <= dim; ++i)
    if (i != r) other[k++] = w[i];
  return pivot_cofacet(g, other, dim - 1, diam, &x) == index;
}

__device__ __forceinline__ bool cleared(const Index* pivots, int64_t count, Index index) {
  int64_t lo = 0, hi = count;
  while (lo < hi) {
    const int64_t mid = (lo + hi) / 2;
    if (pivots[mid] < index) lo = mid + 1;
    else hi = mid;
  }
  return lo < count && pivots[lo] == index;
}

// Appends (index, diam) to out unless it is cleared or apparent; *cursor counts every column, also
// past capacity (the caller then retries with room for all of them).
__device__ __forceinline__ void keep_column(const RipsGraph& g, const int* w, int dim, float diam, Index index,
                                            const Index* pivots, int64_t pivot_count, SimplexList out,
                                            int64_t capacity, unsigned long long* cursor) {
  if (cleared(pivots, pivot_count, index) || in_apparent_pair(g, w, dim, diam, index)) return;
  const int64_t at = static_cast<int64_t>(atomicAdd(cursor, 1ull));
  if (at < capacity) out.index[at] = index, out.diameter[at] = diam;
}

// The number of cofacets of w (dimension dim) whose new vertex lies above w[dim], in word `word`.
__device__ __forceinline__ Bits above_top(const RipsGraph& g, const int* w, int dim, int word) {
  const int first = w[dim] + 1;  // candidates start here
  if ((word + 1) * 64 <= first) return 0;
  Bits bits = common(g, w, dim, word);
  if (word * 64 < first) bits &= ~0ull << (first - word * 64);
  return bits;
}

__device__ __forceinline__ int count_above(const RipsGraph& g, const int* w, int dim) {
  int c = 0;
  for (int word = (w[dim] + 1) / 64; word < g.words; ++word) c += __popcll(above_top(g, w, dim, word));
  return c;
}

// Calls f(vertices, diameter, index) for each simplex of dimension dim + 1 generated from
// s = (w, diam, index) by a vertex above its top, in ascending order of that vertex.
template <class F>
__device__ __forceinline__ void for_each_cofacet_above(const RipsGraph& g, int* w, int dim, float diam, Index index,
                                                       F&& f) {
  for (int word = (w[dim] + 1) / 64; word < g.words; ++word) {
    for (Bits bits = above_top(g, w, dim, word); bits != 0; bits &= bits - 1) {
      const int v = word * 64 + __ffsll(static_cast<long long>(bits)) - 1;
      float d = diam;
      for (int i = 0; i <= dim; ++i) d = fmaxf(d, dist(g, v, w[i]));
      w[dim + 1] = v;
      f(w, d, index + choose(g, v, dim + 2));
    }
  }
}

// Counts the simplices of dimension dim + 1 that the simplices of `from` generate: *total += Σ.
__global__ void __launch_bounds__(kRipsThreads, kRipsBlocksPerSM) count_cofacets(RipsGraph g, SimplexList from, int64_t count, int dim,
                                                              unsigned long long* total) {
  const int64_t s = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (s >= count) return;
  int w[kRipsMaxDim + 2];
  vertices_of(g, from.index[s], dim, w);
  const int c = count_above(g, w, dim);
  if (c > 0) atomicAdd(total, static_cast<unsigned long long>(c));
}

// Writes them: each simplex of `from` reserves its slots in `to` at once.
__global__ void __launch_bounds__(kRipsThreads, kRipsBlocksPerSM) fill_cofacets(RipsGraph g, SimplexList from, int64_t count, int dim,
                                                             SimplexList to, unsigned long long* cursor) {
  const int64_t s = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (s >= count) return;
  int w[kRipsMaxDim + 2];
  vertices_of(g, from.index[s], dim, w);
  const int c = count_above(g, w, dim);
  if (c == 0) return;
  int64_t at = static_cast<int64_t>(atomicAdd(cursor, static_cast<unsigned long long>(c)));
  for_each_cofacet_above(g, w, dim, from.diameter[s], from.index[s], [&](const int*, float d, Index index) {
    to.index[at] = index, to.diameter[at] = d;
    ++at;
  });
}

// The columns of dimension dim: among the simplices of `list` (of dimension dim), or, with
// `generate`, among the simplices that those of `list` (of dimension dim − 1) generate: for the top
// dimension, whose simplices need not be stored.
__global__ void __launch_bounds__(kRipsThreads, kRipsBlocksPerSM)
    select_columns(RipsGraph g, SimplexList list, int64_t count, int dim, bool generate, const Index* pivots,
                   int64_t pivot_count, SimplexList out, int64_t capacity, unsigned long long* cursor) {
  const int64_t s = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (s >= count) return;
  int w[kRipsMaxDim + 2];
  const int list_dim = generate ? dim - 1 : dim;
  vertices_of(g, list.index[s], list_dim, w);
  if (!generate) return keep_column(g, w, dim, list.diameter[s], list.index[s], pivots, pivot_count, out, capacity, cursor);
  for_each_cofacet_above(g, w, list_dim, list.diameter[s], list.index[s], [&](const int* t, float d, Index index) {
    keep_column(g, t, dim, d, index, pivots, pivot_count, out, capacity, cursor);
  });
}

// The square matrix from Ripser's lower triangle (row i: d(i, 0) … d(i, i − 1)) and the adjacency
// bitsets of the threshold graph. One thread per matrix entry; one per bitset word.
__global__ void expand_lower(const float* __restrict__ lower, int n, float* __restrict__ d) {
  const int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= static_cast<int64_t>(n) * n) return;
  const int64_t i = t / n, j = t % n;
  d[t] = i == j ? 0.0f : i > j ? lower[i * (i - 1) / 2 + j] : lower[j * (j - 1) / 2 + i];
}

__global__ void build_adjacency(RipsGraph g, float threshold, Bits* adjacency) {
  const int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= static_cast<int64_t>(g.n) * g.words) return;
  const int v = static_cast<int>(t / g.words), word = static_cast<int>(t % g.words);
  Bits bits = 0;
  for (int b = 0; b < 64 && word * 64 + b < g.n; ++b) {
    const int w = word * 64 + b;
    const float d = dist(g, v, w);
    if (w != v && d <= threshold && d != __int_as_float(0x7f800000)) bits |= 1ull << b;
  }
  adjacency[t] = bits;
}

}  // namespace topofr::cuda::kernels
