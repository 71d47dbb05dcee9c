// 0-dimensional persistence: the minimum spanning tree under the strict edge order (d, i, j),
// computed without ever holding the n² distances.
//
// The plan. One tiled pass over the upper triangle of the distance matrix keeps, for every vertex,
// its k nearest neighbours (scan_tiles). Borůvka rounds then find each component's minimum
// outgoing edge from these lists alone: a vertex's first listed neighbour outside its component is
// its exact minimum edge out of the component, because the list is the top k of a superset of the
// vertices now outside (components only grow). Only a vertex whose list has run out (every listed
// neighbour joined its component) and whose k-th distance does not rule it out is refreshed: its
// distances to all vertices are computed again and its list rebuilt among the vertices outside its
// component. On embedding-like data (Gaussian, uniform, normalised, small clusters) with k = 16
// that is rare or never, so the cost is one pass of n²/2 distances (a GEMM from points) and
// O(n·k) memory. Tight clusters of many more than k points are the costly case: once a cluster is
// one component, all its members have run out and are refreshed, about one more pass in all.
//
// With a strict total order the MST is unique, so the result depends neither on the thread count
// nor on the tile size: the lists are top-k sets of a strict order, and every decision after the
// pass is serial.
//
// Distributed (persistence_h0_distributed): W processes each hold the points, scan every W-th
// tile, and send each vertex's partial list to the vertex's owner (a contiguous block of rows),
// which merges them into the list one process would have built. The Borůvka rounds run on every
// rank over its own rows; each component's minimum is reduced across ranks under (d, u, v) before
// it is used, so every rank takes the single process's decisions and returns its exact result.
#include "h0.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "thread_pool.h"
#include "union_find.h"

namespace topofr {
namespace {

constexpr int kNeighbours = 16;    // list length k (capped at n − 1); see persistence_h0
constexpr int64_t kTile = 256;     // tile side: a 256 KiB float tile per thread stays in L2
constexpr int64_t kRefreshGap = 16;  // refresh: up to this many unused rows are computed rather
                                     // than splitting a span (a GEMM works on panels of rows and
                                     // streams all the columns' points for one row or for many)
constexpr float kInf = std::numeric_limits<float>::infinity();

struct Neighbour {
  float d;
  int32_t w;
};

// Every distance the engine reads passes through one of the three tile loops below, and each
// checks it: a NaN compares false with everything, so it would silently never become an edge.
[[noreturn]] void nan_distance(int64_t i, int64_t j) {
  throw NonFiniteError("the distance between points " + std::to_string(i) + " and " + std::to_string(j) +
                       " is NaN: the input changed during the call (pass a copy, or wait for the call to finish)");
}

// Orders the neighbours of one vertex v by (d, w). This is the global edge order restricted to the
// edges at v: with equal d and a < b, edge {v, a} precedes {v, b} whether v lies below a, between
// them or above b, since (min, max) compares as (a, ·) < (b, ·) or (·, v) vs (v, ·) with a < v.
inline bool closer(float d, int32_t w, const Neighbour& other) {
  return d < other.d || (d == other.d && w < other.w);
}

using Edge = H0Edge;

// The k nearest neighbours of every vertex, each list sorted by (d, w).
//
// During the tile pass every list is shared: a tile updates the lists of its rows and of its
// columns, so each list has a spinlock (held for a few dozen cycles). A candidate is first compared
// with the list's threshold, read without the lock: it only ever decreases, so a stale value lets
// a few more candidates through to the exact test under the lock, never too few.
class NeighbourLists {
 public:
  NeighbourLists(int64_t n, int k)
      : k_(k),
        entries_(static_cast<size_t>(n) * k),
        sizes_(n, 0),
        thresholds_(new std::atomic<float>[n]),
        locks_(new std::atomic_flag[n]) {
    for (int64_t v = 0; v < n; ++v) {
      thresholds_[v].store(kInf, std::memory_order_relaxed);
      locks_[v].clear(std::memory_order_relaxed);
    }
  }

  int k() const { return k_; }
  int size(int64_t v) const { return sizes_[v]; }
  const Neighbour& at(int64_t v, int p) const { return entries_[v * k_ + p]; }

