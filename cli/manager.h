// How a command opens its TransactionManager: from the configuration file,
// as an application would (xatm/open_from_config.h), with its metrics in the
// registry that --metrics-listen serves.
#pragma once

#include <memory>

#include "xatm/open_from_config.h"

namespace xatm {

// OpenTransactionManager with `open.metrics_registry` set to the served
// registry (none when nothing is served).
Result<std::unique_ptr<TransactionManager>> OpenCommandManager(
    const Config& config, OpenOptions open = {});

// ManagerOptions with the served registry.
TransactionManagerOptions CommandManagerOptions(const Config& config);

}  // namespace xatm
