/// @file
/// The decision store in a database: the table xatm_decisions of one
/// configured resource (`decision_store = NAME`), shared by every node.
///
/// Commit point: when the transaction has a branch on that resource, the
/// COMMIT row is inserted inside that branch, which is then committed in one
/// phase, not prepared (last-resource commit): one commit makes the
/// decision and the branch durable together. Otherwise the row is committed
/// in a short local transaction of its own (LogCommit).
///
/// The fence: recovery never presumes abort by reading. ClaimAbort inserts
/// an abort row if none exists; that insert waits for a coordinator whose
/// COMMIT row is inserted but not yet committed, and whichever row exists
/// afterwards decides for every node. A coordinator's COMMIT row is refused
/// (a check on the row, by the database's clock) once the transaction is
/// older than `decide_within_ms`, and abort rows are kept for far longer
/// (`retention_s`), so a coordinator held up for any length of time cannot
/// decide commit after an abort row it would have met was pruned.
///
/// END: the coordinator's ENDs delete their rows in batches; recovery's ENDs
/// keep the row, marked ended, as evidence until pruned (a MariaDB branch can
/// reappear prepared after answers from other sessions: see commit_check.h).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "xatm/decision_log.h"
#include "xatm/resource.h"

namespace xatm {

struct DecisionSql;  // the statements of one SQL dialect (internal)

/// Settings of a DatabaseDecisionLog.
struct DatabaseDecisionLogOptions {
  /// A COMMIT row is refused once the database's clock is this far past the
  /// transaction's begin time (from its gtrid).
  int64_t decide_within_ms = 5000;
  /// Abort rows and recovery-ended rows are pruned after this long.
  int64_t retention_s = 7 * 24 * 3600;
  /// Coordinator ENDs are deleted this many at a time.
  size_t delete_batch = 32;
};

/// One row of the table, for `xatm log dump`.
struct StoredDecision {
  std::string gtrid;    ///< the global transaction (the table's key)
  std::string outcome;  ///< "commit" or "abort"
  std::vector<std::string> resources;  ///< the branches' resource names
  std::string node;                    ///< the node that began the transaction
  int64_t decided_ms = 0;  ///< when the row was inserted (database clock)
  bool ended = false;  ///< recovery finished every branch (kept as evidence)
  std::string detail;  ///< a heuristic outcome, if one was found
};

/// The decision store in the table xatm_decisions of one resource, shared
/// by every node (see xatm/database_decision_log.h for the commit point
/// and the fence). Thread-safe, like every DecisionLog; the resource (and
/// its connection pool) is shared with the transactions.
class DatabaseDecisionLog : public DecisionLog {
 public:
  /// Checks that `resource` holds the table and commits durably
  /// (FailedPrecondition naming the setting otherwise; Unavailable when it
  /// cannot be asked).
  static Result<std::unique_ptr<DatabaseDecisionLog>> Open(
      std::shared_ptr<Resource> resource,
      DatabaseDecisionLogOptions options = {});

  /// Creates the table in `resource` if it is missing (xatm init).
  static Status CreateTable(Resource& resource);

  /// Every row, oldest first (xatm log dump / verify).
  static Result<std::vector<StoredDecision>> ReadAll(Resource& resource);

  ~DatabaseDecisionLog() override;

  Status LogCommit(const std::string& gtrid,
                   const std::vector<std::string>& resources,
                   int64_t time_ms) override;
  Status LogEnd(const std::string& gtrid, int64_t time_ms,
                EndOrigin origin = EndOrigin::kCoordinator) override;
  Status LogHeuristic(const std::string& gtrid,
                      const std::vector<std::string>& resources,
                      const std::string& detail, int64_t time_ms) override;
  /// A database that cannot be read gives no decisions here; recovery then
  /// fences, which asks it again and fails instead of guessing.
  std::vector<DecisionRecord> OpenCommits() const override;
  Result<std::vector<DecisionRecord>> ReadOpenCommits() const override;
  std::optional<DecisionRecord> FindOpenCommit(
      const std::string& gtrid) const override;
  bool HasCommitHistory(const std::string& gtrid) const override;
  Status health() const override { return Status::Ok(); }

  const std::string& carrier() const override { return resource_->name(); }
  Status CommitCarrying(Branch& branch, const std::string& gtrid,
                        const std::vector<std::string>& resources,
                        int64_t time_ms) override;
  Result<bool> ClaimAbort(const std::string& gtrid) override;
  /// Inserts the COMMIT row without the 'too late' check; the row's key
  /// still makes it lose to an abort row.
  Status LogCommitAfterTheFact(const std::string& gtrid,
                               const std::vector<std::string>& resources,
                               int64_t time_ms) override;
  /// Turns the gtrid's abort row into an open COMMIT row (a commit row is
  /// left as it is: another node withdrew first).
  Status WithdrawAbort(const std::string& gtrid,
                       const std::vector<std::string>& resources,
                       int64_t time_ms) override;
  bool shared() const override { return true; }
  /// "d" + the store's id (xatm_store, see tm/store/store_identity.h).
  std::string home() const override { return home_; }
  Resource* store_resource() const override { return resource_.get(); }
  Status Prune() override;

 private:
  DatabaseDecisionLog(std::shared_ptr<Resource> resource, DecisionSql sql,
                      DatabaseDecisionLogOptions options, std::string home);

  // CommitCarrying and LogCommit: `carried` = `branch` holds the
  // transaction's own work (not a local transaction for the row alone).
  Status Decide(Branch& branch, const std::string& gtrid,
                const std::vector<std::string>& resources, bool carried);
  // Writes the COMMIT row in `branch` and commits it in one phase: OK,
  // Aborted (nothing committed) or the commit's other answer.
  Status InsertAndCommit(Branch& branch, const std::string& gtrid,
                         const std::vector<std::string>& resources);
  // Deletes up to `most` queued coordinator ENDs (0: all of them), or
  // nothing on error: they stay queued.
  Status FlushEnds(size_t most = 0);
  // Whether a coordinator END for gtrid waits in the queue (its row is
  // closed for readers already).
  bool EndQueued(const std::string& gtrid) const;
  // The outcome the gtrid's row holds; nullopt when it has no row.
  Result<std::optional<std::string>> OutcomeOf(const std::string& gtrid) const;
  Result<std::vector<DecisionRecord>> ReadOpen(
      const std::string& sql, const std::vector<std::string>& params) const;

  const std::shared_ptr<Resource> resource_;
  const std::unique_ptr<const DecisionSql> sql_;
  const DatabaseDecisionLogOptions options_;
  const std::string home_;
  // The prune DELETE runs at most this often (per store object).
  static constexpr std::chrono::minutes kPruneInterval{10};
  // Steady-clock ms of the last prune; -1: never (concurrent sweepers).
  std::atomic<int64_t> last_prune_ms_{-1};
  mutable std::mutex ends_mu_;
  std::set<std::string> queued_ends_;  // guarded by ends_mu_
  // Claimed by a FlushEnds whose DELETE is under way (guarded by ends_mu_).
  std::set<std::string> deleting_ends_;
};

}  // namespace xatm
