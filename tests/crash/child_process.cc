#include "tests/crash/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace xatm::crash {
namespace {

using Clock = std::chrono::steady_clock;

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                               start)
      .count();
}

// "KEY=VALUE" strings: the environment with `changes` applied.
std::vector<std::string> ChildEnvironment(
    const std::map<std::string, std::string>& changes) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (changes.count(key) == 0) env.push_back(entry);
  }
  for (const auto& [key, value] : changes) {
    if (!value.empty()) env.push_back(key + "=" + value);
  }
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> p;
  for (std::string& s : strings) p.push_back(s.data());
  p.push_back(nullptr);
  return p;
}

// Appends what `fd` holds now; false at end of file or on error.
bool ReadAvailable(int fd, std::string* into) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) {
      into->append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

}  // namespace

bool ChildExit::KilledBySigkill() const {
  return signaled && signal == SIGKILL;
}

std::string ChildExit::Describe() const {
  std::string how = timed_out  ? "timed out (killed by the test)"
                    : exited   ? "exit " + std::to_string(code)
                    : signaled ? "killed by signal " + std::to_string(signal)
                               : "unknown end";
  return how + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
}

std::unique_ptr<Child> Child::Start(
    const std::vector<std::string>& argv,
    const std::map<std::string, std::string>& env) {
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls (the test process has threads).
  std::vector<std::string> args = argv;
  std::vector<std::string> envs = ChildEnvironment(env);
  std::vector<char*> argp = Pointers(args);
  std::vector<char*> envp = Pointers(envs);
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::dup2(null_fd, 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    // Nothing else of the test process goes along: a server restarted by a
    // child (db.sh up) would otherwise hold the test's client sockets open
    // for good.
    if (::close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
    }
    ::execve(argp[0], argp.data(), envp.data());
    const char msg[] = "exec failed\n";
    (void)!::write(2, msg, sizeof(msg) - 1);
    ::_exit(127);
  }
  ::close(null_fd);
  ::close(out[1]);
  ::close(err[1]);
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  ::fcntl(err[0], F_SETFL, O_NONBLOCK);
  return std::unique_ptr<Child>(new Child(pid, out[0], err[0]));
}

Child::Child(pid_t pid, int out_fd, int err_fd)
    : pid_(pid), out_fd_(out_fd), err_fd_(err_fd) {}

Child::~Child() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    Reap(/*block=*/true);
  }
  ::close(out_fd_);
  ::close(err_fd_);
}

void Child::Pump(int wait_ms) {
  // A pipe at end of file is left out of the poll (-1), or poll would
  // return at once forever.
  pollfd fds[2] = {{out_eof_ ? -1 : out_fd_, POLLIN, 0},
                   {err_eof_ ? -1 : err_fd_, POLLIN, 0}};
  if (::poll(fds, 2, wait_ms) <= 0) return;
  if (!out_eof_) out_eof_ = !ReadAvailable(out_fd_, &out_);
  if (!err_eof_) err_eof_ = !ReadAvailable(err_fd_, &err_);
}

bool Child::Reap(bool block) {
  if (reaped_) return true;
  for (;;) {
    pid_t r = ::waitpid(pid_, &status_, block ? 0 : WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return true;
    }
    if (r < 0 && errno == EINTR) continue;
    return false;
  }
}

bool Child::WaitForStderr(const std::string& text, int timeout_ms) {
  auto start = Clock::now();
  for (;;) {
    if (err_.find(text) != std::string::npos) return true;
    if (Reap(/*block=*/false) || MsSince(start) > timeout_ms) {
      Pump(0);
      return err_.find(text) != std::string::npos;
    }
    Pump(50);
  }
}

bool Child::Running(int wait_ms) {
  if (Reap(/*block=*/false)) return false;
  Pump(wait_ms);
  return !Reap(/*block=*/false);
}

ChildExit Child::Wait(int timeout_ms) {
  auto start = Clock::now();
  ChildExit result;
  while (!Reap(/*block=*/false)) {
    if (MsSince(start) > timeout_ms) {
      ::kill(pid_, SIGKILL);
      Reap(/*block=*/true);
      result.timed_out = true;
      break;
    }
    Pump(20);
  }
  // The pipes may stay open in a daemon the child started (db.sh up), so
  // the end is the exit, not end of file: read what is there and stop.
  Pump(0);
  result.out = out_;
  result.err = err_;
  if (!result.timed_out) {
    result.exited = WIFEXITED(status_);
    result.code = result.exited ? WEXITSTATUS(status_) : -1;
    result.signaled = WIFSIGNALED(status_);
    result.signal = result.signaled ? WTERMSIG(status_) : 0;
  }
  return result;
}

ChildExit RunChild(const std::vector<std::string>& argv,
                   const std::map<std::string, std::string>& env,
                   int timeout_ms) {
  return Child::Start(argv, env)->Wait(timeout_ms);
}

}  // namespace xatm::crash
