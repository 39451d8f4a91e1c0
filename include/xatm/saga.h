/// @file
/// Sagas: a global transaction over participants that cannot prepare.
///
/// @code{.cpp}
///  SagaDefinition order{"order", {}};
///  SagaStep debit{"debit", "pg"};  // a database step on resource "pg"
///  debit.action = {{"UPDATE acct SET bal = bal - 5 WHERE id = ? AND bal >= 5",
///                   {"alice"}, 1}};
///  debit.compensation = {{"UPDATE acct SET bal = bal + 5 WHERE id = ?",
///                         {"alice"}}};
///  SagaStep ship;  // a service step
///  ship.name = "ship"; ship.service = "shipping"; ship.payload = "order 7";
///  order.stages = {{debit}, {ship}};
///  auto sagas = SagaManager::Create(*tm);
///  (*sagas)->RegisterService("shipping", ShipHandler, CancelShipHandler);
///  Result<SagaOutcome> out = (*sagas)->Run(order);  // out->status()
/// @endcode
///
/// Each step commits on its own. When a step answers "no", or the saga's
/// deadline passes, the steps that ran are undone by their compensations, in
/// reverse order. The saga's record (definition and progress) lives in the
/// manager's decision store (xatm/saga_journal.h), written durably before
/// anything it announces, so recovery (SagaManager::Resume, run by the
/// sweeper) drives an interrupted saga on, forward or backward, in this or
/// another process.
///
/// A database step runs its statements and its barrier row (saga_barrier.h)
/// in one local transaction: at most once, never after its compensation, and
/// its compensation does nothing when it never ran. A service step calls the
/// handlers registered under its name with an idempotency key, the same on
/// every retry; the handler must honour it and the call's deadline, and its
/// compensation must accept a key whose action it never saw (and then do
/// nothing).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "xatm/saga_journal.h"
#include "xatm/saga_record.h"
#include "xatm/status.h"
#include "xatm/transaction_manager.h"

namespace xatm {

/// What a service handler answers.
enum class ServiceAnswer {
  kDone,     ///< it happened
  kFailed,   ///< a business "no" (an action only: the saga compensates)
  kNotYet,   ///< accepted, not finished: ask again later
  kUnknown,  ///< no answer (timeout, lost reply): ask again with the same key
};
/// "done", "failed", "not yet" or "unknown", for logs.
const char* ServiceAnswerName(ServiceAnswer answer);

/// One call of a service step's handler: what to do, and how to recognise
/// a retry of it.
struct ServiceCall {
  std::string saga_id;  ///< the saga's id (gtrid format)
  std::string step;     ///< the step's name
  std::string payload;  ///< SagaStep::payload
  /// saga_id + "/" + step + "/action" (or "/compensation"): the same for
  /// every retry of this call, in any process.
  std::string idempotency_key;
  bool compensation = false;  ///< the compensation, not the action
  int attempt = 1;  ///< 1, 2, ... up to the step's RetryPolicy::attempts
  /// The call's own limit (RetryPolicy::call_timeout_ms from its start).
  std::chrono::steady_clock::time_point deadline;
};

/// Called from the thread that drives the saga; exceptions count as
/// kUnknown.
using ServiceHandler = std::function<ServiceAnswer(const ServiceCall&)>;

/// Where a saga stood when its driving stopped (SagaManager::Run, Retry,
/// MarkCompensated, Resume).
struct SagaOutcome {
  std::string id;  ///< the saga's id (gtrid format)
  /// kCommitted or kCompensated (finished); kFailedToCompensate; kForward
  /// or kCompensating when left to recovery.
  SagaPhase phase = SagaPhase::kForward;
  std::string reason;  ///< why it compensated or stopped
  /// OK = committed; Aborted = compensated (the reason says why); InDoubt =
  /// not finished: stuck (failed to compensate, for an operator) or left to
  /// recovery (a step after the pivot still retried, the store unreachable,
  /// the saga taken over by another node).
  Status status() const;
};

/// What one Resume pass did.
struct SagaResumeResult {
  /// The sagas this pass drove, and where each stopped.
  std::vector<SagaOutcome> driven;
  int resumed = 0;      ///< driven.size()
  int committed = 0;    ///< of which finished forward
  int compensated = 0;  ///< of which finished backward
  int stuck = 0;        ///< failed to compensate: waiting for an operator
  std::vector<std::string> stuck_ids;  ///< every one, driven now or before
  int taken_over = 0;                  ///< claimed from a node that is gone
  int waiting = 0;                     ///< not old enough to be recovered yet
  /// "saga ID: why", left for a later pass.
  std::vector<std::string> errors;
};

/// What SagaManager::Resume may drive (the sweeper sets these).
struct SagaResumeOptions {
  /// For a shared store: whether the sagas of node N may be taken over (the
  /// node is gone). Unset: only this node's sagas are driven.
  std::function<bool(const std::string& node)> node_is_gone;
  /// With a shared (database) store, a saga not running in this process is
  /// driven only once its deadline and then this long have passed since it
  /// began: its own driver, if it still lives in another process, has
  /// turned it around or finished by then. (Database steps stay exact even
  /// with two drivers: their barriers. Service steps rely on this wait and
  /// on the fence.) A node's own log is held by one process at a time, so
  /// its sagas not running here have no driver and are driven at once.
  int64_t grace_ms = 0;
};

/// Runs sagas and drives unfinished ones on (see xatm/saga.h). Their
/// records live in the TransactionManager's decision store. Run,
/// RegisterService and the readers are thread-safe; sagas run at the same
/// time from several threads are driven independently.
class SagaManager {
 public:
  /// The sagas of `tm`: its node, clock, resources and decision store (a
  /// file log or a database store). `tm` outlives the manager.
  static Result<std::unique_ptr<SagaManager>> Create(TransactionManager& tm);
  ~SagaManager();

