// `xatm serve`: recovery as a service. A start-up pass, then one every
// sweep_interval until a stop request; the pass under way is finished
// first (every step of a pass is crash-safe, and a pass with the databases
// answering takes milliseconds).
//
// With the file log the service holds the log directory only during a pass
// (see PassLog): it waits for the lock like any command, sweeps, and lets
// the lock go, so the node's transfers and operator commands run next to
// it and wait at most one pass. With a database decision store there is
// no lock and the manager stays open, and the node announces itself in
// the store (NodeHeartbeat): refused next to another live process with its
// node id, taken over by the other nodes once silent for takeover_after,
// and taking over silent nodes itself at every pass.
#pragma once

#include <cstdint>
#include <memory>

#include "cli/serve/pass_log.h"
#include "cli/serve/stop_signal.h"
#include "xatm/config.h"
#include "xatm/node_heartbeat.h"
#include "xatm/saga.h"
#include "xatm/sweeper.h"
#include "xatm/transaction_manager.h"

namespace xatm {

class RecoveryService {
 public:
  // Makes the resources (their pools live as long as the service) and, with
  // a database store, opens it. Connects to nothing else: the first pass
  // finds out whether the log and the databases are there.
  static Result<std::unique_ptr<RecoveryService>> Open(const Config& config);

  // Runs passes until `stop` is requested. Not OK when the start-up pass
  // could not open the decision log (missing, another node's, damaged):
  // the service cannot start. A later pass that cannot open it is logged
  // at error level and retried at the next interval. FailedPrecondition,
  // after started(), when another process took the node id (its heartbeat
  // lost the row): the service stops sweeping at once.
  Status Run(StopSignal& stop);
  // The start-up pass ran.
  bool started() const { return started_; }

 private:
  RecoveryService(const Config& config, std::unique_ptr<TransactionManager> tm,
                  PassLog* pass_log, std::unique_ptr<SagaManager> sagas);
  // With the sagas of `tm`.
  static Result<std::unique_ptr<RecoveryService>> Make(
      const Config& config, std::unique_ptr<TransactionManager> tm,
      PassLog* pass_log);

  // One pass: OK also when abandoned for a stop request while waiting for
  // the log.
  Status Pass(StopSignal& stop, int64_t number);
  // The file log, waited for until it is free or a stop is requested.
  Status HoldLog(StopSignal& stop);
  // Not OK once another process holds the node id.
  Status NodeIdLost() const;

  const Config config_;
  std::unique_ptr<TransactionManager> tm_;
  PassLog* pass_log_;  // owned by tm_; nullptr with a database store
  // The sagas each pass drives on (before sweeper_, which uses them).
  std::unique_ptr<SagaManager> sagas_;
  Sweeper sweeper_;
  // With a database store: this node's row in xatm_nodes, kept fresh.
  std::unique_ptr<NodeHeartbeat> heartbeat_;
  bool started_ = false;
};

}  // namespace xatm
