// BatchLoader: turns this rank's sample indices for one epoch into batches of transformed images,
// built by worker threads ahead of the training step (a bounded queue). Batch k always holds the
// same samples, transformed with the same random draws, whatever the thread count; an error while
// building a batch is rethrown by next() with the sample named, and destruction mid-epoch stops
// and joins the workers.
#pragma once

#include <torch/torch.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "framework/data/dataset.h"
#include "framework/data/transforms.h"

namespace fct::data {

struct Batch {
  torch::Tensor images;  // float [B, C, H, W]
  torch::Tensor labels;  // int64 [B]
  torch::Tensor ids;     // int64 [B], Dataset::id of each sample
};

struct LoaderOptions {
  int64_t batch_size = 256;  // per rank
  int64_t threads = 0;     // worker threads; 0 = build each batch in next(), on the caller's thread
  int64_t prefetch = 0;    // batches built ahead of the consumer; 0 = max(2, 2 * threads)
  bool drop_last = false;  // drop a last batch smaller than batch_size
  uint64_t seed = 0;       // with epoch and the sample id, seeds each sample's random draws
  int64_t epoch = 0;
};

class BatchLoader {
 public:
  // `dataset` must outlive the loader. `indices` are positions in `dataset`, in visiting order
  // (DistributedSampler::indices(epoch)); an index out of range is a fct::DataError here.
  BatchLoader(const Dataset& dataset, std::vector<int64_t> indices, Transform transform,
              LoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  int64_t num_batches() const { return num_batches_; }
  // The next batch in order, or nullopt after the last. Rethrows (as fct::DataError naming the
  // dataset, sample id and index) an error raised while building the batch; after that the
  // loader stays failed and every call rethrows it.
  std::optional<Batch> next();

 private:
  struct Slot {
    bool ready = false;
    Batch batch;
    std::exception_ptr error;
  };

  Batch build(int64_t batch_index) const;
  void worker_loop();
  void stop_workers();

  const Dataset& dataset_;
  const std::vector<int64_t> indices_;
  const Transform transform_;
  const LoaderOptions options_;
  int64_t num_batches_ = 0;

  // Worker state, guarded by mutex_. Batch b goes to slots_[b % slots_.size()]; a worker claims b
  // only when b < next_consume_ + slots_.size(), so a slot is free when it is claimed.
  std::mutex mutex_;
  std::condition_variable work_cv_;   // workers: a slot freed, or stop
  std::condition_variable ready_cv_;  // consumer: a batch is ready
  std::vector<Slot> slots_;
  int64_t next_claim_ = 0;
  int64_t next_consume_ = 0;
  bool stop_ = false;
  std::exception_ptr failure_;  // the error next() rethrew; sticky
  std::vector<std::thread> workers_;
};

}  // namespace fct::data
