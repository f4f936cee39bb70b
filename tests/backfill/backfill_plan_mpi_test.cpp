// Under mpirun (2 and 3 ranks): run_backfill_plan on small upgraded galleries written here with
// StoreWriter. The plan adds backfill_position (a permutation: the inverse of the order), and
// embedded_by = 0 and backfill_batch = -1 for every item, keeps every other column and attribute,
// and records the order, the seed and both models' hashes; random is the registered seeded order
// (the same seed, the same plan; planning again replaces the columns), sigma puts the largest σ
// first, distance matches the new store by sample id; and every rank refuses a store without σ
// for sigma, one that is not upgraded, one with items re-embedded already, one in the run cache,
// and options that do not go together, leaving the store as it was.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>
#include <string>
#include <vector>

#include "framework/backfill/backfill_plan.h"
#include "framework/core/error.h"
#include "framework/distributed/communicator.h"
#include "framework/eval/backfill_order.h"
#include "framework/store/store_format.h"
#include "framework/store/store_reader.h"
#include "framework/store/store_writer.h"
#include "tests/mpi_shared_dir.h"
#include "tests/test_support.h"

namespace fct::backfill {
namespace {

namespace fs = std::filesystem;
using fct::testing::mpi_rank;
using fct::testing::SharedDir;

constexpr int64_t kItems = 23;  // divides by neither 2 nor 3 ranks

#define EXPECT_ERROR_NAMING(statement, text)                       \
  try {                                                            \
    statement;                                                     \
    ADD_FAILURE() << #statement " did not throw";                  \
  } catch (const Error& e) {                                       \
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) \
        << "'" << (text) << "' not in: " << e.what();              \
  }

// The gallery's columns: row r has id 100 + r and σ (7 r mod 23), so every σ differs.
struct Gallery {
  torch::Tensor embeddings = torch::arange(kItems * 4, torch::kFloat32).reshape({kItems, 4}) / 8;
  torch::Tensor labels = torch::arange(kItems, torch::kInt64) % 5;
  torch::Tensor ids = torch::arange(kItems, torch::kInt64) + 100;
  torch::Tensor side_info = -torch::arange(kItems * 2, torch::kFloat32).reshape({kItems, 2});
  torch::Tensor sigma =
      (torch::arange(kItems, torch::kInt64) * 7 % kItems).to(torch::kFloat32).reshape({kItems, 1});
};

store::Attributes upgraded_attributes() {
  return {{"model", "h fct_si"},
          {store::attribute::kModelHash, "h-file-hash"},
          {store::attribute::kTargetModelHash, "new-file-hash"},
          {store::attribute::kDataset, "fashion_mnist"},
          {store::attribute::kSplit, "test"}};
}

// A gallery of kItems rows (rank 0 writes them all, the others nothing), with or without σ,
// and with an embedded_by column when one is given.
void write_gallery(distributed::Communicator& comm, const std::string& path, bool with_sigma,
                   const store::Attributes& attributes = upgraded_attributes(),
                   const torch::Tensor& embedded_by = torch::Tensor()) {
  store::StoreLayout layout{kItems, 4, 2, {}};
  if (with_sigma) layout.extra_columns.push_back({store::kSigma, 1});
  if (embedded_by.defined()) layout.extra_columns.push_back({store::kEmbeddedBy, 0});
  store::StoreWriter writer(comm, path, layout, attributes);
  store::StoreRows rows;
  if (comm.rank() == 0) {
    const Gallery g;
    rows.embeddings = g.embeddings;
    rows.labels = g.labels;
    rows.ids = g.ids;
    rows.side_info = g.side_info;
    if (with_sigma) rows.extra[store::kSigma] = g.sigma;
    if (embedded_by.defined()) rows.extra[store::kEmbeddedBy] = embedded_by;
  }
  writer.write_rows(0, rows);
  writer.commit();
}

BackfillPlanJob plan_of(const std::string& path, const std::string& order, uint64_t seed = 0) {
  BackfillPlanJob job;
  job.store_path = path;
  job.order = order;
  job.seed = seed;
  job.chunk_rows = 4;  // several copy rounds, uneven shares
  return job;
}

torch::Tensor positions(const std::string& path) {
  return store::StoreReader(path).read_column(store::kBackfillPosition, 0, kItems);
}

TEST(BackfillPlan, ARandomPlanAddsTheOrdersPositionsAndKeepsEverythingElse) {
  SharedDir dir("fct-backfill-plan");
  auto comm = distributed::make_communicator("mpi", {});
  write_gallery(*comm, dir.file("gallery.h5"), /*with_sigma=*/true);

  const auto summary = run_backfill_plan(plan_of(dir.file("gallery.h5"), "random", 5), *comm);
  EXPECT_EQ(summary.rows, kItems);
  EXPECT_EQ(summary.order, "random");

  const store::StoreReader reader(dir.file("gallery.h5"));
  EXPECT_EQ(reader.layout().extra_columns,
            (std::vector<std::pair<std::string, int64_t>>{{store::kBackfillBatch, 0},
                                                          {store::kBackfillPosition, 0},
                                                          {store::kEmbeddedBy, 0},
                                                          {store::kSigma, 1}}));
  const auto rows = reader.read_all();
  const auto position = rows.extra.at(store::kBackfillPosition);
  ASSERT_EQ(position.scalar_type(), torch::kInt64);
  // A permutation of 0..N-1, and exactly the inverse of the registered order for the seed.
  EXPECT_TRUE(std::get<0>(position.sort()).equal(torch::arange(kItems, torch::kInt64)));
  eval::OrderInputs inputs;
  inputs.rows = kItems;
  inputs.seed = 5;
  const auto order = eval::compute_backfill_order("random", inputs);
  EXPECT_TRUE(position.index_select(0, order).equal(torch::arange(kItems, torch::kInt64)));
  EXPECT_FALSE(position.equal(torch::arange(kItems, torch::kInt64)));  // shuffled
  EXPECT_TRUE(rows.extra.at(store::kEmbeddedBy)
                  .equal(torch::full({kItems}, store::kEmbeddedByTransformation, torch::kInt64)));
  EXPECT_TRUE(rows.extra.at(store::kBackfillBatch)
                  .equal(torch::full({kItems}, int64_t{-1}, torch::kInt64)));

  const Gallery g;
  EXPECT_TRUE(rows.embeddings.equal(g.embeddings));
  EXPECT_TRUE(rows.labels.equal(g.labels));
  EXPECT_TRUE(rows.ids.equal(g.ids));
  EXPECT_TRUE(rows.side_info.equal(g.side_info));
  EXPECT_TRUE(rows.extra.at(store::kSigma).equal(g.sigma));

  const auto& attributes = reader.attributes();
  for (const auto& [key, value] : upgraded_attributes()) EXPECT_EQ(attributes.at(key), value);
  EXPECT_EQ(attributes.at(store::kVersionAttribute), store::kStoreVersion);
  EXPECT_EQ(attributes.at(store::attribute::kBackfillOrder), "random");
  EXPECT_EQ(attributes.at(store::attribute::kBackfillSeed), "5");
  // What 0 and 1 in embedded_by stand for.
  EXPECT_EQ(attributes.at("embedded_by_0"), "h-file-hash");
  EXPECT_EQ(attributes.at(store::embedded_by_attribute(store::kEmbeddedByNewModel)),
            "new-file-hash");
  EXPECT_FALSE(attributes.at(store::attribute::kBackfillPlanned).empty());
  EXPECT_EQ(attributes.count(store::attribute::kBackfillNewStore), 0u);
  EXPECT_EQ(dir.files(), std::vector<std::string>{"gallery.h5"});  // no temporary left behind
}

TEST(BackfillPlan, RandomIsReproduciblePerSeedAndPlanningAgainReplacesThePlan) {
  SharedDir dir("fct-backfill-plan");
  auto comm = distributed::make_communicator("mpi", {});
  for (const char* name : {"a.h5", "b.h5", "c.h5"}) write_gallery(*comm, dir.file(name), false);
  run_backfill_plan(plan_of(dir.file("a.h5"), "random", 5), *comm);
  run_backfill_plan(plan_of(dir.file("b.h5"), "random", 5), *comm);
  run_backfill_plan(plan_of(dir.file("c.h5"), "random", 6), *comm);
  EXPECT_TRUE(positions(dir.file("a.h5")).equal(positions(dir.file("b.h5"))));
  EXPECT_FALSE(positions(dir.file("a.h5")).equal(positions(dir.file("c.h5"))));

  // Nothing is re-embedded yet, so a new plan is allowed: it replaces the columns, not adds.
  run_backfill_plan(plan_of(dir.file("a.h5"), "random", 6), *comm);
  EXPECT_TRUE(positions(dir.file("a.h5")).equal(positions(dir.file("c.h5"))));
  const store::StoreReader reader(dir.file("a.h5"));
  EXPECT_EQ(reader.layout().extra_columns.size(), 3u);
  EXPECT_EQ(reader.attribute(store::attribute::kBackfillSeed), "6");
}

TEST(BackfillPlan, SigmaPutsTheMostUncertainItemsFirst) {
  SharedDir dir("fct-backfill-plan");
  auto comm = distributed::make_communicator("mpi", {});
  write_gallery(*comm, dir.file("gallery.h5"), /*with_sigma=*/true);
  const auto summary = run_backfill_plan(plan_of(dir.file("gallery.h5"), "sigma"), *comm);
  EXPECT_EQ(summary.order, "sigma");
  const auto position = positions(dir.file("gallery.h5"));
  // σ of row r is 7r mod 23, all different: the item with σ = s comes at place 22 - s.
  const auto sigma = Gallery().sigma.reshape({-1}).to(torch::kInt64);
  EXPECT_TRUE(position.equal(kItems - 1 - sigma)) << position;
  EXPECT_EQ(store::StoreReader(dir.file("gallery.h5")).attribute(store::attribute::kBackfillOrder),
            "sigma");
}

TEST(BackfillPlan, DistanceMatchesTheNewStoreBySampleId) {
  SharedDir dir("fct-backfill-plan");
  auto comm = distributed::make_communicator("mpi", {});
  write_gallery(*comm, dir.file("gallery.h5"), false);
  // The new model's store lists the samples backwards; item r is (r * 5 mod 23) away from h(x).
  {
    store::Attributes attributes = {{store::attribute::kModelHash, "new-file-hash"},
                                    {store::attribute::kDataset, "fashion_mnist"},
                                    {store::attribute::kSplit, "test"}};
    store::StoreWriter writer(*comm, dir.file("new.h5"), {kItems, 4, 0, {}}, attributes);
    store::StoreRows rows;
    if (comm->rank() == 0) {
      const Gallery g;
      const auto distance = (torch::arange(kItems, torch::kInt64) * 5 % kItems).to(torch::kFloat32);
      auto embeddings = g.embeddings.clone();
      embeddings.select(1, 0).add_(distance);
      const auto backwards = torch::arange(kItems - 1, -1, -1, torch::kInt64);
      rows.embeddings = embeddings.index_select(0, backwards);
      rows.labels = g.labels.index_select(0, backwards);
      rows.ids = g.ids.index_select(0, backwards);
    }
    writer.write_rows(0, rows);
    writer.commit();
  }
  auto job = plan_of(dir.file("gallery.h5"), "distance");
  job.new_store_path = dir.file("new.h5");
  run_backfill_plan(job, *comm);
  const auto expected = kItems - 1 - torch::arange(kItems, torch::kInt64) * 5 % kItems;
  EXPECT_TRUE(positions(dir.file("gallery.h5")).equal(expected));
  EXPECT_EQ(
      store::StoreReader(dir.file("gallery.h5")).attribute(store::attribute::kBackfillNewStore),
      dir.file("new.h5"));
}

TEST(BackfillPlan, EveryRankRefusesWhatCannotBePlannedAndTheStoreStaysAsItWas) {
  SharedDir dir("fct-backfill-plan");
  auto comm = distributed::make_communicator("mpi", {});
  const std::string path = dir.file("no-sigma.h5");
  write_gallery(*comm, path, /*with_sigma=*/false);

  EXPECT_ERROR_NAMING(
      run_backfill_plan(plan_of(path, "sigma"), *comm),
      "fct backfill plan: store " + path + ": the order 'sigma' needs a 'sigma' column");
  EXPECT_ERROR_NAMING(run_backfill_plan(plan_of(path, "distance"), *comm),
                      "the order 'distance' is an oracle");
  auto with_new_store = plan_of(path, "random");
  with_new_store.new_store_path = dir.file("new.h5");
  EXPECT_ERROR_NAMING(run_backfill_plan(with_new_store, *comm),
                      "--new-store is only for --order distance, not 'random'");
  EXPECT_ERROR_NAMING(run_backfill_plan(plan_of(path, "shuffle"), *comm),
                      "unknown backfill order 'shuffle'");
  // Nothing was rewritten: no plan columns, no plan attributes.
  {
    const store::StoreReader reader(path);
    EXPECT_TRUE(reader.layout().extra_columns.empty());
    EXPECT_EQ(reader.attributes().count(store::attribute::kBackfillOrder), 0u);
  }

  // A store that h did not upgrade (no target model) has nothing to backfill towards.
  auto attributes = upgraded_attributes();
  attributes.erase(store::attribute::kTargetModelHash);
  write_gallery(*comm, dir.file("plain.h5"), true, attributes);
  EXPECT_ERROR_NAMING(run_backfill_plan(plan_of(dir.file("plain.h5"), "random"), *comm),
                      dir.file("plain.h5") + ": not an upgraded store");

  // Items re-embedded already would leave the prefix of the order that apply relies on.
  auto embedded_by = torch::zeros({kItems}, torch::kInt64);
  embedded_by[3] = store::kEmbeddedByNewModel;
  embedded_by[9] = store::kEmbeddedByNewModel;
  write_gallery(*comm, dir.file("applied.h5"), true, upgraded_attributes(), embedded_by);
  EXPECT_ERROR_NAMING(run_backfill_plan(plan_of(dir.file("applied.h5"), "random"), *comm),
                      "2 of 23 items are re-embedded by the new model already");
  EXPECT_TRUE(store::StoreReader(dir.file("applied.h5"))
                  .read_column(store::kEmbeddedBy, 0, kItems)
                  .equal(embedded_by));
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST(BackfillPlan, AStoreInTheRunCacheIsRefusedSinceOtherRunsShareIt) {
  SharedDir dir("fct-backfill-plan");
  auto comm = distributed::make_communicator("mpi", {});
  const std::string node = dir.file("cache/stages/transformed_store/0123456789abcdef");
  if (mpi_rank() == 0) {
    fs::create_directories(node);
    fct::testing::write_text_file(node + "/node.json", "{}\n");
  }
  MPI_Barrier(MPI_COMM_WORLD);
  write_gallery(*comm, node + "/store.h5", true);
  EXPECT_ERROR_NAMING(run_backfill_plan(plan_of(node + "/store.h5", "random"), *comm),
                      "is an artifact of the run cache");
  EXPECT_FALSE(store::StoreReader(node + "/store.h5").has_column(store::kBackfillPosition));
  MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace
}  // namespace fct::backfill
