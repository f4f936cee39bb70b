// A rank that fails — by an exception, by SIGKILL, or by hanging — must end the whole job with a
// non-zero exit code instead of leaving its peers blocked in a collective. The deadline here only
// guards against a hang; it is not a timing assertion.
#include <gtest/gtest.h>

#include "tests/cli/cli_test_support.h"

namespace fct::testing {
namespace {

constexpr double kHangGuardSeconds = 240;

CommandResult run_with_fault(const std::string& mode, const std::vector<std::string>& extra = {}) {
  ScratchDir dir("fct-fault");
  write_text_file(dir.file("exp.yaml"), tiny_experiment_yaml(dir.file("run")));
  std::vector<std::string> args = {"train",
                                   dir.file("exp.yaml"),
                                   "debug.fail_rank=1",
                                   "debug.fail_step=2",
                                   "debug.fail_mode=" + mode,
                                   "--no-progress"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_fct(2, args, kHangGuardSeconds);
}

TEST(FailFast, ExceptionOnOneRankEndsTheJob) {
  const auto result = run_with_fault("throw");
  EXPECT_FALSE(result.timed_out) << result.output;
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("[rank 1]"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("fault injection: rank 1 at step 2 throws"), std::string::npos)
      << result.output;
}

TEST(FailFast, KilledRankEndsTheJob) {
  const auto result = run_with_fault("kill");
  EXPECT_FALSE(result.timed_out) << result.output;
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("fault injection: SIGKILL to rank 1 at step 2"), std::string::npos)
      << result.output;
}

TEST(FailFast, HungRankIsDetectedByTheCollectiveTimeout) {
  const auto result = run_with_fault("hang", {"dist.timeout_s=5"});
  EXPECT_FALSE(result.timed_out) << result.output;
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("fault injection: rank 1 at step 2 hangs"), std::string::npos)
      << result.output;
  // The peer's collective gives up, and the job ends through its error.
  EXPECT_NE(result.output.find("did not complete within"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace fct::testing
