// The graph record of a run directory: graph.json holds every node with its kind, label, inputs
// and the runs that declared it; read back against a scratch run cache each node shows the state
// the cache gives it (cached with its time and first run, partial, running while its lock is held,
// to run, per run) without creating anything for nodes not begun; the status table, its JSON and
// the SVG drawing (well-formed, one box per node, placed by layer, coloured by state).
#include "framework/graph/graph_record.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/graph/artifact_cache.h"
#include "tests/test_support.h"

namespace fct::graph {
namespace {

namespace fs = std::filesystem;
using fct::testing::read_text_file;
using fct::testing::ScratchDir;
using fct::testing::write_text_file;

#define EXPECT_ERROR_NAMING(statement, text)                       \
  try {                                                            \
    statement;                                                     \
    ADD_FAILURE() << #statement " did not throw";                  \
  } catch (const Error& e) {                                       \
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) \
        << "'" << (text) << "' not in: " << e.what();              \
  }

StageNode stage(const std::string& kind, const std::string& config, std::vector<std::string> inputs,
                const std::string& label, bool cached = true) {
  StageNode n;
  n.kind = kind;
  n.config = config;
  n.inputs = std::move(inputs);
  n.label = label;
  n.cached = cached;
  return n;
}

// A study's shape: two models, the store that reads both, and the run's own results table.
RunNodes study(const std::string& run) {
  RunNodes nodes;
  nodes.run_directory = run;
  nodes.add("old", stage("old", "old recipe", {}, "old model"));
  nodes.add("new", stage("new", "new recipe", {}, "new model"));
  nodes.add("store", stage("store", "test split", {"old", "new"}, "store new"));
  nodes.add("table", stage("table", "", {"store"}, "results table", false));
  return nodes;
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

// Whether every element of `xml` is closed, in order, and no text holds a bare '<', '>' or '&'
// (what a viewer needs of the SVG; xml_escape keeps '<' and '>' out of attribute values, so a
// tag ends at the first '>').
::testing::AssertionResult well_formed(const std::string& xml) {
  std::vector<std::string> open;
  std::size_t at = 0;
  while (true) {
    const auto start = xml.find('<', at);
    const std::string text =
        xml.substr(at, start == std::string::npos ? std::string::npos : start - at);
    if (text.find('>') != std::string::npos)
      return ::testing::AssertionFailure() << "a '>' in text: " << text;
    for (auto amp = text.find('&'); amp != std::string::npos; amp = text.find('&', amp + 1)) {
      const auto semicolon = text.find(';', amp);
      if (semicolon == std::string::npos || semicolon - amp > 6)
        return ::testing::AssertionFailure() << "a bare '&' in text: " << text;
    }
    if (start == std::string::npos) break;
    const auto end = xml.find('>', start);
    if (end == std::string::npos) return ::testing::AssertionFailure() << "an unclosed tag";
    const std::string tag = xml.substr(start + 1, end - start - 1);
    at = end + 1;
    if (tag.empty()) return ::testing::AssertionFailure() << "an empty tag";
    if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1))
        return ::testing::AssertionFailure()
               << "</" << tag.substr(1) << "> closes " << (open.empty() ? "nothing" : open.back());
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(tag.substr(0, tag.find(' ')));
    }
  }
  if (!open.empty()) return ::testing::AssertionFailure() << "<" << open.back() << "> not closed";
  return ::testing::AssertionSuccess();
}

// The <g> element of the node whose tooltip starts with `label`.
std::string box_of(const std::string& svg, const std::string& label) {
  const auto start = svg.find("<g><title>" + label + ": ");
  if (start == std::string::npos) return "";
  return svg.substr(start, svg.find("</g>", start) - start);
}

