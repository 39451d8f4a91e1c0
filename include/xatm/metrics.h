// Prometheus metrics of the library: one Metrics per TransactionManager,
// its families in a prometheus::Registry the application may pass in
// (TransactionManagerOptions::metrics_registry) and expose, or a private one.
//
// Label children are resolved once (at construction, or per resource when
// it is attached), so counting costs an atomic add, and observing a
// histogram a bucket search and prometheus-cpp's short per-histogram lock:
// no allocation and no label lookup per transaction.
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

// The handles of one resource (label resource="NAME").
struct ResourceMetrics {
  prometheus::Gauge* open_connections = nullptr;
  prometheus::Gauge* idle_connections = nullptr;
  prometheus::Counter* connection_failures = nullptr;
  // By StatusCode (label code="UNAVAILABLE", ...); kOk's slot stays null.
  std::array<prometheus::Counter*,
             static_cast<size_t>(StatusCode::kInternal) + 1>
      errors{};

  // Counts a failed call of the resource by its code; OK is ignored.
  void CountError(const Status& status) const;
};

class Metrics {
 public:
  // How Transaction::Commit() ended (see CountOutcome).
  enum class Outcome { kCommitted, kAborted, kInDoubt, kOnePhase };
  // The timed parts of a commit.
  enum class Phase { kPrepare, kDecision, kCommitPhase, kCommit };
  // What the sweeper did with prepared branches.
  enum class RecoveryAction { kFound, kCommitted, kRolledBack, kDeferred };

  // nullptr: a private registry (counted, exposed by no one).
  explicit Metrics(std::shared_ptr<prometheus::Registry> registry = nullptr);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  const std::shared_ptr<prometheus::Registry>& registry() const {
    return registry_;
  }

  void CountOutcome(Outcome outcome);
  // Seconds from `start` to now into the phase's histogram.
  void ObserveSince(Phase phase, std::chrono::steady_clock::time_point start);
  // One group-commit write + fdatasync of the decision log that carried
  // `records` records.
  void CountLogSync(size_t records);
  // 1 while the decision log refuses appends.
  void SetLogFailed(bool failed);
  void CountRecovery(RecoveryAction action, int branches);
  void CountHeuristics(int outcomes);
  // Set by each sweep pass: branches it left prepared, and the age of the
  // oldest of them (0 when none).
  void SetInDoubt(int branches, double oldest_age_seconds);

  // How a saga's driving ended (SagaManager: a run, a recovery's, an
  // operator's retry): committed, compensated, failed to compensate, or
  // stopped unfinished (left to recovery).
  enum class SagaEnd {
    kCommitted,
    kCompensated,
    kFailedToCompensate,
    kStopped
  };
  void CountSaga(SagaEnd end, std::chrono::steady_clock::time_point start);
  // Set by each sweep pass that drives sagas: those failed to compensate
  // (waiting for an operator) and the age of the oldest (0 when none).
  void SetStuckSagas(int sagas, double oldest_age_seconds);

  // The handles of resource `name`, made on first use. Valid as long as
  // this Metrics.
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
