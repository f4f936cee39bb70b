// Runtime: MPI start-up and the rank facts of this process. Rank, size, local rank and local size
// come from MPI itself (MPI_Comm_split_type with MPI_COMM_TYPE_SHARED), not from launcher
// variables, so the same binary works under mpirun and srun.
#pragma once

#include <string>

namespace fct::distributed {

struct RankInfo {
  int rank = 0;
  int size = 1;
  int local_rank = 0;
  int local_size = 1;
  std::string hostname;
};

class Runtime {
 public:
  // Initialises MPI (asks MPI_THREAD_MULTIPLE, accepts MPI_THREAD_SERIALIZED or better: gradient
  // hooks may run on autograd threads) unless it already is; finalises in the destructor only if
  // it initialised it. Throws DistributedError when MPI offers less.
  Runtime(int* argc, char*** argv);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  const RankInfo& info() const { return info_; }

  // Ends every rank of the job now with `code` (MPI_Abort): the way out after an exception on one
  // rank, so that its peers never wait forever in a collective.
  [[noreturn]] static void abort_job(int code);

  // "Open MPI v4.1.4, ..." as MPI_Get_library_version reports it (first line).
  static std::string mpi_library_version();

 private:
  RankInfo info_;
  bool owns_mpi_ = false;
};

// Intra-op threads for this rank: `requested` when > 0, otherwise the node's cores split evenly
// among the ranks on the node (at least 1), so that ranks x threads = cores.
int threads_for_rank(int requested, const RankInfo& info);

}  // namespace fct::distributed