  // A candidate farther than this cannot enter v's list (+inf while the list is not full).
  float threshold(int64_t v) const { return thresholds_[v].load(std::memory_order_relaxed); }

  // Thread-safe: offers candidates to v's list under v's lock.
  void offer(int64_t v, const Neighbour* candidates, int64_t count) {
    // Yield rather than spin: when the pool shares the cores with other work, the holder may be
    // descheduled.
    while (locks_[v].test_and_set(std::memory_order_acquire)) std::this_thread::yield();
    for (int64_t c = 0; c < count; ++c) insert(v, candidates[c].d, candidates[c].w);
    locks_[v].clear(std::memory_order_release);
  }

  // All n·k entries, vertex by vertex; after pad(), the unused slots of short lists hold
  // kPadding (distributed H0 sends lists as they lie in memory).
  static constexpr Neighbour kPadding{kInf, -1};
  Neighbour* entries() { return entries_.data(); }
  void pad() {
    for (size_t v = 0; v < sizes_.size(); ++v)
      std::fill(entries_.begin() + v * k_ + sizes_[v], entries_.begin() + (v + 1) * k_, kPadding);
  }

  // Not thread-safe: for a list that only the calling thread touches.
  void clear(int64_t v) {
    sizes_[v] = 0;
    thresholds_[v].store(kInf, std::memory_order_relaxed);
  }
  void insert(int64_t v, float d, int32_t w) {
    int& size = sizes_[v];
    if (size == k_ && !closer(d, w, at(v, k_ - 1))) return;
    place(v, d, w, size == k_ ? k_ - 1 : size++);
  }
  // Keeps at most one entry per component: w replaces the listed vertex of its component only
  // when closer. `listed` holds the components of v's entries and is kept in step.
  void insert_one_per_component(int64_t v, float d, int32_t w, int32_t component, int32_t* listed) {
    int& size = sizes_[v];
    if (size == k_ && !closer(d, w, at(v, k_ - 1))) return;
    int slot = 0;
    while (slot < size && listed[slot] != component) ++slot;
    if (slot < size && !closer(d, w, at(v, slot))) return;
    if (slot == size) slot = size == k_ ? k_ - 1 : size++;
    const int p = place(v, d, w, slot);
    std::copy_backward(listed + p, listed + slot, listed + slot + 1);
    listed[p] = component;
  }

 private:
  // Moves the entries farther than (d, w) up by one slot, from `slot` (the last entry, or one
  // past the end, which is overwritten) down, and writes (d, w) in the gap. Returns its position.
  int place(int64_t v, float d, int32_t w, int slot) {
    Neighbour* list = &entries_[v * k_];
    int p = slot;
    for (; p > 0 && closer(d, w, list[p - 1]); --p) list[p] = list[p - 1];
    list[p] = {d, w};
    if (sizes_[v] == k_) thresholds_[v].store(list[k_ - 1].d, std::memory_order_relaxed);
    return p;
  }

