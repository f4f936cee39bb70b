#include "framework/graph/graph_record.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/json_file.h"
#include "framework/core/report_text.h"
#include "framework/graph/artifact_cache.h"

namespace fct::graph {
namespace {

namespace fs = std::filesystem;

// The state of one node as the cache shows it now.
void probe(const ArtifactCache& cache, NodeStatus& node, bool cached) {
  if (!cached) {  // a run's own table: made every time
    node.state = BuildState::kPerRun;
    return;
  }
  if (cache.contains(node.kind, node.key)) {
    node.state = BuildState::kCached;
    try {
      const auto record = read_json_file(cache.directory(node.kind, node.key) + "/" + kNodeFile);
      node.seconds = record.value("seconds", 0.0);
      const auto built_for = record.value("built_for", nlohmann::json::array());
      if (!built_for.empty()) node.built_for = built_for[0].value("run_directory", "");
    } catch (const Error&) {
      // A node.json we cannot read still marks a complete node; the details stay empty.
    }
    return;
  }
  // Only a node with a partial directory can be building; probing the others would create lock
  // files (a dry run writes nothing).
  if (!fs::exists(cache.partial_directory(node.kind, node.key)))
    node.state = BuildState::kToRun;
  else if (!cache.try_lock(node.kind, node.key, FileLock::Mode::kShared))
    node.state = BuildState::kRunning;
  else
    node.state = BuildState::kPartial;
}

const char* colour_of(BuildState state) {
  switch (state) {
    case BuildState::kCached:
      return "#b7e1b0";
    case BuildState::kRunning:
      return "#ffe08a";
    case BuildState::kQueued:
      return "#cfe0f7";
    case BuildState::kFailed:
      return "#f4a3a3";
    case BuildState::kPartial:
      return "#f7d4a6";
    case BuildState::kPerRun:
    case BuildState::kToRun:
    case BuildState::kNeverRan:
      break;
  }
  return "#eeeeee";
}

}  // namespace

nlohmann::json graph_json(const StageGraph& graph, const std::string& artifacts_dir) {
  auto nodes = nlohmann::json::array();
  for (const auto& node : graph.nodes()) {
    auto references = nlohmann::json::array();
    for (const auto& r : node.references)
      references.push_back({{"run_directory", r.run_directory}, {"id", r.id}});
    nodes.push_back({{"key", node.key},
                     {"kind", node.node.kind},
                     {"label", node.node.label},
                     {"cached", node.node.cached},
                     {"inputs", node.input_keys},
                     {"references", references}});
  }
  return {{"artifacts_dir", artifacts_dir}, {"nodes", nodes}};
}

void write_graph_record(const std::string& directory, const StageGraph& graph,
                        const std::string& artifacts_dir) {
  fs::create_directories(directory);
  write_text_atomically(directory + "/graph.json", graph_json(graph, artifacts_dir).dump(2) + "\n");
  write_text_atomically(directory + "/graph.svg",
                        graph_svg(read_graph_status(directory), "stage graph of " + directory));
}

std::vector<NodeStatus> read_graph_status(const std::string& directory) {
  const std::string path = directory + "/graph.json";
  if (!fs::exists(path))
    throw Error(path +
                " is missing: not the run directory of a study, sweep or grid run with "
                "this fct (run it, or plan it with --dry-run, first)");
  const auto record = read_json_file(path);
  std::vector<NodeStatus> nodes;
  try {
    const ArtifactCache cache(record.at("artifacts_dir").get<std::string>());
    for (const auto& n : record.at("nodes")) {
      NodeStatus node;
      node.key = n.at("key").get<std::string>();
      node.kind = n.at("kind").get<std::string>();
      node.label = n.value("label", node.kind);
      node.input_keys = n.value("inputs", std::vector<std::string>());
      for (const auto& r : n.value("references", nlohmann::json::array()))
        node.runs.push_back(r.value("run_directory", ""));
      probe(cache, node, n.value("cached", true));
      nodes.push_back(std::move(node));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: not a graph record ({})", path, e.what()));
  }
  return nodes;
}

std::vector<NodeStatus> graph_status(const StageGraph& graph, const std::string& artifacts_dir) {
  const ArtifactCache cache(artifacts_dir);
  std::vector<NodeStatus> nodes;
  for (const auto& n : graph.nodes()) {
    NodeStatus node;
    node.key = n.key;
    node.kind = n.node.kind;
    node.label = n.node.label;
    node.input_keys = n.input_keys;
    for (const auto& r : n.references) node.runs.push_back(r.run_directory);
    probe(cache, node, n.node.cached);
    nodes.push_back(std::move(node));
  }
  return nodes;
}

nlohmann::json status_json(const std::vector<NodeStatus>& nodes) {
  auto list = nlohmann::json::array();
  for (const auto& n : nodes)
    list.push_back({{"kind", n.kind},
                    {"key", n.key},
                    {"label", n.label},
                    {"state", config::name_of(n.state)},
                    {"seconds", n.seconds},
                    {"built_for", n.built_for},
                    {"runs", n.runs},
                    {"inputs", n.input_keys},
                    {"detail", n.detail}});
  return list;
}

std::string status_table(const std::vector<NodeStatus>& nodes) {
  std::ostringstream out;
  out << fmt::format("{:<18} {:<12} {:<8} {:>8}  {:<34} {}\n", "kind", "key", "state", "seconds",
                     "node", "built for / detail");
  std::map<std::string, int> counts;
  for (const auto& n : nodes) {
    const std::string state = config::name_of(n.state);
    ++counts[state];
    out << fmt::format("{:<18} {:<12} {:<8} {:>8}  {:<34} {}\n", n.kind, short_key(n.key), state,
                       n.seconds > 0 ? fmt::format("{:.1f}", n.seconds) : "", n.label,
                       n.detail.empty() ? n.built_for : n.detail);
  }
  out << nodes.size() << " nodes:";
  for (const auto& [state, count] : counts) out << " " << count << " " << state;
  out << "\n";
  return out.str();
}

std::string graph_svg(const std::vector<NodeStatus>& nodes, const std::string& title) {
  // Layer of a node: one right of its deepest input (inputs come first in the record).
  std::map<std::string, int> layer;
  std::map<int, int> per_layer;
  std::map<std::string, std::pair<int, int>> at;  // key → (layer, row)
  for (const auto& n : nodes) {
    int l = 0;
    for (const auto& input : n.input_keys)
      if (layer.count(input) != 0) l = std::max(l, layer[input] + 1);
    layer[n.key] = l;
    at[n.key] = {l, per_layer[l]++};
  }
  int rows = 1, layers = 1;
  for (const auto& [l, count] : per_layer) {
    rows = std::max(rows, count);
    layers = std::max(layers, l + 1);
  }
  // Boxes as wide as the longest label (at about 6.5 px per character of 11 px sans-serif), up to
  // kMaxLabel characters; longer ones end in an ellipsis, the full label is in the tooltip.
  constexpr std::size_t kMaxLabel = 60;
  std::size_t longest = 26;
  for (const auto& n : nodes) longest = std::max(longest, std::min(n.label.size(), kMaxLabel));
  const int box_w = 14 + static_cast<int>(6.5 * static_cast<double>(longest));
  const int box_h = 34, gap_x = 50, gap_y = 14, margin = 20, top = 40;
  const auto shown = [](const std::string& label) {
    return label.size() <= kMaxLabel ? label : label.substr(0, kMaxLabel - 1) + "\u2026";
  };
  const int width = margin * 2 + layers * box_w + (layers - 1) * gap_x;
  const int height = top + margin + rows * (box_h + gap_y);
  const auto x_of = [&](int l) { return margin + l * (box_w + gap_x); };
  const auto y_of = [&](int r) { return top + r * (box_h + gap_y); };
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << margin << "\" y=\"22\" font-size=\"14\">" << xml_escape(title)
      << "</text>\n";
  for (const auto& n : nodes)
    for (const auto& input : n.input_keys) {
      if (at.count(input) == 0) continue;
      const auto [il, ir] = at[input];
      const auto [l, r] = at[n.key];
      svg << "<line x1=\"" << x_of(il) + box_w << "\" y1=\"" << y_of(ir) + box_h / 2 << "\" x2=\""
          << x_of(l) << "\" y2=\"" << y_of(r) + box_h / 2
          << "\" stroke=\"#999\" stroke-width=\"1\"/>\n";
    }
  for (const auto& n : nodes) {
    const auto [l, r] = at[n.key];
    const std::string second_line =
        config::name_of(n.state) + "  " + short_key(n.key) +
        (n.seconds > 0 ? fmt::format("  {:.1f} s", n.seconds) : std::string());
    svg << "<g><title>"
        << xml_escape(n.label + ": " + n.kind + " " + n.key + " (" + config::name_of(n.state) + ")")
        << "</title>"
        << "<rect x=\"" << x_of(l) << "\" y=\"" << y_of(r) << "\" width=\"" << box_w
        << "\" height=\"" << box_h << "\" rx=\"5\" fill=\"" << colour_of(n.state)
        << "\" stroke=\"#555\"/>"
        << "<text x=\"" << x_of(l) + 6 << "\" y=\"" << y_of(r) + 14 << "\">"
        << xml_escape(shown(n.label)) << "</text>"
        << "<text x=\"" << x_of(l) + 6 << "\" y=\"" << y_of(r) + 28 << "\" fill=\"#444\">"
        << xml_escape(second_line) << "</text></g>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace fct::graph
