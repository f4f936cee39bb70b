#include "framework/submit/batch_script.h"

#include <sstream>

#include "framework/submit/shell_quote.h"

namespace fct::submit {
namespace {

// fct's words: each quoted, the array task index as the shell variable it is at run time.
std::string fct_words(const BatchJob& job) {
  std::string words;
  for (const auto& argument : job.fct_arguments)
    words += " " + (argument == kArrayTaskId ? std::string("\"$task\"") : shell_quote(argument));
  return words;
}

std::string launcher(const BatchJob& job, const config::ClusterProfile& profile) {
  if (!job.all_ranks) return "";
  switch (profile.launcher) {
    case config::Launcher::kSrun:
      return "srun " + shell_quote("--mpi=" + profile.srun_mpi) +
             " --kill-on-bad-exit=1 --cpu-bind=none ";
    case config::Launcher::kMpirun:
      break;
  }
  // Open MPI reads the allocation from SLURM; threaded ranks must not be pinned to one core.
  return "mpirun -np \"$SLURM_NTASKS\" --bind-to none --map-by slot ";
}

int64_t cpus_per_task(const BatchJob& job, const config::ClusterProfile& profile) {
  return job.light && profile.light_cpus_per_task > 0 ? profile.light_cpus_per_task
                                                      : profile.cpus_per_task;
}

}  // namespace

std::string log_file_pattern(const BatchJob& job, const ScriptPaths& paths) {
  return slurm_filename(paths.log_directory, "log directory") + "/" + plain_name(job.name) +
         (job.array_size > 0 ? "_%A_%a.out" : "_%j.out");
}

std::string log_file(const BatchJob& job, const ScriptPaths& paths, const std::string& id,
                     int64_t task) {
  const std::string pattern = log_file_pattern(job, paths);
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%' || i + 1 == pattern.size()) {
      out += pattern[i];
      continue;
    }
    const char code = pattern[++i];
    if (code == 'j' || code == 'A')
      out += id;
    else if (code == 'a')
      out += std::to_string(task);
    else
      out += code;  // "%%" is '%'
  }
  return out;
}

std::string exit_file(const BatchJob& job, const ScriptPaths& paths, int64_t task) {
  return paths.status_directory + "/" + plain_name(job.name) +
         (task >= 0 ? "_" + std::to_string(task) : std::string()) + ".exit";
}

std::vector<std::string> sbatch_command(const BatchJob& job, const config::ClusterProfile& profile,
                                        const ScriptPaths& paths,
                                        const std::vector<std::string>& dependencies) {
  std::vector<std::string> argv = {
      "sbatch",
      "--parsable",
      "--job-name=" + job.name,
      "--chdir=" + paths.working_directory,
      "--output=" + log_file_pattern(job, paths),
      "--open-mode=append",
      "--requeue",
      "--signal=B:USR2@" + std::to_string(profile.signal_seconds),
      "--time=" + (job.light && !profile.light_time_limit.empty() ? profile.light_time_limit
                                                                  : profile.time_limit)};
  const int64_t gpus = !job.all_ranks                         ? 0
                       : job.light && profile.light_gpus >= 0 ? profile.light_gpus
                                                              : profile.gpus_per_node;
  if (job.all_ranks && !job.light) {
    argv.push_back("--nodes=" + std::to_string(profile.nodes));
    argv.push_back("--ntasks-per-node=" + std::to_string(profile.tasks_per_node));
  } else {
    argv.push_back("--nodes=1");
    const int64_t tasks = !job.all_ranks            ? 1
                          : profile.light_tasks > 0 ? profile.light_tasks
                                                    : profile.tasks_per_node;
    argv.push_back("--ntasks=" + std::to_string(tasks));
  }
  if (gpus > 0) argv.push_back("--gpus-per-node=" + std::to_string(gpus));
  argv.push_back("--cpus-per-task=" + std::to_string(cpus_per_task(job, profile)));
  if (!profile.partition.empty()) argv.push_back("--partition=" + profile.partition);
  if (!profile.account.empty()) argv.push_back("--account=" + profile.account);
  if (!profile.qos.empty()) argv.push_back("--qos=" + profile.qos);
  if (!profile.memory.empty()) argv.push_back("--mem=" + profile.memory);
  if (job.array_size > 0)
    argv.push_back("--array=0-" + std::to_string(job.array_size - 1) +
                   (profile.array_parallelism > 0 ? "%" + std::to_string(profile.array_parallelism)
                                                  : std::string()));
  if (!dependencies.empty()) {
    std::string text = "--dependency=afterok";
    for (const auto& id : dependencies) text += ":" + id;
    argv.push_back(text);
    argv.push_back("--kill-on-invalid-dep=yes");  // a failed stage cancels what waits for it
  }
  for (const auto& option : profile.sbatch_options) argv.push_back(option);
  argv.push_back(paths.script);
  return argv;
}

