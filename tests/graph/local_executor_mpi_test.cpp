// The local executor under mpirun (2 and 3 ranks) while another process builds a node it needs:
// the run waits for as long as that build takes — here many times the communicator's timeout, as
// a second `fct run` waits for another's hours-long training — and then reuses what was published;
// if the holder gives up without publishing, this run builds the node itself. A process that only
// reads a published node (holds it shared until its own run ends) does not hold the run up.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <thread>

#include "framework/distributed/communicator.h"
#include "framework/graph/artifact_cache.h"
#include "framework/graph/local_executor.h"
#include "tests/mpi_shared_dir.h"
#include "tests/test_support.h"

namespace fct::graph {
namespace {

using fct::testing::mpi_rank;
using fct::testing::read_text_file;
using fct::testing::SharedDir;
using fct::testing::write_text_file;

constexpr double kTimeoutS = 0.5;
constexpr auto kHeld = std::chrono::milliseconds(2500);  // 5 × the timeout

// Two nodes: "old" and a store that reads it. Every build is counted on rank 0.
RunNodes run(const std::string& directory, int& builds) {
  RunNodes nodes;
  nodes.run_directory = directory;
  StageNode old;
  old.kind = "old";
  old.config = "recipe";
  old.label = "old model";
  old.links = {{"old", ""}};
  old.build = [&builds](const NodeBuild& build) {
    if (mpi_rank() == 0) {
      ++builds;
      write_text_file(build.directory + "/model.txt", "built by the run");
    }
  };
  nodes.add("old", old);
  StageNode store;
  store.kind = "store";
  store.config = "test split";
  store.inputs = {"old"};
  store.label = "store old";
  store.build = [&builds](const NodeBuild& build) {
    if (mpi_rank() == 0) {
      ++builds;
      write_text_file(build.directory + "/store.txt",
                      "from " + read_text_file(build.inputs.at(0) + "/model.txt"));
    }
  };
  nodes.add("store", store);
  return nodes;
}

std::unique_ptr<distributed::Communicator> short_timeout_communicator() {
  distributed::CommunicatorOptions options;
  options.timeout_s = kTimeoutS;
  return distributed::make_communicator("mpi", options);
}

// Rank 0 of the test plays the other process: a lock of its own on "old" (a separate open file,
// so it excludes the executor's exactly as another process's would), released after kHeld, having
// published the node first when `publish` is set.
std::future<void> hold_old(const ArtifactCache& cache, const std::string& key, bool publish) {
  auto lock = std::make_shared<FileLock>(cache.lock("old", key, FileLock::Mode::kExclusive));
  return std::async(std::launch::async, [&cache, key, publish, lock]() mutable {
    std::this_thread::sleep_for(kHeld);
    if (publish) {
      write_text_file(cache.begin("old", key) + "/model.txt", "built by the other run");
      cache.publish("old", key, nlohmann::json::object());
    }
    lock.reset();
  });
}

// The two-node run of a test, on every rank, with its cache in a shared scratch directory.
struct ScratchRun {
  explicit ScratchRun(const std::string& prefix)
      : dir(prefix),
        comm(short_timeout_communicator()),
        keys(graph.add_run(run(dir.file("run"), builds))) {
    options.artifacts_dir = dir.file("cache");
    options.lock_poll = std::chrono::milliseconds(100);
  }

  SharedDir dir;
  std::unique_ptr<distributed::Communicator> comm;
  int builds = 0;  // counted on rank 0
  StageGraph graph;
  std::map<std::string, std::string> keys;
  ExecutionOptions options;
  ArtifactCache cache{dir.file("cache")};
};

class LocalExecutorWaiting : public ::testing::TestWithParam<bool> {};

TEST_P(LocalExecutorWaiting, OutlastsTheCollectiveTimeoutThenReusesOrBuilds) {
  const bool other_publishes = GetParam();
  ScratchRun r("fct-executor-wait");
  auto& [dir, comm, builds, graph, keys, options, cache] = r;
  std::future<void> other;
  if (mpi_rank() == 0) other = hold_old(cache, keys.at("old"), other_publishes);
  comm->barrier();

  const auto report = execute_locally(graph, *comm, options);

  if (mpi_rank() == 0) {
    other.get();
    EXPECT_EQ(builds, other_publishes ? 1 : 2);  // the store, and "old" unless it was published
    EXPECT_EQ(report.built, other_publishes ? 1 : 2);
    EXPECT_EQ(report.reused, other_publishes ? 1 : 0);
    EXPECT_EQ(read_text_file(dir.file("run/old/model.txt")),
              other_publishes ? "built by the other run" : "built by the run");
    EXPECT_TRUE(cache.contains("store", keys.at("store")));
  }
}

TEST(LocalExecutorReading, ANodeAnotherRunReadsIsReusedWithoutWaitingForThatRun) {
  ScratchRun r("fct-executor-read");
  auto& [dir, comm, builds, graph, keys, options, cache] = r;
  // The other run built "old" and reads it until told to stop (at most 30 s, if this run waits).
  std::atomic<bool> reader_gave_up{false};
  std::promise<void> stop_reading;
  std::future<void> reader;
  if (mpi_rank() == 0) {
    write_text_file(cache.begin("old", keys.at("old")) + "/model.txt", "built by the other run");
    cache.publish("old", keys.at("old"), nlohmann::json::object());
    auto shared =
        std::make_shared<FileLock>(cache.lock("old", keys.at("old"), FileLock::Mode::kShared));
    reader = std::async(
        std::launch::async, [shared, stop = stop_reading.get_future(), &reader_gave_up]() mutable {
          if (stop.wait_for(std::chrono::seconds(30)) == std::future_status::timeout)
            reader_gave_up = true;
          shared.reset();
        });
  }
  comm->barrier();

  const auto report = execute_locally(graph, *comm, options);

  if (mpi_rank() == 0) {
    stop_reading.set_value();
    reader.get();
    EXPECT_FALSE(reader_gave_up) << "the run waited for the other run to stop reading \"old\"";
    EXPECT_EQ(report.reused, 1);
    EXPECT_EQ(builds, 1);  // the store only
    EXPECT_EQ(read_text_file(dir.file("run/old/model.txt")), "built by the other run");
  }
}

INSTANTIATE_TEST_SUITE_P(OtherProcess, LocalExecutorWaiting, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? std::string("Publishes") : std::string("GivesUp");
                         });

}  // namespace
}  // namespace fct::graph
