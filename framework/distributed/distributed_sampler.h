// DistributedSampler: one seeded permutation per epoch, shared by every rank (same seed, same
// epoch -> same permutation), cut into disjoint per-rank shards of equal length, so every rank
// runs the same number of steps.
#pragma once

#include <cstdint>
#include <vector>

namespace fct::distributed {

struct SamplerOptions {
  int64_t dataset_size = 0;
  int rank = 0;
  int world_size = 1;
  uint64_t seed = 0;
  bool shuffle = true;
  // true: drop the tail so every shard has floor(N / world) samples (training);
  // false: pad by wrapping around so every shard has ceil(N / world) samples.
  bool drop_last = true;
};

class DistributedSampler {
 public:
  explicit DistributedSampler(SamplerOptions options);

  // The sample indices of this rank for `epoch`, in the order to visit them.
  std::vector<int64_t> indices(int64_t epoch) const;
  int64_t shard_size() const;

 private:
  SamplerOptions options_;
};

}  // namespace fct::distributed
