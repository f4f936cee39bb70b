// Threads of the compute libraries in this process. LibTorch's intra-op pool and the BLAS under it
// are separate: Debian's OpenBLAS starts one thread per core whatever torch::set_num_threads says,
// so 2 ranks x 1 thread would run 4 GEMM threads on 2 cores. Both are set here, together.
#pragma once

namespace fct::distributed {

// Sets LibTorch's intra-op threads and, when the process uses OpenBLAS, its threads. Returns
// whether an OpenBLAS was found and set.
bool set_compute_threads(int threads);

}  // namespace fct::distributed
