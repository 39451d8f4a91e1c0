/// @file
/// Prometheus metrics of the library: one Metrics per TransactionManager,
/// its families in a prometheus::Registry the application may pass in
/// (TransactionManagerOptions::metrics_registry) and expose, or a private one.
///
/// Label children are resolved once (at construction, or per resource when
/// it is attached), so counting costs an atomic add, and observing a
/// histogram a bucket search and prometheus-cpp's short per-histogram lock:
/// no allocation and no label lookup per transaction.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "xatm/status.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
}  // namespace prometheus

namespace xatm {

/// The handles of one resource (label resource="NAME").
struct ResourceMetrics {
  /// xatm_resource_open_connections: connections open now.
  prometheus::Gauge* open_connections = nullptr;
  /// xatm_resource_idle_connections: of those, idle in the pool.
  prometheus::Gauge* idle_connections = nullptr;
  /// xatm_resource_connection_failures_total: failed connects.
  prometheus::Counter* connection_failures = nullptr;
  /// xatm_resource_errors_total by StatusCode (label code="UNAVAILABLE",
  /// ...); kOk's slot stays null.
  std::array<prometheus::Counter*,
             static_cast<size_t>(StatusCode::kInternal) + 1>
      errors{};

  /// Counts a failed call of the resource by its code; OK is ignored.
  void CountError(const Status& status) const;
};

/// The library's Prometheus metrics (see xatm/metrics.h), counted by the
/// coordinator, the decision log, the sweeper, sagas and the resources.
/// Thread-safe.
class Metrics {
 public:
  /// How Transaction::Commit() ended (see CountOutcome): label outcome of
  /// xatm_transactions_total.
  /// - `kCommitted`: two-phase, committed in every branch.
  /// - `kAborted`: rolled back everywhere.
  /// - `kInDoubt`: decided but unfinished, or the outcome is unknown.
  /// - `kOnePhase`: committed without a two-phase decision.
  enum class Outcome { kCommitted, kAborted, kInDoubt, kOnePhase };
  /// The timed parts of a commit, each a histogram:
  /// - `kPrepare`: xatm_prepare_seconds, phase 1 (every branch prepared).
  /// - `kDecision`: xatm_decision_seconds, making the COMMIT decision
  ///   durable.
  /// - `kCommitPhase`: xatm_commit_phase_seconds, phase 2.
  /// - `kCommit`: xatm_commit_seconds, Transaction::Commit() as a whole.
  enum class Phase { kPrepare, kDecision, kCommitPhase, kCommit };
  /// What the sweeper did with prepared branches: label action of
  /// xatm_recovery_branches_total (`kFound`: seen; `kCommitted`;
  /// `kRolledBack`; `kDeferred`: left prepared for a later pass).
  enum class RecoveryAction { kFound, kCommitted, kRolledBack, kDeferred };

  /// nullptr: a private registry (counted, exposed by no one).
  explicit Metrics(std::shared_ptr<prometheus::Registry> registry = nullptr);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  /// Where the families are registered (the one given, or the private
  /// one).
  const std::shared_ptr<prometheus::Registry>& registry() const {
    return registry_;
  }

  /// Counts one Transaction::Commit() by how it ended.
  void CountOutcome(Outcome outcome);
  /// Seconds from `start` to now into the phase's histogram.
  void ObserveSince(Phase phase, std::chrono::steady_clock::time_point start);
  /// One group-commit write + fdatasync of the decision log that carried
  /// `records` records.
  void CountLogSync(size_t records);
  /// 1 while the decision log refuses appends.
  void SetLogFailed(bool failed);
  /// Adds `branches` (when positive) to the action's count.
  void CountRecovery(RecoveryAction action, int branches);
  /// Adds `outcomes` (when positive) to xatm_heuristic_outcomes_total:
  /// branches found rolled back although the decision was COMMIT.
  void CountHeuristics(int outcomes);
  /// Set by each sweep pass: branches it left prepared, and the age of the
  /// oldest of them (0 when none).
  void SetInDoubt(int branches, double oldest_age_seconds);

  /// How a saga's driving ended (SagaManager: a run, a recovery's, an
  /// operator's retry): committed, compensated, failed to compensate, or
  /// stopped unfinished (left to recovery). Label outcome of
  /// xatm_sagas_total: `kCommitted`, `kCompensated`, `kFailedToCompensate`,
  /// `kStopped` ("unfinished").
  enum class SagaEnd {
    kCommitted,
    kCompensated,
    kFailedToCompensate,
    kStopped
  };
  /// Counts one saga's driving by how it ended, and observes its duration
  /// since `start` in xatm_saga_seconds.
  void CountSaga(SagaEnd end, std::chrono::steady_clock::time_point start);
  /// Set by each sweep pass that drives sagas: those failed to compensate
  /// (waiting for an operator) and the age of the oldest (0 when none).
  void SetStuckSagas(int sagas, double oldest_age_seconds);

  /// The handles of resource `name`, made on first use. Valid as long as
  /// this Metrics.
  ResourceMetrics* ForResource(const std::string& name);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::array<prometheus::Counter*, 4> outcomes_{};
  std::array<prometheus::Histogram*, 4> phases_{};
  prometheus::Counter* log_syncs_ = nullptr;
  prometheus::Histogram* log_records_per_sync_ = nullptr;
  prometheus::Gauge* log_failed_ = nullptr;
  std::array<prometheus::Counter*, 4> recovery_{};
  prometheus::Counter* heuristics_ = nullptr;
  prometheus::Gauge* in_doubt_branches_ = nullptr;
  prometheus::Gauge* in_doubt_oldest_age_ = nullptr;
  std::array<prometheus::Counter*, 4> sagas_{};
  prometheus::Histogram* saga_seconds_ = nullptr;
  prometheus::Gauge* stuck_sagas_ = nullptr;
  prometheus::Gauge* stuck_oldest_age_ = nullptr;

  std::mutex resources_mu_;
  std::map<std::string, std::unique_ptr<ResourceMetrics>>
      resources_;  // guarded by resources_mu_
};

}  // namespace xatm
