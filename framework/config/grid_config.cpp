#include "framework/config/grid_config.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

#include "framework/config/sweep.h"
#include "framework/core/error.h"
#include "framework/core/suggest.h"
#include "framework/core/trim.h"

namespace fct::config {
namespace {

using KeyValues = std::vector<std::pair<std::string, std::string>>;  // (dotted key, value text)

// A model as the file declares it, before its recipe is resolved.
struct ModelSpec {
  std::string name;
  KeyValues recipe;     // relative to `old:` / `new:`
  KeyValues side_info;  // relative to `side_info:` (old models only)
};

void flatten(const YAML::Node& node, const std::string& prefix, KeyValues& out) {
  for (const auto& item : node) {
    const std::string key = join_key(prefix, item.first.Scalar());
    if (item.second.IsMap() && item.second.size() > 0)
      flatten(item.second, key, out);
    else
      out.emplace_back(key, override_value_text(item.second));
  }
}

// Names become directory names and table headings: keep them plain.
void check_name(const std::string& name, const std::string& where) {
  const bool plain = !name.empty() && name.size() <= 100 &&
                     std::isalnum(static_cast<unsigned char>(name[0])) &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                              c == '-' || c == '+' || c == '=';
                     });
  if (!plain)
    throw ConfigError(where + ": model name '" + name +
                      "' must start with a letter or digit and hold only letters, digits and "
                      ". _ - + = (at most 100 characters)");
}

std::string sanitize(const std::string& text) {
  std::string out;
  for (const char c : text)
    out +=
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+' ? c : '_';
  return out;
}

std::vector<ModelSpec> models_from_axes(const YAML::Node& axes, const std::string& where) {
  YAML::Node block;
  block["mode"] = "product";
  block["params"] = axes;
  std::vector<ModelSpec> models;
  for (const auto& point : expand_sweep(read_sweep_block(block, where))) {
    ModelSpec spec;
    for (const auto& text : point.overrides) {
      const auto equals = text.find('=');
      spec.recipe.emplace_back(text.substr(0, equals), text.substr(equals + 1));
      spec.name += (spec.name.empty() ? "" : "-") + sanitize(text.substr(equals + 1));
    }
    models.push_back(std::move(spec));
  }
  return models;
}

std::vector<ModelSpec> models_by_name(const YAML::Node& map, const std::string& where,
                                      bool old_role) {
  if (!map.IsMap() || map.size() == 0)
    throw ConfigError(where + ": expected a map of model names to their overrides");
  std::vector<ModelSpec> models;
  for (const auto& item : map) {
    ModelSpec spec;
    spec.name = item.first.Scalar();
    const std::string model_where = where + "." + spec.name;
    check_name(spec.name, model_where);
    const YAML::Node body = item.second;
    if (body && !body.IsNull() && !body.IsMap())
      throw ConfigError(model_where + ": expected a map of overrides (or {})");
    if (body && body.IsMap()) {
      for (const auto& entry : body) {
        const std::string key = entry.first.Scalar();
        if (key == "side_info" || key.rfind("side_info.", 0) == 0) {
          if (!old_role)
            throw ConfigError(model_where +
                              ": side_info belongs to old models (ψ is stored with "
                              "the old gallery)");
          YAML::Node one;
          one[key] = entry.second;
          KeyValues values;
          flatten(one, "", values);
          for (auto& [k, v] : values) {
            if (k.size() <= 10)
              throw ConfigError(model_where +
                                ".side_info: expected a map of overrides of the "
                                "side_info: recipe");
            spec.side_info.emplace_back(k.substr(10), v);  // drop "side_info."
          }
        } else {
          YAML::Node one;
          one[key] = entry.second;
          flatten(one, "", spec.recipe);
        }
      }
    }
    models.push_back(std::move(spec));
  }
  return models;
}

