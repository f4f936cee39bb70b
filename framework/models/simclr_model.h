// The side-information model ψ: a backbone trained by SimCLR. The projection head exists only for
// the contrastive loss; ψ(x) is the backbone's output (fct-protocol.md §1, §3).
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "framework/config/experiment_config.h"

namespace fct::models {

class SimclrModelImpl : public torch::nn::Module {
 public:
  // Backbone `config` (its embedding_dim is the side-info dimension s) and a projection head
  // s -> s -> projection_dim (linear, BatchNorm, ReLU, linear); projection_dim 0: none (a ψ
  // imported from PyTorch, only embedded with).
  SimclrModelImpl(const config::ModelConfig& config, int64_t in_channels, int64_t projection_dim);

  torch::Tensor embed(torch::Tensor images);    // ψ(x), [B, s]
  torch::Tensor forward(torch::Tensor images);  // projections [B, projection_dim]
  int64_t side_info_dim() const { return side_info_dim_; }
  torch::nn::AnyModule& backbone() { return backbone_; }

 private:
  torch::nn::AnyModule backbone_;
  torch::nn::Sequential projection_{nullptr};
  int64_t side_info_dim_;
};
TORCH_MODULE(SimclrModel);

}  // namespace fct::models
