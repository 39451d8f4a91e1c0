// One MariaDB / MySQL XA branch of a global transaction, on its own
// connection from the resource's pool (see include/xatm/resource.h for the
// contract).
//
// States and what ends them:
//   active    - XA START ran; Execute/Query allowed.
//   prepared  - XA END + XA PREPARE gave a yes vote. Phase 2 runs on the
//               same connection (MariaDB refuses XA COMMIT from another
//               session while the preparing one is connected). If that
//               connection breaks (or the server refuses there), the branch
//               finishes from a fresh one, after ending its old session
//               (KILL if the server still holds it, then waiting out
//               MariaDB's hand-over race, see my_xa_resolve.h).
//   prepare-unknown - the link broke during XA PREPARE: maybe prepared.
//   committed / rolled back - finished; the connection went back to the pool.
//   lost      - the outcome is unknown to this object (the link broke during
//               XA COMMIT ... ONE PHASE, or a prepared branch vanished); the
//               ledger row (Resource::LookupOutcome) tells.
//
// Any failed statement makes Prepare/CommitOnePhase vote no: MariaDB only
// undoes the failed statement and would happily prepare the rest, which an
// application that missed the error would then commit half-done.
//
// Prepare sends XA END and XA PREPARE as one multi-statement query: one
// round trip. The server stops at a failing statement, so a failed XA END
// never leaves anything prepared; any error is a no vote, and a link lost
// during the pair leaves the prepare outcome unknown (prepare-unknown).
//
// Read-only branches: MariaDB lists a prepared branch that changed nothing
// but answers 1402 XA_RBROLLBACK to a commit from another session, so such
// a branch must not stay prepared. Unless a statement of the branch
// reported changed rows (then it surely wrote, and nothing is read), the
// same round trip reads the session's row-write count (kRowWritesSql, about
// 0.3 ms of server time); unchanged since XA START (carried forward from
// the session's previous branch, or read with XA START), the branch wrote
// nothing and is committed on its own session at once (one more round
// trip, for read-only branches only): read_only() is then true. After a
// branch that surely wrote, the next branch on the session is taken to
// write too and reads nothing; if it is read-only after all it stays
// prepared like any other (a commit from elsewhere then answers 1402:
// nothing to commit, which recovery counts as committed).
// Measured: a SELECT, an UPDATE or DELETE matching no row, a locking read
// and an empty branch count no write; an INSERT and an UPDATE to the same
// value count one (MariaDB treats the latter as a writer too). A rollback
// to a savepoint counts its undone writes: such a branch stays prepared,
// which is safe (recovery gets 1402: nothing to commit).
//
// Timeouts: every round trip keeps the resource's request timeout and the
// deadline given to SetDeadline. A call past it drops the connection: an
// Execute/Query fails (Unavailable, the branch is rolled back with its
// session), Prepare gives no vote (prepare outcome unknown), CommitPrepared
// answers InDoubt and CommitOnePhase UnknownOutcome.
//
// Without an xid literal the branch is a plain local transaction (START
// TRANSACTION ... COMMIT): CommitOnePhase commits, Prepare is refused.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/branch_state.h"
#include "adapters/mysql/my_connection.h"
#include "adapters/mysql/my_connection_pool.h"
#include "adapters/mysql/my_xa_resolve.h"
#include "xatm/resource.h"

namespace xatm {

class MyBranch final : public Branch {
 public:
  // Takes over `conn`, on which `XA START <literal>` has succeeded; with an
  // empty `literal`, on which START TRANSACTION has (a local transaction,
  // `gtrid` only names it in logs).
  // `writes_at_start`: the session's row-write count when XA START ran
  // (nullopt: unknown, read-only branches are then not recognised).
  MyBranch(std::shared_ptr<MyConnectionPool> pool, std::string gtrid,
           std::string literal, std::unique_ptr<MyConnection> conn,
           std::optional<int64_t> writes_at_start = std::nullopt);
  // Active: rolls back. Prepared: closes the connection without finishing
  // the branch - the decision is not this object's to make - so that the
  // branch detaches and recovery (or Resource::CommitPrepared) can finish it.
  ~MyBranch() override;

  MyBranch(const MyBranch&) = delete;
  MyBranch& operator=(const MyBranch&) = delete;

  const std::string& resource_name() const override { return pool_->name(); }
  void SetDeadline(std::chrono::steady_clock::time_point deadline) override;
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
  Status Rollback() override;
  Status CommitOnePhase() override;
  bool read_only() const override { return read_only_; }

  // The server's id of the session that ran XA START (the KILL target);
  // kept after the connection is gone.
  int64_t session_id() const { return preparer_.id; }
  const std::string& gtrid() const { return gtrid_; }

 private:
  using State = BranchState;

  // `verb` (e.g. "XA END") with this branch's xid, on its connection.
  MyStatus Xa(const std::string& verb, const std::string& suffix = "");
  // Any failed statement, whatever failed: remembered for the vote.
  void NoteFailure(const Status& s);
  // A failed Execute/Query: remembered for the vote.
  Status StatementFailed(const char* what, const MyStatus& s);
  // XA END + XA ROLLBACK of an unprepared branch. Always ends rolled back:
  // if the statements fail the connection is closed, and the server
  // discards an unprepared branch with its session.
  void RollbackUnprepared();
  // After XA END or XA PREPARE failed with a server error: not prepared.
  Status VoteNo(const std::string& verb, const MyStatus& s);
  // Phase 2 from another session once this branch's own is closed: ends
  // that session on the server first (see my_xa_resolve.h for why).
  Status FinishDetached(bool commit);
  // Prepared, and the write count says it changed nothing: XA COMMIT here.
  Status FinishReadOnly();
  bool local() const { return literal_.empty(); }
  // CommitOnePhase of a local transaction: COMMIT.
  Status CommitLocal();
  // The answer to a one-phase commit `statement` when it settles the
  // branch: committed, or lost with the connection (outcome unknown).
  // nullopt when the server refused it: the caller rolls back.
  std::optional<Status> SettledByCommit(const MyStatus& commit,
                                        const char* statement);
  Status NotInState(const char* action) const;

  void ReleaseConnection();  // back to the pool: the session is clean
  void CloseConnection();    // closed: detaches / discards the XA branch

  std::shared_ptr<MyConnectionPool> pool_;
  const std::string gtrid_;
  const std::string literal_;  // 'gtrid','bqual',formatID; empty: local
  const std::string ctx_;      // "mysql resource 'NAME'"
  std::unique_ptr<MyConnection> conn_;
  const MyPreparingSession preparer_;
  State state_ = State::kActive;
  std::string first_failure_;  // empty while every statement succeeded
  MyDeadline deadline_;
  const std::optional<int64_t> writes_at_start_;
  std::optional<int64_t> writes_at_prepare_;  // given back to the session
  // The write count says the branch changed nothing (read_only_ once it
  // is also finished).
  bool wrote_nothing_ = false;
  bool read_only_ = false;
  // A statement reported changed rows: the branch surely wrote.
  bool visibly_wrote_ = false;
};

}  // namespace xatm