GridModel resolve_model(YAML::Node study_tree, const std::string& source, const ModelSpec& spec,
                        const std::string& role, const std::vector<std::string>& cli,
                        const RegisteredNames& names) {
  GridModel model;
  model.name = spec.name;
  for (const auto& [key, value] : spec.recipe)
    model.overrides.push_back(role + "." + key + "=" + value);
  for (const auto& [key, value] : spec.side_info)
    model.overrides.push_back("side_info." + key + "=" + value);
  std::vector<std::string> overrides = model.overrides;
  overrides.insert(overrides.end(), cli.begin(), cli.end());  // the command line wins
  const std::string where = source + " [" + role + " model " + spec.name + "]";
  LoadedConfig<StudyConfig> loaded;
  try {
    loaded = load_config_tree<StudyConfig>(study_tree, where, overrides, names);
  } catch (const ConfigError& e) {
    // An override's message names only the override: say which model it belongs to.
    const std::string message = e.what();
    if (message.rfind(where, 0) == 0) throw;
    throw ConfigError(where + ": " + message);
  }
  model.section = role == "old" ? loaded.config.old_model : loaded.config.new_model;
  model.side_info = loaded.config.side_info;
  return model;
}

std::size_t index_of(const std::vector<GridModel>& models, const std::string& name,
                     const std::string& role, const std::string& where) {
  for (std::size_t i = 0; i < models.size(); ++i)
    if (models[i].name == name) return i;
  std::vector<std::string> names;
  for (const auto& m : models) names.push_back(m.name);
  throw ConfigError(where + ": no " + role + " model '" + name + "'" + did_you_mean(name, names));
}

