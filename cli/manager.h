// From a Config to the objects every command works with. Shared by the
// commands (transfer, recover, ...) so that they all open the same decision
// log with the same options.
#pragma once

#include <memory>
#include <vector>

#include "cli/config.h"
#include "xatm/resource.h"
#include "xatm/transaction_manager.h"

namespace xatm {

// One Resource per [resource.NAME], in file order. Connects to nothing.
Result<std::vector<std::shared_ptr<Resource>>> MakeResources(
    const Config& config);

// The manager options a Config implies: its node, its log_dir, and a
// decision deadline of half the grace period, so that no transaction is
// decided after a sweeper may have presumed it aborted.
TransactionManagerOptions ManagerOptions(const Config& config);

// Creates the decision log in config.log_dir for config.node (xatm init),
// or checks the one there: the only way the CLI makes a log.
Status CreateDecisionLog(const Config& config);

// Opens the decision store of `config` and a TransactionManager over every
// configured resource. The file store: the existing decision log in
// config.log_dir (FailedPrecondition, naming the directory, when there is
// none: see DecisionLogOptions); while another process holds it (each xatm
// command holds it only while it runs), waits up to `lock_wait_ms`, then
// FailedPrecondition. A database store: its table, checked for durability
// (no lock: every process and node shares it). `worker_threads` > 0
// overrides the manager's pool size.
Result<std::unique_ptr<TransactionManager>> OpenTransactionManager(
    const Config& config, int64_t lock_wait_ms = 0, int worker_threads = 0);

}  // namespace xatm
