#include "memory.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <limits>

#include "rips.h"

namespace topofr::rips {

int64_t available_memory() {
  if (FILE* f = std::fopen("/proc/meminfo", "r")) {
    char line[256];
    long long kb = -1;
    while (std::fgets(line, sizeof line, f))
      if (std::sscanf(line, "MemAvailable: %lld kB", &kb) == 1) break;
    std::fclose(f);
    if (kb >= 0) return static_cast<int64_t>(kb) * 1024;
  }
#ifdef _SC_AVPHYS_PAGES
  const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) return static_cast<int64_t>(pages) * page;
#endif
  return std::numeric_limits<int64_t>::max();
}

void require_memory(int64_t bytes, const std::string& what) {
  const int64_t available = available_memory();
  if (bytes <= available) return;
  char message[512];
  std::snprintf(message, sizeof message,
                "rips: %s would need ~%.1f GB of memory (%.1f GB available); lower the dimension, use a "
                "smaller threshold or fewer points",
                what.c_str(), bytes / 1e9, available / 1e9);
  throw TooLargeError(message);
}

}  // namespace topofr::rips
