// `fct cache ls` and `fct cache gc` through the built binary under mpirun, on a run cache laid out
// here with the cache's own functions: the listing names every node with its runs, gc removes
// only the node that no run directory references (one rank does it: each line is printed once),
// and a bad --older-than is refused by name.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "framework/graph/artifact_cache.h"
#include "framework/graph/cache_inventory.h"
#include "tests/cli/cli_test_support.h"

namespace fct::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kShared = "aaaaaaaaaaaaaaaa";
constexpr const char* kUnused = "bbbbbbbbbbbbbbbb";

#define EXPECT_CONTAINS(text, part)                          \
  EXPECT_NE(std::string(text).find(part), std::string::npos) \
      << "'" << (part) << "' not in: " << (text)

void publish_node(const graph::ArtifactCache& cache, const std::string& kind,
                  const std::string& key, std::size_t bytes) {
  auto lock = cache.lock(kind, key, graph::FileLock::Mode::kExclusive);
  write_text_file(cache.begin(kind, key) + "/data", std::string(bytes, 'x'));
  cache.publish(kind, key, {{"label", kind}});
}

// The JSON document in a command's output (mpirun or a library may add lines around it).
nlohmann::json json_in(const std::string& output, char open, char close) {
  const auto begin = output.find(std::string(1, open) + "\n");
  const auto end = output.rfind(close);
  if (begin == std::string::npos || end == std::string::npos || end < begin)
    throw std::runtime_error("no JSON in: " + output);
  return nlohmann::json::parse(output.substr(begin, end - begin + 1));
}

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

// Sets an environment variable for the test (the `fct` it starts inherits it), then restores it.
class EnvironmentVariable {
 public:
  EnvironmentVariable(std::string name, const std::string& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    ::setenv(name_.c_str(), value.c_str(), 1);
  }
  ~EnvironmentVariable() {
    if (old_)
      ::setenv(name_.c_str(), old_->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

TEST(CacheCommand, ListsTheNodesAndCollectsOnlyTheUnreferencedOne) {
  ScratchDir dir("fct-cache-cli");
  // The default root, runs/cache under the working directory.
  const graph::ArtifactCache cache(dir.file("runs/cache"));
  publish_node(cache, "old", kShared, 1000);
  publish_node(cache, "store", kUnused, 5000);
  const std::string run = dir.file("runs/study");
  graph::write_run_manifest(run, cache.root(), {{"old", kShared, "old"}});

  auto result = run_fct(1, {"cache", "ls", "--json"}, 120, dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto listed = json_in(result.output, '[', ']');
  ASSERT_EQ(listed.size(), 2u) << result.output;
  EXPECT_EQ(listed[0]["kind"], "old");
  EXPECT_EQ(listed[0]["key"], kShared);
  EXPECT_EQ(listed[0]["state"], "complete");
  EXPECT_EQ(listed[0]["runs"], (nlohmann::json{run}));
  EXPECT_GT(listed[0]["bytes"].get<int64_t>(), 1000);
  EXPECT_EQ(listed[0]["last_used"].get<std::string>().back(), 'Z');
  EXPECT_EQ(listed[1]["kind"], "store");
  EXPECT_EQ(listed[1]["key"], kUnused);
  EXPECT_EQ(listed[1]["runs"], nlohmann::json::array());
  const int64_t unused_bytes = listed[1]["bytes"].get<int64_t>();
  EXPECT_GT(unused_bytes, 5000);

  // The table, from elsewhere, with the root from the environment.
  {
    EnvironmentVariable root(graph::kArtifactsDirVariable, cache.root());
    result = run_fct(1, {"cache", "ls"}, 120, source_directory());
  }
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_CONTAINS(result.output, "run cache " + cache.root());
  EXPECT_CONTAINS(result.output, "aaaaaaaaaaaa  complete");
  EXPECT_EQ(occurrences(result.output, kShared), 0u) << result.output;  // keys shortened
  EXPECT_CONTAINS(result.output, run);
  EXPECT_CONTAINS(result.output, "2 nodes");

  result = run_fct(2, {"cache", "gc", "--dry-run", "--artifacts-dir", cache.root()}, 120);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(occurrences(result.output, "would remove"), 2u) << result.output;  // row and summary
  EXPECT_CONTAINS(result.output, "referenced by " + run);
  EXPECT_TRUE(cache.contains("store", kUnused));

  result = run_fct(2, {"cache", "gc", "--json"}, 120, dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto report = json_in(result.output, '{', '}');
  EXPECT_EQ(report["dry_run"], false);
  ASSERT_EQ(report["removed"].size(), 1u) << result.output;
  EXPECT_EQ(report["removed"][0]["key"], kUnused);
  EXPECT_EQ(report["bytes_freed"].get<int64_t>(), unused_bytes);
  ASSERT_EQ(report["kept"].size(), 1u);
  EXPECT_EQ(report["kept"][0]["key"], kShared);
  EXPECT_EQ(report["kept"][0]["reason"], "referenced");
  EXPECT_FALSE(fs::exists(cache.directory("store", kUnused)));
  EXPECT_TRUE(cache.contains("old", kShared));

  // Once the run directory is gone, its node goes too.
  fs::remove_all(run);
  result = run_fct(1, {"cache", "gc", "--older-than", "0"}, 120, dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_CONTAINS(result.output, "dropped the registration of " + run);
  EXPECT_CONTAINS(result.output, "gc: removed 1 node(s)");
  EXPECT_FALSE(fs::exists(cache.directory("old", kShared)));
}

TEST(CacheCommand, RefusesAnAgeItCannotReadByOptionName) {
  ScratchDir dir("fct-cache-cli");
  const auto result = run_fct(1, {"cache", "gc", "--older-than", "7 days"}, 120, dir.path());
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_CONTAINS(result.output, "--older-than: '7 days'");
  EXPECT_FALSE(fs::exists(dir.file("runs/cache")));  // refused before touching anything
}

}  // namespace
}  // namespace fct::testing
