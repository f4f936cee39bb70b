// BatchSource: what the Trainer iterates — a fixed list of samples that opens a stream of
// batches over any subset of them, in a given order. Images through a transform
// (ImageBatchSource, batch_loader.h) are the usual kind; RowBatchSource serves only row numbers
// and labels, for tasks whose inputs are features cached in memory (the transformation h).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace fct::data {

struct Batch {
  torch::Tensor images;  // float [views * B, C, H, W]; undefined for a RowBatchSource
  torch::Tensor labels;  // int64 [B]
  torch::Tensor ids;     // int64 [B], Dataset::id of each sample (RowBatchSource: the row)
  int64_t epoch = 0;     // the epoch the batch was drawn for (LoaderOptions::epoch)
};

struct LoaderOptions {
  int64_t batch_size = 256;  // per rank
  int64_t threads = 0;     // worker threads; 0 = build each batch in next(), on the caller's thread
  int64_t prefetch = 0;    // batches built ahead of the consumer; 0 = max(2, 2 * threads)
  bool drop_last = false;  // drop a last batch smaller than batch_size
  uint64_t seed = 0;       // with epoch and the sample id, seeds each sample's random draws
  int64_t epoch = 0;
  // Augmented views per sample (SimCLR uses 2): images hold view 0 of every sample, then view 1,
  // ... ([views * B, C, H, W]); view v draws from its own random stream.
  int64_t views = 1;
  // Page-locked batch memory, so copies to a CUDA device are asynchronous (CUDA runs only).
  bool pin_memory = false;
};

class BatchStream {
 public:
  virtual ~BatchStream() = default;
  // The next batch in order, or nullopt after the last.
  virtual std::optional<Batch> next() = 0;
};

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual int64_t size() const = 0;
  // Batches of the samples at `indices` (positions in [0, size())), in that order.
  virtual std::unique_ptr<BatchStream> open(std::vector<int64_t> indices,
                                            const LoaderOptions& options) const = 0;
};

// Rows 0..N-1 with their labels; a batch carries the rows as ids and no images.
class RowBatchSource : public BatchSource {
 public:
  explicit RowBatchSource(torch::Tensor labels);  // int64 [N]
  int64_t size() const override { return labels_.size(0); }
  std::unique_ptr<BatchStream> open(std::vector<int64_t> indices,
                                    const LoaderOptions& options) const override;

 private:
  torch::Tensor labels_;
};

}  // namespace fct::data
