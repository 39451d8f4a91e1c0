#include "xatm/open_from_config.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "tm/text_format.h"
#include "xatm/database_decision_log.h"
#include "xatm/decision_deadline.h"
#include "xatm/node_registry.h"
#include "xatm/resource_factory.h"

namespace xatm {

Result<std::vector<std::shared_ptr<Resource>>> MakeResources(
    const Config& config) {
  std::vector<std::shared_ptr<Resource>> resources;
  for (const ResourceConfig& rc : config.resources) {
    XATM_ASSIGN_OR_RETURN(std::shared_ptr<Resource> r, MakeResource(rc));
    resources.push_back(std::move(r));
  }
  return resources;
}

TransactionManagerOptions ManagerOptions(const Config& config) {
  TransactionManagerOptions options;
  options.node_id = config.node;
  options.log_dir = config.log_dir;
  options.decision_deadline_ms =
      DecisionDeadlineForGrace(config.grace_period_ms);
  return options;
}

namespace {

std::shared_ptr<Resource> FindIn(
    const std::vector<std::shared_ptr<Resource>>& resources,
    const std::string& name) {
  for (const auto& r : resources) {
    if (r->name() == name) return r;
  }
  return nullptr;
}

// Between two attempts to open a log another process holds.
constexpr int64_t kLogLockRetryMs = 20;

DatabaseDecisionLogOptions StoreOptions(const Config& config) {
  DatabaseDecisionLogOptions options;
  options.decide_within_ms = ManagerOptions(config).decision_deadline_ms;
  return options;
}

}  // namespace

bool IsLogHeldByAnotherProcess(const Status& status) {
  return status.code() == StatusCode::kFailedPrecondition &&
         status.message().find("another process") != std::string::npos;
}

Status CreateDecisionLog(const Config& config) {
  if (!config.file_store()) {
    XATM_ASSIGN_OR_RETURN(std::vector<std::shared_ptr<Resource>> resources,
                          MakeResources(config));
    std::shared_ptr<Resource> store = FindIn(resources, config.decision_store);
    XATM_RETURN_IF_ERROR(DatabaseDecisionLog::CreateTable(*store));
    XATM_RETURN_IF_ERROR(NodeRegistry::CreateTable(*store));
    // Refuses a server that does not commit durably, now rather than later.
    return DatabaseDecisionLog::Open(store, StoreOptions(config)).status();
  }
  return OpenFileDecisionLog(config, {config.log_lock_wait_ms, nullptr},
                             /*create=*/true)
      .status();
}

Result<std::unique_ptr<DecisionLog>> OpenFileDecisionLog(
    const Config& config, const LogLockWait& wait, bool create) {
  DecisionLogOptions options;
  options.node_id = config.node;
  options.create_if_missing = create;
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  while (true) {
    Result<std::unique_ptr<DecisionLog>> log =
        DecisionLog::Open(config.log_dir, options);
    if (log.ok() || !IsLogHeldByAnotherProcess(log.status())) return log;
    const int64_t waited_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                              start)
            .count();
    int64_t pause_ms = kLogLockRetryMs;
    if (wait.wait_ms >= 0) {
      pause_ms = std::min(pause_ms, wait.wait_ms - waited_ms);
    }
    bool go_on = pause_ms > 0;
    if (go_on && wait.pause) {
      go_on = wait.pause(pause_ms);
    } else if (go_on) {
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    }
    if (!go_on) {
      return Status::FailedPrecondition(
          log.status().message() + ": waited " + FormatAge(waited_ms) +
          " (log_lock_wait) for another xatm process to release it (a "
          "command, or xatm serve during a recovery pass)");
    }
  }
}

Result<std::unique_ptr<TransactionManager>> OpenTransactionManager(
    const Config& config, const OpenOptions& open) {
  TransactionManagerOptions options = ManagerOptions(config);
  if (open.worker_threads > 0) options.worker_threads = open.worker_threads;
  options.metrics_registry = open.metrics_registry;
  if (!config.file_store()) {
    // No directory lock: the table is shared by every process and node.
    XATM_ASSIGN_OR_RETURN(std::vector<std::shared_ptr<Resource>> resources,
                          MakeResources(config));
    XATM_ASSIGN_OR_RETURN(
        std::unique_ptr<DatabaseDecisionLog> store,
        DatabaseDecisionLog::Open(FindIn(resources, config.decision_store),
                                  StoreOptions(config)));
    return TransactionManager::Create(options, std::move(resources),
                                      std::move(store));
  }
  const LogLockWait wait{open.lock_wait_ms.value_or(config.log_lock_wait_ms),
                         nullptr};
  XATM_ASSIGN_OR_RETURN(std::unique_ptr<DecisionLog> log,
                        OpenFileDecisionLog(config, wait));
  XATM_ASSIGN_OR_RETURN(std::vector<std::shared_ptr<Resource>> resources,
                        MakeResources(config));
  return TransactionManager::Create(options, std::move(resources),
                                    std::move(log));
}

}  // namespace xatm
