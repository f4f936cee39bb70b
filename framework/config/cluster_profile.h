// A cluster profile (cluster/<name>.yaml): what `fct submit` needs to know about one SLURM cluster
// — where jobs go (partition, account, QOS), their shape (nodes × tasks per node × GPUs), how
// ranks start (mpirun inside the allocation, or srun --mpi=pmix), the time limit and the warning
// signal before it, and the lines that set up the environment on a compute node.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/config/checks.h"
#include "framework/config/choices.h"

namespace fct::config {

// Names SLURM takes as they are (partition, account, QOS): letters, digits, '_', '.', '-', ','.
Check<std::string> slurm_name();
// sbatch --time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S.
Check<std::string> slurm_time();
// The seconds of a valid slurm_time() text.
int64_t slurm_time_seconds(const std::string& text);

struct ClusterProfile {
  std::string name = "cluster";
  std::string partition;  // "" = the cluster's default
  std::string account;
  std::string qos;
  int64_t nodes = 1;
  int64_t tasks_per_node = 1;  // MPI ranks per node (one per GPU on GPU nodes)
  int64_t gpus_per_node = 0;
  int64_t cpus_per_task = 1;  // LibTorch threads per rank
  std::string memory;         // --mem per node ("" = the partition's default), e.g. 64G
  std::string time_limit = "01:00:00";
  Launcher launcher =
      Launcher::kMpirun;  // mpirun: Open MPI inside the allocation; srun: srun --mpi=...
  std::string srun_mpi = "pmix";
  int64_t signal_seconds = 300;  // USR2 this long before the time limit: checkpoint and requeue
  // A job that checkpoints at its time limit is requeued as long as each run moves it on (its
  // checkpoint is at another place than the last one's); this many requeues in a row that got
  // nowhere end it. A preemptible partition may requeue a healthy long job any number of times.
  int64_t max_stalled_requeues = 3;
  int64_t max_requeues = 0;       // a cap on all requeues of a job, progress or not; 0 = none
  int64_t array_parallelism = 0;  // tasks of a job array at once (%K); 0 = no limit
  // The shape of the light jobs (stores, h, evaluation, tables) on one node: 0 / -1 / "" take the
  // full shape's value.
  int64_t light_tasks = 0;
  int64_t light_gpus = -1;
  int64_t light_cpus_per_task = 0;
  std::string light_time_limit;
  std::string fct = "build/fct";  // the fct binary (relative: to the submission's directory)
  std::string log_directory = "slurm-logs";  // relative: to the run directory
  std::vector<std::string> setup;            // shell lines before fct (module load, source ...)
  std::vector<std::string> sbatch_options;   // more sbatch options, e.g. --exclusive

  template <class V>
  void visit(V& v) {
    v("name", name, "profile name", not_empty());
    v("partition", partition, "SLURM partition ('' = default)", slurm_name());
    v("account", account, "SLURM account ('' = none)", slurm_name());
    v("qos", qos, "quality of service ('' = none)", slurm_name());
    v("nodes", nodes, "nodes per job", in_range<int64_t>(1, 100000));
    v("tasks_per_node", tasks_per_node, "MPI ranks per node", in_range<int64_t>(1, 1024));
    v("gpus_per_node", gpus_per_node, "GPUs per node (0 = CPU)", in_range<int64_t>(0, 64));
    v("cpus_per_task", cpus_per_task, "CPU cores per rank", in_range<int64_t>(1, 1024));
    v("memory", memory, "memory per node ('' = default), e.g. 64G", slurm_name());
    v("time_limit", time_limit, "time limit of each job", slurm_time());
    v("launcher", launcher, "how ranks start: mpirun or srun");
    v("srun_mpi", srun_mpi, "srun --mpi plugin (launcher srun)", slurm_name());
    v("signal_seconds", signal_seconds, "USR2 this many seconds before the time limit",
      in_range<int64_t>(10, 65535));
    v("max_stalled_requeues", max_stalled_requeues,
      "requeues in a row without progress after which a job fails", at_least<int64_t>(1));
    v("max_requeues", max_requeues,
      "requeues after which a job fails even if it progresses (0 = no cap)", at_least<int64_t>(0));
    v("array_parallelism", array_parallelism, "tasks of a job array at once (0 = no limit)",
      at_least<int64_t>(0));
    v("light_tasks", light_tasks,
      "MPI ranks of a light job (stores, h, evaluation) on one node (0 = tasks_per_node)",
      in_range<int64_t>(0, 1024));
    v("light_gpus", light_gpus, "GPUs of a light job (-1 = gpus_per_node)",
      in_range<int64_t>(-1, 64));
    v("light_cpus_per_task", light_cpus_per_task,
      "CPU cores per rank of a light job (0 = cpus_per_task)", in_range<int64_t>(0, 1024));
    v("light_time_limit", light_time_limit, "time limit of a light job ('' = time_limit)",
      [](const std::string& text) { return text.empty() ? std::string() : slurm_time()(text); });
    v("fct", fct, "the fct binary on the compute nodes", not_empty());
    v("log_directory", log_directory, "job logs (relative: to the run directory)", not_empty());
    v("setup", setup, "shell lines that prepare the environment on a compute node");
    v("sbatch_options", sbatch_options, "further sbatch options, e.g. --exclusive");
  }
};

}  // namespace fct::config
