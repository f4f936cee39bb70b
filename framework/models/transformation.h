// The FCT transformation h (fct-protocol.md §2): (φ_old(x), ψ(x)) -> an estimate of φ_new(x).
// Every block is linear + BatchNorm + ReLU: the old branch d_old -> 2·d_old -> 2·d_new, the side
// branch s -> 2·s -> 2·d_new, their concatenation (4·d_new) through the mixer
// 4·d_new -> W -> W -> d_new, whose last layer is linear with bias only. With `uncertainty`,
// FastFill's second head reads h(x) and predicts one log-variance σ per item (linear d_new -> 1).
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace fct::models {

struct TransformationSpec {
  int64_t old_dim = 128;
  int64_t side_dim = 128;  // with side_info = false: equals old_dim (φ_old feeds both branches)
  int64_t new_dim = 128;
  int64_t inner_width = 2048;
  bool side_info = true;
  bool uncertainty = false;  // the σ head (FastFill)
};

struct TransformationOutput {
  torch::Tensor embedding;  // [B, d_new]
  torch::Tensor sigma;      // [B]; undefined without the σ head
};

class TransformationImpl : public torch::nn::Module {
 public:
  explicit TransformationImpl(const TransformationSpec& spec);

  // old [B, d_old]; side [B, s] (ignored, may be undefined, without side-info).
  torch::Tensor forward(const torch::Tensor& old_embedding, const torch::Tensor& side_info);
  // The embedding and, with the σ head, σ.
  TransformationOutput forward_with_sigma(const torch::Tensor& old_embedding,
                                          const torch::Tensor& side_info);

  // From half-way through training the protocol keeps BatchNorm's running statistics fixed:
  // BatchNorm layers go to eval mode while the rest trains.
  void freeze_batchnorm();

  const TransformationSpec& spec() const { return spec_; }

 private:
  TransformationSpec spec_;
  torch::nn::Sequential old_branch_{nullptr};
  torch::nn::Sequential side_branch_{nullptr};
  torch::nn::Sequential mixer_{nullptr};
  torch::nn::Linear sigma_head_{nullptr};
};
TORCH_MODULE(Transformation);

}  // namespace fct::models
