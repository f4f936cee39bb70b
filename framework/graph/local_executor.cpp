#include "framework/graph/local_executor.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>

#include "framework/core/error.h"
#include "framework/core/preemption.h"
#include "framework/core/provenance.h"
#include "framework/distributed/preemption_vote.h"
#include "framework/graph/artifact_cache.h"
#include "framework/graph/graph_record.h"
#include "framework/graph/run_links.h"

namespace fct::graph {
namespace {

namespace fs = std::filesystem;

// Rank 0 decides for every node, under the node's lock; the other ranks follow.
enum class Decision : int64_t { kReuse = 0, kBuild = 1, kResume = 2, kMissing = 3 };

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Rank 0's decision, on every rank.
Decision agree(distributed::Communicator& comm, Decision decision) {
  auto value = torch::full({1}, static_cast<int64_t>(decision), torch::kInt64);
  comm.broadcast(value, 0);
  return static_cast<Decision>(value[0].item<int64_t>());
}

// The node's lock, on rank 0 (empty elsewhere): exclusive, or shared when the node is complete and
// other runs read it. While another process holds it exclusively (it is building the node), every
// rank sleeps and asks again: the wait lasts as long as someone else's training, so it must not be
// one collective, which would run into the communicator's timeout on the ranks that wait in it.
std::optional<FileLock> lock_node(ArtifactCache& cache, distributed::Communicator& comm,
                                  const StageNode& stage, const std::string& key,
                                  const std::string& progress, std::chrono::milliseconds poll) {
  const bool rank0 = comm.rank() == 0;
  const auto start = std::chrono::steady_clock::now();
  auto next_note = start;
  for (;;) {
    std::optional<FileLock> lock;
    if (rank0) {
      lock = cache.try_lock(stage.kind, key, FileLock::Mode::kExclusive);
      // Another run that has published the node, or reads it, holds it shared until it ends:
      // read it too rather than wait for that run to finish.
      if (!lock && cache.contains(stage.kind, key)) {
        lock = cache.try_lock(stage.kind, key, FileLock::Mode::kShared);
        if (lock && !cache.contains(stage.kind, key)) lock.reset();  // collected in between
      }
    }
    auto held = torch::full({1}, lock ? 1 : 0, torch::kInt64);
    comm.broadcast(held, 0);
    if (held[0].item<int64_t>() == 1) return lock;
    if (std::chrono::steady_clock::now() >= next_note) {
      spdlog::info(
          "stage {} {}: another run is building it (cache {}/{}); waiting{}", progress, stage.label,
          stage.kind, short_key(key),
          next_note == start ? "" : fmt::format(" ({:.0f} s so far)", seconds_since(start)));
      next_note += std::chrono::minutes(1);
    }
    std::this_thread::sleep_for(poll);
  }
}

nlohmann::json node_record(const GraphNode& node, double seconds) {
  nlohmann::json references = nlohmann::json::array();
  for (const auto& r : node.references)
    references.push_back({{"run_directory", r.run_directory}, {"id", r.id}});
  return {{"label", node.node.label},  {"config", node.node.config},
          {"inputs", node.input_keys}, {"built_for", references},
          {"seconds", seconds},        {"git_revision", git_revision()}};
}

}  // namespace

ExecutionReport execute_locally(const StageGraph& graph, distributed::Communicator& comm,
                                const ExecutionOptions& options) {
  const bool rank0 = comm.rank() == 0;
  ArtifactCache cache(options.artifacts_dir);
  ExecutionReport report;
  if (options.dry_run) {
    if (rank0) report.plan = graph_status(graph, options.artifacts_dir);
    return report;
  }
  std::vector<FileLock> held;  // shared locks of every node this run reads, until it ends
  // With a selection (one part of a study), only the selected nodes and what they read are
  // visited; what they read must be in the cache already.
  std::set<std::string> needed;
  for (auto it = graph.nodes().rbegin(); it != graph.nodes().rend(); ++it) {
    if (options.selected && !options.selected(*it) && needed.count(it->key) == 0) continue;
    needed.insert(it->key);
    for (const auto& input : it->input_keys) needed.insert(input);
  }
  const int total = static_cast<int>(needed.size());
  int index = 0;
  if (rank0) {
    for (const auto& run : graph.run_directories())
      write_run_manifest(graph, run, options.artifacts_dir);
    if (!options.record_directory.empty())
      write_graph_record(options.record_directory, graph, options.artifacts_dir);
  }
  comm.barrier();

  for (const auto& node : graph.nodes()) {
    if (needed.count(node.key) == 0) continue;
    ++index;
    const StageNode& stage = node.node;
    // A preemption that came while a node without checkpoints ran (an embedding, the feature
    // cache) stops here, between nodes: what is done stays done.
    if (distributed::any_rank_preempted(comm))
      throw Preempted(fmt::format("preempted before stage {}/{} {}; run again to go on", index,
                                  total, stage.label),
                      fmt::format("before stage {}/{} {}", index, total, stage.label));
    std::vector<std::string> inputs;
    for (const auto& input : node.input_keys)
      inputs.push_back(cache.directory(graph.node(input).node.kind, input));

    NodeOutcome outcome;
    outcome.key = node.key;
    if (!stage.cached) {
      // Written into its one run directory, every time: it only gathers what the others made.
      spdlog::info("stage {}/{} {}", index, total, stage.label);
      const auto start = std::chrono::steady_clock::now();
      stage.build({node.references.front().run_directory, false, inputs});
      comm.barrier();
      outcome.state = "built";
      outcome.seconds = seconds_since(start);
      report.nodes.push_back(outcome);
      continue;
    }

    const bool selected = !options.selected || options.selected(node);
    std::optional<FileLock> lock = lock_node(cache, comm, stage, node.key,
                                             fmt::format("{}/{}", index, total), options.lock_poll);
    Decision decision = Decision::kReuse;
    if (rank0) {
      if (cache.contains(stage.kind, node.key))
        decision = Decision::kReuse;
      else if (!selected)
        decision = Decision::kMissing;
      else if (stage.resumable && fs::exists(cache.partial_directory(stage.kind, node.key)))
        decision = Decision::kResume;
      else
        decision = Decision::kBuild;
    }
    decision = agree(comm, decision);
    if (decision == Decision::kMissing) {
      throw Error(fmt::format("{} ({} {}) is not in the run cache {}{}", stage.label, stage.kind,
                              short_key(node.key), options.artifacts_dir,
                              options.missing_hint ? ": " + options.missing_hint(node) : ""));
    }
    if (decision == Decision::kReuse) {
      if (rank0) {
        cache.touch(stage.kind, node.key);
        lock->downgrade();
        held.push_back(std::move(*lock));
      }
      spdlog::info("stage {}/{} {}: done before with this config, skipped (cache {}/{})", index,
                   total, stage.label, stage.kind, short_key(node.key));
      outcome.state = selected ? "reused" : "skipped";
      ++report.reused;
    } else {
      std::string directory = cache.partial_directory(stage.kind, node.key);
      if (rank0) {
        // A build that is not resumed starts from an empty directory: whatever a failed attempt
        // left there is not trusted.
        if (decision == Decision::kBuild) fs::remove_all(directory);
        directory = cache.begin(stage.kind, node.key);
      }
      comm.barrier();
      spdlog::info("stage {}/{} {}{}", index, total, stage.label,
                   decision == Decision::kResume ? " (resuming)" : "");
      const auto start = std::chrono::steady_clock::now();
      try {
        stage.build({directory, decision == Decision::kResume, inputs});
        comm.barrier();
      } catch (const Preempted&) {
        throw;  // the partial directory keeps the checkpoint to resume from
      } catch (...) {
        // This rank's view: the others leave through the job's abort. Nothing under the key.
        if (rank0) cache.discard(stage.kind, node.key);
        throw;
      }
      outcome.seconds = seconds_since(start);
      if (rank0) {
        cache.publish(stage.kind, node.key, node_record(node, outcome.seconds));
        lock->downgrade();
        held.push_back(std::move(*lock));
      }
      comm.barrier();
      spdlog::info("stage {}/{} {}: {:.1f} s", index, total, stage.label, outcome.seconds);
      outcome.state = "built";
      report.seconds += outcome.seconds;
      ++report.built;
    }
    if (rank0) link_node(node, options.artifacts_dir);
    comm.barrier();
    report.nodes.push_back(outcome);
  }
  if (rank0 && !options.record_directory.empty())
    write_graph_record(options.record_directory, graph, options.artifacts_dir);
  return report;
}

}  // namespace fct::graph
