#include "adapters/mysql/my_branch.h"

#include <utility>

#include "adapters/mysql/my_xa_resolve.h"
#include "xatm/logging.h"

namespace xatm {

MyBranch::MyBranch(std::shared_ptr<MyConnectionPool> pool, std::string gtrid,
                   std::string literal, std::unique_ptr<MyConnection> conn,
                   std::optional<int64_t> writes_at_start)
    : pool_(std::move(pool)),
      gtrid_(std::move(gtrid)),
      literal_(std::move(literal)),
      ctx_(ResourceContext(pool_->name())),
      conn_(std::move(conn)),
      preparer_{conn_->session_id(), conn_->server_boot_s()},
      writes_at_start_(writes_at_start) {}

MyBranch::~MyBranch() {
  try {
    switch (state_) {
      case State::kActive:
        Logger()->debug(
            "xid={} branch on {} destroyed unfinished: rolling back", gtrid_,
            pool_->name());
        RollbackUnprepared();
        break;
      case State::kPrepared:
      case State::kPrepareUnknown:
        if (conn_ != nullptr) {
          Logger()->warn(
              "xid={} branch on {} destroyed while prepared: closing session "
              "{} so that recovery can finish it",
              gtrid_, pool_->name(), preparer_.id);
          CloseConnection();
        }
        break;
      default:
        ReleaseConnection();
        break;
    }
  } catch (...) {
    // A destructor must not throw; the connection closes with conn_.
  }
}

Status MyBranch::NotInState(const char* action) const {
  return Status::FailedPrecondition(ctx_ + ": xid=" + gtrid_ + ": cannot " +
                                    action + " a branch that is " +
                                    BranchStateName(state_));
}

void MyBranch::SetDeadline(std::chrono::steady_clock::time_point deadline) {
  deadline_ = deadline;
  if (conn_ != nullptr) conn_->set_deadline(deadline_);
}

void MyBranch::ReleaseConnection() {
  if (conn_ == nullptr) return;
  // XA COMMIT / ROLLBACK write no rows: the count read at prepare still
  // holds for the next branch on this session.
  conn_->set_row_writes(writes_at_prepare_);
  conn_->set_last_branch_wrote(visibly_wrote_);
  pool_->Release(std::move(conn_));
}

void MyBranch::CloseConnection() { conn_.reset(); }

MyStatus MyBranch::Xa(const std::string& verb, const std::string& suffix) {
  MyStatus s = conn_->Run(verb + " " + literal_ + suffix);
  if (s.ok()) {
    Logger()->debug("xid={} {}{} on {}", gtrid_, verb, suffix, pool_->name());
  } else {
    Logger()->warn("xid={} {}{} on {} failed: {}", gtrid_, verb, suffix,
                   pool_->name(), s.Describe());
  }
  return s;
}

Status MyBranch::StatementFailed(const char* what, const MyStatus& s) {
  if (first_failure_.empty()) first_failure_ = s.Describe();
  if (s.timed_out()) {
    // The dropped session takes the unprepared branch with it.
    Logger()->warn("xid={} {} on {} timed out: branch rolled back", gtrid_,
                   what, pool_->name());
    CloseConnection();
    state_ = State::kRolledBack;
    return s.ToStatus(StatusCode::kUnavailable,
                      ctx_ + ": " + what + " (branch rolled back)");
  }
  if (s.connection_lost()) {
    // The server rolls back an unprepared branch when its session ends.
    Logger()->warn(
        "xid={} connection to {} lost during work: branch rolled "
        "back",
        gtrid_, pool_->name());
    CloseConnection();
    state_ = State::kRolledBack;
    return s.ToStatus(StatusCode::kAborted, ctx_ + ": " + what +
                                                " (connection lost, branch "
                                                "rolled back)");
  }
  return s.ToStatus(ctx_ + ": " + what);
}

Result<int64_t> MyBranch::Execute(const std::string& sql,
                                  const std::vector<std::string>& params) {
  Result<int64_t> result = CatchAll(ctx_, [&]() -> Result<int64_t> {
    if (state_ != State::kActive) return NotInState("execute in");
    int64_t affected = 0;
    MyStatus s = conn_->Execute(sql, params, &affected);
    if (!s.ok()) return StatementFailed("execute", s);
    if (affected > 0) visibly_wrote_ = true;
    return affected;
  });
  if (!result.ok()) NoteFailure(result.status());
  return result;
}

Result<std::vector<Row>> MyBranch::Query(
    const std::string& sql, const std::vector<std::string>& params) {
  Result<std::vector<Row>> result =
      CatchAll(ctx_, [&]() -> Result<std::vector<Row>> {
        if (state_ != State::kActive) return NotInState("query in");
        std::vector<Row> rows;
        MyStatus s = conn_->Query(sql, params, &rows);
        if (!s.ok()) return StatementFailed("query", s);
        return rows;
      });
  if (!result.ok()) NoteFailure(result.status());
  return result;
}

Status MyBranch::ExecuteDeferred(const std::string& sql,
                                 const std::vector<std::string>& params,
                                 std::optional<int64_t> expected_rows) {
  // Run at once: MariaDB has no pipelining to save a round trip with.
  XATM_ASSIGN_OR_RETURN(int64_t rows, Execute(sql, params));
  Status counted = CheckAffectedRows(sql, rows, expected_rows);
  if (counted.ok()) return counted;
  counted = counted.WithContext(ctx_);
  NoteFailure(counted);
  return counted;
}

void MyBranch::NoteFailure(const Status& s) {
  // Also a failure before anything reached the server (an exception while
  // arming the call): the branch must not commit without that statement.
  if (first_failure_.empty()) first_failure_ = s.ToString();
}

void MyBranch::RollbackUnprepared() {
  state_ = State::kRolledBack;
  if (conn_ == nullptr) return;
  if (local()) {
    // A failed ROLLBACK leaves the session in doubt: close it, which rolls
    // back whatever is still open.
    MyStatus rollback = conn_->Run("ROLLBACK");
    if (rollback.ok()) {
      ReleaseConnection();
    } else {
      CloseConnection();
    }
    return;
  }
  MyStatus end = Xa("XA END");
  if (end.connection_lost()) {
    CloseConnection();
    return;
  }
  // XA END fails when the branch is already rollback-only (XA_RB*) or idle;
  // XA ROLLBACK works from both.
  MyStatus rollback = Xa("XA ROLLBACK");
  if (end.ok() && rollback.ok()) {
    ReleaseConnection();
    return;
  }
  if (!rollback.ok() && !IsRolledBackByServer(rollback.code()) &&
      rollback.code() != my_errc::kXaerNota) {
    Logger()->warn(
        "xid={} rollback on {} unclean ({}): closing session {}, "
        "which discards the unprepared branch",
        gtrid_, pool_->name(), rollback.Describe(), preparer_.id);
  }
  // Some statement failed: the session state is not certain enough to pool.
  CloseConnection();
}

Status MyBranch::VoteNo(const std::string& verb, const MyStatus& s) {
  RollbackUnprepared();
  return s.ToStatus(StatusCode::kAborted,
                    ctx_ + ": " + verb + " (voted no, rolled back)");
}

Status MyBranch::Prepare() {
  return CatchAll(ctx_, [&]() -> Status {
    if (state_ == State::kRolledBack) {
      return Status::Aborted(ctx_ + ": voted no: the branch was rolled back (" +
                             first_failure_ + ")");
    }
    if (state_ != State::kActive) return NotInState("prepare");
    if (local()) {
      return Status::FailedPrecondition(
          ctx_ + ": a local transaction cannot be prepared");
    }
    if (!first_failure_.empty()) {
      RollbackUnprepared();
      return Status::Aborted(ctx_ +
                             ": voted no: an earlier statement failed (" +
                             first_failure_ + "); rolled back");
    }
    // The write count first, inside the branch: it travels with the pair.
    // A branch whose statements reported changed rows wrote for sure and
    // skips it (the usual case: no cost); then the session's count is
    // unknown until a later branch reads it again, and a read-only branch
    // right after is not recognised: it takes part in two-phase commit
    // (a commit from elsewhere answers 1402, nothing to commit).
    const bool counted = !visibly_wrote_;
    std::vector<std::string> batch;
    if (counted) batch.push_back(kRowWritesSql);
    batch.push_back("XA END " + literal_);
    batch.push_back("XA PREPARE " + literal_);
    size_t done = 0;
    std::vector<Row> rows;
    MyStatus s = conn_->RunBatch(batch, &done, &rows);
    if (s.ok()) {
      Logger()->debug("xid={} XA END + XA PREPARE on {}", gtrid_,
                      pool_->name());
      state_ = State::kPrepared;
      if (counted) writes_at_prepare_ = ParseRowWrites(rows);
      wrote_nothing_ = writes_at_start_ && writes_at_prepare_ &&
                       *writes_at_prepare_ == *writes_at_start_;
      if (wrote_nothing_) return FinishReadOnly();
      return Status::Ok();
    }
    const size_t xa_done = done - (counted && done > 0 ? 1 : 0);
    const char* failed = counted && done == 0 ? "reading the write count"
                         : xa_done == 0       ? "XA END"
                                              : "XA PREPARE";
    Logger()->warn("xid={} {} on {} failed: {}", gtrid_, failed, pool_->name(),
                   s.Describe());
    if (s.connection_lost()) {
      // Both statements went out together: whichever answer was lost, the
      // server may have prepared the branch, which survives the
      // disconnect. Rollback() / recovery resolve it.
      CloseConnection();
      state_ = State::kPrepareUnknown;
      return s.ToStatus(
          StatusCode::kUnavailable,
          ctx_ + ": " + failed + " (connection lost: prepare outcome unknown)");
    }
    // A server error: it stopped there, nothing is prepared.
    return VoteNo(failed, s);
  });
}

Status MyBranch::FinishReadOnly() {
  MyStatus commit = Xa("XA COMMIT");
  if (commit.ok()) {
    Logger()->debug("xid={} branch on {} changed nothing: finished at prepare",
                    gtrid_, pool_->name());
    read_only_ = true;
    state_ = State::kCommitted;
    ReleaseConnection();
    return Status::Ok();
  }
  // Still prepared: it takes part in phase 2 like any other branch (and a
  // commit from elsewhere answers "nothing to commit").
  Logger()->warn("xid={} read-only branch on {} not finished at prepare ({})",
                 gtrid_, pool_->name(), commit.Describe());
  CloseConnection();
  return Status::Ok();
}

Status MyBranch::FinishDetached(bool commit) {
  Status s = FinishPrepared(
      pool_.get(), gtrid_, commit ? MyXaFinish::kCommit : MyXaFinish::kRollback,
      &preparer_, deadline_);
  // 1402 (Aborted): the server found the branch changed nothing. A branch
  // known to have written nothing may also be gone already (its commit at
  // prepare went through unanswered). Either way nothing is left to commit,
  // and no ledger row could tell.
  if (commit && (s.code() == StatusCode::kAborted ||
                 (wrote_nothing_ && s.code() == StatusCode::kNotFound))) {
    Logger()->info("xid={} {}: committed (nothing to commit)", gtrid_,
                   s.message());
    s = Status::Ok();
  }
  if (s.ok()) {
    state_ = commit ? State::kCommitted : State::kRolledBack;
  } else if (s.code() == StatusCode::kNotFound) {
    state_ = State::kOutcomeUnknown;
  }
  return s;
}

Status MyBranch::CommitPrepared() {
  return CatchAll(ctx_, [&]() -> Status {
    if (state_ == State::kCommitted) return Status::Ok();
    if (state_ != State::kPrepared) return NotInState("commit");
    if (conn_ == nullptr) return FinishDetached(/*commit=*/true);

    MyStatus s = Xa("XA COMMIT");
    if (s.ok()) {
      state_ = State::kCommitted;
      ReleaseConnection();
      return Status::Ok();
    }
    CloseConnection();
    if (s.timed_out()) {
      // Maybe committed, maybe not; the branch stays prepared for this
      // object (a later call finishes it from a fresh session) and for
      // recovery. More round trips now would only wait longer.
      return s.ToStatus(StatusCode::kInDoubt,
                        ctx_ + ": XA COMMIT (outcome unknown)");
    }
    if (s.code() == my_errc::kXaerNota) {
      state_ = State::kOutcomeUnknown;
      return s.ToStatus(StatusCode::kNotFound,
                        ctx_ +
                            ": XA COMMIT (its own session no longer "
                            "knows the prepared branch)");
    }
    if (IsRolledBackByServer(s.code())) {
      state_ = State::kRolledBack;
      return s.ToStatus(StatusCode::kAborted, ctx_ + ": XA COMMIT");
    }
    // Lost: the commit may or may not have happened, and if the server
    // still holds our session no other session can finish the branch.
    // Refused: closing detached the branch; another session may manage.
    // Either way: end the old session, then commit from a fresh one
    // (NotFound if our commit had gone through).
    Logger()->warn(
        "xid={} XA COMMIT on {} failed on its own session ({}): "
        "finishing from a fresh session",
        gtrid_, pool_->name(), s.Describe());
    return FinishDetached(/*commit=*/true);
  });
}

Status MyBranch::Rollback() {
  return CatchAll(ctx_, [&]() -> Status {
    // A read-only branch finished at prepare: nothing to undo.
    if (read_only_) return Status::Ok();
    switch (state_) {
      case State::kRolledBack:
        return Status::Ok();
      case State::kActive:
        RollbackUnprepared();
        return Status::Ok();
      case State::kCommitted:
      case State::kOutcomeUnknown:
        return NotInState("roll back");
      case State::kPrepareUnknown: {
        Status s = FinishDetached(/*commit=*/false);
        // Not listed and not attached: the XA PREPARE never took effect
        // (no commit decision can exist for a branch without a yes vote).
        // A prepare still in flight inside the server would surface later
        // as an orphan, which the sweeper rolls back (presumed abort).
        if (s.code() == StatusCode::kNotFound) {
          state_ = State::kRolledBack;
          return Status::Ok();
        }
        return s;
      }
      case State::kPrepared:
        break;
    }
    if (conn_ == nullptr) return FinishDetached(/*commit=*/false);
    MyStatus s = Xa("XA ROLLBACK");
    if (s.ok()) {
      state_ = State::kRolledBack;
      ReleaseConnection();
      return Status::Ok();
    }
    CloseConnection();
    if (s.timed_out()) {
      return s.ToStatus(StatusCode::kUnavailable,
                        ctx_ + ": XA ROLLBACK (recovery rolls it back)");
    }
    if (IsRolledBackByServer(s.code())) {
      state_ = State::kRolledBack;
      return Status::Ok();
    }
    if (s.code() == my_errc::kXaerNota) {
      // Prepared, yet unknown to its own session: something else finished
      // it, and only the ledger can tell how. Not "nothing to undo".
      state_ = State::kOutcomeUnknown;
      return s.ToStatus(StatusCode::kNotFound,
                        ctx_ +
                            ": XA ROLLBACK (its own session no longer "
                            "knows the prepared branch)");
    }
    // A prepared branch survives the disconnect: finish it elsewhere.
    Logger()->warn(
        "xid={} XA ROLLBACK on {} failed on its own session ({}): "
        "finishing from a fresh session",
        gtrid_, pool_->name(), s.Describe());
    return FinishDetached(/*commit=*/false);
  });
}

Status MyBranch::CommitOnePhase() {
  return CatchAll(ctx_, [&]() -> Status {
    if (state_ == State::kRolledBack) {
      return Status::Aborted(ctx_ + ": the branch was rolled back (" +
                             first_failure_ + ")");
    }
    if (state_ != State::kActive) return NotInState("commit (one phase)");
    if (!first_failure_.empty()) {
      RollbackUnprepared();
      return Status::Aborted(ctx_ + ": an earlier statement failed (" +
                             first_failure_ + "); rolled back");
    }
    if (local()) return CommitLocal();
    MyStatus end = Xa("XA END");
    if (end.connection_lost()) {
      CloseConnection();
      state_ = State::kRolledBack;
      return end.ToStatus(StatusCode::kAborted,
                          ctx_ +
                              ": XA END (connection lost before commit; "
                              "rolled back)");
    }
    if (!end.ok()) return VoteNo("XA END", end);

    MyStatus commit = Xa("XA COMMIT", " ONE PHASE");
    if (std::optional<Status> settled =
            SettledByCommit(commit, "XA COMMIT ONE PHASE")) {
      return *settled;
    }
    // A server error: it did not commit. Roll back what is left; if the
    // branch has vanished instead, its fate is unknown here.
    MyStatus rollback = Xa("XA ROLLBACK");
    if (rollback.ok() || IsRolledBackByServer(rollback.code()) ||
        IsRolledBackByServer(commit.code())) {
      CloseConnection();
      state_ = State::kRolledBack;
      return commit.ToStatus(StatusCode::kAborted,
                             ctx_ + ": XA COMMIT ONE PHASE (rolled back)");
    }
    CloseConnection();
    if (rollback.code() == my_errc::kXaerNota) {
      state_ = State::kOutcomeUnknown;
      return commit.ToStatus(StatusCode::kInDoubt,
                             ctx_ +
                                 ": XA COMMIT ONE PHASE (branch gone: "
                                 "outcome unknown)");
    }
    // Closing the session discarded the unprepared branch.
    state_ = State::kRolledBack;
    return commit.ToStatus(StatusCode::kAborted,
                           ctx_ + ": XA COMMIT ONE PHASE (rolled back)");
  });
}

Status MyBranch::CommitLocal() {
  MyStatus commit = conn_->Run("COMMIT");
  if (std::optional<Status> settled = SettledByCommit(commit, "COMMIT")) {
    return *settled;
  }
  // The server refused the commit: roll back whatever is left.
  RollbackUnprepared();
  return commit.ToStatus(StatusCode::kAborted, ctx_ + ": COMMIT (rolled back)");
}

std::optional<Status> MyBranch::SettledByCommit(const MyStatus& commit,
                                                const char* statement) {
  if (commit.ok()) {
    state_ = State::kCommitted;
    ReleaseConnection();
    return Status::Ok();
  }
  if (commit.connection_lost()) {
    CloseConnection();
    state_ = State::kOutcomeUnknown;
    return commit.ToStatus(
        StatusCode::kUnknownOutcome,
        ctx_ + ": " + statement + " (answer lost: outcome unknown)");
  }
  return std::nullopt;
}

}  // namespace xatm
