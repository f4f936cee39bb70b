// Provenance (framework/core/provenance.h): what is written next to every result names the git
// revision, the libraries, the world, the command line and the time, in the documented shapes.
#include "framework/core/provenance.h"

#include <gtest/gtest.h>

#include <regex>

#include "framework/core/subprocess.h"
#include "tests/test_support.h"

namespace fct {
namespace {

TEST(Provenance, TimestampIsUtcIso8601) {
  const std::string now = utc_timestamp();
  EXPECT_TRUE(std::regex_match(now, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << now;
}

TEST(Provenance, GitRevisionIsAHashOrSaysUnknown) {
  const std::string revision = git_revision();
  EXPECT_TRUE(std::regex_match(revision, std::regex(R"([0-9a-f]{40}(-dirty)?|unknown)")))
      << revision;
}

TEST(Provenance, GitRevisionIsTheCheckoutsHead) {
  const auto head =
      run_command({"git", "-C", testing::source_directory(), "rev-parse", "HEAD"}, 30);
  if (head.exit_code != 0) GTEST_SKIP() << "no git checkout here: " << head.output;
  EXPECT_EQ(git_revision().substr(0, 40), head.output.substr(0, 40));
}

TEST(Provenance, RecordNamesEveryInputAndLibrary) {
  ProvenanceInputs inputs;
  inputs.command_line = {"fct", "run", "a b.yaml"};
  inputs.world_size = 3;
  inputs.threads_per_rank = 2;
  inputs.hostname = "node-7";
  inputs.mpi_library_version = "Open MPI v4.1.4";
  inputs.config_hash = 0xabc;
  const auto p = make_provenance(inputs);
  EXPECT_EQ(p.at("world_size"), 3);
  EXPECT_EQ(p.at("threads_per_rank"), 2);
  EXPECT_EQ(p.at("command_line"), nlohmann::json({"fct", "run", "a b.yaml"}));
  EXPECT_EQ(p.at("hostname"), "node-7");
  EXPECT_EQ(p.at("config_hash"), "0000000000000abc");
  EXPECT_EQ(p.at("git_revision"), git_revision());
  EXPECT_TRUE(p.contains("created"));
  const auto& versions = p.at("versions");
  EXPECT_EQ(versions.at("mpi"), "Open MPI v4.1.4");
  for (const char* library : {"fct", "libtorch", "hdf5", "spdlog", "fmt", "compiler"}) {
    const auto& version = versions.at(library);  // fmt's is its FMT_VERSION number
    EXPECT_TRUE(version.is_number() || (version.is_string() && !version.get<std::string>().empty()))
        << library << ": " << version;
  }
}

}  // namespace
}  // namespace fct
