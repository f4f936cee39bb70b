// The agreement collectives under mpirun (2 and 3 ranks): rank 0's text everywhere, equal and
// differing values found per entry, a failure on one rank seen by all.
#include <gtest/gtest.h>

#include "framework/core/error.h"
#include "framework/distributed/agreement.h"

namespace fct::distributed {
namespace {

std::unique_ptr<Communicator> make_mpi() {
  CommunicatorOptions options;
  options.timeout_s = 60.0;
  return make_communicator("mpi", options);
}

TEST(BroadcastText, EveryRankGetsTheRootsText) {
  auto comm = make_mpi();
  const std::string mine = "rank " + std::to_string(comm->rank()) + std::string(1, '\0') + "tail";
  EXPECT_EQ(broadcast_text(*comm, mine), "rank 0" + std::string(1, '\0') + "tail");
  // Empty on the root: empty everywhere, whatever the others held.
  EXPECT_EQ(broadcast_text(*comm, comm->rank() == 0 ? "" : "not me"), "");
  const int last = comm->size() - 1;
  EXPECT_EQ(broadcast_text(*comm, std::string(100000, static_cast<char>('a' + comm->rank())), last),
            std::string(100000, static_cast<char>('a' + last)));
}

TEST(SameOnAllRanks, FindsEachDifferingEntry) {
  auto comm = make_mpi();
  EXPECT_TRUE(same_on_all_ranks(*comm, {}).empty());
  // Entry 1 differs on the last rank only; entry 2 holds values whose int64 bits are negative.
  const bool last = comm->rank() == comm->size() - 1;
  const std::vector<bool> same = same_on_all_ranks(
      *comm, {7, last ? 9u : 8u, 0xFFFFFFFFFFFFFFF0ull, static_cast<uint64_t>(comm->rank())});
  ASSERT_EQ(same.size(), 4u);
  EXPECT_TRUE(same[0]);
  EXPECT_EQ(same[1], comm->size() == 1);
  EXPECT_TRUE(same[2]);
  EXPECT_EQ(same[3], comm->size() == 1);
}

TEST(CheckSameOnAllRanks, PassesWhenEqualAndListsRanksWhenNot) {
  auto comm = make_mpi();
  EXPECT_NO_THROW(check_same_on_all_ranks(*comm, 0xDEADBEEFull, "config hash"));
  if (comm->size() < 2) GTEST_SKIP() << "needs two ranks";
  try {
    check_same_on_all_ranks(*comm, comm->rank() == 1 ? 2 : 1, "config hash");
    FAIL() << "expected a DistributedError";
  } catch (const DistributedError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("config hash"), std::string::npos) << message;
    EXPECT_NE(message.find("rank 0: 0000000000000001"), std::string::npos) << message;
    EXPECT_NE(message.find("rank 1: 0000000000000002"), std::string::npos) << message;
  }
}

TEST(AnyRank, TrueWhenOneRankSaysSo) {
  auto comm = make_mpi();
  EXPECT_FALSE(any_rank(*comm, false));
  EXPECT_TRUE(any_rank(*comm, true));
  EXPECT_TRUE(any_rank(*comm, comm->rank() == comm->size() - 1));
}

}  // namespace
}  // namespace fct::distributed
