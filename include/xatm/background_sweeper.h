// Runs the sweeper at start-up and then every `interval_ms` on a thread of
// its own, for applications that link the library.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "xatm/sweeper.h"

namespace xatm {

class BackgroundSweeper {
 public:
  // REQUIRES: `manager` outlives this object.
  BackgroundSweeper(TransactionManager* manager, SweeperOptions options,
                    int64_t interval_ms);
  ~BackgroundSweeper();  // Stop()

  // Sweeps once on the calling thread (start-up recovery), then starts the
  // periodic thread. Returns the start-up sweep's result.
  SweepResult Start();
  // Wakes the thread and joins it. Idempotent.
  void Stop();

  Sweeper& sweeper() { return sweeper_; }

 private:
  void Loop();

  Sweeper sweeper_;
  int64_t interval_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace xatm
