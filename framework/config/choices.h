// The closed sets a config chooses from, with the names YAML uses. Sets that grow by registration
// (datasets, models, losses, optimisers, backfill orders, communicators) are not here: their
// registries own their names (registered_names.h).
#pragma once

#include "framework/config/enum_names.h"

namespace fct::config {

// What the loader does with an image file that does not decode.
enum class BadFilePolicy { kSkip, kFail };
constexpr EnumNames<BadFilePolicy, 2> enum_names(BadFilePolicy) {
  return {{{BadFilePolicy::kSkip, "skip"}, {BadFilePolicy::kFail, "fail"}}};
}

// Where a model's embedding comes from: the last residual block projects to it (the protocol's
// ResNet), or a linear layer after pooling.
enum class EmbeddingHead { kConv, kLinear };
constexpr EnumNames<EmbeddingHead, 2> enum_names(EmbeddingHead) {
  return {{{EmbeddingHead::kConv, "conv"}, {EmbeddingHead::kLinear, "linear"}}};
}

// Where tensors live: the CPU, a GPU, or a GPU when LibTorch sees one.
enum class DeviceChoice { kAuto, kCpu, kCuda };
constexpr EnumNames<DeviceChoice, 3> enum_names(DeviceChoice) {
  return {
      {{DeviceChoice::kAuto, "auto"}, {DeviceChoice::kCpu, "cpu"}, {DeviceChoice::kCuda, "cuda"}}};
}

// How a rank fails on purpose in the fail-fast tests.
enum class FailMode { kThrow, kKill, kHang, kPreempt };
constexpr EnumNames<FailMode, 4> enum_names(FailMode) {
  return {{{FailMode::kThrow, "throw"},
           {FailMode::kKill, "kill"},
           {FailMode::kHang, "hang"},
           {FailMode::kPreempt, "preempt"}}};
}

// How the transformation h is fed: from a cache of embeddings written once, or from the images
// through the frozen models at every step.
enum class FeatureFeed { kCached, kOnTheFly };
constexpr EnumNames<FeatureFeed, 2> enum_names(FeatureFeed) {
  return {{{FeatureFeed::kCached, "cached"}, {FeatureFeed::kOnTheFly, "on_the_fly"}}};
}

// The retrieval distance between embeddings.
enum class Distance { kL2, kCosine };
constexpr EnumNames<Distance, 2> enum_names(Distance) {
  return {{{Distance::kL2, "l2"}, {Distance::kCosine, "cosine"}}};
}

// How a cluster job starts its ranks.
enum class Launcher { kMpirun, kSrun };
constexpr EnumNames<Launcher, 2> enum_names(Launcher) {
  return {{{Launcher::kMpirun, "mpirun"}, {Launcher::kSrun, "srun"}}};
}

}  // namespace fct::config
