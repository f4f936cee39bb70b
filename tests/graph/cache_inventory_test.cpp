// `fct cache ls|gc` logic on caches laid out here: which run directories reference which node, what
// gc removes (only what no live run references, under its lock, with its bytes) and what it keeps
// and why (referenced, in use, too recent); registrations of deleted runs dropped; interrupted
// removals and orphan lock files cleaned up; --older-than text parsed or refused by name.
#include "framework/graph/cache_inventory.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "framework/core/error.h"
#include "tests/test_support.h"

namespace fct::graph {
namespace {

namespace fs = std::filesystem;
using fct::testing::ScratchDir;
using fct::testing::write_text_file;

constexpr const char* kA = "aaaaaaaaaaaaaaaa";
constexpr const char* kB = "bbbbbbbbbbbbbbbb";
constexpr const char* kC = "cccccccccccccccc";
constexpr const char* kD = "dddddddddddddddd";
constexpr time_t kLongAgo = 946684800;  // 2000-01-01
constexpr double kOneDay = 86400.0;

// A node built as Note [Building a node] says, holding `bytes` bytes of payload.
void publish_node(const ArtifactCache& cache, const std::string& kind, const std::string& key,
                  std::size_t bytes) {
  auto lock = cache.lock(kind, key, FileLock::Mode::kExclusive);
  const std::string partial = cache.begin(kind, key);
  fs::create_directories(partial + "/sub");
  write_text_file(partial + "/sub/data", std::string(bytes, 'x'));
  cache.publish(kind, key, {{"label", kind}});
}

// A partial node (an interrupted build) with `bytes` bytes.
void leave_partial(const ArtifactCache& cache, const std::string& kind, const std::string& key,
                   std::size_t bytes) {
  auto lock = cache.lock(kind, key, FileLock::Mode::kExclusive);
  write_text_file(cache.begin(kind, key) + "/checkpoint.pt", std::string(bytes, 'x'));
}

std::uintmax_t tree_bytes(const std::string& directory) {
  std::uintmax_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(directory))
    if (entry.is_regular_file()) bytes += entry.file_size();
  return bytes;
}

// Sets the modification time of everything under `path` to 2000-01-01.
void make_old(const std::string& path) {
  const timespec times[2] = {{kLongAgo, 0}, {kLongAgo, 0}};
  std::vector<std::string> paths = {path};
  for (const auto& entry : fs::recursive_directory_iterator(path))
    paths.push_back(entry.path().string());
  for (const auto& p : paths) ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, 0), 0) << p;
}

const CacheEntry* find(const std::vector<CacheEntry>& entries, const std::string& key,
                       NodeState state = NodeState::kComplete) {
  for (const auto& entry : entries)
    if (entry.key == key && entry.state == state) return &entry;
  return nullptr;
}

const KeptNode* find_kept(const GcReport& report, const std::string& key) {
  for (const auto& kept : report.kept)
    if (kept.entry.key == key) return &kept;
  return nullptr;
}

std::vector<std::string> keys_of(const std::vector<CacheEntry>& entries) {
  std::vector<std::string> keys;
  for (const auto& entry : entries) keys.push_back(entry.key);
  return keys;
}

bool has_deleting_leftover(const std::string& directory) {
  for (const auto& entry : fs::recursive_directory_iterator(directory))
    if (entry.path().filename().string().find(".deleting") != std::string::npos) return true;
  return false;
}

class CacheInventory : public ::testing::Test {
 protected:
  ScratchDir dir_{"fct-inventory"};
  ArtifactCache cache_{dir_.file("cache")};
  std::string run1_ = dir_.file("runs/one");
  std::string run2_ = dir_.file("runs/two");
};

