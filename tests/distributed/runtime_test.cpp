// threads_for_rank (no MPI needed).
#include "framework/distributed/runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "framework/core/error.h"

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

}  // namespace
}  // namespace fct::distributed
