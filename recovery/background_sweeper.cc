#include "xatm/background_sweeper.h"

#include <chrono>

namespace xatm {

BackgroundSweeper::BackgroundSweeper(TransactionManager* manager,
                                     SweeperOptions options,
                                     int64_t interval_ms)
    : sweeper_(manager, options), interval_ms_(interval_ms) {}

BackgroundSweeper::~BackgroundSweeper() { Stop(); }

SweepResult BackgroundSweeper::Start() {
  SweepResult first = sweeper_.SweepOnce();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
  }
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  return first;
}

void BackgroundSweeper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackgroundSweeper::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_),
                     [this] { return stopping_; })) {
      break;
    }
    lock.unlock();
    (void)sweeper_.SweepOnce();
    lock.lock();
  }
}

}  // namespace xatm