// Two runs share A; run 1 alone has B, run 2 alone C.
TEST_F(CacheInventory, ANodeLivesAsLongAsARunDirectoryReferencesIt) {
  publish_node(cache_, "old", kA, 1000);
  publish_node(cache_, "store", kB, 2000);
  publish_node(cache_, "new", kC, 3000);
  write_run_manifest(run1_, cache_.root(), {{"old", kA, "old"}, {"store", kB, "stores/old.h5"}});
  write_run_manifest(run2_, cache_.root(), {{"old", kA, "old"}, {"new", kC, "new"}});

  const auto listed = list_cache(cache_);
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(keys_of(listed), (std::vector<std::string>{kC, kA, kB}));  // by kind: new, old, store
  ASSERT_NE(find(listed, kA), nullptr);
  EXPECT_EQ(find(listed, kA)->kind, "old");
  EXPECT_EQ(find(listed, kA)->runs, (std::vector<std::string>{run1_, run2_}));
  EXPECT_EQ(find(listed, kB)->runs, (std::vector<std::string>{run1_}));
  EXPECT_EQ(find(listed, kC)->runs, (std::vector<std::string>{run2_}));
  const std::uintmax_t b_bytes = tree_bytes(cache_.directory("store", kB));
  EXPECT_EQ(find(listed, kB)->bytes, b_bytes);
  EXPECT_GT(b_bytes, 2000u);  // the payload and node.json
  EXPECT_EQ(find(listed, kB)->directory, cache_.directory("store", kB));

  fs::remove_all(run1_);
  const auto preview = collect_garbage(cache_, {0.0, /*dry_run=*/true});
  EXPECT_TRUE(preview.dry_run);
  EXPECT_EQ(keys_of(preview.removed), (std::vector<std::string>{kB}));
  EXPECT_EQ(preview.bytes_freed, b_bytes);
  EXPECT_EQ(preview.dropped_runs, (std::vector<std::string>{run1_}));
  ASSERT_EQ(preview.kept.size(), 2u);
  ASSERT_NE(find_kept(preview, kA), nullptr);
  EXPECT_EQ(find_kept(preview, kA)->reason, KeepReason::kReferenced);
  EXPECT_EQ(find_kept(preview, kA)->entry.runs, (std::vector<std::string>{run2_}));
  EXPECT_EQ(describe_keep_reason(*find_kept(preview, kA), std::chrono::system_clock::now()),
            "referenced by " + run2_);
  EXPECT_EQ(find_kept(preview, kC)->reason, KeepReason::kReferenced);
  EXPECT_TRUE(cache_.contains("store", kB));  // a dry run removes nothing
  EXPECT_TRUE(fs::exists(cache_.registration_path(run1_)));

  const auto report = collect_garbage(cache_, {});
  EXPECT_FALSE(report.dry_run);
  EXPECT_EQ(keys_of(report.removed), (std::vector<std::string>{kB}));
  EXPECT_EQ(report.bytes_freed, b_bytes);
  EXPECT_FALSE(fs::exists(cache_.directory("store", kB)));
  EXPECT_FALSE(fs::exists(cache_.lock_path("store", kB)));
  EXPECT_FALSE(has_deleting_leftover(cache_.root()));
  EXPECT_TRUE(cache_.contains("old", kA));
  EXPECT_TRUE(cache_.contains("new", kC));
  EXPECT_FALSE(fs::exists(cache_.registration_path(run1_)));
  EXPECT_TRUE(fs::exists(cache_.registration_path(run2_)));

  const auto again = collect_garbage(cache_, {});
  EXPECT_TRUE(again.removed.empty());
  EXPECT_TRUE(again.dropped_runs.empty());

  fs::remove_all(run2_);
  const auto last = collect_garbage(cache_, {});
  EXPECT_EQ(keys_of(last.removed), (std::vector<std::string>{kC, kA}));
  EXPECT_TRUE(list_cache(cache_).empty());
}

TEST_F(CacheInventory, ANodeSomeoneHoldsALockOnIsKeptAsInUse) {
  publish_node(cache_, "old", kA, 10);
  leave_partial(cache_, "new", kB, 10);
  {
    auto reader = cache_.lock("old", kA, FileLock::Mode::kShared);      // a run reading A
    auto builder = cache_.lock("new", kB, FileLock::Mode::kExclusive);  // a build of B
    for (const bool dry_run : {true, false}) {
      const auto report = collect_garbage(cache_, {0.0, dry_run});
      EXPECT_TRUE(report.removed.empty());
      ASSERT_EQ(report.kept.size(), 2u);
      EXPECT_EQ(find_kept(report, kA)->reason, KeepReason::kInUse);
      EXPECT_EQ(find_kept(report, kB)->reason, KeepReason::kInUse);
      EXPECT_EQ(find_kept(report, kB)->entry.state, NodeState::kPartial);
      EXPECT_EQ(describe_keep_reason(*find_kept(report, kA), std::chrono::system_clock::now()),
                "in use");
    }
    EXPECT_TRUE(cache_.contains("old", kA));
    EXPECT_TRUE(fs::exists(cache_.partial_directory("new", kB)));
  }
  const auto report = collect_garbage(cache_, {});
  EXPECT_EQ(report.removed.size(), 2u);
  EXPECT_FALSE(fs::exists(cache_.directory("old", kA)));
  EXPECT_FALSE(fs::exists(cache_.partial_directory("new", kB)));
}

