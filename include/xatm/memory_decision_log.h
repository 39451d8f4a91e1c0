/// @file
/// A DecisionLog that keeps its records in memory and forces nothing to disk.
/// NOT crash safe: a crash forgets every decision. It exists to measure what
/// the protocol costs without the log (`xatm bench --mode raw`, the
/// coordinator benchmark) and for embedding tests.
#pragma once

#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "xatm/decision_log.h"

namespace xatm {

/// A DecisionLog in memory only (see xatm/memory_decision_log.h): never
/// crash safe. Thread-safe.
class MemoryDecisionLog : public DecisionLog {
 public:
  Status LogCommit(const std::string& gtrid,
                   const std::vector<std::string>& resources,
                   int64_t time_ms) override;
  Status LogEnd(const std::string& gtrid, int64_t time_ms,
                EndOrigin origin = EndOrigin::kCoordinator) override;
  Status LogHeuristic(const std::string& gtrid,
                      const std::vector<std::string>& resources,
                      const std::string& detail, int64_t time_ms) override;
  std::vector<DecisionRecord> OpenCommits() const override;
  std::optional<DecisionRecord> FindOpenCommit(
      const std::string& gtrid) const override;
  bool HasCommitHistory(const std::string& gtrid) const override;
  Status health() const override { return Status::Ok(); }
  Status LogSaga(const std::string& saga_id, const std::string& snapshot,
                 bool final, bool forced, int64_t time_ms) override;
  std::vector<DecisionRecord> OpenSagas() const override;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, DecisionRecord> open_;
  // Recovery ENDs and HEURISTICs (unbounded: this log lives one process).
  std::unordered_set<std::string> tombstones_;
  // Open sagas in the order they began, and their latest records.
  std::vector<std::string> saga_order_;
  std::unordered_map<std::string, DecisionRecord> sagas_;
};

}  // namespace xatm
