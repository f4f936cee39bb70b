// The SLURM client against stand-in sbatch, squeue and scancel scripts put first on PATH: the job
// id sbatch prints, the queue states squeue reports (an array running while one task runs, a job
// SLURM no longer knows), and the errors that name the command and what it said.
#include "framework/submit/slurm_client.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "framework/core/error.h"
#include "tests/test_support.h"

namespace fct::submit {
namespace {

using testing::read_text_file;
using testing::ScratchDir;
using testing::write_text_file;

// PATH with `directory` first, for the life of the object.
class PathFirst {
 public:
  explicit PathFirst(const std::string& directory) {
    const char* path = std::getenv("PATH");
    if (path != nullptr) previous_ = path;
    setenv("PATH", (directory + ":" + previous_).c_str(), 1);
  }
  ~PathFirst() { setenv("PATH", previous_.c_str(), 1); }
  PathFirst(const PathFirst&) = delete;
  PathFirst& operator=(const PathFirst&) = delete;

 private:
  std::string previous_;
};

void write_script(const std::string& path, const std::string& body) {
  write_text_file(path, "#!/bin/sh\n" + body);
  chmod(path.c_str(), 0755);
}

class SlurmClient : public ::testing::Test {
 protected:
  SlurmClient() : path_(dir_.path()) {
    // squeue --noheader --format=%F %T --jobs=<id>: one line per job or array task.
    write_script(
        dir_.file("squeue"),
        "case \"$3\" in\n"
        "  --jobs=5) echo '5 PENDING' ;;\n"
        "  --jobs=6) echo '6 PENDING'; echo '6 RUNNING'; echo '6 PENDING' ;;\n"
        "  --jobs=7) echo 'slurm_load_jobs error: Invalid job id specified'; exit 1 ;;\n"
        "  --jobs=8) echo '8 REQUEUED' ;;\n"
        "  *) echo 'slurm_load_jobs error: Unable to contact slurm controller'; exit 1 ;;\n"
        "esac\n");
    write_script(dir_.file("scancel"), "echo \"$@\" >> " + dir_.file("cancelled") + "\n");
  }
  ScratchDir dir_{"fct-slurm-client"};
  PathFirst path_;
};

TEST_F(SlurmClient, SbatchReturnsTheJobIdWithoutTheClusterName) {
  write_script(dir_.file("sbatch"), "echo '4242;cluster-a'\n");
  EXPECT_EQ(sbatch({"sbatch", "--parsable", "job.sh"}), "4242");
  write_script(dir_.file("sbatch"), "echo '17'\n");
  EXPECT_EQ(sbatch({"sbatch", "--parsable", "job.sh"}), "17");
}

TEST_F(SlurmClient, ARefusedJobIsAnErrorWithWhatSbatchSaidAndTheCommand) {
  write_script(dir_.file("sbatch"),
               "echo 'sbatch: error: Batch job submission failed: Invalid partition name'\n"
               "exit 1\n");
  try {
    sbatch({"sbatch", "--parsable", "--partition=gpu", "job.sh"});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("sbatch refused the job (exit 1)"), std::string::npos) << message;
    EXPECT_NE(message.find("Invalid partition name"), std::string::npos) << message;
    EXPECT_NE(message.find("'--partition=gpu' 'job.sh'"), std::string::npos) << message;
  }
  // Exit 0 without an id is a refusal too.
  write_script(dir_.file("sbatch"), "echo 'submitted'\n");
  EXPECT_THROW(sbatch({"sbatch", "--parsable", "job.sh"}), Error);
}

TEST_F(SlurmClient, QueueStatesOfTheJobsSlurmStillHolds) {
  const auto states = job_states({"5", "6", "7", "8"});
  EXPECT_EQ(states.size(), 3u);  // 7 is long gone
  EXPECT_EQ(states.at("5"), QueueState::kWaiting);
  EXPECT_EQ(states.at("6"), QueueState::kRunning);  // an array with one task running
  EXPECT_EQ(states.at("8"), QueueState::kWaiting);
  EXPECT_EQ(jobs_in_queue({"7", "5", "6"}), (std::vector<std::string>{"5", "6"}));
  EXPECT_TRUE(job_states({}).empty());
}

TEST_F(SlurmClient, AnUnreachableControllerIsAnErrorNotAnEmptyQueue) {
  try {
    job_states({"5", "99"});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("squeue failed for job 99"), std::string::npos) << message;
    EXPECT_NE(message.find("Unable to contact slurm controller"), std::string::npos) << message;
  }
}

TEST_F(SlurmClient, ScancelGetsEveryIdAtOnceAndNothingForNoIds) {
  scancel({});
  scancel({"5", "6_1"});
  EXPECT_EQ(read_text_file(dir_.file("cancelled")), "5 6_1\n");
}

TEST(SlurmClientMissing, AMissingCommandIsNamed) {
  ScratchDir empty("fct-slurm-client");
  const char* path = std::getenv("PATH");
  const std::string previous = path != nullptr ? path : "";
  setenv("PATH", empty.path().c_str(), 1);  // nothing to find
  std::string message;
  try {
    sbatch({"sbatch", "--parsable", "job.sh"});
  } catch (const Error& e) {
    message = e.what();
  }
  setenv("PATH", previous.c_str(), 1);
  EXPECT_NE(message.find("sbatch is not installed here"), std::string::npos) << message;
}

}  // namespace
}  // namespace fct::submit
