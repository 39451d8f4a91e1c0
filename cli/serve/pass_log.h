// The file decision log as `xatm serve` holds it: open, and so locked, only
// during a recovery pass, so that the node's other commands (transfer,
// recover, in-doubt, resolve) can take it in between.
//
// The service's TransactionManager and Sweeper keep this object for their
// whole life, so the resources' connection pools and the sweeper's backoff
// for a database that is down survive from pass to pass; Hold() puts a
// freshly opened log behind it for one pass, Release() closes that log and
// with it the directory lock. Reopening replays the log, so each pass sees
// what the other commands wrote meanwhile.
//
// Why that is safe: while serve holds the lock no other process of the node
// has the log open, hence no transaction of the node is in flight anywhere
// but in a process that died; the sweeper's rules (in-flight set of this
// process, grace period) hold as in any single process.
//
// Between passes it answers as a failed log would: no decision, every
// append refused, health() not OK (so ClaimAbort refuses), every gtrid with
// commit history: nothing could presume abort from it. Hold and Release
// must not run concurrently with other calls (the service calls them
// between passes, from the thread that runs the passes).
#pragma once

#include <memory>
#include <string>

#include "xatm/decision_log.h"

namespace xatm {

class PassLog final : public DecisionLog {
 public:
  // `dir` names the log in messages.
  explicit PassLog(std::string dir) : dir_(std::move(dir)) {}

  void Hold(std::unique_ptr<DecisionLog> log) {
    log_ = std::move(log);
    if (metrics_ != nullptr) log_->AttachMetrics(metrics_);
  }
  // Closes the log: the directory is free for other processes.
  void Release() { log_.reset(); }
  bool held() const { return log_ != nullptr; }

  Status LogCommit(const std::string& gtrid,
                   const std::vector<std::string>& resources,
                   int64_t time_ms) override;
  Status LogEnd(const std::string& gtrid, int64_t time_ms,
                EndOrigin origin = EndOrigin::kCoordinator) override;
  Status LogHeuristic(const std::string& gtrid,
                      const std::vector<std::string>& resources,
                      const std::string& detail, int64_t time_ms) override;
  Status LogSaga(const std::string& saga_id, const std::string& snapshot,
                 bool final, bool forced, int64_t time_ms) override;
  std::vector<DecisionRecord> OpenSagas() const override;
  Status Flush() override;
  std::vector<DecisionRecord> OpenCommits() const override;
  std::optional<DecisionRecord> FindOpenCommit(
      const std::string& gtrid) const override;
  bool HasCommitHistory(const std::string& gtrid) const override;
  Status health() const override;
  const std::string& carrier() const override;
  Status CommitCarrying(Branch& branch, const std::string& gtrid,
                        const std::vector<std::string>& resources,
                        int64_t time_ms) override;
  Result<bool> ClaimAbort(const std::string& gtrid) override;
  Status LogCommitAfterTheFact(const std::string& gtrid,
                               const std::vector<std::string>& resources,
                               int64_t time_ms) override;
  Status WithdrawAbort(const std::string& gtrid,
                       const std::vector<std::string>& resources,
                       int64_t time_ms) override;
  bool shared() const override;
  Status Prune() override;
  // Kept, and attached to each pass's log as it is held.
  void AttachMetrics(Metrics* metrics) override {
    metrics_ = metrics;
    if (log_ != nullptr) log_->AttachMetrics(metrics);
  }

 private:
  Status Closed() const;

  const std::string dir_;
  std::unique_ptr<DecisionLog> log_;  // nullptr between passes
  Metrics* metrics_ = nullptr;
};

}  // namespace xatm
