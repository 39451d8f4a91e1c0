/// @file
/// From a Config (xatm/config.h) to the objects that run transactions: the
/// resources, the decision log or store, the TransactionManager. Every `xatm`
/// command opens its manager here, so an application that does the same with
/// the same file uses the same decision log, with the same options, as the
/// operator's `xatm recover`.
#pragma once

#include <prometheus/registry.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "xatm/config.h"
#include "xatm/resource.h"
#include "xatm/transaction_manager.h"

namespace xatm {

/// One Resource per [resource.NAME], in file order. Connects to nothing.
Result<std::vector<std::shared_ptr<Resource>>> MakeResources(
    const Config& config);

/// The manager options a Config implies: its node, its log_dir, and a
/// decision deadline of half the grace period, so that no transaction is
/// decided after a sweeper may have presumed it aborted. No metrics registry.
TransactionManagerOptions ManagerOptions(const Config& config);

/// Creates the decision log in config.log_dir for config.node (xatm init),
/// or checks the one there: the only way the CLI makes a log.
Status CreateDecisionLog(const Config& config);

/// How to wait for a file log that another xatm process holds: every
/// command holds it while it runs, `xatm serve` during each recovery pass.
struct LogLockWait {
  /// Give up after this long (FailedPrecondition naming the directory and
  /// the holder); a negative value waits until `pause` says stop.
  int64_t wait_ms = 0;
  /// Sleeps between attempts; returns false to stop waiting (a stop
  /// request). Empty: a plain sleep.
  std::function<bool(int64_t ms)> pause;
};

/// Whether `status` (from opening a file log) says another process holds it.
bool IsLogHeldByAnotherProcess(const Status& status);

/// Opens the file decision log of `config` (config.log_dir, config.node),
/// waiting as `wait` says while another process holds it. With `create`
/// (xatm init) a missing or empty directory gets a new log; without it,
/// FailedPrecondition naming the directory.
Result<std::unique_ptr<DecisionLog>> OpenFileDecisionLog(
    const Config& config, const LogLockWait& wait, bool create = false);

/// What OpenTransactionManager takes besides the Config.
struct OpenOptions {
  /// How long to wait for a file log another process holds; default: the
  /// config's log_lock_wait.
  std::optional<int64_t> lock_wait_ms;
  /// > 0: overrides the manager's pool size.
  int worker_threads = 0;
  /// Where the manager's metrics go (xatm/metrics.h); none when empty.
  std::shared_ptr<prometheus::Registry> metrics_registry;
};

/// Opens the decision store of `config` and a TransactionManager over every
/// configured resource. The file store: the existing decision log in
/// config.log_dir (made by `xatm init` or CreateDecisionLog), waiting while
/// another process holds it (see OpenFileDecisionLog). A database store: its
/// table, checked for durability (no lock: every process and node shares
/// it).
Result<std::unique_ptr<TransactionManager>> OpenTransactionManager(
    const Config& config, const OpenOptions& open = {});

}  // namespace xatm
