/// @file
/// The coordinator of global transactions (presumed abort).
///
/// @code{.cpp}
///   auto tm = TransactionManager::Open(options, resources);
///   auto txn = (*tm)->Begin();
///   Branch* pg = (*txn)->Enlist("pg").value();  // BEGIN on first use
///   pg->Execute("UPDATE ... WHERE id = ?", {"a"});
///   Status s = (*txn)->Commit();  // OK | Aborted | InDoubt
/// @endcode
///
/// Commit: prepare every branch in parallel, check every vote; all yes ->
/// make the COMMIT record durable in the decision log (the commit point),
/// then commit every branch in parallel and append END. One branch only ->
/// one-phase commit, nothing logged. A Transaction destroyed before Commit()
/// or Rollback() rolls back.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "xatm/clock.h"
#include "xatm/decision_log.h"
#include "xatm/metrics.h"
#include "xatm/resource.h"
#include "xatm/status.h"
#include "xatm/worker_pool.h"
#include "xatm/xid.h"

namespace xatm {

class Transaction;

/// Settings of a TransactionManager.
struct TransactionManagerOptions {
  std::string node_id;  ///< [A-Za-z0-9_-]{1,16}; owns the branches it makes
  std::string log_dir;  ///< decision log directory (Open only)
  /// How Open opens the log (its node_id is set from `node_id`).
  DecisionLogOptions log_options;
  Clock* clock = nullptr;  ///< nullptr: Clock::System()
  /// Threads of the worker pool that runs the branches of a phase in
  /// parallel, shared by every transaction.
  int worker_threads = 4;
  /// A transaction older than this when all votes are in is rolled back
  /// instead of decided: a sweeper may presume abort for branches older than
  /// its grace period, so this must stay well below that grace period.
  int64_t decision_deadline_ms = 5000;
  /// Phase-2 attempts per branch before leaving it to the sweeper.
  int commit_attempts = 3;
  /// Where the manager's metrics (include/xatm/metrics.h) are registered,
  /// for the application to expose; nullptr: a private registry.
  std::shared_ptr<prometheus::Registry> metrics_registry;
};

/// The coordinator: begins global transactions over its resources and keeps
/// their COMMIT decisions in its decision log.
///
/// Thread-safe: Begin() and the read-only accessors may be called from any
/// number of threads at once. It must outlive every Transaction, Sweeper,
/// BackgroundSweeper and SagaManager made from it.
class TransactionManager {
 public:
  /// Opens the decision log in options.log_dir and takes the resources.
  /// InvalidArgument for a bad node id, a bad or repeated resource name, or
  /// no log_dir; the errors of DecisionLog::Open.
  static Result<std::unique_ptr<TransactionManager>> Open(
      TransactionManagerOptions options,
      std::vector<std::shared_ptr<Resource>> resources);
  /// The same with a log the caller opened (a DatabaseDecisionLog, tests,
  /// embedding). InvalidArgument for a bad node id, a bad or repeated
  /// resource name, or no log.
  static Result<std::unique_ptr<TransactionManager>> Create(
      TransactionManagerOptions options,
      std::vector<std::shared_ptr<Resource>> resources,
      std::unique_ptr<DecisionLog> log);

  ~TransactionManager();

  /// A new global transaction. FailedPrecondition once the decision log has
  /// failed: the manager stops accepting work (recovery still runs).
  Result<std::unique_ptr<Transaction>> Begin();
  /// The same with a deadline `timeout` from now: no round trip of any branch
  /// waits past it, and votes complete after it roll the transaction back.
  Result<std::unique_ptr<Transaction>> Begin(std::chrono::milliseconds timeout);

  /// nullptr when no resource has that name.
  Resource* FindResource(const std::string& name) const;
  /// Every resource, in the order given.
  const std::vector<std::shared_ptr<Resource>>& resources() const {
    return resources_;
  }
  /// The decision log (or store) the manager decides in.
  DecisionLog& log() { return *log_; }
  /// The clock of options().clock, or the system clock.
  Clock& clock() const { return *clock_; }
  /// This node's id, carried by every gtrid the manager makes.
  const std::string& node_id() const { return options_.node_id; }
  /// The options it was made with.
  const TransactionManagerOptions& options() const { return options_; }

  /// Whether a transaction of this process with that gtrid has not finished
  /// its commit or rollback yet (the sweeper leaves its branches alone).
  bool IsInFlight(const std::string& gtrid) const;

  /// OK, or why the manager refuses new transactions.
  Status health() const { return log_->health(); }

  /// Counted by the coordinator, the decision log, the sweeper and the
  /// resources (attached at Create).
  Metrics& metrics() const { return *metrics_; }

 private:
  friend class Transaction;

  TransactionManager(TransactionManagerOptions options,
                     std::vector<std::shared_ptr<Resource>> resources,
                     std::unique_ptr<DecisionLog> log);

  void MarkInFlight(const std::string& gtrid);
  void MarkDone(const std::string& gtrid);

  TransactionManagerOptions options_;
  // Before log_: the log counts into it until destroyed.
  std::shared_ptr<Metrics> metrics_;
  std::vector<std::shared_ptr<Resource>> resources_;
  std::unique_ptr<DecisionLog> log_;
  Clock* clock_;
  XidGenerator xids_;
  WorkerPool workers_;

  mutable std::mutex in_flight_mu_;
  std::unordered_set<std::string> in_flight_;
};

}  // namespace xatm
