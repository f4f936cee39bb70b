// Where the transformation h gets its inputs and target for a batch: from the frozen models on
// the fly (every batch of images through φ_old, ψ and φ_new, as the paper), or from features
// computed once (CachedFeatures: K augmented views per training image, kept in memory; the fast
// default on small machines, see Note [Cached features]).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

#include "framework/data/batch_source.h"
#include "framework/models/embedding_model.h"
#include "framework/models/simclr_model.h"

namespace fct::train {

struct TransformationInputs {
  torch::Tensor old_embedding;  // φ_old(x) [B, d_old]
  torch::Tensor side_info;      // ψ(x) [B, s]; undefined without a side-information model
  torch::Tensor target;         // φ_new(x) [B, d_new]
};

class TransformationFeatures {
 public:
  virtual ~TransformationFeatures() = default;
  virtual TransformationInputs get(const data::Batch& batch) = 0;
};

// Batches of images through the frozen models (eval mode, no gradients).
class ModelFeatures : public TransformationFeatures {
 public:
  // `side_info` may be null.
  ModelFeatures(models::EmbeddingModel old_model, models::SimclrModel side_info,
                models::EmbeddingModel new_model, torch::Device device);
  TransformationInputs get(const data::Batch& batch) override;

 private:
  models::EmbeddingModel old_model_;
  models::SimclrModel side_info_;
  models::EmbeddingModel new_model_;
  torch::Device device_;
};

// The model files (by hash, models/model_file.h) whose outputs precomputed features must be: a
// cache or store computed by other models would train h against the wrong embeddings silently.
struct FeatureSources {
  std::string old_model_hash;
  std::string side_info_model_hash;
  std::string new_model_hash;
};

// Note [Cached features]
// The frozen models cost far more than h: on the fly, every epoch of h pays three backbone
// forwards per image. The cache pays them once for K augmented views per image (view v is the
// training transform's draw for epoch v, so view 0 is what the on-the-fly feed sees in epoch 0);
// each epoch then picks one of the K views per image from the (seed, epoch, row) stream. With
// K >= the number of epochs it sees as many distinct augmentations as the on-the-fly feed.
class CachedFeatures : public TransformationFeatures {
 public:
  // [K, N, ·] tensors on `device`; `side_info` may be undefined. Batches carry rows in [0, N).
  CachedFeatures(torch::Tensor old_embedding, torch::Tensor side_info, torch::Tensor target,
                 uint64_t seed, torch::Device device);

  // A feature cache written by write_embeddings with K views (feature_extraction.h); throws
  // fct::Error when its attributes name other models than `sources`.
  static std::unique_ptr<CachedFeatures> from_cache(const std::string& path,
                                                    const FeatureSources& sources, uint64_t seed,
                                                    torch::Device device);
  // One view: the embeddings (and side-info) of `old_store` with the embeddings of `new_store`
  // as the target; both stores must hold the same ids in the same order and come from `sources`.
  static std::unique_ptr<CachedFeatures> from_stores(const std::string& old_store,
                                                     const std::string& new_store,
                                                     const FeatureSources& sources,
                                                     torch::Device device);

  int64_t views() const { return old_.size(0); }
  int64_t rows() const { return old_.size(1); }
  const torch::Tensor& labels() const { return labels_; }
  TransformationInputs get(const data::Batch& batch) override;

 private:
  torch::Tensor old_, side_, target_;
  torch::Tensor labels_;  // int64 [N], CPU
  uint64_t seed_;
  torch::Device device_;
};

}  // namespace fct::train
