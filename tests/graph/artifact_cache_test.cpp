// ArtifactCache: a node appears under its key only complete (publish renames a directory that
// already holds node.json), publishing twice is refused, discard leaves nothing, kinds and keys
// that could escape the root are refused by name, the root is resolved from the config, then
// $FCT_ARTIFACTS_DIR, then runs/cache; and two processes that follow Note [Building a node] for
// the same node build it once and both use that one build.
#include "framework/graph/artifact_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "tests/test_support.h"

namespace fct::graph {
namespace {

namespace fs = std::filesystem;
using fct::testing::read_text_file;
using fct::testing::ScratchDir;
using fct::testing::write_text_file;

constexpr const char* kKey = "0123456789abcdef";

#define EXPECT_ERROR_NAMING(statement, text)                       \
  try {                                                            \
    statement;                                                     \
    ADD_FAILURE() << #statement " did not throw";                  \
  } catch (const Error& e) {                                       \
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) \
        << "'" << (text) << "' not in: " << e.what();              \
  }

bool has_entry_containing(const std::string& directory, const std::string& part) {
  for (const auto& entry : fs::directory_iterator(directory))
    if (entry.path().filename().string().find(part) != std::string::npos) return true;
  return false;
}

TEST(ArtifactCache, LayoutUnderTheRoot) {
  ScratchDir dir("fct-cache");
  const ArtifactCache cache(dir.file("cache/"));
  EXPECT_EQ(cache.root(), dir.file("cache"));
  EXPECT_EQ(cache.directory("old", kKey), dir.file("cache/stages/old/0123456789abcdef"));
  EXPECT_EQ(cache.partial_directory("old", kKey),
            dir.file("cache/stages/old/0123456789abcdef.partial"));
  EXPECT_EQ(cache.lock_path("old", kKey), dir.file("cache/locks/old/0123456789abcdef.lock"));
  EXPECT_EQ(cache.relative_to_root(cache.directory("old", kKey)), "stages/old/0123456789abcdef");
  EXPECT_EQ(cache.relative_to_root("/elsewhere/x"), "/elsewhere/x");
  EXPECT_FALSE(fs::exists(cache.root()));  // nothing is created until used
}

TEST(ArtifactCache, PublishMakesTheNodeAppearCompleteAtOnce) {
  ScratchDir dir("fct-cache");
  const ArtifactCache cache(dir.file("cache"));
  auto lock = cache.lock("old", kKey, FileLock::Mode::kExclusive);
  EXPECT_FALSE(cache.contains("old", kKey));
  const std::string partial = cache.begin("old", kKey);
  EXPECT_EQ(partial, cache.partial_directory("old", kKey));
  EXPECT_TRUE(fs::is_directory(partial));
  write_text_file(partial + "/model.pt", "weights");
  EXPECT_EQ(cache.begin("old", kKey), partial);  // a resumed build finds its files again
  EXPECT_TRUE(fs::exists(partial + "/model.pt"));
  EXPECT_FALSE(fs::exists(cache.directory("old", kKey)));
  EXPECT_FALSE(cache.contains("old", kKey));

  cache.publish("old", kKey, {{"label", "old model"}, {"seconds", 1.5}});
  EXPECT_TRUE(cache.contains("old", kKey));
  EXPECT_FALSE(fs::exists(partial));
  const std::string final_directory = cache.directory("old", kKey);
  EXPECT_EQ(read_text_file(final_directory + "/model.pt"), "weights");
  const auto node = nlohmann::json::parse(read_text_file(final_directory + "/node.json"));
  EXPECT_EQ(node["label"], "old model");
  EXPECT_EQ(node["seconds"], 1.5);
  EXPECT_EQ(node["kind"], "old");
  EXPECT_EQ(node["key"], kKey);
  EXPECT_TRUE(node["published"].is_string());
  EXPECT_EQ(node["published"].get<std::string>().back(), 'Z');  // UTC
  EXPECT_FALSE(has_entry_containing(final_directory, ".tmp"));

  // Publishing the same node again is refused and leaves the published one as it was.
  cache.begin("old", kKey);
  write_text_file(partial + "/model.pt", "other weights");
  EXPECT_ERROR_NAMING(cache.publish("old", kKey, nlohmann::json::object()), final_directory);
  EXPECT_EQ(read_text_file(final_directory + "/model.pt"), "weights");
}

// A file of a node, reached directly or through a run directory's link, may not be changed in
// place (fct backfill plan/apply refuse it); a file outside any node may.
TEST(ArtifactCache, ACachedArtifactIsRecognisedThroughLinks) {
  ScratchDir dir("fct-cache");
  const ArtifactCache cache(dir.file("cache"));
  cache.begin("store", kKey);
  write_text_file(cache.partial_directory("store", kKey) + "/store.h5", "x");
  EXPECT_ERROR_NAMING(
      refuse_cached_artifact(cache.partial_directory("store", kKey) + "/store.h5", "test"),
      "is an artifact of the run cache");
  cache.publish("store", kKey, nlohmann::json::object());
  fs::create_directories(dir.file("run/stores"));
  fs::create_symlink(cache.directory("store", kKey) + "/store.h5", dir.file("run/stores/old.h5"));
  EXPECT_ERROR_NAMING(refuse_cached_artifact(dir.file("run/stores/old.h5"), "fct backfill plan"),
                      "fct backfill plan: " + dir.file("run/stores/old.h5"));
  write_text_file(dir.file("copy.h5"), "x");
  EXPECT_NO_THROW(refuse_cached_artifact(dir.file("copy.h5"), "test"));
  EXPECT_NO_THROW(refuse_cached_artifact(dir.file("missing.h5"), "test"));
}

TEST(ArtifactCache, PublishWithoutAPartialDirectoryOrWithANonObjectIsRefused) {
  ScratchDir dir("fct-cache");
  const ArtifactCache cache(dir.file("cache"));
  EXPECT_ERROR_NAMING(cache.publish("old", kKey, nlohmann::json::object()),
                      cache.partial_directory("old", kKey));
  cache.begin("old", kKey);
  EXPECT_ERROR_NAMING(cache.publish("old", kKey, nlohmann::json::array()), "JSON object");
  EXPECT_FALSE(cache.contains("old", kKey));
}

// A directory under the key that an empty rename target would be: a plain rename(2) would replace
// it silently.
TEST(ArtifactCache, PublishDoesNotReplaceAnEmptyDirectoryUnderTheKey) {
  ScratchDir dir("fct-cache");
  const ArtifactCache cache(dir.file("cache"));
  cache.begin("old", kKey);
  fs::create_directories(cache.directory("old", kKey));
  EXPECT_ERROR_NAMING(cache.publish("old", kKey, nlohmann::json::object()), "exists already");
  EXPECT_FALSE(cache.contains("old", kKey));
  EXPECT_TRUE(fs::exists(cache.partial_directory("old", kKey)));
}

TEST(ArtifactCache, DiscardRemovesThePartialDirectoryOnly) {
  ScratchDir dir("fct-cache");
  const ArtifactCache cache(dir.file("cache"));
  const std::string partial = cache.begin("new", kKey);
  fs::create_directories(partial + "/checkpoints");
  write_text_file(partial + "/checkpoints/epoch_1.pt", "x");
  cache.discard("new", kKey);
  EXPECT_FALSE(fs::exists(partial));
  EXPECT_FALSE(has_entry_containing(dir.file("cache/stages/new"), ".deleting"));
  cache.discard("new", kKey);  // nothing there: nothing to do

  cache.begin("new", kKey);
  cache.publish("new", kKey, nlohmann::json::object());
  cache.discard("new", kKey);
  EXPECT_TRUE(cache.contains("new", kKey));
  cache.remove("new", kKey);
  EXPECT_FALSE(cache.contains("new", kKey));
  EXPECT_FALSE(fs::exists(cache.directory("new", kKey)));
  EXPECT_FALSE(has_entry_containing(dir.file("cache/stages/new"), ".deleting"));
}

TEST(ArtifactCache, InvalidKindsAndKeysAreRefusedByName) {
  ScratchDir dir("fct-cache");
  const ArtifactCache cache(dir.file("cache"));
  for (const std::string kind : {"Old", "", "side-info", "../old", "old/x", "old ", "é"}) {
    EXPECT_ERROR_NAMING(cache.directory(kind, kKey), "'" + kind + "'");
    EXPECT_ERROR_NAMING(cache.lock(kind, kKey, FileLock::Mode::kShared), "'" + kind + "'");
  }
  for (const std::string key : {"", "0123456789abcde", "0123456789abcdef0", "0123456789ABCDEF",
                                "0123456789abcdeg", "../../../../etc/", "0123456789abcde/"}) {
    EXPECT_ERROR_NAMING(cache.directory("old", key), "'" + key + "'");
    EXPECT_ERROR_NAMING(cache.begin("old", key), "'" + key + "'");
    EXPECT_ERROR_NAMING(cache.publish("old", key, nlohmann::json::object()), "'" + key + "'");
  }
  EXPECT_FALSE(fs::exists(cache.root()));
  EXPECT_TRUE(is_node_kind("transformed_store"));
  EXPECT_TRUE(is_node_kind("side_info2"));
  EXPECT_TRUE(is_node_key(to_hex(fnv1a("x"))));
}

TEST(ArtifactCache, TouchRecordsAUse) {
  ScratchDir dir("fct-cache");
  const ArtifactCache cache(dir.file("cache"));
  EXPECT_ERROR_NAMING(cache.touch("old", kKey), "old/0123456789abcdef");
  const std::string partial = cache.begin("old", kKey);
  const timespec long_ago[2] = {{946684800, 0}, {946684800, 0}};  // 2000-01-01
  ASSERT_EQ(::utimensat(AT_FDCWD, partial.c_str(), long_ago, 0), 0);
  cache.touch("old", kKey);
  struct stat st {};
  ASSERT_EQ(::stat(partial.c_str(), &st), 0);
  EXPECT_GT(st.st_mtim.tv_sec, 946684800);

  cache.publish("old", kKey, nlohmann::json::object());
  const std::string node_file = cache.directory("old", kKey) + "/node.json";
  ASSERT_EQ(::utimensat(AT_FDCWD, node_file.c_str(), long_ago, 0), 0);
  cache.touch("old", kKey);
  ASSERT_EQ(::stat(node_file.c_str(), &st), 0);
  EXPECT_GT(st.st_mtim.tv_sec, 946684800);
}

TEST(ArtifactCache, RegisterRunRecordsTheAbsoluteRunDirectory) {
  ScratchDir dir("fct-cache");
  const ArtifactCache cache(dir.file("cache"));
  cache.register_run(dir.file("runs/./study/"));
  cache.register_run(dir.file("runs/study"));  // the same run: the same file
  const std::string path = cache.registration_path(dir.file("runs/study"));
  EXPECT_EQ(path, cache.runs_directory() + "/" + to_hex(fnv1a(dir.file("runs/study"))) + ".json");
  const auto json = nlohmann::json::parse(read_text_file(path));
  EXPECT_EQ(json["run_directory"], dir.file("runs/study"));
  EXPECT_EQ(std::distance(fs::directory_iterator(cache.runs_directory()), fs::directory_iterator()),
            1);
}

// Sets or unsets an environment variable for the test and restores it afterwards.
class EnvironmentVariable {
 public:
  EnvironmentVariable(std::string name, const char* value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value != nullptr)
      ::setenv(name_.c_str(), value, 1);
    else
      ::unsetenv(name_.c_str());
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

TEST(ArtifactCache, ResolvesTheRootFromConfigThenEnvironmentThenDefault) {
  const std::string here = fs::current_path().string();
  {
    EnvironmentVariable unset(kArtifactsDirVariable, nullptr);
    EXPECT_EQ(resolve_artifacts_dir(""), here + "/runs/cache");
    EXPECT_EQ(resolve_artifacts_dir("/data/cache/"), "/data/cache");
    EXPECT_EQ(resolve_artifacts_dir("/data/x/../cache"), "/data/cache");
  }
  {
    EnvironmentVariable empty(kArtifactsDirVariable, "");
    EXPECT_EQ(resolve_artifacts_dir(""), here + "/runs/cache");
  }
  {
    EnvironmentVariable set(kArtifactsDirVariable, "shared//cache");
    EXPECT_EQ(resolve_artifacts_dir(""), here + "/shared/cache");
    EXPECT_EQ(resolve_artifacts_dir("mine"), here + "/mine");
    EXPECT_EQ(resolve_artifacts_dir("/abs/./mine"), "/abs/mine");
  }
}

// --- Two processes, one node -----------------------------------------------------------------

// Whether /proc/locks shows some process waiting for the flock lock on `path`'s file.
bool someone_waits_for(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  const std::string inode = fmt::format(":{} ", st.st_ino);
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line))
    if (line.find("-> FLOCK") != std::string::npos && line.find(inode) != std::string::npos)
      return true;
  return false;
}

