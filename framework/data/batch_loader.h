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
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "framework/data/batch_source.h"
#include "framework/data/dataset.h"
#include "framework/data/image_decoder.h"
#include "framework/data/transforms.h"

namespace fct::data {

class BatchLoader : public BatchStream {
 public:
  // `dataset` must outlive the loader. `indices` are positions in `dataset`, in visiting order
  // (DistributedSampler::indices(epoch)); an index out of range is a fct::DataError here.
  BatchLoader(const Dataset& dataset, std::vector<int64_t> indices, Transform transform,
              LoaderOptions options);
  ~BatchLoader() override;
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  int64_t num_batches() const { return num_batches_; }
  // The next batch in order, or nullopt after the last. Rethrows (as fct::DataError naming the
  // dataset, sample id and index) an error raised while building the batch; after that the
  // loader stays failed and every call rethrows it.
  std::optional<Batch> next() override;

 private:
  struct Slot {
    bool ready = false;
    Batch batch;
    std::exception_ptr error;
  };

  // `decoder` is the calling thread's (nullptr for in-memory datasets).
  Batch build(int64_t batch_index, ImageDecoder* decoder) const;
  void build_raw(int64_t begin, int64_t count, Batch& batch) const;
  void load_file_sample(int64_t index, int64_t slot, Batch& batch, ImageDecoder& decoder) const;
  uint64_t view_seed(int64_t view) const;
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
  std::exception_ptr failure_;                 // the error next() rethrew; sticky
  std::unique_ptr<ImageDecoder> own_decoder_;  // for batches built in next() (no workers)
  std::vector<std::thread> workers_;
};

// Batches of `dataset`'s images through `transform`, by a BatchLoader.
class ImageBatchSource : public BatchSource {
 public:
  // `dataset` must outlive the source and its streams.
  ImageBatchSource(const Dataset& dataset, Transform transform);
  int64_t size() const override { return dataset_.size(); }
  std::unique_ptr<BatchStream> open(std::vector<int64_t> indices,
                                    const LoaderOptions& options) const override;

 private:
  const Dataset& dataset_;
  Transform transform_;
};

}  // namespace fct::data
