// Batch scripts and sbatch commands: hostile names and paths stay data (the script is run by bash
// with a stand-in fct that records its arguments), USR2 reaches fct and a checkpoint exit requeues
// the job (a stand-in scontrol records the call), options follow the profile, log names escape '%'.
#include "framework/submit/batch_script.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "framework/core/error.h"
#include "framework/submit/shell_quote.h"
#include "tests/test_support.h"

namespace fct::submit {
namespace {

using fct::testing::read_text_file;
using fct::testing::ScratchDir;
using fct::testing::write_text_file;
namespace fs = std::filesystem;

void write_executable(const std::string& path, const std::string& text) {
  write_text_file(path, text);
  ::chmod(path.c_str(), 0755);
}

config::ClusterProfile one_task_profile(const std::string& fct) {
  config::ClusterProfile profile;
  profile.name = "test";
  profile.fct = fct;
  profile.max_stalled_requeues = 2;
  return profile;
}

TEST(ShellQuote, QuotesEverythingThatBashCouldRead) {
  EXPECT_EQ(shell_quote("plain"), "'plain'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_command_line({"a b", "$x"}), "'a b' '$x'");
  EXPECT_EQ(slurm_filename("/runs/100%/logs", "log directory"), "/runs/100%%/logs");
  EXPECT_THROW(slurm_filename("/runs/a\\b", "log directory"), ConfigError);
  EXPECT_EQ(plain_name("my study/v2 $x"), "my_study_v2__x");
}

TEST(BatchScript, HostileNamesAndPathsReachFctUnchangedAndRunNothing) {
  ScratchDir dir("fct-script");
  // A working directory with a space, both quotes, a dollar sign and a backquote.
  const std::string work = dir.file("work dir 'q' \"d\" $HOME `touch pwned`");
  fs::create_directories(work);
  const std::string fake_fct = dir.file("fake fct");
  write_executable(fake_fct, "#!/bin/bash\nprintf '%s\\n' \"$PWD\" \"$@\" > \"$RECORD\"\n");
  BatchJob job;
  job.name = "study $(touch pwned2)";
  job.description = "a test";
  job.all_ranks = false;
  job.fct_arguments = {"run",     work + "/study.yaml", "name=it's $(touch pwned3)", "x=`id`",
                       "--point", kArrayTaskId};
  ScriptPaths paths{work, dir.file("logs"), dir.file("status 'x'"), dir.file("job.sbatch")};
  write_text_file(paths.script, render_batch_script(job, one_task_profile(fake_fct), paths));
  const std::string record = dir.file("args.txt");
  const auto result = run_command(
      {"env", "RECORD=" + record, "SLURM_JOB_ID=7", "SLURM_ARRAY_TASK_ID=3", "bash", paths.script},
      60, dir.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(read_text_file(record), work + "\nrun\n" + work + "/study.yaml\nname=it's $(touch " +
                                        "pwned3)\nx=`id`\n--point\n3\n");
  for (const char* file : {"pwned", "pwned2", "pwned3"}) {
    EXPECT_FALSE(fs::exists(dir.file(file))) << file;
    EXPECT_FALSE(fs::exists(work + "/" + file)) << file;
  }
  EXPECT_EQ(read_text_file(paths.status_directory + "/study___touch_pwned2__3.exit"), "0\n");
}

TEST(BatchScript, Usr2ReachesFctAndACheckpointExitRequeuesTheJob) {
  ScratchDir dir("fct-script");
  const std::string bin = dir.file("bin");
  fs::create_directories(bin);
  // fct stand-in: waits for USR2, then "checkpoints" and exits 75 as fct does.
  write_executable(dir.file("fake_fct"),
                   "#!/bin/bash\ntrap 'echo checkpoint > \"$RECORD.fct\"; "
                   "echo \"epoch 2, step 3/8\" > \"$FCT_PREEMPTION_RECORD\"; exit 75' USR2\n"
                   "touch \"$RECORD.started\"\nfor i in $(seq 600); do sleep 0.1; done\nexit 3\n");
  write_executable(bin + "/scontrol", "#!/bin/bash\necho \"$@\" > \"$RECORD.scontrol\"\n");
  BatchJob job;
  job.name = "train";
  job.all_ranks = false;
  job.fct_arguments = {"run"};
  ScriptPaths paths{dir.path(), dir.file("logs"), dir.file("status"), dir.file("job.sbatch")};
  write_text_file(paths.script,
                  render_batch_script(job, one_task_profile(dir.file("fake_fct")), paths));
  const std::string record = dir.file("record");
  // bash runs the script; a watcher sends USR2 to it (SLURM signals the batch shell only) once
  // the stand-in has started.
  const std::string driver =
      "bash \"$1\" & shell=$!\n"
      "for i in $(seq 300); do [ -e \"$RECORD.started\" ] && break; sleep 0.1; done\n"
      "kill -USR2 $shell\nwait $shell\n";
  const auto result =
      run_command({"env", "RECORD=" + record, "SLURM_JOB_ID=41", "SLURM_RESTART_COUNT=1",
                   "PATH=" + bin + ":" + std::string(std::getenv("PATH")), "bash", "-c", driver,
                   "driver", paths.script},
                  60, dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(read_text_file(record + ".fct"), "checkpoint\n");
  EXPECT_EQ(read_text_file(record + ".scontrol"), "requeue 41\n");
  EXPECT_NE(result.output.find("requeueing job 41"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("stopped at: epoch 2, step 3/8"), std::string::npos)
      << result.output;
  EXPECT_FALSE(fs::exists(paths.status_directory + "/train.exit"));  // not finished yet
}

// One requeued run of a job whose fct stand-in exits 75 after recording `place` (empty: records
// nothing), as SLURM would start it after `restarts` requeues. The status directory persists
// between runs, as it does between the requeues of one submission.
CommandResult run_preempted(const ScratchDir& dir, const config::ClusterProfile& profile,
                            const std::string& place, int restarts) {
  BatchJob job;
  job.name = "train";
  job.all_ranks = false;
  ScriptPaths paths{dir.path(), dir.file("logs"), dir.file("status"), dir.file("job.sbatch")};
  write_text_file(paths.script, render_batch_script(job, profile, paths));
  const std::string bin = dir.file("bin");
  fs::create_directories(bin);
  write_executable(bin + "/scontrol", "#!/bin/bash\necho \"$@\" >> \"$RECORD\"\n");
  return run_command({"env", "RECORD=" + dir.file("requeues"), "PLACE=" + place, "SLURM_JOB_ID=5",
                      "SLURM_RESTART_COUNT=" + std::to_string(restarts),
                      "PATH=" + bin + ":" + std::string(std::getenv("PATH")), "bash", paths.script},
                     60, dir.path());
}

std::string stand_in_that_stops_at_place(const ScratchDir& dir) {
  const std::string path = dir.file("fake_fct");
  write_executable(path,
                   "#!/bin/bash\n[ -n \"$PLACE\" ] && printf '%s\\n' \"$PLACE\" > "
                   "\"$FCT_PREEMPTION_RECORD\"\nexit 75\n");
  return path;
}

TEST(BatchScript, AJobStuckAtOnePlaceFailsAfterMaxStalledRequeues) {
  ScratchDir dir("fct-script");
  const auto profile = one_task_profile(stand_in_that_stops_at_place(dir));  // 2 stalls allowed
  // First stop: progress (nothing was recorded before). Then twice at the same place.
  EXPECT_EQ(run_preempted(dir, profile, "ckpt at epoch 1, step 4/8", 0).exit_code, 0);
  const auto second = run_preempted(dir, profile, "ckpt at epoch 1, step 4/8", 1);
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("requeueing job 5"), std::string::npos) << second.output;
  const auto third = run_preempted(dir, profile, "ckpt at epoch 1, step 4/8", 2);
  EXPECT_EQ(third.exit_code, 1) << third.output;
  EXPECT_NE(third.output.find("made no progress in 2 runs in a row"), std::string::npos)
      << third.output;
  EXPECT_EQ(read_text_file(dir.file("requeues")), "requeue 5\nrequeue 5\n");
  EXPECT_EQ(read_text_file(dir.file("status/train.exit")), "1\n");
}

TEST(BatchScript, AJobThatMovesOnIsRequeuedAsOftenAsItNeeds) {
  ScratchDir dir("fct-script");
  const auto profile = one_task_profile(stand_in_that_stops_at_place(dir));
  // Far more requeues than max_stalled_requeues, each at a new place: none is refused.
  for (int restart = 0; restart < 12; ++restart) {
    const auto result =
        run_preempted(dir, profile, "ckpt at epoch " + std::to_string(restart + 1), restart);
    ASSERT_EQ(result.exit_code, 0) << restart << result.output;
    ASSERT_NE(result.output.find("requeueing job 5"), std::string::npos) << result.output;
  }
  // A stop that records no place (fct stopped before it could say) counts as no progress.
  EXPECT_EQ(run_preempted(dir, profile, "", 12).exit_code, 0);
  EXPECT_EQ(run_preempted(dir, profile, "", 13).exit_code, 1);
  EXPECT_FALSE(fs::exists(dir.file("status/train.exit.tmp")));
}

TEST(BatchScript, MaxRequeuesCapsEvenAJobThatMovesOn) {
  ScratchDir dir("fct-script");
  auto profile = one_task_profile(stand_in_that_stops_at_place(dir));
  profile.max_requeues = 3;
  EXPECT_EQ(run_preempted(dir, profile, "a", 2).exit_code, 0);
  const auto capped = run_preempted(dir, profile, "b", 3);
  EXPECT_EQ(capped.exit_code, 1) << capped.output;
  EXPECT_NE(capped.output.find("requeued 3 times already (max_requeues)"), std::string::npos)
      << capped.output;
}

TEST(SbatchCommand, FollowsTheProfileArraysAndDependencies) {
  config::ClusterProfile profile;
  profile.partition = "gpu";
  profile.account = "proj";
  profile.nodes = 2;
  profile.tasks_per_node = 4;
  profile.gpus_per_node = 4;
  profile.cpus_per_task = 8;
  profile.time_limit = "1-00:00:00";
  profile.signal_seconds = 600;
  profile.array_parallelism = 3;
  profile.sbatch_options = {"--exclusive"};
  BatchJob job;
  job.name = "s-points";
  job.array_size = 5;
  ScriptPaths paths{"/w d", "/logs 100%", "/st", "/sub/00_s-points.sbatch"};
  const auto argv = sbatch_command(job, profile, paths, {"11", "12"});
  const auto has = [&](const std::string& a) {
    return std::find(argv.begin(), argv.end(), a) != argv.end();
  };
  EXPECT_EQ(argv.front(), "sbatch");
  EXPECT_EQ(argv.back(), "/sub/00_s-points.sbatch");
  for (const std::string a :
       {"--parsable", "--job-name=s-points", "--chdir=/w d",
        "--output=/logs 100%%/s-points_%A_%a.out", "--open-mode=append", "--requeue",
        "--signal=B:USR2@600", "--time=1-00:00:00", "--nodes=2", "--ntasks-per-node=4",
        "--gpus-per-node=4", "--cpus-per-task=8", "--partition=gpu", "--account=proj",
        "--array=0-4%3", "--dependency=afterok:11:12", "--kill-on-invalid-dep=yes", "--exclusive"})
    EXPECT_TRUE(has(a)) << a;
  job.array_size = 0;
  job.all_ranks = false;
  const auto single = sbatch_command(job, profile, paths, {});
  EXPECT_NE(std::find(single.begin(), single.end(), "--ntasks=1"), single.end());
  EXPECT_NE(std::find(single.begin(), single.end(), "--output=/logs 100%%/s-points_%j.out"),
            single.end());
  for (const auto& a : single) EXPECT_EQ(a.rfind("--dependency", 0), std::string::npos);
}

TEST(BatchScript, LaunchersFollowTheProfile) {
  config::ClusterProfile profile;
  BatchJob job;
  job.name = "j";
  job.fct_arguments = {"run", "x.yaml"};
  ScriptPaths paths{"/w", "/l", "/s", "/j.sbatch"};
  EXPECT_NE(render_batch_script(job, profile, paths)
                .find("mpirun -np \"$SLURM_NTASKS\" --bind-to none --map-by slot 'build/fct' "
                      "'run' 'x.yaml' &"),
            std::string::npos);
  profile.launcher = config::Launcher::kSrun;
  profile.setup = {"module load cuda"};
  const std::string srun = render_batch_script(job, profile, paths);
  EXPECT_NE(srun.find("srun '--mpi=pmix' --kill-on-bad-exit=1 --cpu-bind=none 'build/fct'"),
            std::string::npos)
      << srun;
  EXPECT_NE(srun.find("\nmodule load cuda\n"), std::string::npos);
}

}  // namespace
}  // namespace fct::submit
