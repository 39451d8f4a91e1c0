#include "cli/manager.h"

#include <algorithm>

#include "adapters/resource_factory.h"

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
  options.decision_deadline_ms = std::max<int64_t>(1, config.grace_period_ms / 2);
  return options;
}

Result<std::unique_ptr<TransactionManager>> OpenTransactionManager(
    const Config& config) {
  Result<std::vector<std::shared_ptr<Resource>>> resources =
      MakeResources(config);
  if (!resources.ok()) return resources.status();
  return TransactionManager::Open(ManagerOptions(config),
                                  std::move(resources).value());
}

}  // namespace xatm
