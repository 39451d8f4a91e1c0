// Freezes the test PostgreSQL server (the one scripts/db.sh started in
// $XATM_DB_DIR) with SIGSTOP, as a hung host or a black-holed network looks
// to a client: connections stay open, nothing answers. Every process of that
// server is stopped: the postmaster first, so it forks no new backend, then
// its children. The destructor always resumes them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <vector>

namespace xatm::testing {

class FrozenPostgres {
 public:
  // Stops the server; ADD_FAILURE()s when it cannot find or stop it.
  FrozenPostgres();
  ~FrozenPostgres() { Thaw(); }
  FrozenPostgres(const FrozenPostgres&) = delete;
  FrozenPostgres& operator=(const FrozenPostgres&) = delete;

  // Resumes every stopped process (SIGCONT); idempotent.
  void Thaw();
  bool frozen() const { return !stopped_.empty(); }

 private:
  std::vector<pid_t> stopped_;
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
auto WatchCall(FrozenPostgres& frozen, std::chrono::milliseconds limit,
               Call call) -> Watched<decltype(call())> {
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
