// `fct data index|verify DATASET.yaml [key=value ...]`: the dataset tools. The YAML is a data
// section (name, root, ...) or any experiment or study file with a `data:` section.
//   index:  builds (or checks and loads) the cached index of each split, ahead of a run.
//   verify: decodes every image and reports images per class, unreadable and truncated files,
//           files named as another format and label-list mismatches; exits 1 unless clean.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "framework/cli/commands.h"
#include "framework/config/config_loader.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/data/dataset_verification.h"
#include "framework/data/image_file_dataset.h"
#include "framework/data/image_layout.h"
#include "framework/data/index_cache.h"
#include "framework/study/registered_names.h"
#include "framework/train/progress_bar.h"

namespace fct::cli {
namespace {

struct DataArguments {
  std::string config_path;
  std::vector<std::string> overrides;
  std::vector<std::string> splits;  // empty = the config's train and val splits
  bool rebuild = false;
  int threads = 0;
  std::string json_path;
  bool no_progress = false;
};

config::DataConfig load_data_config(const DataArguments& args) {
  YAML::Node root = config::load_yaml_file(args.config_path);
  // An experiment or study file: its data section, with overrides given relative to it.
  if (root.IsMap() && root["data"]) root = root["data"];
  return config::load_config_tree<config::DataConfig>(root, args.config_path, args.overrides,
                                                      study::registered_names())
      .config;
}

std::vector<std::string> splits_of(const DataArguments& args, const config::DataConfig& data) {
  if (!args.splits.empty()) return args.splits;
  std::vector<std::string> splits{data.train_split};
  if (data.val_split != data.train_split) splits.push_back(data.val_split);
  return splits;
}

std::unique_ptr<data::ImageLayout> layout_of(const config::DataConfig& data) {
  if (!data::layout_registry().contains(data.name))
    throw ConfigError("fct data works on datasets of image files (" +
                      [] {
                        std::string names;
                        for (const auto& n : data::layout_registry().names())
                          names += (names.empty() ? "" : ", ") + n;
                        return names;
                      }() +
                      "), not on '" + data.name + "'");
  if (data.root.empty()) throw ConfigError("data.root is not set");
  return data::layout_registry().get(data.name)();
}

void run_index(const DataArguments& args) {
  const config::DataConfig data = load_data_config(args);
  const auto layout = layout_of(data);
  for (const auto& split : splits_of(args, data)) {
    const auto load =
        data::load_or_build_index(*layout, {data.root, split, data.cache_dir, args.rebuild});
    std::cout << data.name << " " << split << ": " << load.index.size() << " images, "
              << load.index.classes.size() << " classes, " << load.index.problems.size()
              << " label-list problems; " << (load.from_cache ? "cache valid" : "indexed") << " in "
              << load.seconds << " s -> " << load.cache_path << "\n";
  }
}

int run_verify(const DataArguments& args) {
  const config::DataConfig data = load_data_config(args);
  const auto layout = layout_of(data);
  const int threads = args.threads > 0
                          ? args.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  nlohmann::json reports = nlohmann::json::array();
  bool clean = true;
  for (const auto& split : splits_of(args, data)) {
    auto load = data::load_or_build_index(*layout, {data.root, split, data.cache_dir, false});
    const data::ImageFileDataset dataset(data.name, std::move(load.index),
                                         data::BadFilePolicy::kSkip);
    train::ProgressBar bar("verify " + split, dataset.size(), "img", !args.no_progress);
    const auto report =
        data::verify_dataset(dataset, threads, [&](int64_t done) { bar.update(done); });
    bar.finish();
    std::cout << report.to_text();
    reports.push_back(report.to_json());
    clean = clean && report.clean();
  }
  if (!args.json_path.empty()) write_text_atomically(args.json_path, reports.dump(2) + "\n");
  return clean ? 0 : 1;
}

}  // namespace

void add_data_command(CLI::App& app, const CommandContext& context) {
  auto args = std::make_shared<DataArguments>();
  CLI::App* command = app.add_subcommand("data", "Dataset tools: index, verify");
  command->require_subcommand(1);
  const auto add_common = [&](CLI::App* sub) {
    sub->add_option("config", args->config_path,
                    "dataset YAML (a data section, or a file with a data: section)")
        ->required();
    sub->add_option("overrides", args->overrides, "overrides of the data section: key=value");
    sub->add_option("--split", args->splits, "split(s) to work on (default: train and val)");
  };
  CLI::App* index = command->add_subcommand("index", "Build the dataset index ahead of a run");
  add_common(index);
  index->add_flag("--rebuild", args->rebuild, "rescan even if the cached index is valid");
  index->callback([args, &context] {
    if (context.rank_info.rank == 0) run_index(*args);  // one scanner; the cache is shared
  });

  CLI::App* verify =
      command->add_subcommand("verify", "Decode every image and report what a run would meet");
  add_common(verify);
  verify->add_option("--threads", args->threads, "decoding threads (0 = every core)");
  verify->add_option("--json", args->json_path, "also write the report as JSON here");
  verify->add_flag("--no-progress", args->no_progress, "no progress bar");
  verify->callback([args, &context] {
    if (context.rank_info.rank != 0) return;  // one process decodes; others have nothing to do
    const int status = run_verify(*args);
    if (status != 0) throw DataError("fct data verify: the dataset is not clean (see above)");
  });
}

}  // namespace fct::cli
