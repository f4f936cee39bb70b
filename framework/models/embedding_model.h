// EmbeddingModel: backbone -> embedding (d) -> bias-free linear classifier, the model shape of
// the FCT protocol (../shared/fct-protocol.md §2). Every model fct trains is one of these.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "framework/config/experiment_config.h"

namespace fct::models {

struct EmbeddingOutput {
  torch::Tensor embedding;  // [B, d]
  torch::Tensor logits;     // [B, num_classes]
};

class EmbeddingModelImpl : public torch::nn::Module {
 public:
  // `backbone` maps images to [B, d] embeddings (it includes the embedding head). num_classes 0:
  // no classifier (a model imported from PyTorch brings only its embeddings).
  EmbeddingModelImpl(torch::nn::AnyModule backbone, int64_t embedding_dim, int64_t num_classes);

  EmbeddingOutput forward(torch::Tensor images);
  torch::Tensor embed(torch::Tensor images);

  int64_t embedding_dim() const { return embedding_dim_; }
  int64_t num_classes() const { return num_classes_; }
  bool has_classifier() const { return !classifier_.is_empty(); }
  // Null without a classifier (has_classifier()).
  torch::nn::Linear& classifier() { return classifier_; }
  torch::nn::AnyModule& backbone() { return backbone_; }

 private:
  torch::nn::AnyModule backbone_;
  torch::nn::Linear classifier_{nullptr};
  int64_t embedding_dim_;
  int64_t num_classes_;
};
TORCH_MODULE(EmbeddingModel);

// Builds the model named by config.arch (registry in model_registry.h) for images with
// `in_channels` channels and a classifier over `num_classes` classes.
EmbeddingModel make_embedding_model(const config::ModelConfig& config, int64_t in_channels,
                                    int64_t num_classes);
std::vector<std::string> model_names();

}  // namespace fct::models
