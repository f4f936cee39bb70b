#include "framework/data/batch_loader.h"

#include <algorithm>

#include "framework/core/error.h"
#include "framework/data/input_log.h"

namespace fct::data {

BatchLoader::BatchLoader(const Dataset& dataset, std::vector<int64_t> indices, Transform transform,
                         LoaderOptions options)
    : dataset_(dataset),
      indices_(std::move(indices)),
      transform_(std::move(transform)),
      options_(options) {
  if (options_.batch_size <= 0)
    throw Error("batch loader: batch_size must be positive, found " +
                std::to_string(options_.batch_size));
  if (options_.views <= 0)
    throw Error("batch loader: views must be positive, found " + std::to_string(options_.views));
  if (options_.threads < 0 || options_.prefetch < 0)
    throw Error("batch loader: threads and prefetch must be non-negative");
  const int64_t size = dataset_.size();
  for (std::size_t i = 0; i < indices_.size(); ++i)
    if (indices_[i] < 0 || indices_[i] >= size)
      throw DataError(dataset_.name() + ": loader index " + std::to_string(indices_[i]) +
                      " (position " + std::to_string(i) + ") out of range [0, " +
                      std::to_string(size) + ")");
  const auto n = static_cast<int64_t>(indices_.size());
  num_batches_ = options_.drop_last ? n / options_.batch_size
                                    : (n + options_.batch_size - 1) / options_.batch_size;
  if (options_.threads > 0 && num_batches_ > 0) {
    const int64_t prefetch =
        options_.prefetch > 0 ? options_.prefetch : std::max<int64_t>(2, 2 * options_.threads);
    slots_.resize(static_cast<std::size_t>(prefetch));
    workers_.reserve(static_cast<std::size_t>(options_.threads));
    try {
      for (int64_t t = 0; t < options_.threads; ++t)
        workers_.emplace_back([this] { worker_loop(); });
    } catch (...) {
      stop_workers();
      throw;
    }
  }
}

BatchLoader::~BatchLoader() {
  stop_workers();
}

void BatchLoader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& worker : workers_)
    if (worker.joinable()) worker.join();
  workers_.clear();
}

void BatchLoader::worker_loop() {
  const auto capacity = static_cast<int64_t>(slots_.size());
  // One TurboJPEG handle per thread.
  std::unique_ptr<ImageDecoder> decoder;
  std::exception_ptr setup_error;  // reported as the error of every batch this worker claims
  try {
    if (dataset_.encoded()) decoder = std::make_unique<ImageDecoder>();
  } catch (...) {
    setup_error = std::current_exception();
  }
  for (;;) {
    int64_t batch_index = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_cv_.wait(lock, [&] {
        return stop_ || next_claim_ >= num_batches_ || next_claim_ < next_consume_ + capacity;
      });
      if (stop_ || next_claim_ >= num_batches_) return;
      batch_index = next_claim_++;
    }
    Slot result;
    try {
      if (setup_error) std::rethrow_exception(setup_error);
      result.batch = build(batch_index, decoder.get());
    } catch (...) {
      result.error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      result.ready = true;
      slots_[static_cast<std::size_t>(batch_index % capacity)] = std::move(result);
    }
    // notify_all: the consumer waits for one particular slot.
    ready_cv_.notify_all();
  }
}

std::optional<Batch> BatchLoader::next() {
  if (failure_) std::rethrow_exception(failure_);
  if (next_consume_ >= num_batches_) return std::nullopt;
  if (workers_.empty()) {
    try {
      if (dataset_.encoded() && !own_decoder_) own_decoder_ = std::make_unique<ImageDecoder>();
      Batch batch = build(next_consume_, own_decoder_.get());
      ++next_consume_;
      return batch;
    } catch (...) {
      failure_ = std::current_exception();
      throw;
    }
  }
  Slot slot;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    auto& ready = slots_[static_cast<std::size_t>(next_consume_ % slots_.size())];
    ready_cv_.wait(lock, [&] { return ready.ready; });
    slot = std::move(ready);
    ready = Slot{};
    ++next_consume_;
  }
  if (slot.error) {
    failure_ = slot.error;
    stop_workers();  // nothing after a failed batch is wanted
    std::rethrow_exception(failure_);
  }
  work_cv_.notify_all();
  return std::move(slot.batch);
}

Batch BatchLoader::build(int64_t batch_index, ImageDecoder* decoder) const {
  const auto n = static_cast<int64_t>(indices_.size());
  const int64_t begin = batch_index * options_.batch_size;
  const int64_t end = std::min(begin + options_.batch_size, n);
  const int64_t count = end - begin;

  Batch batch;
  batch.epoch = options_.epoch;
  batch.labels = torch::empty({count}, torch::kInt64);
  batch.ids = torch::empty({count}, torch::kInt64);
  if (dataset_.encoded()) {
    // Image files: every sample has the transform's fixed output size.
    const auto [oh, ow] = transform_.output_size(0, 0);
    if (oh <= 0 || ow <= 0)
      throw Error(dataset_.name() + ": image files need a transform with a fixed output size");
    batch.images = torch::empty(
        {options_.views * count, 3, oh, ow},
        torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(options_.pin_memory));
    for (int64_t k = 0; k < count; ++k) load_file_sample(indices_[begin + k], k, batch, *decoder);
  } else {
    build_raw(begin, count, batch);
  }
  return batch;
}

