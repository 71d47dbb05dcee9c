// Arithmetic in Z/p for a prime p < 2^16, with a table of inverses.
#pragma once
#include <string>
#include <vector>

#include "simplex.h"

namespace topofr::rips {

class Modulus {
 public:
  // Throws InputError unless p is a prime below 2^16.
  explicit Modulus(int p) : p_(static_cast<coefficient_t>(p)) {
    bool prime = p >= 2 && p < (1 << 16);
    for (int d = 2; prime && d * d <= p; ++d) prime = p % d != 0;
    if (!prime) throw InputError("rips: the modulus must be a prime below 65536, got " + std::to_string(p));
    // 1/a = −(p div a) · 1/(p mod a), from p = (p div a)·a + (p mod a).
    inverse_.assign(p, 0);
    inverse_[1] = 1;
    for (coefficient_t a = 2; a < p_; ++a) inverse_[a] = p_ - (p_ / a) * inverse_[p_ % a] % p_;
  }
  coefficient_t p() const { return p_; }
  coefficient_t inverse(coefficient_t a) const { return inverse_[a]; }
  coefficient_t product(coefficient_t a, coefficient_t b) const { return a * b % p_; }
  coefficient_t sum(coefficient_t a, coefficient_t b) const { return (a + b) % p_; }
  coefficient_t negative(coefficient_t a) const { return a == 0 ? 0 : p_ - a; }
  // The coefficient ±1 as an element of Z/p.
  coefficient_t sign(bool negative_one) const { return negative_one ? p_ - 1 : 1; }

 private:
  coefficient_t p_;
  std::vector<coefficient_t> inverse_;
};

}  // namespace topofr::rips
