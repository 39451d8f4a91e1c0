#include "xatm/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <utility>

namespace xatm {
namespace {

// 0.1 ms .. 10 s: a commit on one host's loopback up to a request timeout.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries buckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
  return buckets;
}

const prometheus::Histogram::BucketBoundaries& BatchBuckets() {
  static const prometheus::Histogram::BucketBoundaries buckets = {
      1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
  return buckets;
}

prometheus::Histogram* AddLatency(prometheus::Registry& registry,
                                  const char* name, const char* help) {
  return &prometheus::BuildHistogram()
              .Name(name)
              .Help(help)
              .Register(registry)
              .Add({}, LatencyBuckets());
}

}  // namespace

void ResourceMetrics::CountError(const Status& status) const {
  if (status.ok()) return;
  prometheus::Counter* c = errors[static_cast<size_t>(status.code())];
  if (c != nullptr) c->Increment();
}

Metrics::Metrics(std::shared_ptr<prometheus::Registry> registry)
    : registry_(registry != nullptr
                    ? std::move(registry)
                    : std::make_shared<prometheus::Registry>()) {
  prometheus::Registry& r = *registry_;
  auto& outcomes =
      prometheus::BuildCounter()
          .Name("xatm_transactions_total")
          .Help(
              "Transaction::Commit() results: committed (two-phase, in "
              "every branch), one_phase (committed without a two-phase "
              "decision), aborted (rolled back everywhere), in_doubt "
              "(decided but unfinished, or outcome unknown)")
          .Register(r);
  const char* outcome_names[] = {"committed", "aborted", "in_doubt",
                                 "one_phase"};
  for (size_t i = 0; i < outcomes_.size(); ++i) {
    outcomes_[i] = &outcomes.Add({{"outcome", outcome_names[i]}});
  }
  phases_[static_cast<size_t>(Phase::kPrepare)] =
      AddLatency(r, "xatm_prepare_seconds",
                 "Phase 1 of a two-phase commit: every branch prepared");
  phases_[static_cast<size_t>(Phase::kDecision)] = AddLatency(
      r, "xatm_decision_seconds",
      "Making the COMMIT decision durable (log append and sync, or the "
      "decision row's commit)");
  phases_[static_cast<size_t>(Phase::kCommitPhase)] =
      AddLatency(r, "xatm_commit_phase_seconds",
                 "Phase 2 of a two-phase commit: every branch committed");
  phases_[static_cast<size_t>(Phase::kCommit)] =
      AddLatency(r, "xatm_commit_seconds",
                 "Transaction::Commit() as a whole, any outcome");

  log_syncs_ = &prometheus::BuildCounter()
                    .Name("xatm_log_syncs_total")
                    .Help(
                        "Decision log writes made durable (one fdatasync "
                        "per group-commit batch)")
                    .Register(r)
                    .Add({});
  log_records_per_sync_ = &prometheus::BuildHistogram()
                               .Name("xatm_log_records_per_sync")
                               .Help("Records carried by one decision log sync")
                               .Register(r)
                               .Add({}, BatchBuckets());
  log_failed_ = &prometheus::BuildGauge()
                     .Name("xatm_log_failed")
                     .Help(
                         "1 while the decision log refuses appends (a "
                         "write or sync failed; restart to recover)")
                     .Register(r)
                     .Add({});

  auto& recovery =
      prometheus::BuildCounter()
          .Name("xatm_recovery_branches_total")
          .Help(
              "Prepared branches of this node seen by sweep passes: found, "
              "committed, rolled_back, deferred (left prepared for a later "
              "pass)")
          .Register(r);
  const char* action_names[] = {"found", "committed", "rolled_back",
                                "deferred"};
  for (size_t i = 0; i < recovery_.size(); ++i) {
    recovery_[i] = &recovery.Add({{"action", action_names[i]}});
  }
  heuristics_ = &prometheus::BuildCounter()
                     .Name("xatm_heuristic_outcomes_total")
                     .Help(
                         "Branches found rolled back although the decision "
                         "was COMMIT (recorded by the sweeper)")
                     .Register(r)
                     .Add({});
  in_doubt_branches_ =
      &prometheus::BuildGauge()
           .Name("xatm_in_doubt_branches")
           .Help(
               "Prepared branches the last sweep pass left prepared (not "
               "counting transactions running in this process)")
           .Register(r)
           .Add({});
  in_doubt_oldest_age_ =
      &prometheus::BuildGauge()
           .Name("xatm_in_doubt_oldest_age_seconds")
           .Help(
               "Age of the oldest branch the last sweep pass left "
               "prepared, from its gtrid's begin time (0 when none)")
           .Register(r)
           .Add({});

  auto& sagas = prometheus::BuildCounter()
                    .Name("xatm_sagas_total")
                    .Help(
                        "Sagas driven to a stop, by how they stopped: "
                        "committed, compensated, failed_to_compensate "
                        "(an operator must resolve it), unfinished (left "
                        "to recovery)")
                    .Register(r);
  const char* saga_names[] = {"committed", "compensated",
                              "failed_to_compensate", "unfinished"};
  for (size_t i = 0; i < sagas_.size(); ++i) {
    sagas_[i] = &sagas.Add({{"outcome", saga_names[i]}});
  }
  saga_seconds_ = AddLatency(r, "xatm_saga_seconds",
                             "Driving one saga until it stopped, any outcome");
  stuck_sagas_ = &prometheus::BuildGauge()
                      .Name("xatm_sagas_failed_to_compensate")
                      .Help(
                          "Sagas failed to compensate, waiting for an "
                          "operator (xatm resolve ID --retry or "
                          "--mark-compensated), as the last sweep pass saw")
                      .Register(r)
                      .Add({});
  stuck_oldest_age_ =
      &prometheus::BuildGauge()
           .Name("xatm_sagas_failed_to_compensate_oldest_age_seconds")
           .Help(
               "Age of the oldest saga failed to compensate, from its "
               "begin time (0 when none)")
           .Register(r)
           .Add({});
}

Metrics::~Metrics() = default;

void Metrics::CountOutcome(Outcome outcome) {
  outcomes_[static_cast<size_t>(outcome)]->Increment();
}

void Metrics::ObserveSince(Phase phase,
                           std::chrono::steady_clock::time_point start) {
  const std::chrono::duration<double> elapsed =
      std::chrono::steady_clock::now() - start;
  phases_[static_cast<size_t>(phase)]->Observe(elapsed.count());
}

void Metrics::CountLogSync(size_t records) {
  log_syncs_->Increment();
  log_records_per_sync_->Observe(static_cast<double>(records));
}

void Metrics::SetLogFailed(bool failed) { log_failed_->Set(failed ? 1 : 0); }

void Metrics::CountRecovery(RecoveryAction action, int branches) {
  if (branches > 0) {
    recovery_[static_cast<size_t>(action)]->Increment(branches);
  }
}

void Metrics::CountHeuristics(int outcomes) {
  if (outcomes > 0) heuristics_->Increment(outcomes);
}

void Metrics::SetInDoubt(int branches, double oldest_age_seconds) {
  in_doubt_branches_->Set(branches);
  in_doubt_oldest_age_->Set(oldest_age_seconds);
}

void Metrics::CountSaga(SagaEnd end,
                        std::chrono::steady_clock::time_point start) {
  sagas_[static_cast<size_t>(end)]->Increment();
  const std::chrono::duration<double> elapsed =
      std::chrono::steady_clock::now() - start;
  saga_seconds_->Observe(elapsed.count());
}

void Metrics::SetStuckSagas(int sagas, double oldest_age_seconds) {
  stuck_sagas_->Set(sagas);
  stuck_oldest_age_->Set(oldest_age_seconds);
}

ResourceMetrics* Metrics::ForResource(const std::string& name) {
  std::lock_guard<std::mutex> lock(resources_mu_);
  std::unique_ptr<ResourceMetrics>& slot = resources_[name];
  if (slot != nullptr) return slot.get();
  prometheus::Registry& r = *registry_;
  const prometheus::Labels labels = {{"resource", name}};
  slot = std::make_unique<ResourceMetrics>();
  slot->open_connections =
      &prometheus::BuildGauge()
           .Name("xatm_resource_open_connections")
           .Help(
               "Connections of the resource's pool open now (idle or in "
               "use)")
           .Register(r)
           .Add(labels);
  slot->idle_connections =
      &prometheus::BuildGauge()
           .Name("xatm_resource_idle_connections")
           .Help("Connections kept idle in the resource's pool")
           .Register(r)
           .Add(labels);
  slot->connection_failures =
      &prometheus::BuildCounter()
           .Name("xatm_resource_connection_failures_total")
           .Help("Failed attempts to open a connection to the resource")
           .Register(r)
           .Add(labels);
  auto& errors = prometheus::BuildCounter()
                     .Name("xatm_resource_errors_total")
                     .Help(
                         "Failed calls of the coordinator to the resource "
                         "(begin, prepare, commit, rollback), by Status "
                         "code")
                     .Register(r);
  for (size_t code = 1; code < slot->errors.size(); ++code) {
    slot->errors[code] =
        &errors.Add({{"resource", name},
                     {"code", StatusCodeName(static_cast<StatusCode>(code))}});
  }
  return slot.get();
}

}  // namespace xatm
