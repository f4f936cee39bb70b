#include "framework/models/embedding_model.h"

#include "framework/core/error.h"
#include "framework/models/model_registry.h"

namespace fct::models {

EmbeddingModelImpl::EmbeddingModelImpl(torch::nn::AnyModule backbone, int64_t embedding_dim,
                                       int64_t num_classes)
    : backbone_(std::move(backbone)), embedding_dim_(embedding_dim), num_classes_(num_classes) {
  if (embedding_dim <= 0 || num_classes < 0)
    throw Error(
        "embedding model: embedding_dim must be positive and num_classes not negative, "
        "found " +
        std::to_string(embedding_dim) + " and " + std::to_string(num_classes));
  register_module("backbone", backbone_.ptr());
  if (num_classes == 0) return;
  // The protocol's classifier has no bias (fct-protocol.md §2).
  classifier_ = register_module(
      "classifier",
      torch::nn::Linear(torch::nn::LinearOptions(embedding_dim, num_classes).bias(false)));
}

torch::Tensor EmbeddingModelImpl::embed(torch::Tensor images) {
  return backbone_.forward<torch::Tensor>(std::move(images));
}

EmbeddingOutput EmbeddingModelImpl::forward(torch::Tensor images) {
  EmbeddingOutput output;
  output.embedding = embed(std::move(images));
  output.logits = classifier_ ? classifier_->forward(output.embedding)
                              : output.embedding.new_empty({output.embedding.size(0), 0});
  return output;
}

EmbeddingModel make_embedding_model(const config::ModelConfig& config, int64_t in_channels,
                                    int64_t num_classes) {
  torch::nn::AnyModule backbone = model_registry().get(config.arch)(config, in_channels);
  return EmbeddingModel(std::move(backbone), config.embedding_dim, num_classes);
}

std::vector<std::string> model_names() {
  return model_registry().names();
}

}  // namespace fct::models
