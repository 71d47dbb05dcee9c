// Disjoint sets over vertices 0…n−1: union by size, path halving. Shared by the H0 engine and the
// Rips engine's dimension 0.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

namespace topofr {

class UnionFind {
 public:
  explicit UnionFind(int64_t n) : parent_(n), size_(n, 1) {
    for (int64_t v = 0; v < n; ++v) parent_[v] = static_cast<int32_t>(v);
  }
  int32_t find(int32_t v) {
    while (parent_[v] != v) v = parent_[v] = parent_[parent_[v]];  // path halving
    return v;
  }
  // false when a and b were already connected.
  bool unite(int32_t a, int32_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return false;
    if (size_[a] < size_[b]) std::swap(a, b);
    parent_[b] = a;
    size_[a] += size_[b];
    return true;
  }

 private:
  std::vector<int32_t> parent_, size_;
};

}  // namespace topofr