// `parse` reads the whole document afresh each time it is called: overrides change the tree they
// are applied to, and a copy (YAML::Clone) would lose the positions that error messages name.
GridConfig grid_from_document(const std::function<YAML::Node()>& parse, const std::string& source,
                              const std::vector<std::string>& overrides,
                              const RegisteredNames& names) {
  const YAML::Node root = parse();
  if (!root || !root.IsMap() || !root["grid"])
    throw ConfigError(source +
                      ": no grid: block (a grid file is a study plus grid: with its "
                      "models and pairs)");
  const YAML::Node block = root["grid"];
  const auto study_tree = [&parse] {
    YAML::Node tree = parse();
    tree.remove("grid");
    return tree;
  };
  const std::string where = source + ": grid";
  if (!block.IsMap()) throw ConfigError(where + ": expected a map");
  const std::vector<std::string> known = {"axes", "old_models", "new_models", "pairs", "bct"};
  for (const auto& item : block) {
    const std::string key = item.first.Scalar();
    if (std::find(known.begin(), known.end(), key) == known.end())
      throw ConfigError(where + ": unknown key '" + key + "'" + did_you_mean(key, known) +
                        " (known: axes, old_models, new_models, pairs, bct)");
  }

  GridConfig grid;
  grid.base = load_config_tree<StudyConfig>(study_tree(), source, overrides, names);

  for (const std::string role : {"old", "new"}) {
    const YAML::Node listed = block[role + "_models"];
    std::vector<ModelSpec> specs;
    if (listed)
      specs = models_by_name(listed, where + "." + role + "_models", role == "old");
    else if (block["axes"])
      specs = models_from_axes(block["axes"], where + ".axes");
    else
      throw ConfigError(where + ": no " + role + " models: give grid." + role +
                        "_models or grid.axes");
    std::set<std::string> model_names;
    auto& models = role == "old" ? grid.old_models : grid.new_models;
    for (const auto& spec : specs) {
      check_name(spec.name, where + " (" + role + " models)");
      if (!model_names.insert(spec.name).second)
        throw ConfigError(where + ": two " + role + " models are named '" + spec.name + "'");
      models.push_back(resolve_model(study_tree(), source, spec, role, overrides, names));
    }
  }

  if (const YAML::Node bct = block["bct"]) {
    grid.bct = bct.IsScalar() ? bct.Scalar() : "";
    if (grid.bct != "auto" && grid.bct != "none")
      throw ConfigError(where +
                        ".bct: expected auto (every pair whose embedding dimensions "
                        "match) or none, not '" +
                        grid.bct + "'");
  }
  const auto add_pair = [&](std::size_t o, std::size_t n) {
    GridPair pair{o, n, false};
    pair.bct = grid.bct == "auto" && grid.old_models[o].section.model.embedding_dim ==
                                         grid.new_models[n].section.model.embedding_dim;
    for (const auto& p : grid.pairs)
      if (p.old_index == o && p.new_index == n)
        throw ConfigError(where + ".pairs: '" + pair_label(grid, pair) + "' is listed twice");
    grid.pairs.push_back(pair);
  };
  const YAML::Node pairs = block["pairs"];
  if (!pairs || (pairs.IsScalar() && pairs.Scalar() == "all")) {
    for (std::size_t o = 0; o < grid.old_models.size(); ++o)
      for (std::size_t n = 0; n < grid.new_models.size(); ++n) add_pair(o, n);
  } else if (pairs.IsSequence() && pairs.size() > 0) {
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      const std::string item_where = where + ".pairs[" + std::to_string(i) + "]";
      std::string old_name, new_name;
      if (pairs[i].IsScalar()) {
        const std::string text = pairs[i].Scalar();
        const auto arrow = text.find("->");
        if (arrow == std::string::npos)
          throw ConfigError(item_where + ": expected 'old -> new', not '" + text + "'");
        old_name = trim(text.substr(0, arrow));
        new_name = trim(text.substr(arrow + 2));
      } else if (pairs[i].IsMap() && pairs[i]["old"] && pairs[i]["new"]) {
        old_name = pairs[i]["old"].Scalar();
        new_name = pairs[i]["new"].Scalar();
      } else {
        throw ConfigError(item_where + ": expected 'old -> new' or {old: ..., new: ...}");
      }
      add_pair(index_of(grid.old_models, old_name, "old", item_where),
               index_of(grid.new_models, new_name, "new", item_where));
    }
  } else {
    throw ConfigError(where + ".pairs: expected all or a list of 'old -> new'");
  }

  // What the grid resolved to, saved with its results: the study, every model's overrides, pairs.
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "grid" << YAML::Value << YAML::BeginMap;
  for (const auto& [role, models] :
       {std::pair{"old_models", &grid.old_models}, std::pair{"new_models", &grid.new_models}}) {
    out << YAML::Key << role << YAML::Value << YAML::BeginMap;
    for (const auto& m : *models)
      out << YAML::Key << m.name << YAML::Value << YAML::Flow << m.overrides;
    out << YAML::EndMap;
  }
  out << YAML::Key << "pairs" << YAML::Value << YAML::BeginSeq;
  for (const auto& p : grid.pairs) out << pair_label(grid, p) + (p.bct ? " (+bct)" : "");
  out << YAML::EndSeq << YAML::Key << "bct" << YAML::Value << grid.bct << YAML::EndMap
      << YAML::EndMap;
  grid.resolved_yaml = grid.base.resolved_yaml + "---\n" + out.c_str() + "\n";
  grid.hash = fnv1a(grid.resolved_yaml);
  return grid;
}

}  // namespace

GridConfig load_grid(const std::string& path, const std::vector<std::string>& overrides,
                     const RegisteredNames& names) {
  return grid_from_document([&path] { return load_yaml_file(path); }, path, overrides, names);
}

GridConfig parse_grid(const std::string& yaml_text, const std::string& source_name,
                      const std::vector<std::string>& overrides, const RegisteredNames& names) {
  return grid_from_document([&] { return load_yaml_text(yaml_text, source_name); }, source_name,
                            overrides, names);
}

StudyConfig pair_study(const GridConfig& grid, const GridPair& pair) {
  const auto& old_model = grid.old_models.at(pair.old_index);
  const auto& new_model = grid.new_models.at(pair.new_index);
  StudyConfig study = grid.base.config;
  study.name = grid.base.config.name + "/" + old_model.name + "->" + new_model.name;
  study.old_model = old_model.section;
  study.side_info = old_model.side_info;
  study.new_model = new_model.section;
  study.bct_model = new_model.section;
  return study;
}

std::string pair_label(const GridConfig& grid, const GridPair& pair) {
  return grid.old_models.at(pair.old_index).name + " -> " + grid.new_models.at(pair.new_index).name;
}

}  // namespace fct::config
