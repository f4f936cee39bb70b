#include "framework/core/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>

#include "framework/core/error.h"

namespace fct {

std::vector<pid_t> session_processes(pid_t sid) {
  std::vector<pid_t> pids;
  std::error_code error;
  for (auto entry = std::filesystem::directory_iterator("/proc", error);
       !error && entry != std::filesystem::directory_iterator(); entry.increment(error)) {
    const std::string name = entry->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    // A process that exits meanwhile makes the read fail (ESRCH), which libstdc++'s streams throw
    // as basic_filebuf::underflow: read with read(2), and a failed read means it is gone.
    std::string stat;
    const int fd = ::open((entry->path() / "stat").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char chunk[512];
    for (ssize_t n; (n = ::read(fd, chunk, sizeof chunk)) > 0;) stat.append(chunk, n);
    ::close(fd);
    // pid (comm) state ppid pgrp session ...; comm may hold spaces: parse after the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;  // gone meanwhile
    std::istringstream fields(stat.substr(close + 1));
    std::string state;
    long ppid = 0, pgrp = 0, session = 0;
    fields >> state >> ppid >> pgrp >> session;
    if (session != sid) continue;
    int64_t threads = 0;
    std::error_code task_error;
    for (auto it = std::filesystem::directory_iterator(entry->path() / "task", task_error);
         !task_error && it != std::filesystem::directory_iterator(); it.increment(task_error))
      ++threads;
    if (state != "Z" || threads > 1) pids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return pids;
}

bool kill_session(pid_t sid) {
  for (int i = 0; i < 1000; ++i) {
    const auto pids = session_processes(sid);
    if (pids.empty()) return true;
    for (pid_t p : pids) ::kill(p, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

CommandResult run_command(const std::vector<std::string>& argv, double deadline_s,
                          const std::string& working_dir,
                          const std::vector<std::string>& drop_environment) {
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const bool dropped = std::any_of(drop_environment.begin(), drop_environment.end(),
                                     [&](const std::string& p) { return entry.rfind(p, 0) == 0; });
    if (!dropped) environment.push_back(entry);
  }
  std::vector<char*> envp;
  envp.reserve(environment.size() + 1);
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    throw Error("cannot run " + argv.at(0) + ": pipe2() failed: " + std::strerror(errno));

  // posix_spawnp, not fork: a rank holding gigabytes (or a CUDA context) is not duplicated to run
  // sbatch or git, and nothing it has open (HDF5 files, MPI's sockets, the run cache's locks)
  // leaks into the child: descriptors from 3 up are closed there.
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attributes);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_dir.c_str());
  // Its own session (and process group): the deadline kills all of it. No signal blocked, and the
  // signals fct handles or ignores (the preemption notice, SIGPIPE) at their defaults.
  sigset_t no_signals, defaults;
  sigemptyset(&no_signals);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGHUP, SIGQUIT})
    sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int spawn_error =
      ::posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawn_error != 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    CommandResult failed;
    failed.started = false;
    failed.exit_code = 127;
    failed.output = "cannot start " + argv.at(0) +
                    (working_dir.empty() ? "" : " in " + working_dir) + ": " +
                    std::strerror(spawn_error) + "\n";
    return failed;
  }
  ::close(pipe_fds[1]);
  ::fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);

  CommandResult result;
  int status = 0;
  bool exited = false;
  char buffer[4096];
  while (true) {
    ssize_t n;
    while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) result.output.append(buffer, n);
    if (exited) break;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      continue;  // drain what is left in the pipe
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed > deadline_s) {
      result.timed_out = true;
      kill_session(pid);
      ::waitpid(pid, &status, 0);
      exited = true;
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // What is left of the session (e.g. orphaned ranks) must not outlive the command.
  kill_session(pid);
  ::close(pipe_fds[0]);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (result.timed_out) {
    result.exit_code = -1;
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  return result;
}

}  // namespace fct
