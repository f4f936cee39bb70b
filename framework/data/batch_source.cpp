#include "framework/data/batch_source.h"

#include "framework/core/error.h"

namespace fct::data {
namespace {

class RowBatchStream : public BatchStream {
 public:
  RowBatchStream(torch::Tensor labels, std::vector<int64_t> rows, const LoaderOptions& options)
      : labels_(std::move(labels)), rows_(std::move(rows)), options_(options) {}

  std::optional<Batch> next() override {
    const auto n = static_cast<int64_t>(rows_.size());
    const int64_t remaining = n - position_;
    if (remaining <= 0 || (options_.drop_last && remaining < options_.batch_size))
      return std::nullopt;
    const int64_t count = std::min(options_.batch_size, remaining);
    Batch batch;
    batch.epoch = options_.epoch;
    batch.ids = torch::from_blob(rows_.data() + position_, {count}, torch::kInt64).clone();
    batch.labels = labels_.index_select(0, batch.ids);
    position_ += count;
    return batch;
  }

 private:
  torch::Tensor labels_;
  std::vector<int64_t> rows_;
  LoaderOptions options_;
  int64_t position_ = 0;
};

}  // namespace

RowBatchSource::RowBatchSource(torch::Tensor labels) : labels_(std::move(labels)) {
  if (!labels_.defined() || labels_.dim() != 1 || labels_.scalar_type() != torch::kInt64)
    throw Error("row batch source: labels must be an int64 vector");
  labels_ = labels_.contiguous();
}

std::unique_ptr<BatchStream> RowBatchSource::open(std::vector<int64_t> indices,
                                                  const LoaderOptions& options) const {
  if (options.batch_size <= 0)
    throw Error("row batch source: batch_size must be positive, found " +
                std::to_string(options.batch_size));
  for (const int64_t row : indices)
    if (row < 0 || row >= size())
      throw DataError("row batch source: row " + std::to_string(row) + " out of range [0, " +
                      std::to_string(size()) + ")");
  return std::make_unique<RowBatchStream>(labels_, std::move(indices), options);
}

}  // namespace fct::data
