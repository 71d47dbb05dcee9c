// The CUDA test binary's entry point (see harness.h).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "harness.h"

#if defined(TOPOFR_EMULATED)
#include "../../native/cuda/emulator/simt.h"
#endif

namespace topofr::test {
namespace {

std::vector<std::string>* failures = nullptr;  // of the running test

}  // namespace

std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}

std::vector<Bench>& benches() {
  static std::vector<Bench> all;
  return all;
}

Failure::Failure(const char* file, int line, const char* expression) {
  const char* base = std::strrchr(file, '/');
  message_ << (base ? base + 1 : file) << ":" << line << ": CHECK(" << expression << ") failed ";
}

Failure::~Failure() {
  if (failures) failures->push_back(message_.str());
}

bool on_gpu() {
#if defined(TOPOFR_EMULATED)
  return false;
#else
  return true;
#endif
}

std::vector<float> gaussian_points(int64_t n, int64_t dim, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::normal_distribution<float> normal;
  std::vector<float> x(static_cast<size_t>(n * dim));
  for (float& v : x) v = normal(random);
  return x;
}

}  // namespace topofr::test

int main(int argc, char** argv) {
  using namespace topofr::test;
  std::string filter, schedule = "forward";
  uint64_t seed = 1;
  bool list = false, bench = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--filter" && i + 1 < argc) filter = argv[++i];
    else if (a == "--schedule" && i + 1 < argc) schedule = argv[++i];
    else if (a == "--seed" && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--list") list = true;
    else if (a == "--bench") bench = true;
    else {
      std::fprintf(stderr, "usage: %s [--filter SUBSTR] [--schedule forward|reversed|shuffled] [--seed N] [--list] [--bench]\n", argv[0]);
      return 2;
    }
  }
#if defined(TOPOFR_EMULATED)
  topofr::emu::Policy policy;
  if (schedule == "forward") policy.schedule = topofr::emu::Schedule::Forward;
  else if (schedule == "reversed") policy.schedule = topofr::emu::Schedule::Reversed;
  else if (schedule == "shuffled") policy.schedule = topofr::emu::Schedule::Shuffled;
  else {
    std::fprintf(stderr, "unknown schedule '%s'\n", schedule.c_str());
    return 2;
  }
  policy.seed = seed;
  topofr::emu::set_policy(policy);
#endif
  if (bench) {
    int failed = 0;
    for (const Bench& b : benches()) {
      if (!filter.empty() && std::string(b.name).find(filter) == std::string::npos) continue;
      try {
        std::printf("bench %s %s\n", b.name, b.body().c_str());
      } catch (const std::exception& e) {
        ++failed;
        std::printf("bench %s {\"error\": \"%s\"}\n", b.name, e.what());
      }
      std::fflush(stdout);
    }
    return failed ? 1 : 0;
  }
  int passed = 0, failed = 0;
  for (const Case& c : registry()) {
    if (!filter.empty() && std::string(c.name).find(filter) == std::string::npos) continue;
    if (list) {
      std::printf("%s\n", c.name);
      continue;
    }
    std::vector<std::string> messages;
    failures = &messages;
    try {
      c.body();
    } catch (const std::exception& e) {
      messages.push_back(std::string("threw: ") + e.what());
    }
    failures = nullptr;
    if (messages.empty()) {
      ++passed;
      std::printf("ok %s\n", c.name);
    } else {
      ++failed;
      std::printf("FAIL %s: %s", c.name, messages[0].c_str());
      if (messages.size() > 1) std::printf(" (+%zu more)", messages.size() - 1);
      std::printf("\n");
    }
    std::fflush(stdout);
  }
  if (!list) std::printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
