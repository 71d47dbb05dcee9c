// Refusing requests that cannot fit, before allocating them.
#pragma once
#include <cstdint>
#include <string>

namespace topofr::rips {

// Bytes the system can still give us (MemAvailable), or a large number when unknown.
int64_t available_memory();

// Throws TooLargeError "<what> would need ~X GB (Y GB available); <advice>" when bytes exceed the
// memory available.
void require_memory(int64_t bytes, const std::string& what);

}  // namespace topofr::rips
