// DistributedSampler: one seeded permutation per epoch, cut into equal, disjoint per-rank shards.
#include "framework/distributed/distributed_sampler.h"

#include <limits>
#include <numeric>
#include <random>
#include <string>

#include "framework/core/error.h"

namespace fct::distributed {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform in [0, bound] without std::uniform_int_distribution, whose output differs between
// standard libraries: the permutation must be the same wherever a rank runs.
uint64_t uniform_up_to(std::mt19937_64& rng, uint64_t bound) {
  if (bound == std::numeric_limits<uint64_t>::max()) return rng();
  const uint64_t range = bound + 1;
  const uint64_t limit = std::numeric_limits<uint64_t>::max() -
                         std::numeric_limits<uint64_t>::max() % range;  // reject the biased tail
  uint64_t draw = rng();
  while (draw >= limit) draw = rng();
  return draw % range;
}

}  // namespace

DistributedSampler::DistributedSampler(SamplerOptions options) : options_(options) {
  if (options_.dataset_size < 0)
    throw Error("DistributedSampler: dataset_size must be >= 0, got " +
                std::to_string(options_.dataset_size));
  if (options_.world_size < 1)
    throw Error("DistributedSampler: world_size must be >= 1, got " +
                std::to_string(options_.world_size));
  if (options_.rank < 0 || options_.rank >= options_.world_size)
    throw Error("DistributedSampler: rank " + std::to_string(options_.rank) + " is outside [0, " +
                std::to_string(options_.world_size) + ")");
}

int64_t DistributedSampler::shard_size() const {
  const int64_t n = options_.dataset_size;
  const int64_t world = options_.world_size;
  if (n == 0) return 0;
  return options_.drop_last ? n / world : (n + world - 1) / world;
}

std::vector<int64_t> DistributedSampler::indices(int64_t epoch) const {
  const int64_t n = options_.dataset_size;
  const int64_t world = options_.world_size;
  std::vector<int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (options_.shuffle && n > 1) {
    // Seed and epoch mixed, so that neighbouring seeds or epochs give unrelated permutations.
    std::mt19937_64 rng(splitmix64(splitmix64(options_.seed) ^ static_cast<uint64_t>(epoch)));
    for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates
      const auto j = static_cast<int64_t>(uniform_up_to(rng, static_cast<uint64_t>(i)));
      std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
    }
  }
  const int64_t shard = shard_size();
  std::vector<int64_t> result;
  result.reserve(static_cast<std::size_t>(shard));
  // Position p of the (truncated or wrapped) permutation goes to rank p % world.
  for (int64_t k = 0; k < shard; ++k) {
    const int64_t position = options_.rank + k * world;
    result.push_back(order[static_cast<std::size_t>(position % n)]);
  }
  return result;
}

}  // namespace fct::distributed
