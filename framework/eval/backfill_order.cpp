#include "framework/eval/backfill_order.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "framework/core/error.h"

namespace fct::eval {
namespace {

// Rows by descending key, ties to the lower row (a stable sort of the rows).
torch::Tensor descending(const torch::Tensor& key) {
  const torch::Tensor values = key.to(torch::kCPU, torch::kFloat64).contiguous();
  const double* v = values.data_ptr<double>();
  const int64_t n = values.numel();
  std::vector<int64_t> rows(static_cast<size_t>(n));
  std::iota(rows.begin(), rows.end(), 0);
  std::stable_sort(rows.begin(), rows.end(), [v](int64_t a, int64_t b) { return v[a] > v[b]; });
  return torch::tensor(rows, torch::kInt64);
}

void check_finite(const torch::Tensor& t, const std::string& what) {
  if (t.numel() > 0 && !torch::isfinite(t).all().item<bool>())
    throw DataError(what + " contains NaN or infinite values");
}

torch::Tensor random_order(const OrderInputs& inputs) {
  // Fisher–Yates over a 64-bit Mersenne Twister: the same permutation for a seed on every
  // platform (std::shuffle's algorithm is the library's choice).
  std::mt19937_64 rng(inputs.seed);
  std::vector<int64_t> rows(static_cast<size_t>(inputs.rows));
  std::iota(rows.begin(), rows.end(), 0);
  for (int64_t i = inputs.rows - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
    std::swap(rows[static_cast<size_t>(i)], rows[static_cast<size_t>(j)]);
  }
  return torch::tensor(rows, torch::kInt64);
}

torch::Tensor sigma_order(const OrderInputs& inputs) {
  const torch::Tensor& sigma = inputs.sigma;
  if (!sigma.defined())
    throw Error(
        "backfill order 'sigma' needs the σ of every item (a store upgraded by an h "
        "trained with uncertainty: transformation.uncertainty: true)");
  const bool shape_ok = (sigma.dim() == 1 && sigma.size(0) == inputs.rows) ||
                        (sigma.dim() == 2 && sigma.size(0) == inputs.rows && sigma.size(1) == 1);
  if (!shape_ok)
    throw DataError("backfill order 'sigma': σ must be [" + std::to_string(inputs.rows) + "] or [" +
                    std::to_string(inputs.rows) + ", 1], one per item");
  check_finite(sigma, "backfill order 'sigma': σ");
  return descending(sigma.reshape({-1}));
}

torch::Tensor distance_order(const OrderInputs& inputs) {
  if (!inputs.transformed.defined() || !inputs.updated.defined())
    throw Error(
        "backfill order 'distance' needs both the transformed embeddings h(x) and the new "
        "model's embeddings φ_new(x) of every item (it is an oracle)");
  for (const auto* t : {&inputs.transformed, &inputs.updated})
    if (t->dim() != 2 || t->size(0) != inputs.rows)
      throw DataError("backfill order 'distance': embeddings must be [" +
                      std::to_string(inputs.rows) + ", d]");
  if (inputs.transformed.size(1) != inputs.updated.size(1))
    throw DataError("backfill order 'distance': transformed embeddings have " +
                    std::to_string(inputs.transformed.size(1)) + " columns, new ones " +
                    std::to_string(inputs.updated.size(1)));
  const auto difference = inputs.updated.to(torch::kCPU, torch::kFloat64) -
                          inputs.transformed.to(torch::kCPU, torch::kFloat64);
  check_finite(difference, "backfill order 'distance': embeddings");
  return descending(difference.pow(2).sum(1));
}

}  // namespace

const Registry<BackfillOrder>& backfill_orders() {
  static const Registry<BackfillOrder> registry(
      "backfill order",
      {{"random", {OrderNeed::kNothing, true, "seeded random permutation (FCT)", random_order}},
       {"sigma",
        {OrderNeed::kSigma, false, "descending uncertainty σ of h (FastFill)", sigma_order}},
       {"distance",
        {OrderNeed::kNewEmbeddings, false, "descending |φ_new − h| (oracle)", distance_order}}});
  return registry;
}

torch::Tensor compute_backfill_order(const std::string& name, const OrderInputs& inputs) {
  const auto& order = backfill_orders().get(name);
  if (inputs.rows < 0) throw Error("backfill order '" + name + "': negative row count");
  auto result = order.compute(inputs);
  check_permutation(result, inputs.rows, "backfill order '" + name + "'");
  return result;
}

void check_permutation(const torch::Tensor& order, int64_t rows, const std::string& what) {
  if (!order.defined() || order.dim() != 1 || order.size(0) != rows ||
      order.scalar_type() != torch::kInt64)
    throw DataError(what + " must be an int64 [" + std::to_string(rows) + "] permutation");
  const auto values = order.to(torch::kCPU).contiguous();
  const int64_t* v = values.data_ptr<int64_t>();
  std::vector<char> seen(static_cast<size_t>(rows), 0);
  for (int64_t i = 0; i < rows; ++i) {
    if (v[i] < 0 || v[i] >= rows || seen[static_cast<size_t>(v[i])])
      throw DataError(what + ": entry " + std::to_string(i) + " (" + std::to_string(v[i]) +
                      ") is out of range or repeats: not a permutation of 0.." +
                      std::to_string(rows - 1));
    seen[static_cast<size_t>(v[i])] = 1;
  }
}

}  // namespace fct::eval