std::string render_batch_script(const BatchJob& job, const config::ClusterProfile& profile,
                                const ScriptPaths& paths) {
  const std::string status_dir = shell_quote(paths.status_directory);
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# fct submit: " << job.description << " (cluster profile " << profile.name << ")\n"
    << "# Generated; every name and path below is single-quoted, so it stays data. Resources are\n"
    << "# on sbatch's command line, kept in the submission's jobs.json.\n"
    << "set -uo pipefail\n"
    << "# SLURM signals this shell only (--signal=B:USR2@" << profile.signal_seconds
    << "), perhaps within seconds of the start: trap it\n"
    << "# first, then pass it to fct, which writes a checkpoint and exits " << kCheckpointExit
    << ".\n"
    << "preempt=0\n"
    << "child=\n"
    << "trap 'preempt=1; echo \"fct submit: USR2, the time limit is near: checkpoint\"; "
       "if [ -n \"$child\" ]; then kill -USR2 \"$child\" 2>/dev/null; fi' USR2\n"
    << "cd -- " << shell_quote(paths.working_directory) << " || { echo \"fct submit: cannot enter "
    << "the working directory\" >&2; exit 1; }\n\n";
  if (!profile.setup.empty()) {
    s << "# Environment set-up of the cluster profile.\n";
    for (const auto& line : profile.setup) s << line << "\n";
    s << "\n";
  }
  s << "export OMP_NUM_THREADS=" << cpus_per_task(job, profile) << "\n"
    << "if [ \"$(id -u)\" = 0 ]; then  # Open MPI refuses root without consent (containers)\n"
    << "  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1\n"
    << "fi\n"
    << "task=\"${SLURM_ARRAY_TASK_ID:-}\"\n"
    << "restarts=\"${SLURM_RESTART_COUNT:-0}\"\n"
    << "tag=" << shell_quote(plain_name(job.name)) << "\"${task:+_$task}\"\n"
    << "# fct writes where it stopped (its checkpoint's place) here when it exits "
    << kCheckpointExit << "; a requeue\n"
    << "# that ends at the same place as the one before made no progress.\n"
    << "export FCT_PREEMPTION_RECORD=" << status_dir << "/\"$tag.preempted\"\n"
    << "mkdir -p -- " << status_dir << " && rm -f -- \"$FCT_PREEMPTION_RECORD\"\n"
    << "echo \"fct submit: $tag job ${SLURM_JOB_ID:-?} starts $(date -u +%Y-%m-%dT%H:%M:%SZ) on "
       "$(hostname), restart $restarts\"\n\n"
    << launcher(job, profile) << shell_quote(profile.fct) << fct_words(job) << " &\n"
    << "child=$!\n"
    << "if [ \"$preempt\" = 1 ]; then  # the signal came first: give fct time to listen\n"
    << "  sleep 5\n"
    << "  kill -USR2 \"$child\" 2>/dev/null\n"
    << "fi\n"
    << "while true; do\n"
    << "  wait \"$child\"\n"
    << "  status=$?\n"
    << "  kill -0 \"$child\" 2>/dev/null || break  # else wait was only interrupted by USR2\n"
    << "done\n"
    << "if [ \"$status\" -eq " << kCheckpointExit << " ]; then\n"
    << "  place=$(cat -- \"$FCT_PREEMPTION_RECORD\" 2>/dev/null)\n"
    << "  last=$(cat -- " << status_dir << "/\"$tag.place\" 2>/dev/null)\n"
    << "  stalls=$(cat -- " << status_dir << "/\"$tag.stalls\" 2>/dev/null || echo 0)\n"
    << "  if [ -n \"$place\" ] && [ \"$place\" != \"$last\" ]; then stalls=0; "
       "else stalls=$((stalls + 1)); fi\n"
    << "  printf '%s\\n' \"$place\" > " << status_dir << "/\"$tag.place\"\n"
    << "  printf '%s\\n' \"$stalls\" > " << status_dir << "/\"$tag.stalls\"\n"
    << "  echo \"fct submit: $tag stopped at: ${place:-(no checkpoint recorded)}\"\n"
    << "  if [ \"$stalls\" -ge " << profile.max_stalled_requeues << " ]; then\n"
    << "    echo \"fct submit: $tag made no progress in " << profile.max_stalled_requeues
    << " runs in a row (max_stalled_requeues): giving up\" >&2\n";
  if (profile.max_requeues > 0)
    s << "  elif [ \"$restarts\" -ge " << profile.max_requeues << " ]; then\n"
      << "    echo \"fct submit: $tag was requeued " << profile.max_requeues
      << " times already (max_requeues): giving up\" >&2\n";
  s << "  else\n"
    << "    echo \"fct submit: $tag checkpointed; requeueing job $SLURM_JOB_ID\"\n"
    << "    scontrol requeue \"$SLURM_JOB_ID\" && exit 0\n"
    << "    echo \"fct submit: scontrol requeue failed\" >&2\n"
    << "  fi\n"
    << "  status=1\n"
    << "fi\n"
    << "mkdir -p -- " << status_dir << " && printf '%s\\n' \"$status\" > " << status_dir
    << "/\"$tag.exit.tmp\" && mv -f -- " << status_dir << "/\"$tag.exit.tmp\" " << status_dir
    << "/\"$tag.exit\"\n"
    << "echo \"fct submit: $tag ends $(date -u +%Y-%m-%dT%H:%M:%SZ) with status $status\"\n"
    << "exit \"$status\"\n";
  return s.str();
}

}  // namespace fct::submit
