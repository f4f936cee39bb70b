#include "framework/core/allocator_tuning.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace fct {

// Note [Allocator]
// A LibTorch process on a CPU allocates and frees activation tensors of a few hundred KiB to a few
// MiB for every layer of every step. glibc serves blocks above its mmap threshold (128 KiB at
// start, raised dynamically as mmapped blocks are freed) with fresh mmap calls, and gives the top
// of its heap back to the kernel above the trim threshold: either way the next tensor of that
// size is faulted into memory page by page again. In fct this dominated both training and
// embedding on the built-in study's model: `fct train` of its new model (20 000 images, 2 ranks
// x 1 thread) ran at 663 and 840 images/s with glibc's defaults and at 1 945 and 1 927 with a
// 32 MiB mmap threshold and a 256 MiB trim threshold, the same losses to the last digit; `fct
// embed` of the training split went from 22.6 s to 7.0 s (2-core EPYC, GLIBC_TUNABLES runs
// alternated). A trim threshold alone made it far worse (142 s): setting one threshold turns off
// the dynamic mmap threshold, so both are set. Blocks above 32 MiB are still mmapped, and at most
// 256 MiB of free heap is kept per arena. jemalloc and tcmalloc, which PyTorch's CPU tuning
// guides suggest through LD_PRELOAD, avoid the same faults; this needs no further library.
std::string tune_allocator() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if ((tunables != nullptr && std::strstr(tunables, "glibc.malloc") != nullptr) ||
      std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr ||
      std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr)
    return "malloc: as the environment sets it";
  const bool ok =
      mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 256 << 20) == 1;
  return ok ? "malloc: mmap threshold 32 MiB, trim threshold 256 MiB"
            : "malloc: glibc refused the thresholds; its defaults stay";
}

}  // namespace fct