TEST(GraphRecord, GraphJsonHoldsEveryNodeOnceWithTheRunsThatDeclaredIt) {
  StageGraph graph;
  const auto keys1 = graph.add_run(study("/runs/one"));
  const auto keys2 = graph.add_run(study("/runs/two"));
  const auto json = graph_json(graph, "/cache");
  EXPECT_EQ(json["artifacts_dir"], "/cache");
  // The models and the store are shared; each run has a table of its own.
  ASSERT_EQ(json["nodes"].size(), 5u);
  const nlohmann::json old_node = {{"key", keys1.at("old")},
                                   {"kind", "old"},
                                   {"label", "old model"},
                                   {"cached", true},
                                   {"inputs", nlohmann::json::array()},
                                   {"references",
                                    {{{"run_directory", "/runs/one"}, {"id", "old"}},
                                     {{"run_directory", "/runs/two"}, {"id", "old"}}}}};
  EXPECT_EQ(json["nodes"][0], old_node);
  EXPECT_EQ(json["nodes"][1]["key"], keys1.at("new"));
  EXPECT_EQ(json["nodes"][2]["key"], keys1.at("store"));
  EXPECT_EQ(json["nodes"][2]["inputs"].get<std::vector<std::string>>(),
            (std::vector<std::string>{keys1.at("old"), keys1.at("new")}));
  EXPECT_EQ(json["nodes"][3]["key"], keys1.at("table"));
  EXPECT_EQ(json["nodes"][3]["cached"], false);
  EXPECT_EQ(json["nodes"][3]["inputs"].get<std::vector<std::string>>(),
            std::vector<std::string>{keys1.at("store")});
  EXPECT_EQ(json["nodes"][3]["references"].size(), 1u);
  EXPECT_EQ(json["nodes"][4]["key"], keys2.at("table"));
  EXPECT_EQ(json["nodes"][4]["references"][0]["run_directory"], "/runs/two");
  EXPECT_NE(keys1.at("table"), keys2.at("table"));
}

TEST(GraphRecord, WrittenRecordReadsBackWithTheCachesStates) {
  ScratchDir dir("fct-graph-record");
  const std::string run = dir.file("run");
  const std::string artifacts = dir.file("cache");
  StageGraph graph;
  const auto keys = graph.add_run(study(run));
  write_graph_record(run, graph, artifacts);
  EXPECT_EQ(read_text_file(run + "/graph.json"), graph_json(graph, artifacts).dump(2) + "\n");

  auto status = read_graph_status(run);
  ASSERT_EQ(status.size(), 4u);
  EXPECT_EQ(status[0].key, keys.at("old"));
  EXPECT_EQ(status[0].kind, "old");
  EXPECT_EQ(status[0].label, "old model");
  EXPECT_EQ(status[0].runs, std::vector<std::string>{run});
  EXPECT_EQ(status[2].input_keys, (std::vector<std::string>{keys.at("old"), keys.at("new")}));
  for (const auto& node : status)
    EXPECT_EQ(node.state, node.kind == "table" ? BuildState::kPerRun : BuildState::kToRun)
        << node.kind;
  // The SVG was drawn from these states.
  EXPECT_EQ(read_text_file(run + "/graph.svg"), graph_svg(status, "stage graph of " + run));
  // Reading a graph whose nodes were never begun creates nothing in the cache (no lock files).
  EXPECT_FALSE(fs::exists(artifacts));

  // old: built, with its time and the run it was built for; new: being built (its lock is held);
  // store: a build that stopped (its partial directory, nobody holding the lock).
  const ArtifactCache cache(artifacts);
  cache.begin("old", keys.at("old"));
  nlohmann::json meta = {{"seconds", 2.5}};
  meta["built_for"] = nlohmann::json::array();
  meta["built_for"].push_back({{"run_directory", "/runs/first"}});
  meta["built_for"].push_back({{"run_directory", "/runs/second"}});
  cache.publish("old", keys.at("old"), meta);
  auto building = cache.lock("new", keys.at("new"), FileLock::Mode::kExclusive);
  cache.begin("new", keys.at("new"));
  cache.begin("store", keys.at("store"));

  status = read_graph_status(run);
  ASSERT_EQ(status.size(), 4u);
  EXPECT_EQ(status[0].state, BuildState::kCached);
  EXPECT_DOUBLE_EQ(status[0].seconds, 2.5);
  EXPECT_EQ(status[0].built_for, "/runs/first");
  EXPECT_EQ(status[1].state, BuildState::kRunning);
  EXPECT_EQ(status[2].state, BuildState::kPartial);
  EXPECT_DOUBLE_EQ(status[2].seconds, 0.0);
  EXPECT_EQ(status[3].state, BuildState::kPerRun);

  // The builder gone, the same partial directory is a build to resume.
  building.release();
  EXPECT_EQ(read_graph_status(run)[1].state, BuildState::kPartial);
}

