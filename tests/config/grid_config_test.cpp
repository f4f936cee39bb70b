// Grid files: models from axes or by name as overrides of the old/new recipes, ψ overrides on old
// models, pairs (all or listed), BCT only where embedding dimensions match, and every mistake
// named with the file and the model or pair.
#include "framework/config/grid_config.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"
#include "tests/study_names.h"

namespace fct::config {
namespace {

const std::string kStudy =
    "name: g\n"
    "data: {name: fashion_mnist}\n"
    "old: {classes: [0, 1], model: {arch: resnet18_small, embedding_dim: 16}}\n"
    "new: {model: {arch: resnet18_small, embedding_dim: 16}, schedule: {epochs: 3}}\n";

std::string error_of(const std::string& grid_block, const std::vector<std::string>& cli = {}) {
  try {
    parse_grid(kStudy + grid_block, "grid.yaml", cli, fct::testing::study_names());
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(GridConfig, AMistakeInTheStudyPartNamesItsLineAndColumn) {
  // Line 5: every model's study is read from the file itself, positions and all.
  EXPECT_EQ(error_of("seed: -4\ngrid:\n  axes:\n    loss.name: [cross_entropy]\n"),
            "grid.yaml:5:7: key 'seed': expected a value >= 0, got -4");
  EXPECT_EQ(
      error_of("grid:\n  axes:\n    loss.name: [cross_entropy]\nbct: {loss: {name: cosfase}}\n"),
      "grid.yaml:8:20: key 'bct.loss.name': expected one of: " +
          fct::testing::listed_names("loss") + ", got 'cosfase' (did you mean 'cosface'?)");
}

TEST(GridConfig, AxesMakeTheCrossProductForBothRolesAndAllPairs) {
  const auto grid =
      parse_grid(kStudy +
                     "grid:\n  axes:\n    model.arch: [resnet18_small, resnet34_small]\n"
                     "    loss.name: [cross_entropy, cosface]\n",
                 "grid.yaml", {}, fct::testing::study_names());
  ASSERT_EQ(grid.old_models.size(), 4u);
  ASSERT_EQ(grid.new_models.size(), 4u);
  EXPECT_EQ(grid.old_models[1].name, "resnet18_small-cosface");
  EXPECT_EQ(grid.old_models[1].overrides,
            (std::vector<std::string>{"old.model.arch=resnet18_small", "old.loss.name=cosface"}));
  EXPECT_EQ(grid.new_models[2].section.model.arch, "resnet34_small");
  // The recipes keep what the axes do not set: old classes, new epochs.
  EXPECT_EQ(grid.old_models[3].section.classes, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(grid.new_models[3].section.schedule.epochs, 3);
  EXPECT_EQ(grid.new_models[3].section.loss.name, "cosface");
  EXPECT_EQ(grid.pairs.size(), 16u);
  EXPECT_EQ(pair_label(grid, grid.pairs[5]), "resnet18_small-cosface -> resnet18_small-cosface");
  for (const auto& p : grid.pairs) EXPECT_TRUE(p.bct);
}

TEST(GridConfig, NamedModelsListedPairsSideInfoAndBctByDimension) {
  const auto grid =
      parse_grid(kStudy +
                     "grid:\n"
                     "  old_models:\n"
                     "    small: {model: {width: 4}, side_info: {model.embedding_dim: 8}}\n"
                     "    plain: {}\n"
                     "  new_models:\n"
                     "    same_dim: {loss.name: arcface}\n"
                     "    wide: {model.embedding_dim: 32}\n"
                     "  pairs: ['small -> wide', {old: plain, new: same_dim}]\n",
                 "grid.yaml", {}, fct::testing::study_names());
  ASSERT_EQ(grid.pairs.size(), 2u);
  EXPECT_EQ(pair_label(grid, grid.pairs[0]), "small -> wide");
  EXPECT_FALSE(grid.pairs[0].bct);  // 16 vs 32
  EXPECT_TRUE(grid.pairs[1].bct);
  EXPECT_EQ(grid.old_models[0].section.model.width, 4);
  EXPECT_EQ(grid.old_models[0].side_info.model.embedding_dim, 8);
  EXPECT_EQ(grid.old_models[1].side_info.model.embedding_dim, 128);  // the recipe's default

  const StudyConfig study = pair_study(grid, grid.pairs[1]);
  EXPECT_EQ(study.name, "g/plain->same_dim");
  EXPECT_EQ(study.new_model.loss.name, "arcface");
  EXPECT_EQ(study.bct_model.loss.name, "arcface");  // BCT trains the new model's recipe
  EXPECT_EQ(study.old_model.classes, (std::vector<int64_t>{0, 1}));
  EXPECT_NE(grid.resolved_yaml.find("plain -> same_dim (+bct)"), std::string::npos);
}

TEST(GridConfig, TheCommandLineWinsOverModelOverridesAndBctNoneTurnsItOff) {
  const auto grid = parse_grid(kStudy +
                                   "grid:\n  old_models: {a: {schedule.epochs: 7}}\n"
                                   "  new_models: {b: {}}\n  bct: none\n",
                               "grid.yaml", {"old.schedule.epochs=1", "data.limit=100"},
                               fct::testing::study_names());
  EXPECT_EQ(grid.old_models[0].section.schedule.epochs, 1);
  EXPECT_EQ(grid.base.config.data.limit, 100);
  EXPECT_FALSE(grid.pairs[0].bct);
}

TEST(GridConfig, MistakesAreNamed) {
  EXPECT_NE(error_of("").find("no grid: block"), std::string::npos);
  EXPECT_NE(error_of("grid: {axis: {loss.name: [a]}}").find("did you mean 'axes'"),
            std::string::npos);
  EXPECT_NE(error_of("grid: {old_models: {a: {}}}").find("no new models"), std::string::npos);
  EXPECT_NE(error_of("grid: {old_models: {a: {}}, new_models: {b: {}}, pairs: ['a -> c']}")
                .find("grid.yaml: grid.pairs[0]: no new model 'c'"),
            std::string::npos);
  EXPECT_NE(error_of("grid: {old_models: {a: {}}, new_models: {b: {}}, pairs: ['a, b']}")
                .find("expected 'old -> new'"),
            std::string::npos);
  EXPECT_NE(error_of("grid: {old_models: {a: {}}, new_models: {b: {}}, pairs: ['a->b', 'a -> b']}")
                .find("listed twice"),
            std::string::npos);
  EXPECT_NE(error_of("grid: {old_models: {a: {}}, new_models: {b: {side_info: {model.width: 2}}}}")
                .find("side_info belongs to old models"),
            std::string::npos);
  EXPECT_NE(error_of("grid: {old_models: {'../x': {}}, new_models: {b: {}}}").find("model name"),
            std::string::npos);
  EXPECT_NE(
      error_of("grid: {old_models: {a: {}}, new_models: {b: {}}, bct: always}").find("grid.bct"),
      std::string::npos);
  // A bad value in a model's overrides names the model.
  const std::string bad = error_of(
      "grid: {old_models: {a: {loss.label_smoothing: 3}}, "
      "new_models: {b: {}}}");
  EXPECT_NE(bad.find("[old model a]"), std::string::npos) << bad;
  EXPECT_NE(bad.find("label_smoothing"), std::string::npos) << bad;
}

}  // namespace
}  // namespace fct::config
