// Retrieval evaluation under mpirun: every rank passes the full sets, evaluates its slice of the
// queries, and every rank must return exactly the single-process result (figures and per-query
// tensors), for tie-heavy and float embeddings, both distances, and fewer queries than ranks.
#include <gtest/gtest.h>

#include "framework/distributed/communicator.h"
#include "framework/eval/retrieval.h"

namespace fct::eval {
namespace {

std::unique_ptr<distributed::Communicator> make_mpi() {
  distributed::CommunicatorOptions options;
  options.timeout_s = 120.0;
  return distributed::make_communicator("mpi", options);
}

// The same data on every rank: a fixed seed, generated locally.
EmbeddingSet make_set(int64_t n, int64_t d, int64_t classes, int64_t first_id, uint64_t seed,
                      bool integer_valued) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::Tensor embeddings = integer_valued
                                 ? torch::randint(-1, 2, {n, d}, generator, torch::kFloat32)
                                 : torch::randn({n, d}, generator, torch::kFloat32);
  return {embeddings, torch::randint(0, classes, {n}, generator, torch::kInt64),
          torch::arange(first_id, first_id + n, torch::kInt64)};
}

void expect_same(const RetrievalResult& got, const RetrievalResult& want) {
  EXPECT_EQ(got.queries, want.queries);
  EXPECT_EQ(got.top1, want.top1);
  EXPECT_EQ(got.top5, want.top5);
  EXPECT_EQ(got.mAP, want.mAP);
  EXPECT_TRUE(torch::equal(got.top1_correct, want.top1_correct));
  EXPECT_TRUE(torch::equal(got.evaluated, want.evaluated));
  EXPECT_TRUE(torch::equal(got.average_precision, want.average_precision));
  EXPECT_TRUE(torch::equal(got.first_positive_rank, want.first_positive_rank));
}

TEST(RetrievalMpi, EveryRankReturnsTheSingleProcessResult) {
  auto comm = make_mpi();
  ASSERT_GE(comm->size(), 2);
  for (bool integer_valued : {true, false}) {
    const auto same = make_set(203, 5, 6, 0, 11, integer_valued);
    const auto gallery = make_set(150, 5, 5, 0, 12, integer_valued);
    const auto query = make_set(101, 5, 6, 70, 13, integer_valued);  // label 5: skipped queries
    for (Distance distance : {Distance::kL2, Distance::kCosine}) {
      for (int64_t block : {0, 1, 7}) {
        SCOPED_TRACE("integer=" + std::to_string(integer_valued) +
                     " distance=" + config::name_of(distance) + " block=" + std::to_string(block));
        RetrievalOptions options;
        options.distance = distance;
        options.block_size = block;
        const auto local_same = evaluate_retrieval(same, same, options);
        const auto dist_same = evaluate_retrieval(*comm, same, same, options);
        EXPECT_GT(dist_same.queries, 0);
        expect_same(dist_same, local_same);
        const auto local = evaluate_retrieval(query, gallery, options);
        const auto distributed = evaluate_retrieval(*comm, query, gallery, options);
        EXPECT_LT(distributed.queries, 101);
        expect_same(distributed, local);
      }
    }
  }
}

TEST(RetrievalMpi, FewerQueriesThanRanksAndEmptyGallery) {
  auto comm = make_mpi();
  const auto gallery = make_set(40, 3, 2, 0, 21, true);
  const auto one = make_set(1, 3, 2, 5, 22, true);  // id 5 is in the gallery: left out
  expect_same(evaluate_retrieval(*comm, one, gallery), evaluate_retrieval(one, gallery));
  const auto empty = make_set(0, 3, 2, 0, 23, true);
  const auto none = evaluate_retrieval(*comm, empty, gallery);
  EXPECT_EQ(none.queries, 0);
  EXPECT_EQ(none.evaluated.numel(), 0);
  const auto no_gallery = evaluate_retrieval(*comm, one, empty);
  EXPECT_EQ(no_gallery.queries, 0);
  EXPECT_EQ(no_gallery.evaluated.numel(), 1);
}

TEST(RetrievalMpi, NegativeFlipRateAgreesAcrossRanks) {
  auto comm = make_mpi();
  const auto old_set = make_set(120, 4, 4, 0, 31, false);
  auto new_set = old_set;
  new_set.embeddings = old_set.embeddings + 0.8 * make_set(120, 4, 4, 0, 32, false).embeddings;
  const auto old_old = evaluate_retrieval(*comm, old_set, old_set);
  const auto new_old = evaluate_retrieval(*comm, new_set, old_set);
  const double rate = negative_flip_rate(old_old, new_old);
  EXPECT_EQ(rate, negative_flip_rate(evaluate_retrieval(old_set, old_set),
                                     evaluate_retrieval(new_set, old_set)));
  EXPECT_GT(rate, 0.0);
  // Every rank holds the same figure.
  auto gathered = comm->all_gather(torch::tensor({rate}, torch::kFloat64));
  EXPECT_TRUE(torch::equal(gathered, torch::full_like(gathered, rate)));
}

}  // namespace
}  // namespace fct::eval