  int k_;
  std::vector<Neighbour> entries_;  // n × k
  std::vector<int> sizes_;
  std::unique_ptr<std::atomic<float>[]> thresholds_;
  std::unique_ptr<std::atomic_flag[]> locks_;
};

// One worker's buffers: a distance tile, the column thresholds of a tile, a row's filter flags
// (padded to whole groups of 8) and candidates, and the components of the lists being rebuilt by
// refresh.
struct Scratch {
  Scratch(int64_t tile, int k)
      : d(tile * tile), column_threshold(tile), passed((tile + 7) / 8 * 8), hits(tile), listed(tile * k) {}
  std::vector<float> d;
  std::vector<float> column_threshold;
  std::vector<uint8_t> passed;
  std::vector<Neighbour> hits;
  std::vector<int32_t> listed;
};

// Runs work(item, scratch) for every item in [0, count) on at most `threads` threads. Each worker
// owns one Scratch and pulls items from a shared counter, so scratch is allocated once per worker,
// not once per item.
template <class Work>
void for_each_item(int64_t count, int64_t tile, int k, int threads, Work&& work) {
  const int available = threads > 0 ? std::min(threads, pool_threads()) : pool_threads();
  const int64_t workers = std::min<int64_t>(available, count);
  std::atomic<int64_t> next{0};
  parallel_for(
      workers,
      [&](int64_t) {
        Scratch scratch(tile, k);
        for (int64_t item; (item = next.fetch_add(1, std::memory_order_relaxed)) < count;)
          work(item, scratch);
      },
      threads);
}

// Fills the lists of a diagonal block's rows from the block alone. The tile is symmetric, so one
// task reads both halves and owns every list it writes: no locks. Afterwards the lists (of blocks
// longer than k) are full, so the shared part of the pass starts with finite thresholds and few
// of its candidates get past them.
void seed_block(const DistanceSource& distances, int64_t r0, int64_t rows, Scratch& scratch,
                NeighbourLists& lists) {
  float* tile = scratch.d.data();
  distances.tile(r0, rows, r0, rows, tile, rows);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t v = r0 + r;
    const float* row = tile + r * rows;
    float threshold = kInf;
    for (int64_t c = 0; c < rows; ++c)
      if (std::isnan(row[c])) nan_distance(v, r0 + c);
      else if (row[c] <= threshold && c != r) {
        lists.insert(v, row[c], static_cast<int32_t>(r0 + c));
        threshold = lists.threshold(v);
      }
  }
}

// Offers every pair of an off-diagonal tile (rows r0.., columns c0.., r0 < c0) to both endpoints'
// lists.
void scan_tile(const DistanceSource& distances, int64_t r0, int64_t rows, int64_t c0, int64_t cols,
               Scratch& scratch, NeighbourLists& lists) {
  float* tile = scratch.d.data();
  float* column_threshold = scratch.column_threshold.data();
  Neighbour* hits = scratch.hits.data();
  uint8_t* passed = scratch.passed.data();
  distances.tile(r0, rows, c0, cols, tile, cols);
  for (int64_t c = 0; c < cols; ++c) column_threshold[c] = lists.threshold(c0 + c);
  std::fill(passed + cols, passed + scratch.passed.size(), 0);  // the last group's padding

  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = r0 + r;
    const float* row = tile + r * cols;
    const float row_threshold = lists.threshold(i);
    int64_t row_hits = 0;
    const auto take = [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        const float d = row[c];
        if (d <= row_threshold) hits[row_hits++] = {d, static_cast<int32_t>(c0 + c)};
        if (d <= column_threshold[c]) {
          const Neighbour candidate{d, static_cast<int32_t>(i)};
          lists.offer(c0 + c, &candidate, 1);
          column_threshold[c] = lists.threshold(c0 + c);
        }
      }
    };
    // Almost every candidate fails both tests. Flag the row in one branch-free (vectorised) sweep,
    // then look at single candidates only in the groups of 8 with a flag set.
    bool nan = false;
    for (int64_t c = 0; c < cols; ++c) {
      passed[c] = (row[c] <= row_threshold) | (row[c] <= column_threshold[c]);
      nan |= row[c] != row[c];
    }
    if (nan) nan_distance(i, c0 + (std::find_if(row, row + cols, [](float d) { return d != d; }) - row));
    for (int64_t c = 0; c < cols; c += 8) {
      uint64_t group;
      std::memcpy(&group, passed + c, sizeof group);
      if (group != 0) take(c, std::min(c + 8, cols));
    }
    if (row_hits > 0) lists.offer(i, hits, row_hits);  // one lock for the whole row
  }
}

// The tile pass: every pair i < j once. First the diagonal blocks, one task each, seed the lists;
// then the tile pairs I < J run in order of J − I, so that tasks running at the same time mostly
// touch different blocks' lists (fewer lock collisions and cache lines moving between cores).
// Split into `parts` (distributed H0): part p takes every parts-th item of both lists, from p.
void scan_tiles(const DistanceSource& distances, int64_t tile, int k, int threads, NeighbourLists& lists,
                int part = 0, int parts = 1) {
  const int64_t n = distances.size();
  const int64_t blocks = (n + tile - 1) / tile;
  const auto share = [&](int64_t items) { return items > part ? (items - part + parts - 1) / parts : 0; };
  const auto item_of = [&](int64_t t) { return part + t * parts; };
  for_each_item(share(blocks), tile, k, threads, [&](int64_t t, Scratch& scratch) {
    const int64_t r0 = item_of(t) * tile;
    seed_block(distances, r0, std::min(tile, n - r0), scratch, lists);
  });
  // Item (J − I − 1)·blocks + I; the counter walks the whole grid and skips pairs past the last
  // block, simpler than inverting a triangular numbering, and a skip costs one increment.
  for_each_item(share((blocks - 1) * blocks), tile, k, threads, [&](int64_t t, Scratch& scratch) {
    const int64_t item = item_of(t);
    const int64_t row_block = item % blocks, column_block = row_block + item / blocks + 1;
    if (column_block >= blocks) return;
    const int64_t r0 = row_block * tile, c0 = column_block * tile;
    scan_tile(distances, r0, tile, c0, std::min(tile, n - c0), scratch, lists);
  });
}

