#include "framework/study/study_graph.h"

#include <algorithm>

#include "framework/config/config_writer.h"
#include "framework/core/hash.h"
#include "framework/study/node_kinds.h"
#include "framework/train/run_directory.h"

namespace fct::study {
namespace {

graph::StageNode linked(graph::StageNode node, std::vector<graph::RunLink> links) {
  node.links = std::move(links);
  return node;
}

graph::StageNode labelled(graph::StageNode node, const std::string& label) {
  node.label = label;
  return node;
}

// ψ models are shared by recipe and old class set, so their directory is named by both.
std::string side_info_identity(const config::GridModel& old_model) {
  std::string classes;
  for (const auto c : old_model.section.classes) classes += std::to_string(c) + ",";
  return to_hex(fnv1a(config::to_yaml(old_model.side_info) + "classes " + classes)).substr(0, 12);
}

}  // namespace

graph::RunNodes study_run_nodes(const StageEnvironment& env, const config::StudyConfig& study,
                                const std::string& run_directory) {
  graph::RunNodes run;
  run.run_directory = run_directory;
  run.add("old", linked(supervised_model_node(env, "old", study, "old", study.old_model),
                        {model_link("old")}));
  run.add("side_info",
          linked(side_info_model_node(env, study, study.old_model.classes, study.side_info),
                 {model_link("side_info")}));
  run.add("new", linked(supervised_model_node(env, "new", study, "new", study.new_model),
                        {model_link("new")}));
  run.add("bct",
          linked(bct_model_node(env, study, "bct", study.bct_model, "old"), {model_link("bct")}));
  // The old gallery carries ψ beside φ_old, as FCT stores it.
  run.add("stores/old",
          linked(store_node(env, study, "old", "old", "side_info"), {store_link("old")}));
  run.add("stores/new", linked(store_node(env, study, "new", "new", ""), {store_link("new")}));
  run.add("stores/bct", linked(store_node(env, study, "bct", "bct", ""), {store_link("bct")}));
  PairNodeIds ids{"old", "side_info", "new", "bct", "stores/old", "stores/new", "stores/bct"};
  add_compatibility_nodes(run, env, study, ids, "FCT study " + study.name);
  return run;
}

std::vector<graph::RunNodes> grid_run_nodes(const StageEnvironment& env,
                                            const config::GridConfig& grid,
                                            const std::string& root) {
  const auto& base = grid.base.config;
  // Seeds come from the role (old, new, bct), as in a study: models that differ only in one axis
  // start from the same weights, and a grid model with a study's recipe is that study's model
  // (the same key), taken from the run cache.
  // The nodes of one old and one new model, as a run declares them (with or without links).
  const auto old_model = [&](const config::GridModel& m) {
    return labelled(supervised_model_node(env, "old", base, "old", m.section),
                    "old model " + m.name);
  };
  const auto side_info = [&](const config::GridModel& m) {
    return labelled(side_info_model_node(env, base, m.section.classes, m.side_info),
                    "side-info model " + side_info_identity(m));
  };
  const auto new_model = [&](const config::GridModel& m) {
    return labelled(supervised_model_node(env, "new", base, "new", m.section),
                    "new model " + m.name);
  };
  const auto old_id = [](const config::GridModel& m) { return "models/old/" + m.name; };
  const auto new_id = [](const config::GridModel& m) { return "models/new/" + m.name; };
  const auto side_id = [&](const config::GridModel& m) {
    return "side_info/" + side_info_identity(m);
  };

  std::vector<graph::RunNodes> runs(1);
  graph::RunNodes& shared = runs.front();
  shared.run_directory = root;
  for (const auto& m : grid.old_models) {
    shared.add(old_id(m), linked(old_model(m), {{old_id(m), ""}}));
    if (shared.nodes.count(side_id(m)) == 0)
      shared.add(side_id(m), linked(side_info(m), {{side_id(m), ""}}));
  }
  for (const auto& m : grid.new_models)
    shared.add(new_id(m), linked(new_model(m), {{new_id(m), ""}}));
  for (const auto& m : grid.old_models)
    shared.add("stores/old-" + m.name,
               linked(store_node(env, base, "old-" + m.name, old_id(m), side_id(m)),
                      {store_link("old-" + m.name)}));
  for (const auto& m : grid.new_models)
    shared.add("stores/new-" + m.name, linked(store_node(env, base, "new-" + m.name, new_id(m), ""),
                                              {store_link("new-" + m.name)}));

  for (const auto& pair : grid.pairs) {
    const auto& o = grid.old_models[pair.old_index];
    const auto& n = grid.new_models[pair.new_index];
    const config::StudyConfig study = config::pair_study(grid, pair);
    graph::RunNodes run;
    run.run_directory = grid_pair_directory(grid, pair);
    // What the pair reads from the grid's shared models, declared again without links: the
    // graph merges them with the shared run's.
    run.add("old", old_model(o));
    run.add("side_info", side_info(o));
    run.add("new", new_model(n));
    run.add("stores/old", store_node(env, base, "old-" + o.name, "old", "side_info"));
    run.add("stores/new", store_node(env, base, "new-" + n.name, "new", ""));
    PairNodeIds ids{"old", "side_info", "new", "", "stores/old", "stores/new", ""};
    if (pair.bct) {
      run.add("bct", linked(labelled(bct_model_node(env, study, "bct", study.bct_model, "old"),
                                     "bct model " + n.name),
                            {model_link("bct")}));
      run.add("stores/bct",
              linked(store_node(env, study, "bct " + o.name + "->" + n.name, "bct", ""),
                     {store_link("bct")}));
      ids.bct_model = "bct";
      ids.bct_store = "stores/bct";
    }
    add_compatibility_nodes(
        run, env, study, ids,
        "FCT study " + study.name + " (" + config::pair_label(grid, pair) + ")");
    runs.push_back(std::move(run));
  }
  return runs;
}

std::string study_run_directory(const config::StudyConfig& study) {
  return train::resolve_run_directory(study.output_dir, study.name);
}

std::string grid_pair_directory(const config::GridConfig& grid, const config::GridPair& pair) {
  return study_run_directory(grid.base.config) + "/pairs/" + grid.old_models[pair.old_index].name +
         "--" + grid.new_models[pair.new_index].name;
}

graph::StageGraph studies_graph(const StageEnvironment& env,
                                const std::vector<const config::StudyConfig*>& studies) {
  graph::StageGraph graph;
  for (const auto* study : studies)
    graph.add_run(study_run_nodes(env, *study, study_run_directory(*study)));
  return graph;
}

graph::StageGraph grid_graph(const StageEnvironment& env, const config::GridConfig& grid) {
  graph::StageGraph graph;
  for (const auto& run : grid_run_nodes(env, grid, study_run_directory(grid.base.config)))
    graph.add_run(run);
  return graph;
}

}  // namespace fct::study
