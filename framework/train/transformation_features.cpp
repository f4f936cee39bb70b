#include "framework/train/transformation_features.h"

#include "framework/core/error.h"
#include "framework/data/transforms.h"
#include "framework/models/inference_batch.h"
#include "framework/store/store_reader.h"
#include "framework/store/store_writer.h"

namespace fct::train {
namespace {

// Throws unless the file's attribute `key` is `expected` (what h is being trained against).
void require_hash(const store::StoreReader& reader, const std::string& path, const std::string& key,
                  const std::string& expected, const std::string& what) {
  const std::string found = reader.attribute(key);
  if (found != expected)
    throw Error(path + " holds features of a different " + what + " (its " + key + " is " + found +
                ", the model file's hash is " + expected +
                "); recompute it with the current models");
}

int64_t views_of(const store::StoreReader& reader, const std::string& path) {
  const std::string text = reader.attribute(store::attribute::kViews);
  std::size_t used = 0;
  int64_t views = 0;
  try {
    views = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || views <= 0)
    throw Error("feature cache " + path + ": attribute 'views' is '" + text +
                "', expected a positive integer");
  if (reader.rows() % views != 0)
    throw Error("feature cache " + path + ": " + std::to_string(reader.rows()) +
                " rows are not a whole number of " + std::to_string(views) + " views");
  return views;
}

}  // namespace

ModelFeatures::ModelFeatures(models::EmbeddingModel old_model, models::SimclrModel side_info,
                             models::EmbeddingModel new_model, torch::Device device)
    : old_model_(std::move(old_model)),
      side_info_(std::move(side_info)),
      new_model_(std::move(new_model)),
      device_(device) {
  old_model_->to(device_);
  old_model_->eval();
  new_model_->to(device_);
  new_model_->eval();
  if (side_info_) {
    side_info_->to(device_);
    side_info_->eval();
  }
}

TransformationInputs ModelFeatures::get(const data::Batch& batch) {
  torch::NoGradGuard no_grad;
  const auto images = batch.images.to(device_, /*non_blocking=*/true);
  TransformationInputs inputs;
  // In slices that stay in the cache (models/inference_batch.h).
  const auto sliced = [&](torch::nn::AnyModule& backbone, auto& model) {
    return models::forward_in_slices(
        backbone, images, [&](const torch::Tensor& slice) { return model->embed(slice); });
  };
  inputs.old_embedding = sliced(old_model_->backbone(), old_model_);
  if (side_info_) inputs.side_info = sliced(side_info_->backbone(), side_info_);
  inputs.target = sliced(new_model_->backbone(), new_model_);
  return inputs;
}

CachedFeatures::CachedFeatures(torch::Tensor old_embedding, torch::Tensor side_info,
                               torch::Tensor target, uint64_t seed, torch::Device device)
    : seed_(seed), device_(device) {
  if (old_embedding.dim() != 3 || target.dim() != 3 ||
      old_embedding.sizes().slice(0, 2) != target.sizes().slice(0, 2) ||
      (side_info.defined() && (side_info.dim() != 3 ||
                               side_info.sizes().slice(0, 2) != old_embedding.sizes().slice(0, 2))))
    throw Error("cached features: expected [views, rows, dim] tensors with equal views and rows");
  old_ = old_embedding.to(device_, torch::kFloat32).contiguous();
  target_ = target.to(device_, torch::kFloat32).contiguous();
  if (side_info.defined()) side_ = side_info.to(device_, torch::kFloat32).contiguous();
}

TransformationInputs CachedFeatures::get(const data::Batch& batch) {
  const auto batch_rows = batch.ids.to(torch::kCPU).contiguous();
  const int64_t n = batch_rows.size(0);
  auto flat = torch::empty({n}, torch::kInt64);
  const auto* row = batch_rows.data_ptr<int64_t>();
  auto* index = flat.data_ptr<int64_t>();
  const int64_t k = views();
  for (int64_t i = 0; i < n; ++i) {
    if (row[i] < 0 || row[i] >= rows()) throw Error("cached features: row out of range");
    int64_t view = 0;
    if (k > 1) {
      data::SampleRng rng(seed_, batch.epoch, row[i]);
      view = rng.integer(0, k - 1);
    }
    index[i] = view * rows() + row[i];
  }
  const auto at = flat.to(device_);
  TransformationInputs inputs;
  inputs.old_embedding = old_.flatten(0, 1).index_select(0, at);
  if (side_.defined()) inputs.side_info = side_.flatten(0, 1).index_select(0, at);
  inputs.target = target_.flatten(0, 1).index_select(0, at);
  return inputs;
}

std::unique_ptr<CachedFeatures> CachedFeatures::from_cache(const std::string& path,
                                                           const FeatureSources& sources,
                                                           uint64_t seed, torch::Device device) {
  const store::StoreReader reader(path);
  const int64_t views = views_of(reader, path);
  require_hash(reader, path, store::attribute::kModelHash, sources.old_model_hash, "old model");
  require_hash(reader, path, store::attribute::kTargetModelHash, sources.new_model_hash,
               "new model");
  if (reader.has_column("side_info"))
    require_hash(reader, path, store::attribute::kSideInfoModelHash, sources.side_info_model_hash,
                 "side-information model");
  if (!reader.has_column(store::kTarget))
    throw Error("feature cache " + path + " has no 'target' column (φ_new features)");
  const auto rows = reader.read_all();
  const int64_t n = reader.rows() / views;
  const auto shape = [&](const torch::Tensor& t) { return t.reshape({views, n, t.size(1)}); };
  auto cached = std::make_unique<CachedFeatures>(
      shape(rows.embeddings), rows.side_info.defined() ? shape(rows.side_info) : torch::Tensor(),
      shape(rows.extra.at(store::kTarget)), seed, device);
  cached->labels_ = rows.labels.slice(0, 0, n).contiguous();
  return cached;
}

std::unique_ptr<CachedFeatures> CachedFeatures::from_stores(const std::string& old_store,
                                                            const std::string& new_store,
                                                            const FeatureSources& sources,
                                                            torch::Device device) {
  const store::StoreReader old_reader(old_store);
  const store::StoreReader new_reader(new_store);
  require_hash(old_reader, old_store, store::attribute::kModelHash, sources.old_model_hash,
               "old model");
  if (old_reader.has_column("side_info"))
    require_hash(old_reader, old_store, store::attribute::kSideInfoModelHash,
                 sources.side_info_model_hash, "side-information model");
  require_hash(new_reader, new_store, store::attribute::kModelHash, sources.new_model_hash,
               "new model");
  const auto old_rows = old_reader.read_all();
  const auto new_rows = new_reader.read_all();
  if (!old_rows.ids.equal(new_rows.ids))
    throw Error("stores " + old_store + " and " + new_store +
                " do not hold the same samples in the same order");
  auto cached = std::make_unique<CachedFeatures>(
      old_rows.embeddings.unsqueeze(0),
      old_rows.side_info.defined() ? old_rows.side_info.unsqueeze(0) : torch::Tensor(),
      new_rows.embeddings.unsqueeze(0), /*seed=*/0, device);
  cached->labels_ = old_rows.labels.contiguous();
  return cached;
}

}  // namespace fct::train
