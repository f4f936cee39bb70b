#include "framework/losses/contrastive_loss.h"

#include "framework/core/error.h"

namespace fct::losses {
namespace {

// Cosine similarities with the diagonal (each row with itself) masked out, and each row's
// positive: row i pairs with i + B, row i + B with i.
std::pair<torch::Tensor, torch::Tensor> similarities_and_positives(const torch::Tensor& z) {
  if (z.dim() != 2 || z.size(0) % 2 != 0 || z.size(0) < 2)
    throw Error("nt_xent: expected projections [2B, p] with B >= 1, found " +
                std::to_string(z.dim() == 2 ? z.size(0) : -1) + " rows");
  const int64_t n = z.size(0);
  const int64_t b = n / 2;
  const auto normalised = torch::nn::functional::normalize(
      z, torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-12));
  auto similarity = normalised.matmul(normalised.t());
  const auto self = torch::eye(n, torch::TensorOptions().dtype(torch::kBool).device(z.device()));
  similarity = similarity.masked_fill(self, -std::numeric_limits<float>::infinity());
  const auto index =
      torch::arange(n, torch::TensorOptions().dtype(torch::kInt64).device(z.device()));
  const auto positives = torch::remainder(index + b, n);
  return {similarity, positives};
}

}  // namespace

torch::Tensor nt_xent_loss(const torch::Tensor& projections, double temperature) {
  if (!(temperature > 0)) throw Error("nt_xent: temperature must be positive");
  auto [similarity, positives] = similarities_and_positives(projections);
  // Softmax cross-entropy over the 2B - 1 others, the positive as the target class.
  return torch::nn::functional::cross_entropy(similarity / temperature, positives);
}

double nt_xent_pair_accuracy(const torch::Tensor& projections) {
  torch::NoGradGuard no_grad;
  auto [similarity, positives] = similarities_and_positives(projections);
  return similarity.argmax(1).eq(positives).to(torch::kFloat64).mean().item<double>();
}

}  // namespace fct::losses
