#include "framework/report/run_stages.h"

#include <filesystem>
#include <set>

#include "framework/core/error.h"
#include "framework/core/json_file.h"

namespace fct::report {
namespace fs = std::filesystem;

namespace {

struct Declared {
  std::string name, kind, key, label;
  bool cached = true;
};

// Names as the run directory links them; a node shared by several runs (a sweep's φ_old) has
// one name per run, usually the same.
std::string reference_names(const nlohmann::json& references) {
  std::set<std::string> seen;
  std::string names;
  for (const auto& r : references) {
    const std::string id = r.value("id", std::string());
    if (id.empty() || !seen.insert(id).second) continue;
    names += (names.empty() ? "" : ", ") + id;
  }
  return names;
}

std::vector<Declared> declared_nodes(const std::string& run_directory, std::string& artifacts_dir) {
  std::vector<Declared> nodes;
  for (const char* file : {"graph.json", "artifacts.json"}) {
    const std::string path = run_directory + "/" + file;
    if (!fs::exists(path)) continue;
    const auto record = read_json_file(path);
    try {
      artifacts_dir = record.value("artifacts_dir", std::string());
      for (const auto& n : record.at("nodes")) {
        Declared d;
        d.kind = n.at("kind").get<std::string>();
        d.key = n.at("key").get<std::string>();
        d.label = n.value("label", std::string());
        d.cached = n.value("cached", true);
        d.name = n.contains("references") ? reference_names(n["references"])
                                          : n.value("name", std::string());
        if (d.name.empty()) d.name = d.label.empty() ? d.kind : d.label;
        nodes.push_back(std::move(d));
      }
    } catch (const nlohmann::json::exception& e) {
      throw Error(path + ": not a graph record (" + e.what() + ")");
    }
    return nodes;
  }
  return nodes;
}

bool is_directory(const std::string& path) {
  std::error_code ignored;
  return !path.empty() && fs::is_directory(path, ignored);
}

}  // namespace

const char* describe(StageOrigin origin) {
  switch (origin) {
    case StageOrigin::kBuiltByThisRun:
      return "built by this run";
    case StageOrigin::kFromCache:
      return "from the cache";
    case StageOrigin::kInCache:
      return "in the cache";
    case StageOrigin::kPerRun:
      return "made per run";
    case StageOrigin::kNotCached:
      return "not in the cache";
  }
  return "";
}

std::optional<std::string> run_start_time(const std::string& run_directory) {
  const auto created = [](const std::string& path) -> std::optional<std::string> {
    if (!fs::exists(path)) return std::nullopt;
    const auto record = read_json_file(path);
    if (!record.is_object() || !record.contains("created") || !record["created"].is_string())
      return std::nullopt;
    return record["created"].get<std::string>();
  };
  if (auto own = created(run_directory + "/provenance.json")) return own;
  // A sweep's directory records no run of its own: its points do. A stage directory below a
  // study (old/) has a provenance.json too, but from when that stage was built: only directories
  // with results count.
  std::optional<std::string> earliest;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(run_directory, error)) {
    const std::string child = entry.path().string();
    if (!is_directory(child) || !fs::exists(child + "/results.json")) continue;
    if (auto time = created(child + "/provenance.json"))
      if (!earliest || *time < *earliest) earliest = time;  // ISO 8601 UTC sorts as text
  }
  return earliest;
}

std::vector<StageRecord> read_run_stages(const std::string& run_directory) {
  std::string artifacts_dir;
  const auto nodes = declared_nodes(run_directory, artifacts_dir);
  const auto start = run_start_time(run_directory);
  std::vector<StageRecord> stages;
  for (const auto& d : nodes) {
    StageRecord s;
    s.name = d.name;
    s.kind = d.kind;
    s.key = d.key;
    s.label = d.label;
    const std::string linked = run_directory + "/" + d.name;
    const std::string cached =
        artifacts_dir.empty() ? "" : artifacts_dir + "/stages/" + d.kind + "/" + d.key;
    s.directory = is_directory(linked) ? linked : is_directory(cached) ? cached : "";
    // The cache's own record first; a link's when the cache moved (a relative artifacts_dir).
    std::string node_file = cached.empty() ? "" : cached + "/node.json";
    if ((cached.empty() || !fs::exists(node_file)) && !s.directory.empty())
      node_file = s.directory + "/node.json";
    if (!d.cached) {
      s.origin = StageOrigin::kPerRun;
    } else if (fs::exists(node_file)) {
      const auto record = read_json_file(node_file);
      s.seconds = record.value("seconds", 0.0);
      s.published = record.value("published", std::string());
      if (s.label.empty()) s.label = record.value("label", std::string());
      const auto built_for = record.value("built_for", nlohmann::json::array());
      if (!built_for.empty() && built_for.front().is_object())
        s.built_for = built_for.front().value("run_directory", std::string());
      if (!start || s.published.empty())
        s.origin = StageOrigin::kInCache;
      else
        s.origin = s.published >= *start ? StageOrigin::kBuiltByThisRun : StageOrigin::kFromCache;
    }
    stages.push_back(std::move(s));
  }
  return stages;
}

}  // namespace fct::report
