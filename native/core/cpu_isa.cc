#include "cpu_isa.h"

#include <cstdlib>
#include <cstring>

namespace topofr {

namespace {

CpuIsa widest_supported() {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  __builtin_cpu_init();  // libgcc also checks that the OS saves the wide registers (XCR0)
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
    return CpuIsa::kAvx512;
  if (avx2) return CpuIsa::kAvx2;
#endif
  return CpuIsa::kSse2;
}

CpuIsa cap_from_environment() {
  const char* env = std::getenv("TOPOFR_ISA");
  if (env && std::strcmp(env, "sse2") == 0) return CpuIsa::kSse2;
  if (env && std::strcmp(env, "avx2") == 0) return CpuIsa::kAvx2;
  return CpuIsa::kAvx512;
}

}  // namespace

CpuIsa cpu_isa() {
  static const CpuIsa chosen = [] {
    const CpuIsa supported = widest_supported(), cap = cap_from_environment();
    return static_cast<int>(cap) < static_cast<int>(supported) ? cap : supported;
  }();
  return chosen;
}

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kAvx512: return "avx512";
    case CpuIsa::kAvx2: return "avx2";
    default: return "sse2";
  }
}

}  // namespace topofr
