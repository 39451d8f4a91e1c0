#include "cli/manager.h"

#include "cli/metrics_endpoint.h"

namespace xatm {

Result<std::unique_ptr<TransactionManager>> OpenCommandManager(
    const Config& config, OpenOptions open) {
  open.metrics_registry = ServedMetricsRegistry();
  return OpenTransactionManager(config, open);
}

TransactionManagerOptions CommandManagerOptions(const Config& config) {
  TransactionManagerOptions options = ManagerOptions(config);
  options.metrics_registry = ServedMetricsRegistry();
  return options;
}

}  // namespace xatm
