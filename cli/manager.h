// From a Config to the objects every command works with. Shared by the
// commands (transfer, recover, ...) so that they all open the same decision
// log with the same options.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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

// How to wait for a file log that another xatm process holds: every
// command holds it while it runs, `xatm serve` during each recovery pass.
struct LogLockWait {
  // Give up after this long (FailedPrecondition naming the directory and
  // the holder); a negative value waits until `pause` says stop.
  int64_t wait_ms = 0;
  // Sleeps between attempts; returns false to stop waiting (a stop
  // request). Empty: a plain sleep.
  std::function<bool(int64_t ms)> pause;
};

// Whether `status` (from opening a file log) says another process holds it.
bool IsLogHeldByAnotherProcess(const Status& status);

// Opens the file decision log of `config` (config.log_dir, config.node),
// waiting as `wait` says while another process holds it. With `create`
// (xatm init) a missing or empty directory gets a new log; without it,
// FailedPrecondition naming the directory.
Result<std::unique_ptr<DecisionLog>> OpenFileDecisionLog(
    const Config& config, const LogLockWait& wait, bool create = false);

// Opens the decision store of `config` and a TransactionManager over every
// configured resource. The file store: the existing decision log in
// config.log_dir, waiting up to `lock_wait_ms` (default: the config's
// log_lock_wait) while another process holds it (see OpenFileDecisionLog).
// A database store: its table, checked for durability (no lock: every
// process and node shares it). `worker_threads` > 0 overrides the manager's
// pool size.
Result<std::unique_ptr<TransactionManager>> OpenTransactionManager(
    const Config& config, std::optional<int64_t> lock_wait_ms = std::nullopt,
    int worker_threads = 0);

}  // namespace xatm