TEST_F(CacheInventory, OlderThanKeepsWhatWasUsedRecently) {
  leave_partial(cache_, "old", kA, 100);  // an abandoned build
  leave_partial(cache_, "old", kB, 200);  // a build from a moment ago
  publish_node(cache_, "new", kC, 300);   // unused for long
  publish_node(cache_, "new", kD, 400);   // just published
  make_old(cache_.partial_directory("old", kA));
  make_old(cache_.directory("new", kC));

  const auto listed = list_cache(cache_);
  ASSERT_NE(find(listed, kA, NodeState::kPartial), nullptr);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(find(listed, kA, NodeState::kPartial)->last_used),
            kLongAgo);
  EXPECT_EQ(find(listed, kA, NodeState::kPartial)->bytes, 100u);

  const auto report = collect_garbage(cache_, {kOneDay, false});
  ASSERT_EQ(keys_of(report.removed), (std::vector<std::string>{kC, kA}));  // new, old
  EXPECT_EQ(report.removed[0].state, NodeState::kComplete);
  EXPECT_EQ(report.removed[1].state, NodeState::kPartial);
  EXPECT_EQ(report.bytes_freed, report.removed[0].bytes + report.removed[1].bytes);
  EXPECT_EQ(report.kept.size(), 2u);
  EXPECT_EQ(find_kept(report, kB)->reason, KeepReason::kTooRecent);
  EXPECT_EQ(find_kept(report, kD)->reason, KeepReason::kTooRecent);
  EXPECT_FALSE(fs::exists(cache_.partial_directory("old", kA)));
  EXPECT_FALSE(fs::exists(cache_.lock_path("old", kA)));
  EXPECT_TRUE(fs::exists(cache_.partial_directory("old", kB)));
  EXPECT_FALSE(fs::exists(cache_.directory("new", kC)));
  EXPECT_TRUE(cache_.contains("new", kD));

  // touch() renews a node's last use.
  make_old(cache_.directory("new", kD));
  cache_.touch("new", kD);
  EXPECT_TRUE(collect_garbage(cache_, {kOneDay, false}).removed.empty());
}

TEST_F(CacheInventory, APartialNodeALiveRunListsIsKept) {
  leave_partial(cache_, "old", kA, 10);  // preempted; the run's requeued job resumes it
  write_run_manifest(run1_, cache_.root(), {{"old", kA, "old"}});
  const auto report = collect_garbage(cache_, {});
  EXPECT_TRUE(report.removed.empty());
  ASSERT_EQ(report.kept.size(), 1u);
  EXPECT_EQ(report.kept[0].reason, KeepReason::kReferenced);
}

TEST_F(CacheInventory, ARunOfAnotherCacheProtectsNothingHere) {
  publish_node(cache_, "old", kA, 10);
  write_run_manifest(run1_, dir_.file("other_cache"), {{"old", kA, "old"}});
  cache_.register_run(run1_);  // registered here once, then moved to the other cache
  EXPECT_TRUE(list_cache(cache_)[0].runs.empty());
  EXPECT_EQ(collect_garbage(cache_, {}).removed.size(), 1u);
  // A run registered here that writes no manifest yet references nothing.
  cache_.register_run(run2_);
  fs::create_directories(run2_);
  publish_node(cache_, "old", kA, 10);
  EXPECT_EQ(collect_garbage(cache_, {}).removed.size(), 1u);
  EXPECT_TRUE(fs::exists(cache_.registration_path(run2_)));
}

