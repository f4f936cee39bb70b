// Cluster profiles: the defaults of an empty file, every key read from a full one (the launcher by
// name, as config::Launcher), the resolved profile written and read back unchanged, the checks of
// SLURM names and sbatch time limits, and each bad value a ConfigError at file:line:column naming
// the key.
#include "framework/config/cluster_profile.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "framework/config/config_loader.h"
#include "tests/config/test_configs.h"

namespace fct::config {
namespace {

using testing::config_error;

ClusterProfile parse(const std::string& text) {
  return parse_config<ClusterProfile>(text, "p.yaml").config;
}

std::string error_of(const std::string& text) {
  return config_error([&] { parse(text); });
}

std::string error_of_override(const std::string& override) {
  return config_error([&] { parse_config<ClusterProfile>("", "p.yaml", {override}); });
}

constexpr const char* kTimeExpected =
    "a time limit as sbatch takes it (M, M:S, H:M:S, D-H, D-H:M or D-H:M:S), above zero";

TEST(ClusterProfile, AnEmptyFileGivesTheDefaults) {
  const ClusterProfile p = parse("");
  EXPECT_EQ(p.name, "cluster");
  EXPECT_EQ(p.partition, "");
  EXPECT_EQ(p.account, "");
  EXPECT_EQ(p.qos, "");
  EXPECT_EQ(p.nodes, 1);
  EXPECT_EQ(p.tasks_per_node, 1);
  EXPECT_EQ(p.gpus_per_node, 0);
  EXPECT_EQ(p.cpus_per_task, 1);
  EXPECT_EQ(p.memory, "");
  EXPECT_EQ(p.time_limit, "01:00:00");
  EXPECT_EQ(p.launcher, Launcher::kMpirun);
  EXPECT_EQ(p.srun_mpi, "pmix");
  EXPECT_EQ(p.signal_seconds, 300);
  EXPECT_EQ(p.max_stalled_requeues, 3);
  EXPECT_EQ(p.max_requeues, 0);
  EXPECT_EQ(p.array_parallelism, 0);
  EXPECT_EQ(p.light_tasks, 0);
  EXPECT_EQ(p.light_gpus, -1);
  EXPECT_EQ(p.light_cpus_per_task, 0);
  EXPECT_EQ(p.light_time_limit, "");
  EXPECT_EQ(p.fct, "build/fct");
  EXPECT_EQ(p.log_directory, "slurm-logs");
  EXPECT_TRUE(p.setup.empty());
  EXPECT_TRUE(p.sbatch_options.empty());
}

constexpr const char* kFullProfile =
    "name: big\n"
    "partition: gpu-a100,gpu.b_2\n"
    "account: proj-7\n"
    "qos: high\n"
    "nodes: 2\n"
    "tasks_per_node: 8\n"
    "gpus_per_node: 8\n"
    "cpus_per_task: 10\n"
    "memory: 64G\n"
    "time_limit: 1-00:00:00\n"
    "launcher: srun\n"
    "srun_mpi: pmix_v4\n"
    "signal_seconds: 600\n"
    "max_stalled_requeues: 5\n"
    "max_requeues: 20\n"
    "array_parallelism: 4\n"
    "light_tasks: 1\n"
    "light_gpus: 1\n"
    "light_cpus_per_task: 4\n"
    "light_time_limit: \"30\"\n"
    "fct: /opt/fct/bin/fct\n"
    "log_directory: logs\n"
    "setup: [\"module load cuda/12\", \"export X=1\"]\n"
    "sbatch_options: [--exclusive]\n";

TEST(ClusterProfile, EveryKeyIsReadAndTheLauncherByName) {
  const ClusterProfile p = parse(kFullProfile);
  EXPECT_EQ(p.name, "big");
  EXPECT_EQ(p.partition, "gpu-a100,gpu.b_2");
  EXPECT_EQ(p.account, "proj-7");
  EXPECT_EQ(p.qos, "high");
  EXPECT_EQ(p.nodes, 2);
  EXPECT_EQ(p.tasks_per_node, 8);
  EXPECT_EQ(p.gpus_per_node, 8);
  EXPECT_EQ(p.cpus_per_task, 10);
  EXPECT_EQ(p.memory, "64G");
  EXPECT_EQ(p.time_limit, "1-00:00:00");
  EXPECT_EQ(p.launcher, Launcher::kSrun);
  EXPECT_EQ(p.srun_mpi, "pmix_v4");
  EXPECT_EQ(p.signal_seconds, 600);
  EXPECT_EQ(p.max_stalled_requeues, 5);
  EXPECT_EQ(p.max_requeues, 20);
  EXPECT_EQ(p.array_parallelism, 4);
  EXPECT_EQ(p.light_tasks, 1);
  EXPECT_EQ(p.light_gpus, 1);
  EXPECT_EQ(p.light_cpus_per_task, 4);
  EXPECT_EQ(p.light_time_limit, "30");
  EXPECT_EQ(p.fct, "/opt/fct/bin/fct");
  EXPECT_EQ(p.log_directory, "logs");
  EXPECT_EQ(p.setup, (std::vector<std::string>{"module load cuda/12", "export X=1"}));
  EXPECT_EQ(p.sbatch_options, std::vector<std::string>{"--exclusive"});
  EXPECT_EQ(parse("launcher: mpirun\n").launcher, Launcher::kMpirun);
}

// The profile saved with a submission (profile.yaml) reads back as the same profile.
TEST(ClusterProfile, TheResolvedProfileReadsBackUnchanged) {
  const auto loaded = parse_config<ClusterProfile>(kFullProfile, "p.yaml");
  EXPECT_NE(loaded.resolved_yaml.find("\nlauncher: srun\n"), std::string::npos)
      << loaded.resolved_yaml;
  const auto again = parse_config<ClusterProfile>(loaded.resolved_yaml, "profile.yaml");
  EXPECT_EQ(again.resolved_yaml, loaded.resolved_yaml);
  EXPECT_EQ(again.config.launcher, Launcher::kSrun);
  EXPECT_EQ(again.config.light_time_limit, "30");
  EXPECT_EQ(again.hash, loaded.hash);
  EXPECT_NE(to_yaml(ClusterProfile{}).find("\nlauncher: mpirun\n"), std::string::npos);
}

TEST(ClusterProfile, SlurmNamesAreLettersDigitsAndFourMarks) {
  const auto check = slurm_name();
  for (const std::string ok : {"", "gpu", "gpu-a100,gpu.b_2", "64G", "0"})
    EXPECT_EQ(check(ok), "") << ok;
  for (const std::string bad : {"a b", "a;b", "a/b", "$x", "a:b", "gpu\n"})
    EXPECT_EQ(check(bad), "letters, digits, '_', '.', '-' or ','") << bad;
}

TEST(ClusterProfile, SlurmTimesAreTheFormsSbatchTakes) {
  const auto check = slurm_time();
  const std::vector<std::pair<std::string, int64_t>> valid = {
      {"10", 600},    {"5:07", 307},         {"02:00:00", 7200},
      {"1-2", 93600}, {"1-2:3", 93780},      {"1-2:3:4", 93784},
      {"0-0:0:1", 1}, {"1-00:00:00", 86400}, {"999999999", 59999999940}};
  for (const auto& [text, seconds] : valid) {
    EXPECT_EQ(check(text), "") << text;
    EXPECT_EQ(slurm_time_seconds(text), seconds) << text;
  }
  // Zero, empty parts, too many parts, units, signs and numbers of ten digits.
  for (const std::string bad : {"0", "00:00", "0-0", "", ":", "1:", "1-", "-1", "1:2:3:4",
                                "1-2:3:4:5", "1h", "+5", "1 ", "ten", "1234567890"}) {
    EXPECT_EQ(check(bad), kTimeExpected) << "'" << bad << "'";
    EXPECT_EQ(slurm_time_seconds(bad), 0) << "'" << bad << "'";
  }
}

TEST(ClusterProfile, BadValuesAreErrorsNamingTheKey) {
  EXPECT_EQ(error_of("time_limit: 0\n"),
            std::string("p.yaml:1:13: key 'time_limit': expected ") + kTimeExpected + ", got '0'");
  EXPECT_EQ(
      error_of("light_time_limit: x\n"),
      std::string("p.yaml:1:19: key 'light_time_limit': expected ") + kTimeExpected + ", got 'x'");
  EXPECT_EQ(error_of("partition: 'a b'\n"),
            "p.yaml:1:12: key 'partition': expected letters, digits, '_', '.', '-' or ',', got "
            "'a b'");
  EXPECT_EQ(error_of("nodes: 0\n"),
            "p.yaml:1:8: key 'nodes': expected a value in [1, 100000], got 0");
  EXPECT_EQ(error_of("signal_seconds: 5\n"),
            "p.yaml:1:17: key 'signal_seconds': expected a value in [10, 65535], got 5");
  EXPECT_EQ(error_of("name: \"\"\n"),
            "p.yaml:1:7: key 'name': expected a non-empty string, got ''");
  EXPECT_EQ(error_of("partion: gpu\n"),
            "p.yaml:1:1: unknown key 'partion' (did you mean 'partition'?)");
}

TEST(ClusterProfile, AnUnknownLauncherIsAnErrorListingTheChoices) {
  EXPECT_EQ(error_of("launcher: ssh\n"),
            "p.yaml:1:11: key 'launcher': expected one of: mpirun, srun, got 'ssh'");
  EXPECT_EQ(error_of("launcher: srn\n"),
            "p.yaml:1:11: key 'launcher': expected one of: mpirun, srun, got 'srn' (did you mean "
            "'srun'?)");
  EXPECT_EQ(error_of("launcher: [srun]\n"),
            "p.yaml:1:11: key 'launcher': expected a string, got a list");
}

TEST(ClusterProfile, OverridesAreCheckedAsTheFileIs) {
  EXPECT_EQ(parse_config<ClusterProfile>("", "p.yaml", {"launcher=srun"}).config.launcher,
            Launcher::kSrun);
  EXPECT_EQ(error_of_override("launcher=ssh"),
            "command line override 'launcher=ssh': key 'launcher': expected one of: mpirun, srun, "
            "got 'ssh'");
  EXPECT_EQ(error_of_override("time_limit=1h"),
            std::string("command line override 'time_limit=1h': key 'time_limit': expected ") +
                kTimeExpected + ", got '1h'");
}

}  // namespace
}  // namespace fct::config
