#include "framework/models/simclr_model.h"

#include "framework/core/error.h"
#include "framework/models/model_registry.h"

namespace fct::models {

SimclrModelImpl::SimclrModelImpl(const config::ModelConfig& config, int64_t in_channels,
                                 int64_t projection_dim)
    : side_info_dim_(config.embedding_dim) {
  if (projection_dim < 0)
    throw Error("SimCLR model: projection_dim must not be negative, found " +
                std::to_string(projection_dim));
  backbone_ = model_registry().get(config.arch)(config, in_channels);
  register_module("backbone", backbone_.ptr());
  if (projection_dim == 0) return;
  const int64_t s = config.embedding_dim;
  projection_ = register_module(
      "projection", torch::nn::Sequential(torch::nn::Linear(s, s), torch::nn::BatchNorm1d(s),
                                          torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)),
                                          torch::nn::Linear(s, projection_dim)));
}

torch::Tensor SimclrModelImpl::embed(torch::Tensor images) {
  return backbone_.forward<torch::Tensor>(std::move(images));
}

torch::Tensor SimclrModelImpl::forward(torch::Tensor images) {
  if (!projection_)
    throw Error("SimCLR model without a projection head (an imported ψ) cannot be trained");
  return projection_->forward(embed(std::move(images)));
}

}  // namespace fct::models
