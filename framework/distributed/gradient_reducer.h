// GradientReducer: data-parallel gradient averaging as PyTorch DDP and Horovod do it.
// See Note [Gradient buckets] in gradient_reducer.cpp for the bucket order and issue order.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "framework/distributed/communicator.h"

namespace fct::distributed {

struct ReducerOptions {
  double bucket_mb = 25.0;
  double first_bucket_mb = 1.0;
};

class GradientReducer {
 public:
  // Takes the module's parameters (registration order) and buffers. Checks that every rank has the
  // same parameter names, shapes and dtypes (throws DistributedError naming the first mismatch),
  // then broadcasts parameters and buffers from rank 0, and installs one gradient hook per
  // parameter so that a bucket's all-reduce starts as soon as its last gradient is ready.
  GradientReducer(torch::nn::Module& module, Communicator& comm, ReducerOptions options = {});
  ~GradientReducer();

  // Call after loss.backward(): waits for every bucket, launching any not yet launched, and writes
  // the averaged gradients into each parameter's .grad. Parameters that got no gradient on this
  // rank contribute zeros.
  void finish_backward();

  // Averages floating-point buffers (BatchNorm running statistics) across ranks: before
  // evaluation and before a checkpoint.
  void average_buffers();

  // Bucket layout, for tests and logs: bucket b holds the parameters bucket_params()[b] (indices
  // into the module's parameters() in registration order).
  const std::vector<std::vector<std::size_t>>& bucket_params() const;

  // Seconds spent waiting for all-reduces inside finish_backward() since the last reset.
  double wait_seconds() const;
  void reset_timers();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fct::distributed
