#include "cli/serve/recovery_service.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <functional>
#include <utility>

#include "cli/commands/recovery_output.h"
#include "cli/manager.h"

namespace xatm {
namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t MsSince(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             SteadyClock::now() - start)
      .count();
}

SweeperOptions ServiceSweeperOptions(const Config& config, SagaManager* sagas,
                                     std::function<Status()> node_health) {
  SweeperOptions options;
  options.sagas = sagas;
  options.grace_period_ms = config.grace_period_ms;
  options.takeover_after_ms = config.takeover_after_ms;
  options.key_retention_s = config.key_retention_s();
  options.saga_retention_s = config.saga_retention_s();
  options.node_health = std::move(node_health);
  return options;
}

}  // namespace

Result<std::unique_ptr<RecoveryService>> RecoveryService::Open(
    const Config& config) {
  if (!config.file_store()) {
    XATM_ASSIGN_OR_RETURN(std::unique_ptr<TransactionManager> tm,
                          OpenCommandManager(config));
    return Make(config, std::move(tm), nullptr);
  }
  XATM_ASSIGN_OR_RETURN(std::vector<std::shared_ptr<Resource>> resources,
                        MakeResources(config));
  auto pass_log = std::make_unique<PassLog>(config.log_dir);
  PassLog* held = pass_log.get();
  XATM_ASSIGN_OR_RETURN(
      std::unique_ptr<TransactionManager> tm,
      TransactionManager::Create(CommandManagerOptions(config),
                                 std::move(resources), std::move(pass_log)));
  return Make(config, std::move(tm), held);
}

Result<std::unique_ptr<RecoveryService>> RecoveryService::Make(
    const Config& config, std::unique_ptr<TransactionManager> tm,
    PassLog* pass_log) {
  XATM_ASSIGN_OR_RETURN(std::unique_ptr<SagaManager> sagas,
                        SagaManager::Create(*tm));
  return std::unique_ptr<RecoveryService>(
      new RecoveryService(config, std::move(tm), pass_log, std::move(sagas)));
}

RecoveryService::RecoveryService(const Config& config,
                                 std::unique_ptr<TransactionManager> tm,
                                 PassLog* pass_log,
                                 std::unique_ptr<SagaManager> sagas)
    : config_(config),
      tm_(std::move(tm)),
      pass_log_(pass_log),
      sagas_(std::move(sagas)),
      // The heartbeat is made by Run() before the first pass.
      sweeper_(tm_.get(), ServiceSweeperOptions(config, sagas_.get(), [this] {
                 return heartbeat_ != nullptr ? heartbeat_->health()
                                              : Status::Ok();
               })) {}

Status RecoveryService::Run(StopSignal& stop) {
  if (pass_log_ == nullptr && heartbeat_ == nullptr) {
    // A database store: announce the node before resolving anything, and
    // refuse to run next to another live process with this node id.
    XATM_ASSIGN_OR_RETURN(
        heartbeat_,
        NodeHeartbeat::Start(tm_.get(),
                             HeartbeatOptionsFor(config_.heartbeat_interval_ms,
                                                 config_.takeover_after_ms)));
  }
  for (int64_t number = 1; !stop.requested(); ++number) {
    Status pass = Pass(stop, number);
    if (!pass.ok() && number == 1) return pass;  // cannot start
    started_ = true;
    // Another process took the node id while this one was silent (stopped,
    // cut off): it must not sweep or fence in the node's name again.
    if (Status lost = NodeIdLost(); !lost.ok()) {
      spdlog::error("serve: stopping: {}", lost.message());
      return lost;
    }
    if (!pass.ok()) {
      // The log went missing or got damaged: say so, try again next time.
      spdlog::error("serve: pass {}: {}", number, pass.ToString());
    }
    if (number == 1 && !stop.requested()) {
      spdlog::info(
          "serve: started: node {}, decisions in {}, a pass every {}, grace "
          "period {}",
          config_.node,
          config_.file_store() ? config_.log_dir
                               : "resource " + config_.decision_store,
          FormatAge(config_.sweep_interval_ms),
          FormatAge(config_.grace_period_ms));
    }
    if (stop.WaitFor(config_.sweep_interval_ms)) break;
  }
  spdlog::info("serve: stopped ({})", StopSignalName(stop.signal_number()));
  return Status::Ok();
}

Status RecoveryService::NodeIdLost() const {
  XATM_RETURN_IF_ERROR(sweeper_.health());
  if (heartbeat_ != nullptr) {
    Status beat = heartbeat_->health();
    if (beat.code() == StatusCode::kFailedPrecondition) return beat;
  }
  return Status::Ok();
}

Status RecoveryService::HoldLog(StopSignal& stop) {
  LogLockWait wait{config_.log_lock_wait_ms,
                   [&stop](int64_t ms) { return !stop.WaitFor(ms); }};
  Result<std::unique_ptr<DecisionLog>> log = OpenFileDecisionLog(config_, wait);
  if (!log.ok() && IsLogHeldByAnotherProcess(log.status()) &&
      !stop.requested()) {
    // A long transfer or an operator's command: keep waiting, but say so.
    spdlog::warn("serve: {}; still waiting", log.status().message());
    wait.wait_ms = -1;
    log = OpenFileDecisionLog(config_, wait);
  }
  if (!log.ok()) return log.status();
  pass_log_->Hold(std::move(log).value());
  return Status::Ok();
}

Status RecoveryService::Pass(StopSignal& stop, int64_t number) {
  const SteadyClock::time_point start = SteadyClock::now();
  if (pass_log_ != nullptr) {
    Status held = HoldLog(stop);
    if (stop.requested()) {
      pass_log_->Release();
      return Status::Ok();  // abandoned before it began
    }
    if (!held.ok()) return held;
  }
  const SteadyClock::time_point opened_at = SteadyClock::now();
  SweepResult result = sweeper_.SweepOnce();
  if (pass_log_ != nullptr) pass_log_->Release();
  // The sweeper logs its summary at info level when it found anything.
  spdlog::debug(
      "serve: pass {} done in {} ms ({} ms to open the log): {}", number,
      MsSince(start),
      std::chrono::duration_cast<std::chrono::milliseconds>(opened_at - start)
          .count(),
      result.Summary());
  return Status::Ok();
}

}  // namespace xatm
