// FileLock between processes: a holder makes try_acquire fail and a SIGKILLed holder blocks nobody;
// shared locks coexist and keep an exclusive one out; a waiter whose lock file is removed under it
// (as `fct cache gc` does) ends up holding the file that has the name, not the removed one.
// Locks of two FileLock objects of one process conflict as those of two processes do (flock locks
// belong to the open file), so the rules are tested in one process and the deaths with children.
#include "framework/graph/file_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "framework/core/error.h"
#include "tests/test_support.h"

namespace fct::graph {
namespace {

using fct::testing::ScratchDir;
using Mode = FileLock::Mode;

// A forked child that runs `body` once start() is called, and reports through a pipe. The test
// process is single-threaded when it forks (gtest runs tests one after the other), so the child
// may use the real code. A child must be forked before the parent takes a lock: it would inherit
// the descriptor, and with it the lock, which would then outlive the parent's release.
class Child {
 public:
  explicit Child(const std::function<int(int report_fd)>& body) {
    int report[2], go[2];
    if (::pipe(report) != 0 || ::pipe(go) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::close(report[0]);
      ::close(go[1]);
      char c;
      int code = 100;
      try {
        if (::read(go[0], &c, 1) == 1) code = body(report[1]);
      } catch (...) {
        code = 101;
      }
      ::_exit(code);
    }
    ::close(report[1]);
    ::close(go[0]);
    read_fd_ = report[0];
    go_fd_ = go[1];
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(read_fd_);
    ::close(go_fd_);
  }
  void start() {
    if (::write(go_fd_, "g", 1) != 1) throw std::runtime_error("cannot start the child");
  }
  // The next line the child reported; "" if it closed the pipe. A hang guard, not a timing check.
  std::string read_line() {
    std::string line;
    char c;
    for (;;) {
      pollfd p{read_fd_, POLLIN, 0};
      if (::poll(&p, 1, 60'000) <= 0) throw std::runtime_error("child reported nothing in 60 s");
      if (::read(read_fd_, &c, 1) != 1 || c == '\n') return line;
      line += c;
    }
  }
  // Whether the child reported something (without waiting).
  bool has_reported() {
    pollfd p{read_fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }
  void kill_now() { ::kill(pid_, SIGKILL); }
  // Exit code, or 128 + signal.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int read_fd_ = -1;
  int go_fd_ = -1;
};

void report(int fd, const std::string& line) {
  const std::string text = line + "\n";
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) ::_exit(102);
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_ino;
}

// Waits until /proc/locks shows process `pid` waiting for an flock lock: then it is blocked in
// flock, whatever the scheduling. Fails after 60 s (a hang guard, not a timing check).
void wait_until_blocked(pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream locks("/proc/locks");
    std::string line;
    while (std::getline(locks, line))
      if (line.find("-> FLOCK") != std::string::npos &&
          line.find(fmt::format(" {} ", pid)) != std::string::npos)
        return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL() << "process " << pid << " never waited for an flock lock (/proc/locks)";
}

TEST(FileLock, HeldByAnotherProcessUntilThatProcessIsKilled) {
  ScratchDir dir("fct-lock");
  const std::string path = dir.file("locks/old/0123456789abcdef.lock");
  Child holder([&](int fd) {
    auto lock = FileLock::acquire(path, Mode::kExclusive);
    report(fd, "held");
    for (;;) ::pause();
    return 0;
  });
  holder.start();
  ASSERT_EQ(holder.read_line(), "held");
  EXPECT_FALSE(FileLock::try_acquire(path, Mode::kExclusive).has_value());
  EXPECT_FALSE(FileLock::try_acquire(path, Mode::kShared).has_value());

  holder.kill_now();  // no destructor, no unlock: only the kernel can release it
  EXPECT_EQ(holder.wait(), 128 + SIGKILL);
  auto lock = FileLock::try_acquire(path, Mode::kExclusive);
  ASSERT_TRUE(lock.has_value()) << "the lock of a killed process was not released";
  EXPECT_TRUE(lock->held());
  EXPECT_EQ(lock->mode(), Mode::kExclusive);
  EXPECT_EQ(lock->path(), path);
}

TEST(FileLock, CreatesItsFileAndDirectories) {
  ScratchDir dir("fct-lock");
  const std::string path = dir.file("a/b/c/x.lock");
  auto lock = FileLock::acquire(path, Mode::kShared);
  EXPECT_TRUE(std::filesystem::is_regular_file(path));
}

TEST(FileLock, SharedLocksCoexistAndKeepAnExclusiveOneOut) {
  ScratchDir dir("fct-lock");
  const std::string path = dir.file("x.lock");
  auto first = FileLock::acquire(path, Mode::kShared);
  auto second = FileLock::try_acquire(path, Mode::kShared);
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(FileLock::try_acquire(path, Mode::kExclusive).has_value());
  first.release();
  EXPECT_FALSE(first.held());
  EXPECT_FALSE(FileLock::try_acquire(path, Mode::kExclusive).has_value());  // second still holds
  second.reset();
  EXPECT_TRUE(FileLock::try_acquire(path, Mode::kExclusive).has_value());
}

TEST(FileLock, ExclusiveKeepsEveryoneOutAndDowngradeLetsReadersIn) {
  ScratchDir dir("fct-lock");
  const std::string path = dir.file("x.lock");
  auto lock = FileLock::acquire(path, Mode::kExclusive);
  EXPECT_FALSE(FileLock::try_acquire(path, Mode::kShared).has_value());
  lock.downgrade();
  EXPECT_EQ(lock.mode(), Mode::kShared);
  EXPECT_TRUE(FileLock::try_acquire(path, Mode::kShared).has_value());
  EXPECT_FALSE(FileLock::try_acquire(path, Mode::kExclusive).has_value());
  lock.downgrade();  // shared already: nothing to do
  lock.release();
  EXPECT_THROW(lock.downgrade(), Error);
}

TEST(FileLock, MovedLockIsHeldOnceAndReleasedByItsLastOwner) {
  ScratchDir dir("fct-lock");
  const std::string path = dir.file("x.lock");
  auto lock = FileLock::acquire(path, Mode::kExclusive);
  FileLock moved = std::move(lock);
  EXPECT_FALSE(lock.held());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  EXPECT_TRUE(moved.held());
  EXPECT_FALSE(FileLock::try_acquire(path, Mode::kShared).has_value());
  {
    auto other = FileLock::acquire(dir.file("y.lock"), Mode::kExclusive);
    other = std::move(moved);  // releases y.lock, takes over x.lock
    EXPECT_TRUE(FileLock::try_acquire(dir.file("y.lock"), Mode::kExclusive).has_value());
    EXPECT_FALSE(FileLock::try_acquire(path, Mode::kShared).has_value());
  }
  EXPECT_TRUE(FileLock::try_acquire(path, Mode::kExclusive).has_value());
}

TEST(FileLock, BlockingAcquireWaitsForTheHolder) {
  ScratchDir dir("fct-lock");
  const std::string path = dir.file("x.lock");
  Child writer([&](int fd) {
    auto lock = FileLock::acquire(path, Mode::kExclusive);
    report(fd, "acquired");
    return 0;
  });
  auto reader = FileLock::acquire(path, Mode::kShared);
  writer.start();
  wait_until_blocked(writer.pid());
  EXPECT_FALSE(writer.has_reported());
  reader.release();
  EXPECT_EQ(writer.read_line(), "acquired");
  EXPECT_EQ(writer.wait(), 0);
}

TEST(FileLock, AFileRemovedWhileHeldIsReplacedByAFreshOne) {
  ScratchDir dir("fct-lock");
  const std::string path = dir.file("x.lock");
  auto old_lock = FileLock::acquire(path, Mode::kExclusive);
  const ino_t old_inode = inode_of(path);
  ASSERT_EQ(::unlink(path.c_str()), 0);
  auto fresh = FileLock::try_acquire(path, Mode::kExclusive);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_NE(inode_of(path), 0u);
  EXPECT_NE(inode_of(path), old_inode);
}

// The unlink race of Note [Lock files]: a waiter blocked on the file that gc removes and then
// unlocks must not keep the removed file's lock; it must hold the file now at the path.
TEST(FileLock, AWaiterWhoseFileIsRemovedLocksTheNewFile) {
  ScratchDir dir("fct-lock");
  const std::string path = dir.file("x.lock");
  Child waiter([&](int fd) {
    auto lock = FileLock::acquire(path, Mode::kExclusive);
    report(fd, std::to_string(inode_of(path)));
    for (;;) ::pause();
    return 0;
  });
  auto gc_lock = FileLock::acquire(path, Mode::kExclusive);
  const ino_t removed_inode = inode_of(path);
  // Kept open to the end, so that the removed file's inode number cannot be given to a new file.
  const int removed_file = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(removed_file, 0);
  waiter.start();
  wait_until_blocked(waiter.pid());
  ASSERT_EQ(::unlink(path.c_str()), 0);  // gc: remove the file while holding it, then unlock
  gc_lock.release();
  const std::string reported = waiter.read_line();
  ASSERT_FALSE(reported.empty());
  EXPECT_NE(reported, std::to_string(removed_inode));
  EXPECT_EQ(reported, std::to_string(inode_of(path)));
  // The waiter holds the lock that everyone else now meets.
  EXPECT_FALSE(FileLock::try_acquire(path, Mode::kShared).has_value());
  ::close(removed_file);
}

TEST(FileLock, AnUnusableLockFileIsAnErrorNamingIt) {
  ScratchDir dir("fct-lock");
  const std::string blocker = dir.file("not_a_directory");
  fct::testing::write_text_file(blocker, "");
  const std::string path = blocker + "/x.lock";
  try {
    FileLock::acquire(path, Mode::kExclusive);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fct::graph
