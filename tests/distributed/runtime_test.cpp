// threads_for_rank and the communicator registry (no MPI needed for either).
#include "framework/distributed/runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "framework/core/error.h"
#include "framework/distributed/communicator.h"

namespace fct::distributed {
namespace {

TEST(ThreadsForRank, RequestedValueWins) {
  RankInfo info;
  info.local_size = 4;
  EXPECT_EQ(threads_for_rank(3, info), 3);
  EXPECT_EQ(threads_for_rank(1, info), 1);
}

TEST(ThreadsForRank, SplitsTheNodeAmongLocalRanks) {
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  RankInfo info;
  info.local_size = 1;
  EXPECT_EQ(threads_for_rank(0, info), cores);
  info.local_size = 2;
  EXPECT_EQ(threads_for_rank(0, info), std::max(1, cores / 2));
  info.local_size = cores * 4;  // oversubscribed: still one thread each
  EXPECT_EQ(threads_for_rank(0, info), 1);
  info.local_size = 0;  // never divide by zero
  EXPECT_GE(threads_for_rank(-1, info), 1);
}

TEST(CommunicatorRegistry, ListsMpiAndNcclOnlyWithCuda) {
  auto names = communicator_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "mpi"), names.end());
#ifdef FCT_WITH_CUDA
  EXPECT_NE(std::find(names.begin(), names.end(), "nccl"), names.end());
#else
  EXPECT_EQ(std::find(names.begin(), names.end(), "nccl"), names.end());
  try {
    make_communicator("nccl", {});
    FAIL() << "expected an error";
  } catch (const DistributedError& e) {
    EXPECT_NE(std::string(e.what()).find("no CUDA/NCCL"), std::string::npos) << e.what();
  }
#endif
}

TEST(CommunicatorRegistry, UnknownNameSuggestsKnownOnes) {
  try {
    make_communicator("mpii", {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("mpii"), std::string::npos) << message;
    EXPECT_NE(message.find("mpi"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace fct::distributed
