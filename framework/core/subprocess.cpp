#include "framework/core/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
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
    std::ifstream file(entry->path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
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
  // The child's environment, prepared before fork (allocation is not async-signal-safe after).
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const bool dropped = std::any_of(drop_environment.begin(), drop_environment.end(),
                                     [&](const std::string& p) { return entry.rfind(p, 0) == 0; });
    if (!dropped) environment.push_back(entry);
  }
  std::vector<char*> envp;
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw Error("cannot run " + argv.at(0) + ": pipe() failed");
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw Error("cannot run " + argv.at(0) + ": fork() failed");
  if (pid == 0) {
    ::setsid();  // own session (and process group): the deadline kills all of it
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    if (!working_dir.empty() && ::chdir(working_dir.c_str()) != 0) ::_exit(127);
    ::execvpe(args[0], args.data(), envp.data());
    ::_exit(127);
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