  /// The handlers of service `name` (action and compensation). Register
  /// before Run and before any Resume that may meet the service: a saga
  /// whose service has no handler here waits (retried) for a process that
  /// has one. Thread-safe.
  void RegisterService(const std::string& name, ServiceHandler action,
                       ServiceHandler compensation);

  /// Runs a new saga to its end: committed, compensated, or stopped (see
  /// SagaOutcome). InvalidArgument for a bad definition (nothing ran),
  /// FailedPrecondition when the store refuses new sagas. Thread-safe.
  Result<SagaOutcome> Run(const SagaDefinition& definition);

  /// Drives every unfinished saga this node may drive, one after the other,
  /// except those in flight in this process and those failed to compensate.
  SagaResumeResult Resume(const SagaResumeOptions& options = {});

  /// An operator's hand on a saga failed to compensate: Retry drives its
  /// compensation again from where it stopped (fresh attempts);
  /// MarkCompensated closes it as compensated without running anything,
  /// keeping `reason` in its record. NotFound for an unknown saga,
  /// FailedPrecondition for one in another state or driven elsewhere.
  Result<SagaOutcome> Retry(const std::string& id);
  /// See Retry. InvalidArgument when `reason` is empty (it is kept for
  /// audit).
  Result<SagaOutcome> MarkCompensated(const std::string& id,
                                      const std::string& reason);

  /// Unfinished sagas (including failed to compensate), oldest first.
  Result<std::vector<SagaRecord>> Unfinished() const;

  /// Where the sagas' records are kept (the decision store's journal).
  SagaJournal& journal() { return *journal_; }
  /// Whether saga `id` is being driven in this process now.
  bool IsInFlight(const std::string& id) const;

 private:
  class Driver;
  SagaManager(TransactionManager& tm, std::unique_ptr<SagaJournal> journal);

  // Drives `record` to its end or a stop, marked in flight meanwhile.
  SagaOutcome Drive(SagaRecord record, bool resumed, bool unflushed = false);
  bool MarkInFlight(const std::string& id);
  void MarkDone(const std::string& id);
  std::optional<std::pair<ServiceHandler, ServiceHandler>> FindService(
      const std::string& name) const;

  TransactionManager& tm_;
  std::unique_ptr<SagaJournal> journal_;
  XidGenerator ids_;

  mutable std::mutex mu_;
  std::map<std::string, std::pair<ServiceHandler, ServiceHandler>> services_;
  std::set<std::string> in_flight_;
};

}  // namespace xatm
