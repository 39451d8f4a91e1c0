#include "cli/manager.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "xatm/resource_factory.h"
#include "cli/metrics_endpoint.h"
#include "xatm/database_decision_log.h"

namespace xatm {

Result<std::vector<std::shared_ptr<Resource>>> MakeResources(
    const Config& config) {
  std::vector<std::shared_ptr<Resource>> resources;
  for (const ResourceConfig& rc : config.resources) {
    Result<std::shared_ptr<Resource>> r = MakeResource(rc);
    if (!r.ok()) return r.status();
    resources.push_back(std::move(r).value());
  }
  return resources;
}

TransactionManagerOptions ManagerOptions(const Config& config) {
  TransactionManagerOptions options;
  options.node_id = config.node;
  options.log_dir = config.log_dir;
  options.decision_deadline_ms =
      std::max<int64_t>(1, config.grace_period_ms / 2);
  options.metrics_registry = ServedMetricsRegistry();  // --metrics-listen
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

DatabaseDecisionLogOptions StoreOptions(const Config& config) {
  DatabaseDecisionLogOptions options;
  options.decide_within_ms = ManagerOptions(config).decision_deadline_ms;
  return options;
}

}  // namespace

Status CreateDecisionLog(const Config& config) {
  if (!config.file_store()) {
    Result<std::vector<std::shared_ptr<Resource>>> resources =
        MakeResources(config);
    if (!resources.ok()) return resources.status();
    std::shared_ptr<Resource> store = FindIn(*resources, config.decision_store);
    Status created = DatabaseDecisionLog::CreateTable(*store);
    if (!created.ok()) return created;
    // Refuses a server that does not commit durably, now rather than later.
    return DatabaseDecisionLog::Open(store, StoreOptions(config)).status();
  }
  DecisionLogOptions options;
  options.node_id = config.node;
  options.create_if_missing = true;
  Result<std::unique_ptr<DecisionLog>> log =
      DecisionLog::Open(config.log_dir, options);
  return log.status();
}

Result<std::unique_ptr<TransactionManager>> OpenTransactionManager(
    const Config& config, int64_t lock_wait_ms, int worker_threads) {
  TransactionManagerOptions options = ManagerOptions(config);
  if (worker_threads > 0) options.worker_threads = worker_threads;
  if (!config.file_store()) {
    // No directory lock: the table is shared by every process and node.
    Result<std::vector<std::shared_ptr<Resource>>> resources =
        MakeResources(config);
    if (!resources.ok()) return resources.status();
    Result<std::unique_ptr<DatabaseDecisionLog>> store =
        DatabaseDecisionLog::Open(FindIn(*resources, config.decision_store),
                                  StoreOptions(config));
    if (!store.ok()) return store.status();
    return TransactionManager::Create(options, std::move(resources).value(),
                                      std::move(store).value());
  }
  using Clock = std::chrono::steady_clock;
  const Clock::time_point give_up =
      Clock::now() + std::chrono::milliseconds(lock_wait_ms);
  while (true) {
    Result<std::vector<std::shared_ptr<Resource>>> resources =
        MakeResources(config);
    if (!resources.ok()) return resources.status();
    Result<std::unique_ptr<TransactionManager>> tm =
        TransactionManager::Open(options, std::move(resources).value());
    const Status& s = tm.status();
    bool busy = !tm.ok() && s.code() == StatusCode::kFailedPrecondition &&
                s.message().find("another process") != std::string::npos;
    if (!busy || Clock::now() >= give_up) return tm;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace xatm
