// Child processes for crash tests: the real `xatm` binary, the no-vote
// transfer program, scripts/db.sh. Output is captured from pipes; a test can
// wait for a line on stderr (a crash point's "paused at" message) and act
// while the child still runs.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace xatm::crash {

// How a child ended, with everything it wrote.
struct ChildExit {
  bool exited = false;  // normal exit: see code
  int code = -1;
  bool signaled = false;  // killed: see signal
  int signal = 0;
  bool timed_out = false;  // we killed it after the timeout
  std::string out;
  std::string err;

  bool KilledBySigkill() const;
  bool ExitedWith(int c) const { return exited && code == c; }
  // "exit 3" / "killed by signal 9" / "timed out", then both outputs: for
  // assertion messages.
  std::string Describe() const;
};

class Child {
 public:
  // Starts argv[0] (a path) with this process's environment changed by
  // `env`: each entry is set, or removed when its value is empty.
  static std::unique_ptr<Child> Start(
      const std::vector<std::string>& argv,
      const std::map<std::string, std::string>& env = {});

  // Kills (SIGKILL) and reaps a child still running: no zombies, no
  // orphans holding a decision log.
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }

  // True once `text` has appeared on stderr; false when the child ended or
  // `timeout_ms` passed first.
  bool WaitForStderr(const std::string& text, int timeout_ms);

  // Waits for the end (killing the child after `timeout_ms`).
  ChildExit Wait(int timeout_ms);

  // Collects output for up to `wait_ms`; true while the child runs. Once it
  // returns false the child is reaped and Wait() returns at once. Until
  // then its pid is still its own: kill(pid(), ...) is safe from the thread
  // that calls this.
  bool Running(int wait_ms);

 private:
  Child(pid_t pid, int out_fd, int err_fd);

  // Reads what the pipes hold, waiting up to `wait_ms` for data.
  void Pump(int wait_ms);
  // Reaps the child if it has ended (non-blocking); true when it has.
  bool Reap(bool block);

  pid_t pid_;
  int out_fd_;
  int err_fd_;
  bool out_eof_ = false;
  bool err_eof_ = false;
  bool reaped_ = false;
  int status_ = 0;
  std::string out_;
  std::string err_;
};

// Starts, waits, returns the exit.
ChildExit RunChild(const std::vector<std::string>& argv,
                   const std::map<std::string, std::string>& env = {},
                   int timeout_ms = 60000);

}  // namespace xatm::crash