// A complete node whose node.json cannot be read is still complete; only its details are lost.
TEST(GraphRecord, AnUnreadableNodeFileStillMeansCached) {
  ScratchDir dir("fct-graph-record");
  StageGraph graph;
  const auto keys = graph.add_run(study(dir.file("run")));
  write_graph_record(dir.file("run"), graph, dir.file("cache"));
  const ArtifactCache cache(dir.file("cache"));
  fs::create_directories(cache.directory("old", keys.at("old")));
  write_text_file(cache.directory("old", keys.at("old")) + "/" + kNodeFile, "{not json");
  const auto status = read_graph_status(dir.file("run"));
  EXPECT_EQ(status[0].state, BuildState::kCached);
  EXPECT_DOUBLE_EQ(status[0].seconds, 0.0);
  EXPECT_EQ(status[0].built_for, "");
}

// A dry run shows the same states from the graph in memory and writes nothing.
TEST(GraphRecord, GraphStatusInMemoryMatchesTheRecordAndWritesNothing) {
  ScratchDir dir("fct-graph-record");
  StageGraph graph;
  const auto keys = graph.add_run(study(dir.file("run")));
  const auto planned = graph_status(graph, dir.file("cache"));
  EXPECT_FALSE(fs::exists(dir.file("cache")));
  EXPECT_FALSE(fs::exists(dir.file("run")));
  ASSERT_EQ(planned.size(), 4u);
  EXPECT_EQ(planned[3].state, BuildState::kPerRun);

  const ArtifactCache cache(dir.file("cache"));
  cache.begin("store", keys.at("store"));
  write_graph_record(dir.file("run"), graph, dir.file("cache"));
  const auto in_memory = graph_status(graph, dir.file("cache"));
  const auto recorded = read_graph_status(dir.file("run"));
  ASSERT_EQ(in_memory.size(), recorded.size());
  for (std::size_t i = 0; i < recorded.size(); ++i) {
    EXPECT_EQ(in_memory[i].key, recorded[i].key);
    EXPECT_EQ(in_memory[i].label, recorded[i].label);
    EXPECT_EQ(in_memory[i].state, recorded[i].state) << recorded[i].kind;
    EXPECT_EQ(in_memory[i].runs, recorded[i].runs);
    EXPECT_EQ(in_memory[i].input_keys, recorded[i].input_keys);
  }
  EXPECT_EQ(recorded[2].state, BuildState::kPartial);
}

TEST(GraphRecord, AMissingOrBrokenRecordIsAnErrorNamingTheFile) {
  ScratchDir dir("fct-graph-record");
  EXPECT_ERROR_NAMING(read_graph_status(dir.path()), dir.file("graph.json") + " is missing");
  write_text_file(dir.file("graph.json"), "{\"nodes\": []}");  // no artifacts_dir
  EXPECT_ERROR_NAMING(read_graph_status(dir.path()),
                      dir.file("graph.json") + ": not a graph record");
  write_text_file(dir.file("graph.json"), "[1, 2");
  EXPECT_ERROR_NAMING(read_graph_status(dir.path()), dir.file("graph.json"));
}

