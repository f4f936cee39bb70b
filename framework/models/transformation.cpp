#include "framework/models/transformation.h"

#include "framework/core/error.h"

namespace fct::models {
namespace {

void add_block(torch::nn::Sequential& sequence, int64_t in, int64_t out) {
  sequence->push_back(torch::nn::Linear(in, out));
  sequence->push_back(torch::nn::BatchNorm1d(out));
  sequence->push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
}

torch::nn::Sequential branch(int64_t in, int64_t new_dim) {
  torch::nn::Sequential sequence;
  add_block(sequence, in, 2 * in);
  add_block(sequence, 2 * in, 2 * new_dim);
  return sequence;
}

}  // namespace

TransformationImpl::TransformationImpl(const TransformationSpec& spec) : spec_(spec) {
  if (spec_.old_dim <= 0 || spec_.new_dim <= 0 || spec_.inner_width <= 0 ||
      (spec_.side_info && spec_.side_dim <= 0))
    throw Error("transformation: dimensions must be positive (old " +
                std::to_string(spec_.old_dim) + ", side " + std::to_string(spec_.side_dim) +
                ", new " + std::to_string(spec_.new_dim) + ", inner " +
                std::to_string(spec_.inner_width) + ")");
  // Without side-info, φ_old feeds the side branch too (the official code's choice, so that the
  // two variants differ only in their input).
  if (!spec_.side_info) spec_.side_dim = spec_.old_dim;
  old_branch_ = register_module("old_branch", branch(spec_.old_dim, spec_.new_dim));
  side_branch_ = register_module("side_branch", branch(spec_.side_dim, spec_.new_dim));
  torch::nn::Sequential mixer;
  add_block(mixer, 4 * spec_.new_dim, spec_.inner_width);
  add_block(mixer, spec_.inner_width, spec_.inner_width);
  mixer->push_back(torch::nn::Linear(spec_.inner_width, spec_.new_dim));
  mixer_ = register_module("mixer", mixer);
  if (spec_.uncertainty)
    sigma_head_ = register_module("sigma_head", torch::nn::Linear(spec_.new_dim, 1));
}

torch::Tensor TransformationImpl::forward(const torch::Tensor& old_embedding,
                                          const torch::Tensor& side_info) {
  if (old_embedding.dim() != 2 || old_embedding.size(1) != spec_.old_dim)
    throw Error("transformation: expected old embeddings [B, " + std::to_string(spec_.old_dim) +
                "], found " +
                std::to_string(old_embedding.dim() == 2 ? old_embedding.size(1) : -1) + " columns");
  const torch::Tensor& side = spec_.side_info ? side_info : old_embedding;
  if (!side.defined() || side.dim() != 2 || side.size(1) != spec_.side_dim ||
      side.size(0) != old_embedding.size(0))
    throw Error("transformation: expected side-information [" +
                std::to_string(old_embedding.size(0)) + ", " + std::to_string(spec_.side_dim) +
                "]");
  const auto joined =
      torch::cat({old_branch_->forward(old_embedding), side_branch_->forward(side)}, 1);
  return mixer_->forward(joined);
}

TransformationOutput TransformationImpl::forward_with_sigma(const torch::Tensor& old_embedding,
                                                            const torch::Tensor& side_info) {
  TransformationOutput out;
  out.embedding = forward(old_embedding, side_info);
  if (sigma_head_) out.sigma = sigma_head_->forward(out.embedding).squeeze(1);
  return out;
}

void TransformationImpl::freeze_batchnorm() {
  for (auto& module : modules(/*include_self=*/false))
    if (module->as<torch::nn::BatchNorm1d>()) module->eval();
}

}  // namespace fct::models
