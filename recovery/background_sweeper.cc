#include "xatm/background_sweeper.h"

#include <chrono>

#include "xatm/decision_deadline.h"
#include "xatm/resource_check.h"

namespace xatm {

BackgroundSweeper::BackgroundSweeper(TransactionManager* manager,
                                     SweeperOptions options,
                                     int64_t interval_ms,
                                     int64_t heartbeat_interval_ms)
    : manager_(manager),
      sweeper_(manager, options),
      interval_ms_(interval_ms),
      settings_(CheckDecisionDeadline(manager->options().decision_deadline_ms,
                                      options.grace_period_ms)),
      heartbeat_options_(HeartbeatOptionsFor(heartbeat_interval_ms,
                                             options.takeover_after_ms)) {}

BackgroundSweeper::~BackgroundSweeper() { Stop(); }

Result<SweepResult> BackgroundSweeper::Start() {
  // Refused before anything starts: settings that do not agree, or a
  // resource that cannot be reached or refuses the credentials.
  if (!settings_.ok()) return settings_;
  Status reachable = CheckResources(manager_->resources());
  if (!reachable.ok()) return reachable;
  if (heartbeat_ == nullptr && manager_->log().store_resource() != nullptr) {
    Result<std::unique_ptr<NodeHeartbeat>> heartbeat =
        NodeHeartbeat::Start(manager_, heartbeat_options_);
    if (!heartbeat.ok()) return heartbeat.status();
    heartbeat_ = std::move(heartbeat).value();
  }
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
  // Its row stays and falls silent; a later Start() claims the id again.
  heartbeat_.reset();
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
