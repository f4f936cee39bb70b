// Model files: weights and the information that rebuilds them, the file hash, clear errors.
#include "framework/models/model_file.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"
#include "tests/test_support.h"

namespace fct::models {
namespace {

config::ModelConfig tiny_model() {
  config::ModelConfig model;
  model.width = 4;
  model.embedding_dim = 8;
  return model;
}

TEST(ModelFile, EmbeddingModelRoundTripAndHash) {
  testing::ScratchDir dir("fct-model-file");
  torch::manual_seed(1);
  auto model = make_embedding_model(tiny_model(), 1, 3);
  model->eval();
  save_model_file(dir.file("m.pt"), *model,
                  {kEmbeddingKind, "old",
                   make_embedding_spec(tiny_model(), "fashion_mnist", 1, {0, 4, 7}), "seed: 1\n"});
  auto loaded = load_embedding_model(dir.file("m.pt"));
  EXPECT_EQ(loaded.info.name, "old");
  EXPECT_EQ(loaded.info.config_yaml, "seed: 1\n");
  EXPECT_EQ(loaded.info.spec["classes"], nlohmann::json::array({0, 4, 7}));
  EXPECT_EQ(loaded.model->num_classes(), 3);
  const auto images = torch::randn({2, 1, 28, 28});
  EXPECT_TRUE(loaded.model->embed(images).equal(model->embed(images)));
  EXPECT_EQ(loaded.hash, model_file_hash(dir.file("m.pt")));
  EXPECT_EQ(loaded.hash.size(), 16u);

  // Other weights, other hash.
  torch::manual_seed(2);
  auto other = make_embedding_model(tiny_model(), 1, 3);
  save_model_file(dir.file("o.pt"), *other,
                  {kEmbeddingKind, "old",
                   make_embedding_spec(tiny_model(), "fashion_mnist", 1, {0, 4, 7}), "seed: 1\n"});
  EXPECT_NE(model_file_hash(dir.file("o.pt")), loaded.hash);
}

TEST(ModelFile, TransformationRecordsItsInputs) {
  testing::ScratchDir dir("fct-model-file-h");
  TransformationSpec spec{8, 6, 8, 16, true};
  Transformation h(spec);
  save_model_file(dir.file("h.pt"), *h,
                  {kTransformationKind, "h", make_transformation_spec(spec, "aa", "bb", "cc"), ""});
  const auto loaded = load_transformation(dir.file("h.pt"));
  EXPECT_EQ(loaded.info.spec["old_model_hash"], "aa");
  EXPECT_EQ(loaded.info.spec["side_info_model_hash"], "bb");
  EXPECT_EQ(loaded.model->spec().side_dim, 6);
  EXPECT_FALSE(loaded.model->is_training());
}

TEST(ModelFile, WrongKindMissingFileAndForeignFileAreNamed) {
  testing::ScratchDir dir("fct-model-file-bad");
  Transformation h(TransformationSpec{8, 6, 8, 16, true});
  save_model_file(
      dir.file("h.pt"), *h,
      {kTransformationKind, "h", make_transformation_spec(h->spec(), "a", "b", "c"), ""});
  try {
    load_embedding_model(dir.file("h.pt"));
    FAIL() << "a transformation loaded as an embedding model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("holds a transformation model"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(read_model_info(dir.file("missing.pt")), Error);
  // A plain LibTorch archive without fct's header.
  torch::serialize::OutputArchive archive;
  h->save(archive);
  archive.save_to(dir.file("plain.pt"));
  try {
    read_model_info(dir.file("plain.pt"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("plain.pt"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("no fct model header"), std::string::npos) << e.what();
  }
}

// What loading `path` as an embedding model throws ("" when it loads).
std::string load_refusal(const std::string& path) {
  try {
    load_embedding_model(path);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

// One flipped bit in a weight, and a file cut short: both refused naming the file (LibTorch alone
// loads the first as a silently different model: Note [Damaged archives]).
TEST(ModelFileFault, AFlippedBitOrACutFileIsRefusedNamingTheFile) {
  testing::ScratchDir dir("fct-model-file-damaged");
  auto model = make_embedding_model(tiny_model(), 1, 3);
  {
    torch::NoGradGuard no_grad;
    model->parameters()[0].fill_(1.2345f);
  }
  const std::string path = dir.file("old.pt");
  save_model_file(
      path, *model,
      {kEmbeddingKind, "old", make_embedding_spec(tiny_model(), "fashion_mnist", 1, {0}), ""});
  const std::string original = testing::read_text_file(path);
  ASSERT_EQ(load_refusal(path), "");

  std::string flipped = original;
  const float value = 1.2345f;
  const auto at = flipped.find(std::string(reinterpret_cast<const char*>(&value), sizeof value));
  ASSERT_NE(at, std::string::npos);
  flipped[at] ^= 0x01;
  testing::write_text_file(path, flipped);
  std::string message = load_refusal(path);
  EXPECT_NE(message.find("model file " + path), std::string::npos) << message;
  EXPECT_NE(message.find("fails its CRC-32 check"), std::string::npos) << message;

  testing::write_text_file(path, original.substr(0, original.size() * 2 / 3));
  message = load_refusal(path);
  EXPECT_NE(message.find("model file " + path), std::string::npos) << message;
  EXPECT_NE(message.find("cut short"), std::string::npos) << message;
  EXPECT_THROW(read_model_info(path), Error);
}

}  // namespace
}  // namespace fct::models