std::vector<NodeStatus> four_statuses() {
  NodeStatus old;
  old.kind = "old";
  old.key = "0123456789abcdef";
  old.label = "old model";
  old.state = BuildState::kCached;
  old.seconds = 2.5;
  old.built_for = "/runs/a";
  NodeStatus store;
  store.kind = "store";
  store.key = "fedcba9876543210";
  store.label = "store new";
  store.state = BuildState::kFailed;
  store.built_for = "/runs/a";
  store.detail = "job 17 failed; log: x.out";  // shown instead of built_for
  store.input_keys = {old.key};
  NodeStatus table;
  table.kind = "table";
  table.key = "0011223344556677";
  table.label = "results table";
  table.state = BuildState::kPerRun;
  table.input_keys = {store.key};
  NodeStatus fresh;
  fresh.kind = "new";
  fresh.key = "aaaaaaaaaaaaaaaa";
  fresh.label = "new model";
  fresh.state = BuildState::kCached;
  fresh.seconds = 12.0;
  fresh.built_for = "/runs/b";
  return {old, store, table, fresh};
}

TEST(GraphRecord, StatusTableHasAHeaderARowPerNodeAndTheCountsByState) {
  EXPECT_EQ(status_table(four_statuses()),
            "kind               key          state     seconds  node                           "
            "    built for / detail\n"
            "old                0123456789ab cached        2.5  old model                      "
            "    /runs/a\n"
            "store              fedcba987654 failed             store new                      "
            "    job 17 failed; log: x.out\n"
            "table              001122334455 per run            results table                  "
            "    \n"
            "new                aaaaaaaaaaaa cached       12.0  new model                      "
            "    /runs/b\n"
            "4 nodes: 2 cached 1 failed 1 per run\n");
  EXPECT_EQ(status_table({}),
            "kind               key          state     seconds  node                           "
            "    built for / detail\n"
            "0 nodes:\n");
}

TEST(GraphRecord, StatusJsonNamesTheState) {
  const auto json = status_json(four_statuses());
  ASSERT_EQ(json.size(), 4u);
  const nlohmann::json store = {{"kind", "store"},
                                {"key", "fedcba9876543210"},
                                {"label", "store new"},
                                {"state", "failed"},
                                {"seconds", 0.0},
                                {"built_for", "/runs/a"},
                                {"runs", nlohmann::json::array()},
                                {"inputs", nlohmann::json::array({"0123456789abcdef"})},
                                {"detail", "job 17 failed; log: x.out"}};
  EXPECT_EQ(json[1], store);
  EXPECT_EQ(json[0]["state"], "cached");
  EXPECT_EQ(json[0]["seconds"], 2.5);
  EXPECT_EQ(json[2]["state"], "per run");
  EXPECT_TRUE(status_json({}).is_array());
  EXPECT_TRUE(status_json({}).empty());
}

TEST(GraphRecord, SvgIsWellFormedWithOneBoxPerNodePlacedByLayer) {
  // old and new in the first layer, the store reading both in the second, the table in the third.
  const auto four = four_statuses();
  std::vector<NodeStatus> nodes = {four[0], four[3], four[1], four[2]};  // inputs come first
  nodes[2].input_keys = {four[0].key, four[3].key};
  const std::string svg = graph_svg(nodes, "stage graph of <run> & co");
  EXPECT_TRUE(well_formed(svg)) << svg;
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" ", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_NE(svg.find(">stage graph of &lt;run&gt; &amp; co</text>"), std::string::npos) << svg;
  EXPECT_EQ(count_of(svg, "<g>"), 4u);
  EXPECT_EQ(count_of(svg, "<rect "), 5u);  // the background and one per node
  EXPECT_EQ(count_of(svg, "rx=\"5\""), 4u);
  EXPECT_EQ(count_of(svg, "<line "), 3u);  // old → store, new → store, store → table
  // Boxes 14 + 6.5 × 26 = 183 px wide (labels shorter than 26 characters), 50 px apart; two rows.
  EXPECT_NE(svg.find("width=\"689\" height=\"156\""), std::string::npos) << svg;
  EXPECT_NE(box_of(svg, "old model").find("<rect x=\"20\" y=\"40\" width=\"183\" height=\"34\""),
            std::string::npos);
  EXPECT_NE(box_of(svg, "new model").find("<rect x=\"20\" y=\"88\""), std::string::npos);
  EXPECT_NE(box_of(svg, "store new").find("<rect x=\"253\" y=\"40\""), std::string::npos);
  EXPECT_NE(box_of(svg, "results table").find("<rect x=\"486\" y=\"40\""), std::string::npos);
  // The edge new → store: from the right middle of new's box to the left middle of the store's.
  EXPECT_NE(svg.find("<line x1=\"203\" y1=\"105\" x2=\"253\" y2=\"57\""), std::string::npos) << svg;
  // Second line: state, short key and the time of a cached node.
  EXPECT_NE(box_of(svg, "old model").find(">cached  0123456789ab  2.5 s</text>"),
            std::string::npos);
  EXPECT_NE(box_of(svg, "store new").find(">failed  fedcba987654</text>"), std::string::npos);
  EXPECT_NE(box_of(svg, "old model").find("<title>old model: old 0123456789abcdef (cached)"),
            std::string::npos);
}