void BatchLoader::load_file_sample(int64_t index, int64_t slot, Batch& batch,
                                   ImageDecoder& decoder) const {
  // Note [Skipping bad files]: a file that does not decode is replaced by the next sample of the
  // dataset that does (index + 1, + 2, ... wrapping), with that sample's own label, id and random
  // draws. The replacement depends only on the dataset, so every thread count and every run gives
  // the same batch; the skip is counted and logged once.
  constexpr int64_t kMaxReplacements = 64;
  InputLog* log = dataset_.input_log();
  const int64_t size = dataset_.size();
  const int64_t count = batch.labels.size(0);
  const int64_t sample_floats = batch.images.numel() / batch.images.size(0);
  float* images = batch.images.data_ptr<float>();
  std::string first_error;
  for (int64_t attempt = 0; attempt <= kMaxReplacements && attempt < size; ++attempt) {
    const int64_t candidate = (index + attempt) % size;
    const int64_t id = dataset_.id(candidate);
    try {
      const EncodedImage file = dataset_.read_encoded(candidate);
      bool truncated = false;
      for (int64_t v = 0; v < options_.views; ++v) {
        SampleRng rng(view_seed(v), options_.epoch, id);
        truncated |=
            transform_
                .apply_encoded(decoder, file, rng, images + (v * count + slot) * sample_floats)
                .truncated;
      }
      if (truncated && log) log->truncated(file.path);
      batch.labels.data_ptr<int64_t>()[slot] = dataset_.label(candidate);
      batch.ids.data_ptr<int64_t>()[slot] = id;
      return;
    } catch (const DataError& e) {
      const std::string where = dataset_.name() + ": sample id " + std::to_string(id) + " (index " +
                                std::to_string(candidate) + ")";
      if (log == nullptr || log->policy() == BadFilePolicy::kFail)
        throw DataError(where + ": " + e.what() + " (data.bad_files: fail)");
      const std::string path = dataset_.sample_path(candidate);
      log->skipped(path.empty() ? where : path, e.what());
      if (first_error.empty()) first_error = where + ": " + e.what();
    }
  }
  throw DataError("no readable sample among " +
                  std::to_string(std::min(kMaxReplacements + 1, size)) + " in a row from index " +
                  std::to_string(index) + "; first: " + first_error);
}

uint64_t BatchLoader::view_seed(int64_t view) const {
  // View 0 keeps the single-view stream, so one view of a multi-view batch is the image a
  // single-view loader gives.
  return options_.seed + static_cast<uint64_t>(view) * 0x9E3779B97F4A7C15ULL;
}

void BatchLoader::build_raw(int64_t begin, int64_t count, Batch& batch) const {
  const int64_t views = options_.views;
  auto* labels = batch.labels.data_ptr<int64_t>();
  auto* ids = batch.ids.data_ptr<int64_t>();
  float* images = nullptr;
  int64_t channels = 0, in_h = 0, in_w = 0, sample_floats = 0;

  for (int64_t k = 0; k < count; ++k) {
    const int64_t index = indices_[begin + k];
    int64_t id = -1;
    try {
      id = dataset_.id(index);
      RawImage image = dataset_.read(index);
      const torch::Tensor& pixels = image.pixels;
      if (!pixels.defined() || pixels.dim() != 3) throw DataError("expected an image [H, W, C]");
      if (k == 0) {
        // The batch tensor is allocated once, from the first sample's shape; every sample is
        // transformed straight into its slice.
        channels = pixels.size(2);
        in_h = pixels.size(0);
        in_w = pixels.size(1);
        const auto [oh, ow] = transform_.output_size(in_h, in_w);
        batch.images = torch::empty(
            {views * count, channels, oh, ow},
            torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(options_.pin_memory));
        images = batch.images.data_ptr<float>();
        sample_floats = channels * oh * ow;
      } else if (pixels.size(2) != channels ||
                 transform_.output_size(pixels.size(0), pixels.size(1)) !=
                     transform_.output_size(in_h, in_w)) {
        throw DataError("image of shape [" + std::to_string(pixels.size(0)) + ", " +
                        std::to_string(pixels.size(1)) + ", " + std::to_string(pixels.size(2)) +
                        "] does not match the batch's first image [" + std::to_string(in_h) + ", " +
                        std::to_string(in_w) + ", " + std::to_string(channels) + "]");
      }
      for (int64_t v = 0; v < views; ++v) {
        SampleRng rng(view_seed(v), options_.epoch, id);
        transform_.apply(image, rng, images + (v * count + k) * sample_floats);
      }
      labels[k] = dataset_.label(index);
      ids[k] = id;
    } catch (const std::exception& e) {
      throw DataError(dataset_.name() + ": sample id " +
                      (id >= 0 ? std::to_string(id) : std::string("?")) + " (index " +
                      std::to_string(index) + "): " + e.what());
    }
  }
}

ImageBatchSource::ImageBatchSource(const Dataset& dataset, Transform transform)
    : dataset_(dataset), transform_(std::move(transform)) {}

std::unique_ptr<BatchStream> ImageBatchSource::open(std::vector<int64_t> indices,
                                                    const LoaderOptions& options) const {
  return std::make_unique<BatchLoader>(dataset_, std::move(indices), transform_, options);
}

}  // namespace fct::data
