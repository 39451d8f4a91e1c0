#include "xatm/background_sweeper.h"

#include <chrono>
#include <utility>

#include "xatm/decision_deadline.h"
#include "xatm/logging.h"
#include "xatm/resource_check.h"

namespace xatm {

BackgroundSweeper::BackgroundSweeper(TransactionManager* manager,
                                     SweeperOptions options,
                                     int64_t interval_ms,
                                     int64_t heartbeat_interval_ms)
    : manager_(manager),
      sweeper_(manager, WithNodeHealth(options)),
      interval_ms_(interval_ms),
      settings_(CheckDecisionDeadline(manager->options().decision_deadline_ms,
                                      options.grace_period_ms)),
      heartbeat_options_(HeartbeatOptionsFor(heartbeat_interval_ms,
                                             options.takeover_after_ms)) {}

BackgroundSweeper::~BackgroundSweeper() { Stop(); }

SweeperOptions BackgroundSweeper::WithNodeHealth(SweeperOptions options) {
  options.node_health = [this] {
    std::lock_guard<std::mutex> lock(heartbeat_mu_);
    return heartbeat_ != nullptr ? heartbeat_->health() : Status::Ok();
  };
  return options;
}

Status BackgroundSweeper::status() const { return sweeper_.health(); }

Result<SweepResult> BackgroundSweeper::Start() {
  // Refused before anything starts: settings that do not agree, or a
  // resource that cannot be reached or refuses the credentials.
  if (!settings_.ok()) return settings_;
  XATM_RETURN_IF_ERROR(CheckResources(manager_->resources()));
  // The node id was taken by another process: this one resolves nothing
  // in its name any more.
  XATM_RETURN_IF_ERROR(sweeper_.health());
  if (heartbeat_ == nullptr && manager_->log().store_resource() != nullptr) {
    XATM_ASSIGN_OR_RETURN(std::unique_ptr<NodeHeartbeat> heartbeat,
                          NodeHeartbeat::Start(manager_, heartbeat_options_));
    std::lock_guard<std::mutex> lock(heartbeat_mu_);
    heartbeat_ = std::move(heartbeat);
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
  std::unique_ptr<NodeHeartbeat> stopped;
  {
    std::lock_guard<std::mutex> lock(heartbeat_mu_);
    stopped = std::move(heartbeat_);
  }
  stopped.reset();
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
    if (Status lost = sweeper_.health(); !lost.ok()) {
      Logger()->error("background sweeper stopped: {}", lost.message());
      break;
    }
  }
}

}  // namespace xatm
