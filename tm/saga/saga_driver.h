// Drives one saga from its record: forward stage by stage, or backward
// through the compensations, saving the record before what it announces.
// Internal to SagaManager.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tm/saga/step_call.h"
#include "xatm/saga.h"
#include "xatm/transaction.h"
#include "xatm/transaction_manager.h"

namespace xatm {

using ServiceLookup =
    std::function<std::optional<std::pair<ServiceHandler, ServiceHandler>>(
        const std::string& name)>;

class SagaDriver {
 public:
  // `resumed`: the record may lag behind what happened (its unforced saves
  // lost with a crashed process), so every database step not known to be
  // undone is compensated, even one the record shows pending.
  // `unflushed`: the record was saved unforced (SagaJournal::
  // defers_durability); it is flushed before anything commits.
  SagaDriver(TransactionManager& tm, SagaJournal& journal,
             ServiceLookup services, SagaRecord record, bool resumed,
             bool unflushed = false);

  // Until the saga is final, failed to compensate, or must stop (a step
  // after the pivot still retried, a save that failed).
  SagaOutcome Run();

 private:
  enum class Next { kContinue, kStop };

  // A resumed saga's record may lag: database steps whose barrier shows
  // their action committed (and not undone) are done.
  void CatchUpFromBarriers();
  Next Forward();
  // Every step done: the XA group (if any), then the end.
  Next Finish();
  Next FinishWithXaGroup();
  // Whether the XA group named by the record committed: its open COMMIT
  // decision, or its barrier row in a group database; otherwise abort is
  // claimed (fenced in a database store) and, unless its barrier row shows
  // up after the fence (the abort is then withdrawn), it did not. An error:
  // not known yet.
  Result<bool> XaGroupCommitted();
  // Whether a resource of the XA group holds its committed barrier row.
  Result<bool> XaBarrierFound();
  // Runs the group's statements in `txn`; Aborted (rolled back) or OK.
  Status RunXaGroup(Transaction& txn);
  Next Backward();
  // Failed to compensate (for an operator), saved forced.
  Next Stuck(const std::string& reason);
  // Turns the saga around for `reason`, unless its pivot ran.
  Next BeginCompensating(const std::string& reason);
  // Whether the pivot step (if any) has run or may have: then the saga
  // only goes forward. A database pivot that only started is settled by
  // its barrier: stopped for good, or proven to have run.
  bool PivotRan();
  // Runs the action (or compensation) of each step in `indexes` at once,
  // each with its retry policy; results in the same order.
  std::vector<CallResult> CallAll(const std::vector<size_t>& indexes,
                                  bool compensation);
  CallResult CallStep(const SagaStep& step, bool compensation);
  // OK, or stops the saga (the record must not run ahead of the store).
  bool Save(bool forced);
  // The first record made durable (once; thread-safe): before any step
  // commits or any service is called.
  Status EnsureDurable();
  SagaOutcome Stop(std::string reason);
  // Until the saga's deadline, by the manager's clock.
  int64_t MsLeft() const;
  // The flat indexes of stage `s`.
  std::vector<size_t> StageIndexes(size_t s) const;

  TransactionManager& tm_;
  SagaJournal& journal_;
  ServiceLookup services_;
  SagaRecord r_;
  bool resumed_;
  std::vector<const SagaStep*> steps_;
  std::vector<size_t> stage_start_;
  std::optional<std::string> stopped_;  // why the driver stopped early
  std::mutex durable_mu_;
  bool unflushed_;       // guarded by durable_mu_
  Status flush_failed_;  // guarded by durable_mu_
};

}  // namespace xatm
