// Runs under mpirun: NT-Xent across ranks equals NT-Xent on the whole global batch — the mean of
// the ranks' losses is its value, and W times each rank's gradient (what gradient averaging
// divides by W) is its gradient for that rank's rows.
#include <gtest/gtest.h>

#include "framework/distributed/communicator.h"
#include "framework/losses/contrastive_loss.h"
#include "framework/losses/cross_rank_contrastive_loss.h"

namespace fct::losses {
namespace {

TEST(NtXentAcrossRanks, EqualsTheLossOfTheGlobalBatch) {
  auto comm = distributed::make_communicator("mpi", {});
  const int64_t world = comm->size(), rank = comm->rank();
  const int64_t b = 5, p = 7;
  const double temperature = 0.3;
  torch::manual_seed(11);  // every rank draws the whole global batch, then takes its share
  const auto views = torch::randn({world, 2, b, p});

  auto mine = torch::cat({views[rank][0], views[rank][1]}).requires_grad_(true);
  const auto loss = nt_xent_loss_across_ranks(mine, temperature, *comm);
  loss.backward();

  auto global = torch::cat({views.select(1, 0).reshape({world * b, p}),
                            views.select(1, 1).reshape({world * b, p})})
                    .requires_grad_(true);
  const auto reference = nt_xent_loss(global, temperature);
  reference.backward();

  auto mean_loss = loss.detach().clone().reshape({1});
  comm->all_reduce(mean_loss);
  EXPECT_NEAR(mean_loss.item<double>() / static_cast<double>(world), reference.item<double>(),
              1e-5);
  const auto rows = torch::cat({torch::arange(rank * b, rank * b + b),
                                torch::arange((world + rank) * b, (world + rank + 1) * b)});
  const auto expected = global.grad().index_select(0, rows) * static_cast<double>(world);
  EXPECT_TRUE(torch::allclose(mine.grad(), expected, 1e-4, 1e-6))
      << "max difference " << (mine.grad() - expected).abs().max().item<double>();
  // Negatives from the other ranks matter: the local loss differs from the global one.
  if (world > 1)
    EXPECT_GT(
        std::abs(nt_xent_loss(mine.detach(), temperature).item<double>() - loss.item<double>()),
        1e-4);
}

}  // namespace
}  // namespace fct::losses
