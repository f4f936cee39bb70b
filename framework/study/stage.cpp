#include "framework/study/stage.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "framework/core/atomic_file.h"
#include "framework/core/hash.h"
#include "framework/core/preemption.h"
#include "framework/dist/preemption_vote.h"

namespace fct::study {
namespace {

enum class StageState { kFresh = 0, kResume = 1, kDone = 2 };

nlohmann::json read_record(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception&) {
    return nullptr;  // a damaged record only means the stage runs again
  }
}

}  // namespace

StageRunner::StageRunner(dist::Communicator& comm, int total_stages)
    : comm_(comm), total_(total_stages) {}

bool StageRunner::run(const StageSpec& stage, const std::function<void(bool resume)>& body) {
  ++index_;
  // A preemption that came while a stage without checkpoints ran (an embedding, the feature
  // cache) stops here, between stages: what is done stays done.
  if (dist::any_rank_preempted(comm_))
    throw Preempted(
        "preempted before stage " + std::to_string(index_) + "/" + std::to_string(total_) + " " +
            stage.name + "; run again to go on",
        "before stage " + std::to_string(index_) + "/" + std::to_string(total_) + " " + stage.name);
  const std::string key = to_hex(fnv1a(stage.key_text));
  // Rank 0 reads the record and decides; everybody follows its decision.
  auto decision = torch::zeros({1}, torch::kInt64);
  if (comm_.rank() == 0) {
    const auto record = read_record(stage.record_path);
    StageState state = StageState::kFresh;
    if (record.is_object() && record.value("key", std::string()) == key) {
      const bool outputs_exist =
          std::all_of(stage.outputs.begin(), stage.outputs.end(),
                      [](const auto& p) { return std::filesystem::exists(p); });
      if (record.value("state", std::string()) == "done" && outputs_exist)
        state = StageState::kDone;
      else
        state = StageState::kResume;
    }
    if (state == StageState::kFresh) {
      for (const auto& path : stage.outputs) std::filesystem::remove(path);
      for (const auto& path : stage.partial) std::filesystem::remove(path);
    }
    if (state != StageState::kDone) {
      std::filesystem::create_directories(std::filesystem::path(stage.record_path).parent_path());
      write_text_atomically(
          stage.record_path,
          nlohmann::json{{"stage", stage.name}, {"key", key}, {"state", "started"}}.dump(2) + "\n");
    }
    decision[0] = static_cast<int64_t>(state);
  }
  comm_.broadcast(decision, 0);
  const auto state = static_cast<StageState>(decision[0].item<int64_t>());
  if (state == StageState::kDone) {
    spdlog::info("stage {}/{} {}: done before with this config, skipped", index_, total_,
                 stage.name);
    return false;
  }
  spdlog::info("stage {}/{} {}{}", index_, total_, stage.name,
               state == StageState::kResume ? " (resuming)" : "");
  const auto start = std::chrono::steady_clock::now();
  body(state == StageState::kResume);
  comm_.barrier();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  seconds_ += seconds;
  if (comm_.rank() == 0) {
    write_text_atomically(stage.record_path, nlohmann::json{{"stage", stage.name},
                                                            {"key", key},
                                                            {"state", "done"},
                                                            {"seconds", seconds},
                                                            {"finished", utc_timestamp()}}
                                                     .dump(2) +
                                                 "\n");
  }
  comm_.barrier();
  spdlog::info("stage {}/{} {}: {:.1f} s", index_, total_, stage.name, seconds);
  return true;
}

void StageRunner::announce(const std::string& what) {
  ++index_;
  spdlog::info("stage {}/{} {}", index_, total_, what);
}

}  // namespace fct::study
