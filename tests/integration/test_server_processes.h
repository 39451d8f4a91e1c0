// The processes of the test servers that scripts/db.sh started in
// $XATM_DB_DIR, and freezing them (SIGSTOP), as a hung host looks to a
// client: connections stay open, nothing answers. One piece for the
// integration tests (adapter calls on a frozen server) and the crash tests
// (transfers across freezes).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "xatm/status.h"

namespace xatm::testing {

// The live processes of test server "pg" (the postmaster, then its
// children), "pg-standby" (the same, db.sh's standby) or "my" (mariadbd),
// found through the pid files and each checked by its command name, so a
// stale pid file never names another program.
Result<std::vector<pid_t>> TestServerPids(const std::string& which);

// SIGSTOP of every process of server `which`: the postmaster first, so it
// forks no new backend behind the list. Returns those stopped (also on a
// failure part-way, so the caller can continue them).
Result<std::vector<pid_t>> StopTestServer(const std::string& which);

// SIGCONT, children before the postmaster.
void ContinueProcesses(const std::vector<pid_t>& stopped);

// A test server frozen for as long as the object lives (or until Thaw()),
// and at the latest for `thaw_after` when that is given: code without a
// timeout then returns late instead of hanging the test program.
// ADD_FAILURE()s when it cannot find or stop the server.
class FrozenServer {
 public:
  explicit FrozenServer(
      const std::string& which,
      std::chrono::milliseconds thaw_after = std::chrono::milliseconds(0));
  ~FrozenServer() { Thaw(); }
  FrozenServer(const FrozenServer&) = delete;
  FrozenServer& operator=(const FrozenServer&) = delete;

  // Idempotent; thread-safe.
  void Thaw();
  bool frozen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return !stopped_.empty();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable thaw_now_;
  bool thawing_ = false;
  std::vector<pid_t> stopped_;
  std::thread thawer_;
};

// What a watched call returned and how long it took.
template <typename T>
struct Watched {
  T value;
  std::chrono::milliseconds elapsed;
  bool hung;  // not done by the watchdog's limit: the server was thawed
};

// Runs `call` on its own thread. When it is not done within `limit`, the
// test fails ("hung"), the server is thawed so the call can return, and
// the call is joined: a missing bound fails the test instead of hanging
// the suite.
template <typename Call>
auto WatchCall(FrozenServer& frozen, std::chrono::milliseconds limit, Call call)
    -> Watched<decltype(call())> {
  const auto start = std::chrono::steady_clock::now();
  auto future = std::async(std::launch::async, std::move(call));
  const bool hung = future.wait_for(limit) != std::future_status::ready;
  if (hung) frozen.Thaw();
  auto value = future.get();
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return {std::move(value), elapsed, hung};
}

}  // namespace xatm::testing