TEST(GraphRecord, SvgColoursEachNodeByItsState) {
  const std::vector<std::pair<BuildState, std::string>> colours = {
      {BuildState::kPerRun, "#eeeeee"},  {BuildState::kCached, "#b7e1b0"},
      {BuildState::kToRun, "#eeeeee"},   {BuildState::kRunning, "#ffe08a"},
      {BuildState::kPartial, "#f7d4a6"}, {BuildState::kQueued, "#cfe0f7"},
      {BuildState::kFailed, "#f4a3a3"},  {BuildState::kNeverRan, "#eeeeee"}};
  std::vector<NodeStatus> nodes;
  for (std::size_t i = 0; i < colours.size(); ++i) {
    NodeStatus node;
    node.kind = "old";
    node.key = std::string(15, '0') + std::to_string(i);
    node.label = "node " + std::to_string(i);
    node.state = colours[i].first;
    nodes.push_back(node);
  }
  const std::string svg = graph_svg(nodes, "states");
  EXPECT_TRUE(well_formed(svg)) << svg;
  EXPECT_EQ(count_of(svg, "rx=\"5\""), colours.size());
  for (std::size_t i = 0; i < colours.size(); ++i) {
    const std::string box = box_of(svg, "node " + std::to_string(i));
    const std::string state = config::name_of(colours[i].first);
    EXPECT_NE(box.find("(" + state + ")</title>"), std::string::npos) << box;
    EXPECT_NE(box.find("fill=\"" + colours[i].second + "\""), std::string::npos)
        << state << ": " << box;
  }
}

// Labels are escaped; a label over 60 characters is cut with an ellipsis in the box and kept
// whole in the tooltip, and the boxes are as wide as 60 characters, not more.
TEST(GraphRecord, SvgEscapesLabelsAndCutsLongOnes) {
  NodeStatus quoted;
  quoted.kind = "old";
  quoted.key = "0123456789abcdef";
  quoted.label = "a<b & \"c\"";
  NodeStatus long_one;
  long_one.kind = "new";
  long_one.key = "fedcba9876543210";
  long_one.label = std::string(59, 'x') + "yz";  // 61 characters
  const std::string svg = graph_svg({quoted, long_one}, "t");
  EXPECT_TRUE(well_formed(svg)) << svg;
  EXPECT_NE(svg.find(">a&lt;b &amp; &quot;c&quot;</text>"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("a<b"), std::string::npos);
  EXPECT_NE(svg.find(">" + std::string(59, 'x') + "\u2026</text>"), std::string::npos) << svg;
  EXPECT_NE(svg.find("<title>" + std::string(59, 'x') + "yz: new"), std::string::npos) << svg;
  EXPECT_NE(svg.find("width=\"404\" height=\"34\""), std::string::npos);  // 14 + 6.5 × 60
}

}  // namespace
}  // namespace fct::graph