// One racer: Note [Building a node] for ("old", kKey). The builder waits (60 s at most, a hang
// guard) until the other racer is blocked on the lock, so that the two really overlap; it appends
// a line to `counter` per build. Prints what it read from the node to `seen`.
int race(const ArtifactCache& cache, int go, const std::string& counter, const std::string& seen) {
  char c;
  if (::read(go, &c, 1) != 1) return 10;
  auto lock = cache.lock("old", kKey, FileLock::Mode::kExclusive);
  if (cache.contains("old", kKey)) {
    cache.touch("old", kKey);
  } else {
    const std::string partial = cache.begin("old", kKey);
    {
      std::ofstream out(counter, std::ios::app);
      out << "built by " << ::getpid() << "\n";
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!someone_waits_for(lock.path()) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    write_text_file(partial + "/model.pt", fmt::format("weights of {}", ::getpid()));
    cache.publish("old", kKey, {{"builder", ::getpid()}});
  }
  lock.downgrade();
  write_text_file(seen, read_text_file(cache.directory("old", kKey) + "/model.pt"));
  return 0;
}

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The racers are forked: gtest runs tests one after another on one thread, so a child may run the
// real code. Each exits with _exit, leaving the parent's objects alone.
TEST(ArtifactCache, TwoProcessesNeedingTheSameNodeBuildItOnce) {
  ScratchDir dir("fct-cache");
  const ArtifactCache cache(dir.file("cache"));
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  pid_t racers[2];
  for (int i = 0; i < 2; ++i) {
    racers[i] = ::fork();
    ASSERT_GE(racers[i], 0);
    if (racers[i] == 0) {
      ::close(go[1]);
      int code = 11;
      try {
        code = race(cache, go[0], dir.file("builds"), dir.file("seen" + std::to_string(i)));
      } catch (...) {
      }
      ::_exit(code);
    }
  }
  ::close(go[0]);
  ASSERT_EQ(::write(go[1], "gg", 2), 2);  // both start together
  ::close(go[1]);
  EXPECT_EQ(wait_for(racers[0]), 0);
  EXPECT_EQ(wait_for(racers[1]), 0);

  const std::string builds = read_text_file(dir.file("builds"));
  EXPECT_EQ(std::count(builds.begin(), builds.end(), '\n'), 1) << builds;
  ASSERT_TRUE(cache.contains("old", kKey));
  const auto node =
      nlohmann::json::parse(read_text_file(cache.directory("old", kKey) + "/node.json"));
  const std::string built = fmt::format("weights of {}", node["builder"].get<int>());
  EXPECT_EQ(builds, fmt::format("built by {}\n", node["builder"].get<int>()));
  EXPECT_EQ(read_text_file(dir.file("seen0")), built);
  EXPECT_EQ(read_text_file(dir.file("seen1")), built);
  EXPECT_FALSE(fs::exists(cache.partial_directory("old", kKey)));
}

}  // namespace
}  // namespace fct::graph