// Rebuilds the lists of the `stale` vertices (ascending) from the vertices outside their own
// components, keeping the nearest vertex of each of the k nearest other components. A list of the
// plain k nearest outside vertices would often lie in one neighbouring cluster and run out again
// at the next merge; this one lasts k merges. It stays exact: later components are unions of
// today's, so a vertex now outside is in a listed component, whose entry is at least as close, or
// in an unlisted one, beyond the last entry.
//
// The source computes contiguous row ranges only, so stale vertices close together share one row
// range (spans of at most `tile` rows, gaps of at most kRefreshGap rows). The spans run in
// parallel, each writing only its own vertices' lists.
void refresh(const DistanceSource& distances, const std::vector<int32_t>& stale,
             const std::vector<int32_t>& component, int64_t tile, int threads, NeighbourLists& lists) {
  const int64_t n = distances.size();
  const int k = lists.k();
  std::vector<size_t> span_starts;  // indices into `stale`
  for (size_t s = 0; s < stale.size(); ++s)
    if (s == 0 || stale[s] - stale[s - 1] > kRefreshGap || stale[s] - stale[span_starts.back()] >= tile)
      span_starts.push_back(s);
  span_starts.push_back(stale.size());

  const int64_t spans = static_cast<int64_t>(span_starts.size()) - 1;
  for_each_item(spans, tile, k, threads, [&](int64_t span, Scratch& scratch) {
    const size_t first = span_starts[span], last = span_starts[span + 1];
    const int64_t r0 = stale[first], rows = stale[last - 1] - r0 + 1;
    for (size_t s = first; s < last; ++s) lists.clear(stale[s]);
    for (int64_t c0 = 0; c0 < n; c0 += tile) {
      const int64_t cols = std::min(tile, n - c0);
      distances.tile(r0, rows, c0, cols, scratch.d.data(), cols);
      for (size_t s = first; s < last; ++s) {
        const int32_t v = stale[s];
        const float* row = scratch.d.data() + (v - r0) * cols;
        int32_t* listed = scratch.listed.data() + (s - first) * k;
        float threshold = lists.threshold(v);
        for (int64_t q = 0; q < cols; ++q) {
          const int32_t w = static_cast<int32_t>(c0 + q);
          if (std::isnan(row[q])) nan_distance(v, w);
          if (row[q] <= threshold && component[w] != component[v]) {
            lists.insert_one_per_component(v, row[q], w, component[w], listed);
            threshold = lists.threshold(v);
          }
        }
      }
    }
  });
}

// The Borůvka phase: merges components along their minimum outgoing edges until one is left.
// Vertices [lo, hi) are this process's: only their lists are read. With an exchange, the other
// ranks own the other vertices, and each round's per-component minima are reduced across ranks
// before they are used, so every rank makes the decisions a single process would.
class SpanningForest {
 public:
  SpanningForest(const DistanceSource& distances, NeighbourLists& lists, int64_t tile, int threads,
                 int64_t lo, int64_t hi, H0Exchange* exchange)
      : distances_(distances),
        lists_(lists),
        tile_(tile),
        threads_(threads),
        n_(distances.size()),
        lo_(lo),
        hi_(hi),
        exchange_(exchange),
        components_(n_),
        component_(n_),
        next_(n_, 0),
        best_(n_) {}

