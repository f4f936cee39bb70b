// Backfilling orders (fct-protocol.md §5): which gallery items receive their new-model embedding
// first when a transformed gallery is re-embedded from images a budget at a time. An order is a
// permutation of the gallery's rows, int64 [N], first to re-embed first. Orders are registered by
// name so that YAML and `fct backfill plan --order` select them:
//   random    a seeded random permutation (FCT's baseline)
//   sigma     descending predicted uncertainty σ of h (FastFill; needs only stored vectors)
//   distance  descending ‖φ_new(x) − h(x)‖ (an oracle: needs every item's new embedding)
// Ties (equal σ or distance) go to the lower row first, so an order is a function of its inputs.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "framework/core/registry.h"

namespace fct::eval {

// What the orders read; each order needs only some fields (order_needs says which).
struct OrderInputs {
  int64_t rows = 0;
  uint64_t seed = 0;          // random
  torch::Tensor sigma;        // float [N] or [N, 1]: σ of every item (sigma)
  torch::Tensor transformed;  // float [N, d]: h(φ_old, ψ) of every item (distance)
  torch::Tensor updated;      // float [N, d]: φ_new of the same items, same rows (distance)
};

enum class OrderNeed { kNothing, kSigma, kNewEmbeddings };

struct BackfillOrder {
  OrderNeed needs = OrderNeed::kNothing;
  bool seeded = false;  // the order depends on OrderInputs::seed
  std::string description;
  std::function<torch::Tensor(const OrderInputs&)> compute;  // int64 [rows]
};

const Registry<BackfillOrder>& backfill_orders();

// The order `name` over inputs.rows items (int64 [rows], a permutation of 0..rows-1). Throws
// fct::Error for an unknown name or when an input the order needs is missing or has the wrong
// shape (the message names the order and the input).
torch::Tensor compute_backfill_order(const std::string& name, const OrderInputs& inputs);

// Throws fct::Error unless `order` is an int64 [rows] permutation of 0..rows-1 (`what` names it).
void check_permutation(const torch::Tensor& order, int64_t rows, const std::string& what);

}  // namespace fct::eval
