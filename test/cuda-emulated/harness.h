// A small test harness for the CUDA tests (test/cuda-emulated/*.cc). The same binary is built two
// ways (scripts/build-cuda-tests.mjs): against the SIMT emulator with g++ (TOPOFR_EMULATED; CI runs
// it in several schedules, with and without ASan/UBSan, from test/cuda-emulated.test.ts), and with
// nvcc against the real runtime (scripts/gpu-check.sh), where the comparisons tighten to bitwise.
//
//   TEST(name) { ... }            a test case; CHECK(cond) << "details" records a failure
//   BENCH(name) { return json; }  a measurement, run only with --bench (on a GPU: kernel_bench.cu)
//   cuda_tests --filter SUBSTR --schedule forward|reversed|shuffled --seed N --list [--bench]
// Output: one line per test, "ok NAME" or "FAIL NAME: ...", then "N passed, M failed"; with
// --bench, one line per bench: "bench NAME {json}".
#pragma once
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace topofr::test {

struct Case {
  const char* name;
  std::function<void()> body;
};
std::vector<Case>& registry();

struct Bench {
  const char* name;
  std::function<std::string()> body;  // returns a JSON object
};
std::vector<Bench>& benches();

struct Registrar {
  Registrar(const char* name, std::function<void()> body) { registry().push_back({name, std::move(body)}); }
  Registrar(const char* name, std::function<std::string()> body) { benches().push_back({name, std::move(body)}); }
};

// Collects a failure's message; the destructor records it (so `CHECK(x) << "why"` reads naturally).
class Failure {
 public:
  Failure(const char* file, int line, const char* expression);
  ~Failure();
  template <class T>
  Failure& operator<<(const T& v) {
    message_ << v;
    return *this;
  }

 private:
  std::ostringstream message_;
};

// True where the kernels run on a real GPU (bitwise comparisons), false under the emulator.
bool on_gpu();

// True in the ASan build, where a fiber switch costs ~5× more: the few largest cases run only in
// the plain builds (the schedules there cover them).
constexpr bool sanitized() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#else
  return false;
#endif
}

// Equal sizes and equal bytes (−0 ≠ +0, NaN = the same NaN).
template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// Seeded inputs, so every run sees the same data.
std::vector<float> gaussian_points(int64_t n, int64_t dim, uint64_t seed);

}  // namespace topofr::test

#define TOPOFR_TEST_CAT2(a, b) a##b
#define TOPOFR_TEST_CAT(a, b) TOPOFR_TEST_CAT2(a, b)
#define TEST(name)                                                                                  \
  static void TOPOFR_TEST_CAT(test_body_, __LINE__)();                                             \
  static ::topofr::test::Registrar TOPOFR_TEST_CAT(test_registrar_, __LINE__)(name, TOPOFR_TEST_CAT(test_body_, __LINE__)); \
  static void TOPOFR_TEST_CAT(test_body_, __LINE__)()
#define BENCH(name)                                                                                 \
  static std::string TOPOFR_TEST_CAT(bench_body_, __LINE__)();                                      \
  static ::topofr::test::Registrar TOPOFR_TEST_CAT(bench_registrar_, __LINE__)(                     \
      name, std::function<std::string()>(TOPOFR_TEST_CAT(bench_body_, __LINE__)));                 \
  static std::string TOPOFR_TEST_CAT(bench_body_, __LINE__)()
#define CHECK(cond) \
  if (cond) {       \
  } else            \
    ::topofr::test::Failure(__FILE__, __LINE__, #cond)