TEST_F(CacheInventory, UnpublishedDirectoriesLeftoversAndOrphanLocksAreCleanedUp) {
  // Under the key but without node.json: not made by publish().
  fs::create_directories(cache_.directory("old", kA));
  write_text_file(cache_.directory("old", kA) + "/model.pt", "x");
  // A removal interrupted after its rename.
  const std::string leftover = cache_.directory("old", kB) + ".deleting-12-0000abcd";
  fs::create_directories(leftover);
  write_text_file(leftover + "/model.pt", "x");
  // A lock file whose node is gone.
  { auto lock = cache_.lock("new", kC, FileLock::Mode::kExclusive); }

  const auto listed = list_cache(cache_);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state, NodeState::kUnpublished);
  EXPECT_EQ(node_state_name(listed[0].state), "unpublished");
  EXPECT_FALSE(cache_.contains("old", kA));

  const auto preview = collect_garbage(cache_, {0.0, true});
  EXPECT_EQ(preview.removed.size(), 1u);
  EXPECT_EQ(preview.leftovers_removed, 1);
  EXPECT_TRUE(fs::exists(leftover));
  EXPECT_TRUE(fs::exists(cache_.lock_path("new", kC)));

  const auto report = collect_garbage(cache_, {});
  EXPECT_EQ(keys_of(report.removed), (std::vector<std::string>{kA}));
  EXPECT_EQ(report.leftovers_removed, 1);
  EXPECT_FALSE(fs::exists(cache_.directory("old", kA)));
  EXPECT_FALSE(fs::exists(leftover));
  EXPECT_FALSE(fs::exists(cache_.lock_path("new", kC)));
}

TEST_F(CacheInventory, RunManifestRoundTripsAndABrokenOneIsNamed) {
  write_run_manifest(run1_, dir_.file("cache/"),
                     {{"old", kA, "old"}, {"store", kB, "stores/x.h5"}});
  const auto manifest = read_run_manifest(run1_);
  EXPECT_EQ(manifest.artifacts_dir, cache_.root());
  ASSERT_EQ(manifest.nodes.size(), 2u);
  EXPECT_EQ(manifest.nodes[1].kind, "store");
  EXPECT_EQ(manifest.nodes[1].key, kB);
  EXPECT_EQ(manifest.nodes[1].name, "stores/x.h5");
  EXPECT_TRUE(fs::exists(cache_.registration_path(run1_)));
  EXPECT_THROW(write_run_manifest(run2_, cache_.root(), {{"old", "KEY", "old"}}), Error);
  EXPECT_FALSE(fs::exists(run_manifest_path(run2_)));

  // gc must not guess what a run whose manifest it cannot read references.
  write_text_file(run_manifest_path(run1_), "{\"artifacts_dir\": ");
  try {
    list_cache(cache_);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(run_manifest_path(run1_)), std::string::npos) << e.what();
  }
  EXPECT_THROW(collect_garbage(cache_, {}), Error);
  write_text_file(run_manifest_path(run1_),
                  R"({"artifacts_dir": "/x", "nodes": [{"kind": "old", "key": "../../etc"}]})");
  EXPECT_THROW(read_run_manifest(run1_), Error);
}

TEST(CacheAge, ParsesAgesAndRefusesOtherTextByOptionName) {
  EXPECT_EQ(parse_age_seconds("0", "--older-than"), 0.0);
  EXPECT_EQ(parse_age_seconds("45", "--older-than"), 45.0);
  EXPECT_EQ(parse_age_seconds("90s", "--older-than"), 90.0);
  EXPECT_EQ(parse_age_seconds("30m", "--older-than"), 1800.0);
  EXPECT_EQ(parse_age_seconds("12h", "--older-than"), 43200.0);
  EXPECT_EQ(parse_age_seconds("7d", "--older-than"), 604800.0);
  EXPECT_EQ(parse_age_seconds("1.5h", "--older-than"), 5400.0);
  for (const std::string bad :
       {"", "d", "-1d", "+1d", " 1d", "1 d", "1w", "7days", "inf", "nan", "1e400", "abc"}) {
    try {
      parse_age_seconds(bad, "--older-than");
      ADD_FAILURE() << "'" << bad << "' was accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("--older-than: '" + bad + "'"), std::string::npos)
          << e.what();
    }
  }
  EXPECT_EQ(age_text(std::chrono::seconds(45)), "45s");
  EXPECT_EQ(age_text(std::chrono::minutes(90)), "90m");
  EXPECT_EQ(age_text(std::chrono::hours(5)), "5h");
  EXPECT_EQ(age_text(std::chrono::hours(24 * 9)), "9d");
  EXPECT_EQ(age_text(-std::chrono::seconds(3)), "0s");
}

}  // namespace
}  // namespace fct::graph
