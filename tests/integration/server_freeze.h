// Freezes the test's own MariaDB server (SIGSTOP on the pid in
// $XATM_DB_DIR/my/mysqld.pid) for as long as the object lives, and thaws it
// (SIGCONT) at the latest after `max_ms`, so that code without timeouts
// returns late instead of hanging the test program.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "tests/integration/test_env.h"

namespace xatm::testing {

// The pid of the test MariaDB server; 0 when unknown.
inline pid_t TestMariadbPid() {
  std::ifstream in(RequireEnv("XATM_DB_DIR") + "/my/mysqld.pid");
  pid_t pid = 0;
  in >> pid;
  return pid;
}

class ServerFreeze {
 public:
  explicit ServerFreeze(int max_ms) : pid_(TestMariadbPid()) {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGSTOP);
    thawer_ = std::thread([this, max_ms] {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(max_ms),
                   [this] { return thawed_; });
      ::kill(pid_, SIGCONT);
    });
  }
  ~ServerFreeze() { Thaw(); }
  ServerFreeze(const ServerFreeze&) = delete;
  ServerFreeze& operator=(const ServerFreeze&) = delete;

  bool frozen() const { return pid_ > 0; }

  void Thaw() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      thawed_ = true;
    }
    cv_.notify_all();
    if (thawer_.joinable()) thawer_.join();
    if (pid_ > 0) ::kill(pid_, SIGCONT);
  }

 private:
  const pid_t pid_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool thawed_ = false;
  std::thread thawer_;
};

}  // namespace xatm::testing
