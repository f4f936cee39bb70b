// DistributedSampler: shards of simulated ranks are disjoint, equal, cover the epoch, and follow
// the (seed, epoch) pair.
#include "framework/distributed/distributed_sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "framework/core/error.h"

namespace fct::distributed {
namespace {

std::vector<std::vector<int64_t>> shards(int64_t n, int world, bool drop_last, uint64_t seed,
                                         int64_t epoch, bool shuffle = true) {
  std::vector<std::vector<int64_t>> result;
  for (int r = 0; r < world; ++r) {
    SamplerOptions options;
    options.dataset_size = n;
    options.rank = r;
    options.world_size = world;
    options.seed = seed;
    options.shuffle = shuffle;
    options.drop_last = drop_last;
    result.push_back(DistributedSampler(options).indices(epoch));
  }
  return result;
}

TEST(DistributedSampler, DropLastShardsAreDisjointEqualAndCoverAllButTheTail) {
  for (int world : {1, 2, 3, 4, 7}) {
    for (int64_t n : {0, 1, 5, 10, 11, 100, 101}) {
      auto all = shards(n, world, /*drop_last=*/true, 42, 3);
      std::set<int64_t> seen;
      for (const auto& shard : all) {
        EXPECT_EQ(static_cast<int64_t>(shard.size()), n / world) << "n=" << n << " world=" << world;
        for (auto i : shard) {
          EXPECT_GE(i, 0);
          EXPECT_LT(i, n);
          EXPECT_TRUE(seen.insert(i).second) << "index " << i << " in two shards";
        }
      }
      EXPECT_GT(static_cast<int64_t>(seen.size()) + world, n) << "dropped world or more samples";
    }
  }
}

TEST(DistributedSampler, PaddedShardsAreEqualAndCoverEverySample) {
  for (int world : {1, 2, 3, 4, 7}) {
    for (int64_t n : {1, 2, 5, 10, 11, 100, 101}) {
      auto all = shards(n, world, /*drop_last=*/false, 7, 0);
      std::set<int64_t> seen;
      int64_t total = 0;
      for (const auto& shard : all) {
        EXPECT_EQ(static_cast<int64_t>(shard.size()), (n + world - 1) / world);
        total += static_cast<int64_t>(shard.size());
        seen.insert(shard.begin(), shard.end());
      }
      EXPECT_EQ(static_cast<int64_t>(seen.size()), n) << "n=" << n << " world=" << world;
      EXPECT_LT(total - n, world);  // only the wrap-around padding repeats
      if (n % world == 0) EXPECT_EQ(total, n);
    }
  }
}

TEST(DistributedSampler, ShardSizeMatchesIndices) {
  SamplerOptions options;
  options.dataset_size = 10;
  options.world_size = 3;
  options.rank = 2;
  options.drop_last = false;
  EXPECT_EQ(DistributedSampler(options).shard_size(), 4);
  options.drop_last = true;
  EXPECT_EQ(DistributedSampler(options).shard_size(), 3);
  EXPECT_EQ(DistributedSampler(options).indices(5).size(), 3u);
}

TEST(DistributedSampler, SameSeedAndEpochGiveTheSameOrder) {
  EXPECT_EQ(shards(1000, 3, true, 11, 4), shards(1000, 3, true, 11, 4));
}

TEST(DistributedSampler, OrderChangesWithEpochAndSeed) {
  auto base = shards(1000, 2, true, 11, 0);
  EXPECT_NE(base, shards(1000, 2, true, 11, 1));
  EXPECT_NE(base, shards(1000, 2, true, 12, 0));
  // A permutation, not the identity.
  std::vector<int64_t> merged;
  for (const auto& shard : base) merged.insert(merged.end(), shard.begin(), shard.end());
  std::vector<int64_t> sorted = merged;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(sorted, identity);
  EXPECT_NE(shards(1000, 1, true, 11, 0)[0], identity);
}

TEST(DistributedSampler, NoShuffleIsStridedIdentity) {
  auto all = shards(10, 3, /*drop_last=*/false, 5, 9, /*shuffle=*/false);
  EXPECT_EQ(all[0], (std::vector<int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(all[1], (std::vector<int64_t>{1, 4, 7, 0}));
  EXPECT_EQ(all[2], (std::vector<int64_t>{2, 5, 8, 1}));
  EXPECT_EQ(shards(10, 1, true, 5, 0, false)[0],
            (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(DistributedSampler, RejectsInvalidOptions) {
  SamplerOptions options;
  options.dataset_size = 10;
  options.world_size = 2;
  options.rank = 2;
  EXPECT_THROW(DistributedSampler{options}, Error);
  options.rank = 0;
  options.world_size = 0;
  EXPECT_THROW(DistributedSampler{options}, Error);
  options.world_size = 1;
  options.dataset_size = -1;
  EXPECT_THROW(DistributedSampler{options}, Error);
}

}  // namespace
}  // namespace fct::distributed
