#include "framework/distributed/compute_threads.h"

#include <dlfcn.h>
#include <torch/torch.h>

namespace fct::distributed {

bool set_compute_threads(int threads) {
  torch::set_num_threads(threads);
  // Looked up at run time: the BLAS LibTorch links against is chosen by Debian's alternatives.
  using SetThreads = void (*)(int);
  auto* set_blas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set_blas == nullptr) return false;
  set_blas(threads);
  return true;
}

}  // namespace fct::distributed
