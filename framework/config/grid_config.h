// Compatibility grids (`fct grid grid.yaml`): many old → new pairs of one study, each model trained
// once. The file is a study (data, dist, old, new, side_info, bct_loss, transformation, eval) whose
// `old:` and `new:` sections are the recipes every old and every new model starts from, plus a
// `grid:` block that names the models as overrides of those recipes and says which pairs to study:
//
//   grid:
//     axes:                      # models from the cross product, for both roles (unless listed)
//       model.arch: [resnet18_small, resnet34_small]
//       loss.name: [cross_entropy, cosface]
//     old_models:                # or by name: overrides of `old:` (dotted or nested keys);
//       r18: {model.arch: resnet18_small, side_info: {model.embedding_dim: 32}}
//     new_models: {...}          # ... and of `new:`
//     pairs: all                 # all (old × new, the default) or ["r18 -> r34", ...]
//     bct: auto                  # auto: BCT for every pair whose embedding dims match; none
//
// An old model's `side_info:` overrides the `side_info:` recipe for its ψ; ψ models with the same
// recipe and classes are one model. BCT trains the new model's recipe plus the influence loss.
#pragma once

#include <string>
#include <vector>

#include "framework/config/config_loader.h"
#include "framework/config/study_config.h"

namespace fct::config {

struct GridModel {
  std::string name;
  std::vector<std::string> overrides;  // as applied to the study: "old.loss.name=cosface", ...
  ModelStageConfig section;            // the resolved recipe
  SideInfoStageConfig side_info;       // old models: the recipe of their ψ
};

struct GridPair {
  std::size_t old_index = 0;  // into GridConfig::old_models
  std::size_t new_index = 0;  // into GridConfig::new_models
  bool bct = false;
};

struct GridConfig {
  LoadedConfig<StudyConfig> base;  // the file without `grid:`, command-line overrides applied
  std::vector<GridModel> old_models;
  std::vector<GridModel> new_models;
  std::vector<GridPair> pairs;
  std::string bct = "auto";
  std::string
      resolved_yaml;  // base + the grid block as resolved (models, pairs): saved with results
  uint64_t hash = 0;
};

// Reads and checks a grid file; `overrides` apply to the study part (`data.limit=1000`). Errors are
// ConfigErrors naming the file and the model or pair.
// `names`: the registries' names (study/registered_names.h).
GridConfig load_grid(const std::string& path, const std::vector<std::string>& overrides,
                     const RegisteredNames& names);
GridConfig parse_grid(const std::string& yaml_text, const std::string& source_name,
                      const std::vector<std::string>& overrides, const RegisteredNames& names);

// The study of one pair: the base with the old model's recipe and ψ as `old`/`side_info`, and the
// new model's recipe as `new` and `bct`.
StudyConfig pair_study(const GridConfig& grid, const GridPair& pair);

// "old -> new", as pairs are written in the file and shown in tables.
std::string pair_label(const GridConfig& grid, const GridPair& pair);

}  // namespace fct::config
