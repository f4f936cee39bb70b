// `fct cache ls [--artifacts-dir DIR] [--json]`: every node of the run cache with its state, size,
// last use and the run directories that reference it.
// `fct cache gc [--artifacts-dir DIR] [--older-than AGE] [--dry-run] [--json]`: removes the nodes
// that no live run directory references (framework/graph/cache_inventory.h, Note [What gc
// keeps]). Both work on the file system alone: rank 0 does the work, any other rank nothing.
#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "framework/cli/commands.h"
#include "framework/graph/artifact_cache.h"
#include "framework/graph/cache_inventory.h"

namespace fct::cli {
namespace {

using Clock = std::chrono::system_clock;

struct CacheArguments {
  std::string artifacts_dir;
  std::string older_than = "0";
  bool dry_run = false;
  bool json = false;
};

constexpr std::size_t kShortKey = 12;

std::string utc_time_text(Clock::time_point time) {
  const std::time_t seconds = Clock::to_time_t(time);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::string size_text(std::uintmax_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  for (value /= 1024.0; value >= 1024.0 && unit + 1 < std::size(kUnits); value /= 1024.0) ++unit;
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string runs_text(const std::vector<std::string>& runs) {
  std::string text;
  for (const auto& run : runs) text += (text.empty() ? "" : ", ") + run;
  return text.empty() ? "-" : text;
}

nlohmann::json entry_json(const graph::CacheEntry& entry) {
  return {{"kind", entry.kind},
          {"key", entry.key},
          {"state", graph::node_state_name(entry.state)},
          {"bytes", entry.bytes},
          {"last_used", utc_time_text(entry.last_used)},
          {"runs", entry.runs},
          {"directory", entry.directory}};
}

// Left-aligned columns, two blanks apart; the last column is not padded.
std::string table_text(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string text;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c)
      line += c + 1 < row.size() ? fmt::format("{:<{}}  ", row[c], widths[c]) : row[c];
    text += line + "\n";
  }
  return text;
}

void run_ls(const CacheArguments& args) {
  const graph::ArtifactCache cache(graph::resolve_artifacts_dir(args.artifacts_dir));
  const auto entries = graph::list_cache(cache);
  if (args.json) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& entry : entries) array.push_back(entry_json(entry));
    std::cout << array.dump(2) << "\n" << std::flush;
    return;
  }
  const auto now = Clock::now();
  std::vector<std::vector<std::string>> rows = {
      {"kind", "key", "state", "size", "last use", "referenced by"}};
  std::uintmax_t bytes = 0;
  std::map<std::string, int> states;  // "complete" → how many
  for (const auto& entry : entries) {
    rows.push_back({entry.kind, entry.key.substr(0, kShortKey), graph::node_state_name(entry.state),
                    size_text(entry.bytes), graph::age_text(now - entry.last_used) + " ago",
                    runs_text(entry.runs)});
    bytes += entry.bytes;
    ++states[graph::node_state_name(entry.state)];
  }
  std::cout << "run cache " << cache.root() << "\n";
  if (entries.empty()) {
    std::cout << "no nodes\n" << std::flush;
    return;
  }
  std::string counts;
  for (const auto& [state, count] : states)
    counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", count, state);
  std::cout << table_text(rows)
            << fmt::format("{} nodes ({}), {}\n", entries.size(), counts, size_text(bytes))
            << std::flush;
}

const char* keep_reason_name(graph::KeepReason reason) {
  switch (reason) {
    case graph::KeepReason::kReferenced:
      return "referenced";
    case graph::KeepReason::kInUse:
      return "in_use";
    case graph::KeepReason::kTooRecent:
      return "too_recent";
  }
  return "";
}

