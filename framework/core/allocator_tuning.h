// glibc malloc settings for a process that allocates and frees tensors of a few hundred KiB to a
// few MiB all the time (Note [Allocator] in allocator_tuning.cpp). Every fct program calls
// tune_allocator() first thing in main().
#pragma once

#include <string>

namespace fct {

// Sets glibc's mmap threshold to 32 MiB and its trim threshold to 256 MiB, unless the environment
// already sets malloc parameters (GLIBC_TUNABLES naming glibc.malloc, or MALLOC_*_ variables),
// which are then left as the user chose. Returns what it did, for the log.
std::string tune_allocator();

}  // namespace fct
