// PgBranch: one global transaction's branch on a PostgreSQL resource,
// a BEGIN ... PREPARE TRANSACTION ... COMMIT PREPARED session on one pooled
// connection; or, without a gid, a plain local transaction (BEGIN ...
// COMMIT) that refuses to prepare. Not thread-safe (one thread at a time),
// like every Branch.
//
// Round trips are saved with libpq's pipeline mode: BEGIN is not sent on
// its own but together with the first statement, and statements given to
// ExecuteDeferred go out with the next statement, PREPARE TRANSACTION or
// COMMIT. Every answer in such a round trip is checked, in order; after a
// failed one the server skips the rest, so the first failure decides (at
// Prepare: a no vote, the transaction rolled back).
//
// Every round trip waits at most the resource's request timeout, and never
// past the deadline given to SetDeadline. On expiry the connection is
// dropped and the round trip counts as lost with its session: a statement
// fails (Unavailable, "timed out after N ms") and the server rolls the
// transaction back when it notices; PREPARE TRANSACTION and COMMIT have an
// unknown outcome.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/branch_state.h"
#include "adapters/postgres/pg_connection.h"
#include "adapters/postgres/pg_connection_pool.h"
#include "adapters/postgres/pg_deadline.h"
#include "adapters/postgres/pg_prepared_transactions.h"
#include "xatm/resource.h"

namespace xatm {

class PgBranch final : public Branch {
 public:
  // `connection` is outside any transaction; BEGIN goes out with the
  // branch's first statement. `gid` is the checked gid of the branch on
  // `resource_name` (see BranchGid), or empty for a local transaction.
  // `label` names the branch in logs (the gtrid).
  PgBranch(std::shared_ptr<PgConnectionPool> pool, std::string resource_name,
           std::string label, std::string gid,
           std::unique_ptr<PgConnection> connection);
  // Active: rolled back. Prepared: left prepared, for the coordinator or
  // the sweeper to resolve by gid (a commit decision may already be durable,
  // so rolling back here could break atomicity).
  ~PgBranch() override;

  PgBranch(const PgBranch&) = delete;
  PgBranch& operator=(const PgBranch&) = delete;

  const std::string& resource_name() const override { return resource_name_; }
  void SetDeadline(std::chrono::steady_clock::time_point deadline) override {
    deadline_ = deadline;
  }

  Result<int64_t> Execute(const std::string& sql,
                          const std::vector<std::string>& params) override;
  Result<std::vector<Row>> Query(
      const std::string& sql, const std::vector<std::string>& params) override;
  using Branch::ExecuteDeferred;
  Status ExecuteDeferred(const std::string& sql,
                         const std::vector<std::string>& params,
                         std::optional<int64_t> expected_rows) override;

  Status Prepare() override;
  Status CommitPrepared() override;
  bool StartPrepare() override;
  bool StartCommitPrepared() override;
  Status Rollback() override;
  Status CommitOnePhase() override;

 private:
  using State = BranchState;

  // The answer that decides a round trip: the first failed one, else the
  // last one. `last`: it answers the final statement sent (the caller's
  // own), not BEGIN or a deferred statement.
  // `side_failure`: what went wrong in an earlier answer that did not stop
  // the round trip (a deferred statement's row count), or OK.
  struct Answer {
    PgResult result;
    bool last;
    Status side_failure;
  };
  // Sends every pending statement (BEGIN first if not sent yet) in one
  // round trip and empties pending_. With `retry_stale`, a pooled
  // connection found dead on the branch's first round trip is replaced and
  // the round trip repeated: nothing of the branch ran on it.
  Answer SendPending(bool retry_stale);
  Answer SendOnce(const PgDeadline& deadline);
  // The answer of a round trip from the results of its statements.
  Answer AnswerOf(std::vector<PgResult> results);
  // Reads the answer of the round trip StartPrepare/StartCommitPrepared
  // sent, and empties pending_.
  Answer FinishStarted();
  // A round trip went out with everything pending: the session is in a
  // transaction and nothing waits to be sent.
  void MarkSent();
  // Queues PREPARE TRANSACTION behind the pending work, or says why the
  // branch cannot be prepared.
  // Whether the branch may still prepare or commit (`what`): Aborted once
  // rolled back, FailedPrecondition in any other state but active.
  Status CheckFinishable(const char* what) const;
  Status QueuePrepare();
  // The deadline of a round trip starting now: the request timeout, or the
  // branch's deadline if earlier.
  PgDeadline RoundTripDeadline() const;
  // A statement the branch may take now, its placeholders converted; an
  // error otherwise (the branch doomed, unless it was not active).
  Result<PgStatement> Admit(const char* what, const std::string& sql,
                            const std::vector<std::string>& params);
  // Runs one statement of the branch's work.
  Result<PgResult> RunStatement(const char* what, const std::string& sql,
                                const std::vector<std::string>& params);
  // Notes the first statement error for later messages.
  void NoteError(const PgResult& result);
  // Remembers the first failure of the branch's work: Prepare then votes no
  // and CommitOnePhase rolls back. Returns `failure`.
  Status Doom(Status failure);
  // The outcome of a round trip of the branch's work (`what` names its
  // last statement): OK, or the failure, the branch doomed and, with the
  // session lost, rolled back.
  Status CheckWork(const char* what, const Answer& answer);
  // Prepare/CommitOnePhase of a doomed branch: rolls back, Aborted.
  Status RefuseDoomed(const char* what);
  // COMMIT/ROLLBACK PREPARED on the branch's connection, or on a pooled one
  // when that connection is gone.
  Status FinishPrepared(PgPreparedAction action);
  // Ends whatever transaction is still open on the connection, then gives
  // the connection back to the pool (which closes it unless it is clean).
  void ReleaseConnection();
  std::string Context(const char* what) const;
  // " (first error: <sqlstate> <message>)" or empty.
  std::string FirstErrorNote() const;

  std::shared_ptr<PgConnectionPool> pool_;
  const std::string resource_name_;
  const std::string gtrid_;                   // for logs
  const std::string gid_;                     // empty: a local transaction
  std::unique_ptr<PgConnection> connection_;  // null once given back or lost
  State state_ = State::kActive;
  // Set by SetDeadline; no round trip waits past it.
  std::chrono::steady_clock::time_point deadline_ =
      std::chrono::steady_clock::time_point::max();
  // Not sent yet: BEGIN (until the first round trip) and deferred work.
  std::vector<PgStatement> pending_;
  bool begun_ = false;  // BEGIN went out: the session is in a transaction
  // A round trip sent by StartPrepare/StartCommitPrepared and not read yet,
  // with its deadline.
  bool started_ = false;
  PgDeadline started_deadline_;
  bool reused_ = false;  // connection_ came from the pool, maybe stale
  // The first statement error: PREPARE TRANSACTION and COMMIT of a failed
  // transaction only answer "ROLLBACK", so this tells the caller why.
  std::string first_error_;
  Status doomed_;  // the first failure of the branch's work, or OK
  // Deferred statements in pending_ that must affect a given row count.
  struct Expectation {
    size_t index;  // in pending_
    int64_t rows;
    std::string sql;  // as the caller wrote it, for the message
  };
  std::vector<Expectation> expectations_;
};

}  // namespace xatm