  // Ends: a round adds at least one edge (below), and there are at most n − 1 of them. With every
  // distance comparable (NaN is refused when read) each component has a candidate edge, since its
  // refreshed lists hold every vertex outside it; the least candidate of all joins two components.
  // The check keeps that promise even if a source broke its contract.
  std::vector<Edge> tree() {
    std::vector<Edge> edges;
    edges.reserve(n_ - 1);
    while (static_cast<int64_t>(edges.size()) < n_ - 1) {
      const size_t before = edges.size();
      boruvka_round(edges);
      if (edges.size() == before)
        throw NonFiniteError("no edge joins the remaining components (their distances are not comparable)");
    }
    return edges;
  }

 private:
  static constexpr int32_t kNone = -1;  // best_[c].u when component c has no candidate yet

  void boruvka_round(std::vector<Edge>& edges) {
    for (int64_t v = 0; v < n_; ++v) {
      component_[v] = components_.find(static_cast<int32_t>(v));
      best_[v].u = kNone;
    }

    // Every vertex's minimum edge out of its component, from its list. The skipped entries lie
    // inside the component and stay there, so next_ only moves forward (O(n·k) over all rounds).
    for (int64_t v = lo_; v < hi_; ++v) {
      int& p = next_[v];
      while (p < lists_.size(v) && component_[lists_.at(v, p).w] == component_[v]) ++p;
      if (p < lists_.size(v)) propose(v);
    }
    reduce_across_ranks();

    // A vertex whose list has run out has all its edges out of the component at or beyond its
    // last listed distance. It cannot be ignored when that bound does not exceed the component's
    // candidate (ties could still win on the indices), or when there is no candidate.
    stale_.clear();
    for (int64_t v = lo_; v < hi_; ++v) {
      const int size = lists_.size(v);
      if (next_[v] < size) continue;
      const Edge& best = best_[component_[v]];
      if (best.u == kNone || size == 0 || lists_.at(v, size - 1).d <= best.d)
        stale_.push_back(static_cast<int32_t>(v));
    }
    if (!stale_.empty()) {
      refresh(distances_, stale_, component_, tile_, threads_, lists_);
      // A refreshed list holds only vertices outside the component: its first entry is exact.
      for (int32_t v : stale_) {
        next_[v] = 0;
        if (lists_.size(v) > 0) propose(v);
      }
    }
    reduce_across_ranks();  // another rank may have refreshed (every rank takes part)

    // With a strict order no cycle can form; an edge chosen by both its components joins once.
    for (int64_t c = 0; c < n_; ++c) {
      if (component_[c] != c || best_[c].u == kNone) continue;
      if (components_.unite(best_[c].u, best_[c].v)) edges.push_back(best_[c]);
    }
  }

  // best_ of every component root ← the minimum over all ranks (no candidate = the largest edge).
  void reduce_across_ranks() {
    if (!exchange_) return;
    constexpr Edge kNoCandidate{kInf, INT32_MAX, INT32_MAX};
    roots_.clear();
    for (int64_t c = 0; c < n_; ++c)
      if (component_[c] == c) roots_.push_back(best_[c].u == kNone ? kNoCandidate : best_[c]);
    exchange_->min_edges(roots_.data(), static_cast<int64_t>(roots_.size()));
    size_t r = 0;
    for (int64_t c = 0; c < n_; ++c)
      if (component_[c] == c) {
        best_[c] = roots_[r++];
        if (best_[c].u == INT32_MAX) best_[c].u = kNone;
      }
  }

  void propose(int64_t v) {
    const Neighbour& nearest = lists_.at(v, next_[v]);
    const Edge edge = Edge::between(nearest.d, v, nearest.w);
    Edge& best = best_[component_[v]];
    if (best.u == kNone || edge < best) best = edge;
  }

  const DistanceSource& distances_;
  NeighbourLists& lists_;
  const int64_t tile_;
  const int threads_;
  const int64_t n_;
  const int64_t lo_, hi_;
  H0Exchange* exchange_;
  UnionFind components_;
  std::vector<int32_t> component_;  // each vertex's component root, as of the round's start
  std::vector<int> next_;           // each vertex's first list entry not known to be inside
  std::vector<Edge> best_;          // per component root: its minimum outgoing edge so far
  std::vector<int32_t> stale_;      // the round's vertices to refresh, ascending
  std::vector<Edge> roots_;         // the components' candidates, in root order, for the exchange
};

