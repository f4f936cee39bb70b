// Backfilling curves under mpirun: every rank returns the single-process curve exactly.
#include <gtest/gtest.h>

#include "framework/distributed/communicator.h"
#include "framework/eval/backfill_curve.h"
#include "framework/eval/backfill_order.h"

namespace fct::eval {
namespace {

TEST(BackfillCurveMpi, EveryRankReturnsTheSingleProcessCurve) {
  distributed::CommunicatorOptions comm_options;
  comm_options.timeout_s = 120.0;
  auto comm = distributed::make_communicator("mpi", comm_options);
  ASSERT_GE(comm->size(), 2);
  const int64_t n = 157, d = 6;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(4);
  const auto labels = torch::randint(0, 5, {n}, generator, torch::kInt64);
  const auto ids = torch::arange(n, torch::kInt64);
  const EmbeddingSet query{torch::randn({n, d}, generator), labels, ids};
  const EmbeddingSet before{torch::randn({n, d}, generator), labels, ids};
  const EmbeddingSet old_set{torch::randn({n, d}, generator), labels, ids};
  OrderInputs inputs;
  inputs.rows = n;
  inputs.sigma = torch::randn({n}, generator);
  const auto order = compute_backfill_order("sigma", inputs);
  BackfillCurveOptions options;
  options.retrieval.block_size = 9;
  const auto reference = evaluate_retrieval(*comm, old_set, old_set, options.retrieval);
  const auto distributed =
      evaluate_backfill_curve(*comm, query, before, query, order, options, &reference);
  const auto local = evaluate_backfill_curve(query, before, query, order, options, &reference);
  EXPECT_EQ(distributed.top1, local.top1);
  EXPECT_EQ(distributed.top5, local.top5);
  EXPECT_EQ(distributed.mAP, local.mAP);
  EXPECT_EQ(distributed.negative_flips, local.negative_flips);
  EXPECT_EQ(distributed.queries, local.queries);
}

}  // namespace
}  // namespace fct::eval