void run_gc(const CacheArguments& args) {
  graph::GcOptions options;
  options.older_than_seconds = graph::parse_age_seconds(args.older_than, "--older-than");
  options.dry_run = args.dry_run;
  const graph::ArtifactCache cache(graph::resolve_artifacts_dir(args.artifacts_dir));
  const auto report = graph::collect_garbage(cache, options);
  const auto now = Clock::now();
  if (args.json) {
    nlohmann::json removed = nlohmann::json::array(), kept = nlohmann::json::array();
    for (const auto& entry : report.removed) removed.push_back(entry_json(entry));
    for (const auto& node : report.kept) {
      auto json = entry_json(node.entry);
      json["reason"] = keep_reason_name(node.reason);
      kept.push_back(json);
    }
    const nlohmann::json json = {{"artifacts_dir", cache.root()},
                                 {"dry_run", report.dry_run},
                                 {"removed", removed},
                                 {"bytes_freed", report.bytes_freed},
                                 {"kept", kept},
                                 {"dropped_runs", report.dropped_runs},
                                 {"leftovers_removed", report.leftovers_removed}};
    std::cout << json.dump(2) << "\n" << std::flush;
    return;
  }
  std::vector<std::vector<std::string>> rows;
  const std::string removed_word = report.dry_run ? "would remove" : "removed";
  for (const auto& entry : report.removed)
    rows.push_back({removed_word, entry.kind, entry.key.substr(0, kShortKey),
                    graph::node_state_name(entry.state), size_text(entry.bytes),
                    "unused for " + graph::age_text(now - entry.last_used)});
  int referenced = 0, in_use = 0, too_recent = 0;
  for (const auto& node : report.kept) {
    rows.push_back({"kept", node.entry.kind, node.entry.key.substr(0, kShortKey),
                    graph::node_state_name(node.entry.state), size_text(node.entry.bytes),
                    graph::describe_keep_reason(node, now)});
    referenced += node.reason == graph::KeepReason::kReferenced;
    in_use += node.reason == graph::KeepReason::kInUse;
    too_recent += node.reason == graph::KeepReason::kTooRecent;
  }
  std::cout << "run cache " << cache.root() << (report.dry_run ? " (dry run)" : "") << "\n"
            << table_text(rows);
  for (const auto& run : report.dropped_runs)
    std::cout << (report.dry_run ? "would drop" : "dropped") << " the registration of " << run
              << ": the directory is gone\n";
  if (report.leftovers_removed > 0)
    std::cout << (report.dry_run ? "would remove " : "removed ") << report.leftovers_removed
              << " directories left by an interrupted removal\n";
  std::cout << fmt::format(
                   "gc: {} {} node(s), {} {}; kept {}: {} referenced, {} in use, {} too recent\n",
                   removed_word, report.removed.size(), size_text(report.bytes_freed),
                   report.dry_run ? "to free" : "freed", report.kept.size(), referenced, in_use,
                   too_recent)
            << std::flush;
}

}  // namespace

void add_cache_command(CLI::App& app, const CommandContext& context) {
  auto args = std::make_shared<CacheArguments>();
  CLI::App* command = app.add_subcommand("cache", "The run cache of stage nodes: ls, gc");
  command->require_subcommand(1);
  const auto add_common = [&](CLI::App* sub) {
    sub->add_option("--artifacts-dir", args->artifacts_dir,
                    std::string("the run cache's root (default: $") + graph::kArtifactsDirVariable +
                        ", else " + graph::kDefaultArtifactsDir + ")");
    sub->add_flag("--json", args->json, "print JSON instead of a table");
  };

  CLI::App* ls = command->add_subcommand("ls", "List the nodes, their size, last use and runs");
  add_common(ls);
  ls->callback([args, &context] {
    if (context.rank_info.rank == 0) run_ls(*args);  // the file system is the same for every rank
  });

  CLI::App* gc = command->add_subcommand(
      "gc", "Remove the nodes that no run directory references and no process uses");
  add_common(gc);
  gc->add_option("--older-than", args->older_than,
                 "keep nodes used more recently than this: 0 (no age condition), 90s, 30m, 12h, 7d")
      ->capture_default_str();
  gc->add_flag("--dry-run", args->dry_run, "report what would be removed, remove nothing");
  gc->callback([args, &context] {
    if (context.rank_info.rank == 0) run_gc(*args);  // one remover: the others would only race it
  });
}

}  // namespace fct::cli
