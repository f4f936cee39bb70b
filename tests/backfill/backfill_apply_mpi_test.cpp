// Under mpirun (2 and 3 ranks): run_backfill_plan and run_backfill_apply in process, on an
// untrained tiny model and the first 90 Fashion-MNIST test images. Budgets that do not divide
// into the batch size or the ranks re-embed exactly the next items of the plan, with what
// train::write_embeddings (fct embed) computes up to float rounding; every rank refuses another
// model together.
#include <gtest/gtest.h>

#include <optional>

#include "framework/backfill/backfill_apply.h"
#include "framework/backfill/backfill_plan.h"
#include "framework/config/experiment_config.h"
#include "framework/core/error.h"
#include "framework/data/dataset_registry.h"
#include "framework/data/transforms.h"
#include "framework/distributed/communicator.h"
#include "framework/distributed/mpi_c.h"
#include "framework/models/model_file.h"
#include "framework/store/store_reader.h"
#include "framework/store/store_writer.h"
#include "framework/train/feature_extraction.h"
#include "tests/mpi_shared_dir.h"
#include "tests/test_support.h"

namespace fct::backfill {
namespace {

using fct::testing::mpi_rank;
using fct::testing::SharedDir;

constexpr int64_t kItems = 90;

config::ModelConfig tiny_model() {
  config::ModelConfig model;
  model.arch = "resnet18_small";
  model.width = 4;
  model.embedding_dim = 8;
  return model;
}

// An untrained model file (rank 0 writes it; every rank returns once it exists).
void write_model(const std::string& path, uint64_t seed) {
  if (mpi_rank() == 0) {
    torch::manual_seed(seed);
    auto model = models::make_embedding_model(tiny_model(), 1, 10);
    models::save_model_file(path, *model,
                            {models::kEmbeddingKind, "new",
                             models::make_embedding_spec(tiny_model(), "fashion_mnist", 1,
                                                         {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}),
                             "name: new\n"});
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

// The reference: what `fct embed` writes for the first kItems test images.
void write_reference(distributed::Communicator& comm, const std::string& model_path,
                     const std::string& path) {
  auto model = models::load_embedding_model(model_path);
  config::DataConfig data;
  data.limit = kItems;
  const auto dataset = data::make_dataset(data, "test", &comm);
  train::Encoders encoders;
  encoders.embedding = model.model;
  train::ExtractionOptions options;
  options.batch_size = 64;
  options.show_progress = false;
  train::write_embeddings(comm, *dataset, data::eval_transform(data), encoders, path,
                          {{"model", "new"},
                           {"model_hash", model.hash},
                           {"dataset", "fashion_mnist"},
                           {"split", "test"}},
                          options);
}

// An upgraded gallery of the same items: h's stand-in embeddings, target_model_hash, σ.
void write_upgraded(distributed::Communicator& comm, const std::string& reference,
                    const std::string& path) {
  const store::StoreReader in(reference);
  store::StoreLayout layout = in.layout();
  layout.extra_columns = {{"sigma", 1}};
  store::Attributes attributes = in.attributes();
  attributes.erase(store::kVersionAttribute);
  attributes["target_model_hash"] = in.attribute("model_hash");
  attributes["model_hash"] = "00000000000000ab";
  store::StoreWriter writer(comm, path, layout, attributes);
  store::StoreRows rows;
  if (mpi_rank() == 0) {
    rows = in.read_all();
    rows.embeddings = rows.embeddings * 0.5f - 1.0f;
    rows.extra["sigma"] = (torch::arange(kItems, torch::kFloat32) * 37 % 11).reshape({-1, 1});
  }
  writer.write_rows(0, rows);
  writer.commit();
}

// φ_new of the same image computed in a batch of another size: equal up to float rounding
// (oneDNN's convolutions sum in an order that depends on the batch), far from h's stand-in.
bool close_to(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::allclose(a, b, /*rtol=*/1e-4, /*atol=*/1e-5);
}

TEST(BackfillApply, BudgetsFollowThePlanAndMatchFctEmbed) {
  SharedDir dir("fct-backfill-study");
  auto comm = distributed::make_communicator("mpi", {});
  write_model(dir.file("new.pt"), 1);
  write_reference(*comm, dir.file("new.pt"), dir.file("reference.h5"));
  write_upgraded(*comm, dir.file("reference.h5"), dir.file("gallery.h5"));

  BackfillPlanJob plan;
  plan.store_path = dir.file("gallery.h5");
  plan.order = "sigma";
  plan.chunk_rows = 7;  // several copy rounds
  EXPECT_EQ(run_backfill_plan(plan, *comm).rows, kItems);

  BackfillApplyJob apply;
  apply.store_path = dir.file("gallery.h5");
  apply.model_path = dir.file("new.pt");
  apply.data.name = "";  // the store's dataset
  apply.budget = 31;
  apply.batch_size = 7;  // 5 batches, the last of 3; shares differ between ranks
  apply.show_progress = false;
  auto summary = run_backfill_apply(apply, *comm);
  EXPECT_EQ(summary.reembedded, 31);
  EXPECT_EQ(summary.total, 31);
  EXPECT_EQ(summary.remaining, kItems - 31);
  EXPECT_EQ(summary.batches, 5);

  const auto reference = store::StoreReader(dir.file("reference.h5")).read_all();
  const auto upgraded_embeddings = reference.embeddings * 0.5f - 1.0f;
  {
    const store::StoreReader gallery(dir.file("gallery.h5"));
    const auto rows = gallery.read_all();
    const auto position = rows.extra.at(store::kBackfillPosition);
    const auto first = position.lt(31);
    EXPECT_TRUE(torch::equal(rows.extra.at(store::kEmbeddedBy), first.to(torch::kInt64)));
    EXPECT_TRUE(torch::equal(
        rows.extra.at(store::kBackfillBatch),
        torch::where(first, torch::floor_divide(position, 7), torch::full_like(position, -1))));
    const auto mask = first.unsqueeze(1).expand_as(rows.embeddings);
    EXPECT_TRUE(
        close_to(rows.embeddings.masked_select(mask), reference.embeddings.masked_select(mask)));
    EXPECT_FALSE(
        close_to(rows.embeddings.masked_select(~mask), reference.embeddings.masked_select(~mask)));
    EXPECT_TRUE(torch::equal(rows.embeddings.masked_select(~mask),
                             upgraded_embeddings.masked_select(~mask)));
    // Descending σ: the re-embedded items have σ no smaller than any other.
    const auto sigma = rows.extra.at(store::kSigma).reshape({-1});
    EXPECT_GE(sigma.masked_select(first).min().item<float>(),
              sigma.masked_select(~first).max().item<float>());
  }

  // Another model file: refused on every rank, nothing written.
  write_model(dir.file("other.pt"), 2);
  BackfillApplyJob wrong = apply;
  wrong.model_path = dir.file("other.pt");
  try {
    run_backfill_apply(wrong, *comm);
    ADD_FAILURE() << "another model was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("target_model_hash"), std::string::npos) << e.what();
  }
  // Re-planning now would move re-embedded items: refused.
  try {
    run_backfill_plan(plan, *comm);
    ADD_FAILURE() << "re-planning was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("31 of 90 items are re-embedded"), std::string::npos)
        << e.what();
  }

  apply.budget = 0;
  summary = run_backfill_apply(apply, *comm);
  EXPECT_EQ(summary.reembedded, kItems - 31);
  EXPECT_EQ(summary.remaining, 0);
  const auto rows = store::StoreReader(dir.file("gallery.h5")).read_all();
  EXPECT_TRUE(close_to(rows.embeddings, reference.embeddings));
  EXPECT_TRUE(torch::equal(rows.ids, reference.ids));
  EXPECT_TRUE(torch::equal(rows.labels, reference.labels));
  EXPECT_EQ(rows.extra.at(store::kEmbeddedBy).sum().item<int64_t>(), kItems);
}

}  // namespace
}  // namespace fct::backfill