// The pairs from the tree's edges, sorted by (d, u, v).
H0Pairs pairs_of(std::vector<Edge> edges) {
  std::sort(edges.begin(), edges.end());
  H0Pairs out;
  out.edges.reserve(2 * edges.size());
  out.deaths.reserve(edges.size());
  for (const Edge& e : edges) {
    out.edges.push_back(e.u);
    out.edges.push_back(e.v);
    out.deaths.push_back(e.d);
  }
  return out;
}

// Rank r owns the rows [n·r/W, n·(r+1)/W).
int64_t first_row(int64_t n, int rank, int ranks) { return n * rank / ranks; }

// Each rank's lists hold the best candidates of its own tiles, for every vertex; the owner of a
// vertex merges the lists all ranks found for it. The top k of a union of top-k lists of disjoint
// candidate sets is the top k of all candidates: the owner ends with the list a single process
// would have built.
void gather_lists(NeighbourLists& partial, NeighbourLists& merged, int64_t n, H0Exchange& exchange) {
  const int ranks = exchange.size(), rank = exchange.rank(), k = partial.k();
  const int64_t entry = static_cast<int64_t>(sizeof(Neighbour)) * k;  // one vertex's list, in bytes
  const int64_t lo = first_row(n, rank, ranks), hi = first_row(n, rank + 1, ranks);
  std::vector<int64_t> send_bytes(ranks), send_offset(ranks), recv_bytes(ranks), recv_offset(ranks);
  for (int q = 0; q < ranks; ++q) {
    send_offset[q] = first_row(n, q, ranks) * entry;
    send_bytes[q] = (first_row(n, q + 1, ranks) - first_row(n, q, ranks)) * entry;
    recv_offset[q] = q * (hi - lo) * entry;
    recv_bytes[q] = (hi - lo) * entry;
  }
  partial.pad();
  std::vector<Neighbour> received(static_cast<size_t>(ranks) * (hi - lo) * k);
  exchange.all_to_all(partial.entries(), send_bytes.data(), send_offset.data(), received.data(), recv_bytes.data(),
                      recv_offset.data());
  for (int q = 0; q < ranks; ++q)
    for (int64_t v = lo; v < hi; ++v)
      for (int p = 0; p < k; ++p) {
        const Neighbour& e = received[(q * (hi - lo) + (v - lo)) * k + p];
        if (e.w >= 0) merged.insert(v, e.d, e.w);
      }
}
}  // namespace

// persistence_h0 with the list length and tile side as parameters, for tests of their
// independence; declared by the tests themselves, not in h0.h.
H0Pairs persistence_h0_tuned(const DistanceSource& distances, int threads, int64_t tile, int k) {
  const int64_t n = distances.size();
  if (n < 2) return {};
  tile = std::min(tile, n);
  NeighbourLists lists(n, static_cast<int>(std::min<int64_t>(k, n - 1)));
  scan_tiles(distances, tile, lists.k(), threads, lists);
  return pairs_of(SpanningForest(distances, lists, tile, threads, 0, n, nullptr).tree());
}

// k = 16: at n = 4096 no refreshes on Gaussian, uniform and normalised 512-d points nor on 3-d
// points, where k = 8 already needs a few; k = 32 avoids the few left (clusters of ~8 points) but
// makes the list upkeep in the tile pass almost twice as expensive. Tiles of 256 rows keep a
// tile per thread in L2 and give the GEMM long panels.
H0Pairs persistence_h0(const DistanceSource& distances, int threads) {
  return persistence_h0_tuned(distances, threads, kTile, kNeighbours);
}

H0Pairs persistence_h0_distributed(const DistanceSource& distances, int threads, H0Exchange& exchange) {
  const int64_t n = distances.size();
  if (n < 2) return {};
  const int rank = exchange.rank(), ranks = exchange.size();
  const int64_t tile = std::min(kTile, n);
  const int k = static_cast<int>(std::min<int64_t>(kNeighbours, n - 1));
  NeighbourLists lists(n, k);
  {
    NeighbourLists partial(n, k);
    scan_tiles(distances, tile, k, threads, partial, rank, ranks);
    gather_lists(partial, lists, n, exchange);
  }
  const int64_t lo = first_row(n, rank, ranks), hi = first_row(n, rank + 1, ranks);
  return pairs_of(SpanningForest(distances, lists, tile, threads, lo, hi, &exchange).tree());
}

}  // namespace topofr
