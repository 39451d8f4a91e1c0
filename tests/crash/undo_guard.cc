#include "tests/crash/undo_guard.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace xatm::crash {
namespace {

// What the guard process needs, built before fork: after it, only
// async-signal-safe calls (the test program may have threads).
struct GuardPlan {
  std::vector<pid_t> pids;
  std::vector<std::vector<std::string>> commands;
  std::vector<std::vector<char*>> argvs;
  int trigger_read = -1;
  int done_write = -1;
  int null_fd = -1;
  int max_fd = 1024;
};

[[noreturn]] void RunGuard(GuardPlan& plan) {
  ::setsid();
  ::dup2(plan.null_fd, 0);
  ::dup2(plan.null_fd, 1);
  ::dup2(plan.null_fd, 2);
  // Holds no copy of anything of the test's: pipes of other children
  // would not see their end of file while the guard waits.
  for (int fd = 3; fd < plan.max_fd; ++fd) {
    if (fd != plan.trigger_read && fd != plan.done_write) ::close(fd);
  }
  char byte;
  for (;;) {
    ssize_t n = ::read(plan.trigger_read, &byte, 1);
    if (n == 0 || (n < 0 && errno != EINTR)) break;
  }
  for (pid_t pid : plan.pids) ::kill(pid, SIGCONT);
  char* no_env[] = {nullptr};
  for (std::vector<char*>& argv : plan.argvs) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::execve(argv[0], argv.data(), no_env);
      ::_exit(127);
    }
    int status;
    while (pid > 0 && ::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  (void)!::write(plan.done_write, "x", 1);
  ::_exit(0);
}

}  // namespace

Result<std::unique_ptr<UndoGuard>> UndoGuard::Start(
    const std::vector<pid_t>& pids_to_continue,
    const std::vector<std::vector<std::string>>& commands) {
  GuardPlan plan;
  plan.pids = pids_to_continue;
  plan.commands = commands;
  for (std::vector<std::string>& command : plan.commands) {
    std::vector<char*> argv;
    for (std::string& arg : command) argv.push_back(arg.data());
    argv.push_back(nullptr);
    plan.argvs.push_back(std::move(argv));
  }
  rlimit limit;
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    plan.max_fd = static_cast<int>(
        std::min<rlim_t>(limit.rlim_cur, static_cast<rlim_t>(65536)));
  }
  int trigger[2];
  int done[2];
  if (::pipe2(trigger, O_CLOEXEC) != 0) {
    return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  }
  if (::pipe2(done, O_CLOEXEC) != 0) {
    ::close(trigger[0]);
    ::close(trigger[1]);
    return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  }
  plan.trigger_read = trigger[0];
  plan.done_write = done[1];
  plan.null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  pid_t middle = ::fork();
  if (middle == 0) {
    // The middle process exits at once: the guard is reparented away
    // from the test's process tree.
    if (::fork() != 0) ::_exit(0);
    RunGuard(plan);
  }
  ::close(trigger[0]);
  ::close(done[1]);
  if (plan.null_fd >= 0) ::close(plan.null_fd);
  if (middle < 0) {
    ::close(trigger[1]);
    ::close(done[0]);
    return Status::Internal(std::string("fork: ") + std::strerror(errno));
  }
  int status;
  while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  return std::unique_ptr<UndoGuard>(new UndoGuard(trigger[1], done[0]));
}

void UndoGuard::Undo() {
  if (trigger_fd_ < 0) return;
  ::close(trigger_fd_);
  trigger_fd_ = -1;
  pollfd wait_done = {done_fd_, POLLIN, 0};
  while (::poll(&wait_done, 1, 20000) < 0 && errno == EINTR) {
  }
  ::close(done_fd_);
  done_fd_ = -1;
}

}  // namespace xatm::crash
