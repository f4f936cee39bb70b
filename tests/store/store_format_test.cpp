// The store format's names and helpers (framework/store/store_format.h): the column and attribute
// names every existing store and h5py reader depends on, the provenance attributes written for each
// input, embedded_by_<value>, attribute_or_empty, dtype and shape text for messages, StoreRows'
// row count and rank_rows' edges.
#include "framework/store/store_format.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/core/provenance.h"

namespace fct::store {
namespace {

TEST(StoreFormat, ColumnNamesAndVersionAreThoseOfTheFileFormat) {
  // Renaming any of these would make every existing store unreadable: they are the format.
  EXPECT_STREQ(kStoreVersion, "1");
  EXPECT_STREQ(kVersionAttribute, "fct_store_version");
  EXPECT_STREQ(kEmbeddings, "embeddings");
  EXPECT_STREQ(kLabels, "labels");
  EXPECT_STREQ(kIds, "ids");
  EXPECT_STREQ(kSideInfo, "side_info");
  EXPECT_STREQ(kTarget, "target");
  EXPECT_STREQ(kSigma, "sigma");
  EXPECT_STREQ(kBackfillPosition, "backfill_position");
  EXPECT_STREQ(kEmbeddedBy, "embedded_by");
  EXPECT_STREQ(kBackfillBatch, "backfill_batch");
  EXPECT_EQ(kEmbeddedByTransformation, 0);
  EXPECT_EQ(kEmbeddedByNewModel, 1);
}

TEST(StoreFormat, AttributeNamesAreThoseOfTheFileFormatAndDistinct) {
  const std::vector<std::pair<const char*, const char*>> names = {
      {attribute::kModel, "model"},
      {attribute::kModelKind, "model_kind"},
      {attribute::kModelHash, "model_hash"},
      {attribute::kSideInfoModel, "side_info_model"},
      {attribute::kSideInfoModelHash, "side_info_model_hash"},
      {attribute::kTargetModelHash, "target_model_hash"},
      {attribute::kSourceModel, "source_model"},
      {attribute::kDataset, "dataset"},
      {attribute::kSplit, "split"},
      {attribute::kConfig, "config"},
      {attribute::kGitRevision, "git_revision"},
      {attribute::kCreated, "created"},
      {attribute::kSideInfoConfig, "side_info_config"},
      {attribute::kSourceStore, "source_store"},
      {attribute::kSourceModelHash, "source_model_hash"},
      {attribute::kBackfillOrder, "backfill_order"},
      {attribute::kBackfillSeed, "backfill_seed"},
      {attribute::kBackfillPlanned, "backfill_planned"},
      {attribute::kBackfillNewStore, "backfill_new_store"},
      {attribute::kViews, "views"},
      {attribute::kRowsPerView, "rows_per_view"},
  };
  std::set<std::string> seen = {kVersionAttribute};
  for (const auto& [actual, expected] : names) {
    EXPECT_STREQ(actual, expected);
    EXPECT_TRUE(seen.insert(actual).second) << actual << " is used twice";
  }
}

TEST(StoreFormat, EmbeddedByAttributeNamesTheValue) {
  EXPECT_EQ(embedded_by_attribute(kEmbeddedByTransformation), "embedded_by_0");
  EXPECT_EQ(embedded_by_attribute(kEmbeddedByNewModel), "embedded_by_1");
  EXPECT_EQ(embedded_by_attribute(12), "embedded_by_12");
  EXPECT_EQ(embedded_by_attribute(-1), "embedded_by_-1");
}

TEST(StoreFormat, ProvenanceAttributesHoldEachInputUnderItsKey) {
  const std::string revision_before = fct::git_revision();
  const std::string time_before = fct::utc_timestamp();
  const Attributes attributes = provenance_attributes(
      "new_r", "0123456789abcdef", "model:\n  arch: resnet18\n", "fashion_mnist", "test");
  const std::string time_after = fct::utc_timestamp();
  const std::string revision_after = fct::git_revision();

  std::vector<std::string> keys;
  for (const auto& [key, value] : attributes) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"config", "created", "dataset", "git_revision", "model",
                                            "model_hash", "split"}));
  EXPECT_EQ(attributes.at(attribute::kModel), "new_r");
  EXPECT_EQ(attributes.at(attribute::kModelHash), "0123456789abcdef");
  EXPECT_EQ(attributes.at(attribute::kConfig), "model:\n  arch: resnet18\n");
  EXPECT_EQ(attributes.at(attribute::kDataset), "fashion_mnist");
  EXPECT_EQ(attributes.at(attribute::kSplit), "test");
  // This build's revision (read at the call: the tree may change between two reads).
  const std::string& revision = attributes.at(attribute::kGitRevision);
  EXPECT_FALSE(revision.empty());
  EXPECT_TRUE(revision == revision_before || revision == revision_after) << revision;
  // The time of the call, in the ISO 8601 form the reader's `created` check expects.
  const std::string& created = attributes.at(attribute::kCreated);
  EXPECT_TRUE(std::regex_match(created, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << created;
  EXPECT_LE(time_before, created);
  EXPECT_LE(created, time_after);
  // Empty inputs are written as empty strings, not left out: a reader finds every key.
  const Attributes empty = provenance_attributes("", "", "", "", "");
  EXPECT_EQ(empty.size(), 7u);
  EXPECT_EQ(empty.at(attribute::kModel), "");
  EXPECT_EQ(empty.at(attribute::kSplit), "");
  EXPECT_EQ(empty.count(kVersionAttribute), 0u);  // the writer adds the version itself
}

TEST(StoreFormat, AttributeOrEmpty) {
  const Attributes attributes = {{"model", "old"}, {"blank", ""}};
  EXPECT_EQ(attribute_or_empty(attributes, "model"), "old");
  EXPECT_EQ(attribute_or_empty(attributes, "blank"), "");
  EXPECT_EQ(attribute_or_empty(attributes, "missing"), "");
  EXPECT_EQ(attribute_or_empty({}, "model"), "");
}

TEST(StoreFormat, DtypeNamesForMessages) {
  EXPECT_EQ(dtype_name(torch::kFloat32), "float32");
  EXPECT_EQ(dtype_name(torch::kFloat64), "float64");
  EXPECT_EQ(dtype_name(torch::kFloat16), "float16");
  EXPECT_EQ(dtype_name(torch::kBFloat16), "bfloat16");
  EXPECT_EQ(dtype_name(torch::kInt64), "int64");
  EXPECT_EQ(dtype_name(torch::kInt32), "int32");
  EXPECT_EQ(dtype_name(torch::kInt16), "int16");
  EXPECT_EQ(dtype_name(torch::kInt8), "int8");
  EXPECT_EQ(dtype_name(torch::kUInt8), "uint8");
  EXPECT_EQ(dtype_name(torch::kBool), "bool");
  // Anything else by LibTorch's own name.
  EXPECT_EQ(dtype_name(torch::kComplexFloat), c10::toString(torch::kComplexFloat));
  EXPECT_FALSE(dtype_name(torch::kComplexFloat).empty());
}

TEST(StoreFormat, ShapeStringForMessages) {
  EXPECT_EQ(shape_string({}), "[]");
  EXPECT_EQ(shape_string({5}), "[5]");
  EXPECT_EQ(shape_string({3, 5}), "[3, 5]");
  EXPECT_EQ(shape_string({0, 1, 128}), "[0, 1, 128]");
  EXPECT_EQ(shape_string(torch::zeros({2, 0, 4}).sizes().vec()), "[2, 0, 4]");
}

TEST(StoreFormat, RowsSizeComesFromTheFirstDefinedFixedColumn) {
  StoreRows rows;
  rows.side_info = torch::zeros({4, 2});
  rows.extra["target"] = torch::zeros({4, 3});
  EXPECT_EQ(rows.size(), 0) << "side_info and extra columns do not count";
  rows.ids = torch::zeros({6}, torch::kInt64);
  EXPECT_EQ(rows.size(), 6);
  rows.labels = torch::zeros({5}, torch::kInt64);
  EXPECT_EQ(rows.size(), 5);  // labels come before ids
  rows.embeddings = torch::zeros({2, 8});
  EXPECT_EQ(rows.size(), 2);  // embeddings before both
  rows.embeddings = torch::tensor(1.0f);
  EXPECT_EQ(rows.size(), 1);  // a 0-d tensor is one row
  rows.embeddings = torch::zeros({0, 8});
  EXPECT_EQ(rows.size(), 0);
}

TEST(StoreFormat, RankRowsGivesRanksPastTheRowsAnEmptyRangeAndNamesBadSplits) {
  EXPECT_EQ(rank_rows(5, 4, 8), (std::pair<int64_t, int64_t>{4, 5}));
  EXPECT_EQ(rank_rows(5, 5, 8), (std::pair<int64_t, int64_t>{5, 5}));
  EXPECT_EQ(rank_rows(5, 7, 8), (std::pair<int64_t, int64_t>{5, 5}));
  EXPECT_EQ(rank_rows(0, 0, 1), (std::pair<int64_t, int64_t>{0, 0}));
  EXPECT_EQ(rank_rows(9, 0, 1), (std::pair<int64_t, int64_t>{0, 9}));
  EXPECT_EQ(rank_rows(11, 1, 4), (std::pair<int64_t, int64_t>{3, 6}));  // 3, 3, 3, 2 rows
  EXPECT_EQ(rank_rows(11, 3, 4), (std::pair<int64_t, int64_t>{9, 11}));
  try {
    rank_rows(10, 3, 3);
    ADD_FAILURE() << "rank 3 of 3 accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "rank_rows: invalid split of 10 rows for rank 3 of 3");
  }
}

TEST(StoreFormat, DefaultLayoutIsEmpty) {
  const StoreLayout layout;
  EXPECT_EQ(layout.rows, 0);
  EXPECT_EQ(layout.embedding_dim, 0);
  EXPECT_EQ(layout.side_info_dim, 0);
  EXPECT_TRUE(layout.extra_columns.empty());
}

}  // namespace
}  // namespace fct::store
