#include "framework/losses/contrastive_loss.h"

#include "framework/core/error.h"

namespace fct::losses {
namespace {

void check_two_view_layout(const torch::Tensor& z) {
  if (z.dim() != 2 || z.size(0) % 2 != 0 || z.size(0) < 2)
    throw Error("nt_xent: expected projections [2B, p] with B >= 1, found " +
                std::to_string(z.dim() == 2 ? z.size(0) : -1) + " rows");
}

// Cosine similarities of the anchor rows to every row, each anchor's own column masked out, and
// each anchor's positive: row i pairs with i + B, row i + B with i.
std::pair<torch::Tensor, torch::Tensor> similarities_and_positives(const torch::Tensor& z,
                                                                   const torch::Tensor& anchors) {
  check_two_view_layout(z);
  const int64_t n = z.size(0);
  const auto normalised = torch::nn::functional::normalize(
      z, torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-12));
  auto similarity = normalised.index_select(0, anchors).matmul(normalised.t());
  const auto self =
      torch::zeros_like(similarity, torch::kBool).scatter_(1, anchors.unsqueeze(1), true);
  similarity = similarity.masked_fill(self, -std::numeric_limits<float>::infinity());
  return {similarity, torch::remainder(anchors + n / 2, n)};
}

torch::Tensor every_row(const torch::Tensor& z) {
  return torch::arange(z.size(0), torch::TensorOptions().dtype(torch::kInt64).device(z.device()));
}

}  // namespace

torch::Tensor nt_xent_loss_of_anchors(const torch::Tensor& projections,
                                      const torch::Tensor& anchors, double temperature) {
  if (!(temperature > 0)) throw Error("nt_xent: temperature must be positive");
  auto [similarity, positives] = similarities_and_positives(projections, anchors);
  // Softmax cross-entropy over the 2B - 1 others, the positive as the target class.
  return torch::nn::functional::cross_entropy(similarity / temperature, positives);
}

torch::Tensor nt_xent_loss(const torch::Tensor& projections, double temperature) {
  check_two_view_layout(projections);
  return nt_xent_loss_of_anchors(projections, every_row(projections), temperature);
}

double nt_xent_pair_accuracy(const torch::Tensor& projections) {
  torch::NoGradGuard no_grad;
  check_two_view_layout(projections);
  auto [similarity, positives] = similarities_and_positives(projections, every_row(projections));
  return similarity.argmax(1).eq(positives).to(torch::kFloat64).mean().item<double>();
}

}  // namespace fct::losses
