// Which column owns each pivot: the hash map at the heart of the reduction, and later the set of
// simplices that clearing skips in the next dimension.
//
// Open addressing with linear probing over 16-byte slots (Ripser uses a node-based map: several
// times the memory and a cache miss per node). Reads are lock-free and may run on many threads
// while nobody writes: the parallel reduction only inserts between its parallel phases.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "simplex.h"

namespace topofr::rips {

class PivotTable {
 public:
  struct Owner {
    index_t column;             // position in the dimension's columns to reduce
    coefficient_t coefficient;  // of the pivot in that column's reduced coboundary
  };

  PivotTable() { rehash(16); }

  size_t size() const { return size_; }
  size_t bytes() const { return slots_.size() * sizeof(Slot); }

  // Owner of pivot `index`, column −1 when none.
  Owner find(index_t index) const {
    for (size_t s = slot_of(index);; s = (s + 1) & mask_) {
      const Slot& slot = slots_[s];
      if (slot.index == index) return {static_cast<index_t>(slot.owner >> kCoefficientBits),
                                       static_cast<coefficient_t>(slot.owner & kCoefficientMask)};
      if (slot.index == kEmpty) return {-1, 0};
    }
  }
  bool contains(index_t index) const { return find(index).column >= 0; }

  // The pivots, ascending.
  std::vector<index_t> indices() const {
    std::vector<index_t> out;
    out.reserve(size_);
    for (const Slot& slot : slots_)
      if (slot.index != kEmpty) out.push_back(slot.index);
    std::sort(out.begin(), out.end());
    return out;
  }

  // index must not be present.
  void insert(index_t index, index_t column, coefficient_t coefficient) {
    if ((size_ + 1) * 4 > slots_.size() * 3) rehash(slots_.size() * 2);
    place(index, (static_cast<uint64_t>(column) << kCoefficientBits) | coefficient);
    ++size_;
  }

 private:
  static constexpr index_t kEmpty = -1;
  static constexpr int kCoefficientBits = 16;
  static constexpr uint64_t kCoefficientMask = (uint64_t{1} << kCoefficientBits) - 1;

  struct Slot {
    index_t index;
    uint64_t owner;  // column << 16 | coefficient
  };

  size_t slot_of(index_t index) const {
    return static_cast<size_t>((static_cast<uint64_t>(index) * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  void place(index_t index, uint64_t owner) {
    size_t s = slot_of(index);
    while (slots_[s].index != kEmpty) s = (s + 1) & mask_;
    slots_[s] = {index, owner};
  }
  void rehash(size_t capacity) {  // capacity: a power of two
    std::vector<Slot> old(capacity, Slot{kEmpty, 0});
    old.swap(slots_);
    mask_ = capacity - 1;
    shift_ = 64 - __builtin_ctzll(capacity);
    for (const Slot& slot : old)
      if (slot.index != kEmpty) place(slot.index, slot.owner);
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0, size_ = 0;
  int shift_ = 64;
};

}  // namespace topofr::rips
