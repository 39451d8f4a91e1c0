#include "adapters/postgres/pg_branch.h"

#include <utility>

#include "adapters/postgres/pg_error.h"
#include "adapters/postgres/pg_placeholders.h"
#include "adapters/postgres/pg_statement_check.h"
#include "xatm/logging.h"

namespace xatm {
namespace {

// Only reused connections are retried and there are at most pool_size of
// them, so this cap only guards against a pool refilled meanwhile.
constexpr int kMaxStaleAttempts = 64;

}  // namespace

PgBranch::PgBranch(std::shared_ptr<PgConnectionPool> pool,
                   std::string resource_name, std::string label,
                   std::string gid, std::unique_ptr<PgConnection> connection)
    : pool_(std::move(pool)),
      resource_name_(std::move(resource_name)),
      gtrid_(std::move(label)),
      gid_(std::move(gid)),
      connection_(std::move(connection)) {
  reused_ = connection_->used();
  pending_.push_back(PgStatement{"BEGIN", {}});
}

PgBranch::~PgBranch() {
  switch (state_) {
    case State::kActive:
      Logger()->debug(
          "postgresql resource '{}' xid={}: branch dropped unfinished, "
          "rolling back",
          resource_name_, gtrid_);
      (void)Rollback();
      break;
    case State::kPrepared:
    case State::kPrepareUnknown:
      Logger()->warn(
          "postgresql resource '{}' xid={}: branch dropped while {}; gid {} "
          "is left for recovery",
          resource_name_, gtrid_, BranchStateName(state_), gid_);
      break;
    default:
      break;
  }
  ReleaseConnection();
}

std::string PgBranch::Context(const char* what) const {
  return PgContext(resource_name_, what);
}

std::string PgBranch::FirstErrorNote() const {
  return first_error_.empty() ? "" : " (first error: " + first_error_ + ")";
}

void PgBranch::NoteError(const PgResult& result) {
  if (!first_error_.empty()) return;
  const std::string sqlstate = result.sqlstate();
  first_error_ = sqlstate.empty() ? result.error_message()
                                  : sqlstate + " " + result.error_message();
}

Status PgBranch::Doom(Status failure) {
  if (doomed_.ok()) doomed_ = failure;
  return failure;
}

Status PgBranch::RefuseDoomed(const char* what) {
  (void)Rollback();
  Logger()->debug("postgresql resource '{}' xid={}: {} refused: {}",
                  resource_name_, gtrid_, what, doomed_.message());
  return Status::Aborted(Context(what) +
                         ": an earlier statement of the branch failed, "
                         "rolled back: " +
                         doomed_.message());
}

PgDeadline PgBranch::RoundTripDeadline() const {
  return pool_->RequestDeadline().EarlierOf(PgDeadline::At(deadline_));
}

void PgBranch::ReleaseConnection() {
  if (connection_ == nullptr) return;
  if (!connection_->broken() && !connection_->ReusableForPool()) {
    // Still inside a transaction (a failed statement, a failed PREPARE):
    // end it so the session is clean, or let the pool close it.
    (void)connection_->Exec("ROLLBACK", RoundTripDeadline());
  }
  pool_->Release(std::move(connection_));
}

PgBranch::Answer PgBranch::SendOnce(const PgDeadline& deadline) {
  std::vector<PgResult> results;
  if (pending_.size() == 1) {
    results.push_back(
        connection_->ExecParams(pending_[0].sql, pending_[0].params, deadline));
  } else {
    results = connection_->ExecPipeline(pending_, deadline);
  }
  return AnswerOf(std::move(results));
}

PgBranch::Answer PgBranch::AnswerOf(std::vector<PgResult> results) {
  Status side_failure;
  for (const Expectation& e : expectations_) {
    if (e.index >= results.size() || !results[e.index].ok()) continue;
    Status counted =
        CheckAffectedRows(e.sql, results[e.index].affected_rows(), e.rows);
    if (!counted.ok()) {
      side_failure = counted.WithContext(Context("deferred statement"));
      break;
    }
  }
  for (size_t i = 0; i + 1 < results.size(); ++i) {
    if (results[i].ok()) continue;
    // Only a server error or a lost session stops the rest of the round
    // trip; any other answer (which the statement checks keep out) did
    // not, so the later answers still tell what happened.
    if (!results[i].server_error() && !results[i].connection_lost()) {
      if (side_failure.ok()) {
        side_failure = results[i].ToStatus(Context("deferred statement"));
      }
      continue;
    }
    // A lost session or a timeout is the whole round trip's fate, not the
    // failure of one earlier statement.
    const bool whole_round_trip = results[i].connection_lost();
    return {std::move(results[i]), whole_round_trip, std::move(side_failure)};
  }
  return {std::move(results.back()), true, std::move(side_failure)};
}

PgBranch::Answer PgBranch::SendPending(bool retry_stale) {
  const PgDeadline deadline = RoundTripDeadline();
  for (int attempt = 0;; ++attempt) {
    Answer answer = SendOnce(deadline);
    // Not after a timeout: a frozen server must not be waited for twice.
    if (retry_stale && !begun_ && reused_ && answer.result.connection_lost() &&
        !answer.result.timed_out() && attempt < kMaxStaleAttempts) {
      // The pooled session had died while idle; this branch's BEGIN and
      // work went down with it uncommitted. Take another connection.
      Logger()->debug(
          "postgresql resource '{}' xid={}: pooled connection was dead ({}); "
          "retrying on another",
          resource_name_, gtrid_, answer.result.error_message());
      connection_.reset();
      Result<std::unique_ptr<PgConnection>> fresh = pool_->Acquire(deadline);
      if (!fresh.ok()) {
        answer.result = PgResult(nullptr, /*connection_lost=*/true,
                                 fresh.status().message());
      } else {
        connection_ = std::move(fresh).value();
        reused_ = connection_->used();
        continue;
      }
    }
    MarkSent();
    return answer;
  }
}

PgBranch::Answer PgBranch::FinishStarted() {
  started_ = false;
  Answer answer = AnswerOf(connection_->FinishPipeline(started_deadline_));
  MarkSent();
  return answer;
}

void PgBranch::MarkSent() {
  begun_ = true;
  pending_.clear();
  expectations_.clear();
}

Result<PgStatement> PgBranch::Admit(const char* what, const std::string& sql,
                                    const std::vector<std::string>& params) {
  if (state_ != State::kActive) {
    return Status::FailedPrecondition(Context(what) + ": the branch is " +
                                      BranchStateName(state_) + ", not active" +
                                      FirstErrorNote());
  }
  if (Status refused = CheckBranchStatement(sql); !refused.ok()) {
    return Doom(refused.WithContext(Context(what)));
  }
  Result<std::string> converted = ConvertForParameters(sql, params.size());
  if (!converted.ok()) {
    return Doom(converted.status().WithContext(Context(what)));
  }
  return PgStatement{std::move(converted).value(), params};
}

Result<PgResult> PgBranch::RunStatement(
    const char* what, const std::string& sql,
    const std::vector<std::string>& params) {
  XATM_ASSIGN_OR_RETURN(PgStatement statement, Admit(what, sql, params));
  pending_.push_back(std::move(statement));
  Answer answer = SendPending(/*retry_stale=*/true);
  XATM_RETURN_IF_ERROR(CheckWork(what, answer));
  return std::move(answer.result);
}

Status PgBranch::CheckWork(const char* what, const Answer& answer) {
  if (answer.result.ok()) return Doom(answer.side_failure);
  Status status = answer.result.ToStatus(
      Context(answer.last ? what : "deferred statement"));
  if (answer.result.connection_lost()) {
    // The server rolls back an unprepared transaction whose session ends
    // (or that it finds closed, after a timeout).
    state_ = State::kRolledBack;
    connection_.reset();
    Logger()->warn(
        "xid={}: {}; connection dropped, the server rolls the branch back",
        gtrid_, status.message());
  } else {
    Logger()->debug("postgresql resource '{}' xid={}: statement failed: {}",
                    resource_name_, gtrid_, status.message());
  }
  NoteError(answer.result);
  return Doom(status);
}

Result<int64_t> PgBranch::Execute(const std::string& sql,
                                  const std::vector<std::string>& params) {
  XATM_ASSIGN_OR_RETURN(PgResult result, RunStatement("execute", sql, params));
  return result.affected_rows();
}

Result<std::vector<Row>> PgBranch::Query(
    const std::string& sql, const std::vector<std::string>& params) {
  XATM_ASSIGN_OR_RETURN(PgResult result, RunStatement("query", sql, params));
  return result.rows();
}

Status PgBranch::ExecuteDeferred(const std::string& sql,
                                 const std::vector<std::string>& params,
                                 std::optional<int64_t> expected_rows) {
  // Mistakes of the caller are reported now; server errors come with the
  // round trip that carries the statement.
  XATM_ASSIGN_OR_RETURN(PgStatement statement,
                        Admit("deferred statement", sql, params));
  if (expected_rows.has_value()) {
    expectations_.push_back(Expectation{pending_.size(), *expected_rows, sql});
  }
  pending_.push_back(std::move(statement));
  return Status::Ok();
}

Status PgBranch::CheckFinishable(const char* what) const {
  if (state_ == State::kRolledBack) {
    return Status::Aborted(Context(what) +
                           ": the branch was already rolled back" +
                           FirstErrorNote());
  }
  if (state_ != State::kActive) {
    return Status::FailedPrecondition(Context(what) + ": the branch is " +
                                      BranchStateName(state_) + ", not active");
  }
  return Status::Ok();
}

Status PgBranch::QueuePrepare() {
  static constexpr char kWhat[] = "PREPARE TRANSACTION";
  XATM_RETURN_IF_ERROR(CheckFinishable(kWhat));
  if (gid_.empty()) {
    return Status::FailedPrecondition(
        Context(kWhat) + ": a local transaction cannot be prepared");
  }
  if (!doomed_.ok()) return RefuseDoomed(kWhat);
  Result<std::string> statement = TwoPhaseStatement(*connection_, kWhat, gid_);
  if (!statement.ok()) return statement.status().WithContext(Context(kWhat));
  // With BEGIN or deferred statements still pending, they go out in the
  // same round trip; the server skips PREPARE TRANSACTION if one fails.
  pending_.push_back(PgStatement{std::move(statement).value(), {}});
  return Status::Ok();
}

bool PgBranch::StartPrepare() {
  // Only a branch Prepare would send for: the other cases answer at once.
  if (state_ != State::kActive || gid_.empty() || !doomed_.ok() || started_ ||
      !QueuePrepare().ok()) {
    return false;
  }
  started_ = true;
  started_deadline_ = RoundTripDeadline();
  connection_->StartPipeline(pending_, started_deadline_);
  return true;
}

Status PgBranch::Prepare() {
  static constexpr char kWhat[] = "PREPARE TRANSACTION";
  if (!started_) XATM_RETURN_IF_ERROR(QueuePrepare());
  Answer answer =
      started_ ? FinishStarted() : SendPending(/*retry_stale=*/false);
  const PgResult& result = answer.result;
  if (result.ok()) {
    const std::string tag = result.command_tag();
    // THE TRAP: in a transaction that had failed, PREPARE TRANSACTION is no
    // error; the server rolls back and answers with tag ROLLBACK. Only this
    // exact tag is a yes vote.
    if (tag == "PREPARE TRANSACTION") {
      state_ = State::kPrepared;
      if (!answer.side_failure.ok()) {
        // A deferred statement missed its row count, which only the answer
        // shows: undo the prepare (a round trip on this path only).
        (void)Doom(answer.side_failure);
        return RefuseDoomed(kWhat);
      }
      Logger()->debug("postgresql resource '{}' xid={}: prepared (gid {})",
                      resource_name_, gtrid_, gid_);
      return Status::Ok();
    }
    state_ = State::kRolledBack;
    ReleaseConnection();
    Logger()->debug(
        "postgresql resource '{}' xid={}: votes no: PREPARE TRANSACTION "
        "answered '{}'",
        resource_name_, gtrid_, tag);
    return Status::Aborted(Context(kWhat) +
                           ": the server rolled the transaction back instead "
                           "of preparing it (command tag '" +
                           tag + "'): an earlier statement had failed" +
                           FirstErrorNote());
  }

  Status status = result.ToStatus(Context(kWhat));
  if (result.connection_lost()) {
    // The PREPARE may or may not have happened (after a timeout it may
    // still happen); the coordinator rolls back by gid (ROLLBACK PREPARED
    // answers 42704 if it never happened), and recovery settles a gid
    // prepared after that.
    state_ = State::kPrepareUnknown;
    connection_.reset();
    Logger()->warn("xid={}: {}; outcome unknown (gid {})", gtrid_,
                   status.message(), gid_);
    return status;
  }
  if (!answer.last) {
    // A deferred statement failed: PREPARE TRANSACTION never ran and the
    // transaction is aborted. A no vote.
    NoteError(result);
    state_ = State::kRolledBack;
    ReleaseConnection();
    Status failed = result.ToStatus(Context("deferred statement"));
    Logger()->debug("postgresql resource '{}' xid={}: votes no: {}",
                    resource_name_, gtrid_, failed.message());
    return Status::Aborted(Context(kWhat) + ": not prepared, " +
                           failed.message());
  }
  // A server error: nothing was prepared. End the failed transaction.
  state_ = State::kRolledBack;
  ReleaseConnection();
  Logger()->warn(
      "postgresql resource '{}' xid={}: PREPARE TRANSACTION failed: {}",
      resource_name_, gtrid_, status.message());
  return status;
}

Status PgBranch::FinishPrepared(PgPreparedAction action) {
  const PgDeadline deadline = RoundTripDeadline();
  if (connection_ == nullptr || connection_->broken()) {
    connection_.reset();
    Result<std::unique_ptr<PgConnection>> fresh = pool_->Acquire(deadline);
    if (!fresh.ok()) {
      return fresh.status().WithContext(
          Context(action == PgPreparedAction::kCommit ? "COMMIT PREPARED"
                                                      : "ROLLBACK PREPARED"));
    }
    connection_ = std::move(fresh).value();
  }
  Status status = FinishPreparedTransaction(
      *connection_, action, gid_, PgContext(resource_name_, ""), deadline);
  if (connection_->broken()) connection_.reset();
  return status;
}

bool PgBranch::StartCommitPrepared() {
  if (state_ != State::kPrepared || started_ || connection_ == nullptr ||
      connection_->broken()) {
    return false;
  }
  Result<std::string> statement =
      TwoPhaseStatement(*connection_, "COMMIT PREPARED", gid_);
  if (!statement.ok()) return false;  // CommitPrepared reports it
  started_ = true;
  started_deadline_ = RoundTripDeadline();
  connection_->StartPipeline({PgStatement{std::move(statement).value(), {}}},
                             started_deadline_);
  return true;
}

Status PgBranch::CommitPrepared() {
  if (state_ == State::kCommitted) return Status::Ok();
  if (state_ != State::kPrepared && state_ != State::kPrepareUnknown) {
    return Status::FailedPrecondition(
        Context("COMMIT PREPARED") + ": the branch is " +
        BranchStateName(state_) + ", not prepared");
  }
  Status status;
  if (started_) {
    started_ = false;
    std::vector<PgResult> results =
        connection_->FinishPipeline(started_deadline_);
    status = FinishedPreparedStatus(results.front(), PgPreparedAction::kCommit,
                                    PgContext(resource_name_, ""));
    if (connection_->broken()) connection_.reset();
  } else {
    status = FinishPrepared(PgPreparedAction::kCommit);
  }
  if (status.ok()) {
    state_ = State::kCommitted;
    ReleaseConnection();
    Logger()->debug(
        "postgresql resource '{}' xid={}: committed prepared branch",
        resource_name_, gtrid_);
  } else {
    Logger()->warn("postgresql resource '{}' xid={}: {}", resource_name_,
                   gtrid_, status.message());
  }
  return status;
}

Status PgBranch::Rollback() {
  switch (state_) {
    case State::kRolledBack:
      return Status::Ok();
    case State::kCommitted:
      return Status::FailedPrecondition(Context("rollback") +
                                        ": the branch already committed");
    case State::kOutcomeUnknown:
      return Status::InDoubt(Context("rollback") +
                             ": the connection was lost during COMMIT; the "
                             "outcome is unknown");
    case State::kActive: {
      state_ = State::kRolledBack;
      // Deferred work is dropped unsent.
      pending_.clear();
      expectations_.clear();
      if (!begun_) {
        // Nothing was ever sent: the connection is still outside any
        // transaction and goes straight back to the pool.
        ReleaseConnection();
        Logger()->debug(
            "postgresql resource '{}' xid={}: rolled back (never "
            "begun on the server)",
            resource_name_, gtrid_);
        return Status::Ok();
      }
      PgResult result = connection_->Exec("ROLLBACK", RoundTripDeadline());
      // Whatever the answer, the branch is not committed: the server rolls
      // back an unprepared transaction when its session ends, so a broken
      // connection is simply closed.
      if (!result.ok()) {
        Logger()->warn(
            "postgresql resource '{}' xid={}: {}; closing the "
            "connection, the server rolls back",
            resource_name_, gtrid_, result.ToStatus("ROLLBACK").message());
        connection_.reset();
      }
      ReleaseConnection();
      Logger()->debug("postgresql resource '{}' xid={}: rolled back",
                      resource_name_, gtrid_);
      return Status::Ok();
    }
    case State::kPrepared:
    case State::kPrepareUnknown: {
      Status status = FinishPrepared(PgPreparedAction::kRollback);
      if (!status.ok() && status.code() != StatusCode::kNotFound) {
        Logger()->warn("postgresql resource '{}' xid={}: {}", resource_name_,
                       gtrid_, status.message());
        return status;
      }
      // NotFound: nothing prepared under this gid, nothing to undo.
      state_ = State::kRolledBack;
      ReleaseConnection();
      Logger()->debug(
          "postgresql resource '{}' xid={}: rolled back prepared "
          "branch{}",
          resource_name_, gtrid_,
          status.ok() ? "" : " (the server did not know the gid)");
      return Status::Ok();
    }
  }
  return Status::Internal(Context("rollback") + ": unknown branch state");
}

Status PgBranch::CommitOnePhase() {
  static constexpr char kWhat[] = "COMMIT";
  XATM_RETURN_IF_ERROR(CheckFinishable(kWhat));
  if (!doomed_.ok()) return RefuseDoomed(kWhat);
  if (!expectations_.empty()) {
    // A row count is known only from the answer, too late to hold back a
    // COMMIT sent with it: the held-back work goes first, on its own.
    Answer work = SendPending(/*retry_stale=*/false);
    if (!CheckWork("deferred statement", work).ok()) {
      return state_ == State::kActive ? RefuseDoomed(kWhat)
                                      : Status::Aborted(doomed_.message());
    }
  }
  pending_.push_back(PgStatement{kWhat, {}});
  Answer answer = SendPending(/*retry_stale=*/false);
  const PgResult& result = answer.result;
  if (result.ok()) {
    const std::string tag = result.command_tag();
    if (tag == "COMMIT") {
      state_ = State::kCommitted;
      ReleaseConnection();
      Logger()->debug("postgresql resource '{}' xid={}: committed (one phase)",
                      resource_name_, gtrid_);
      return Status::Ok();
    }
    // COMMIT of a failed transaction answers ROLLBACK, without an error.
    state_ = State::kRolledBack;
    ReleaseConnection();
    Logger()->debug("postgresql resource '{}' xid={}: COMMIT answered '{}'",
                    resource_name_, gtrid_, tag);
    return Status::Aborted(Context(kWhat) +
                           ": the server rolled the transaction back "
                           "(command tag '" +
                           tag + "'): an earlier statement had failed" +
                           FirstErrorNote());
  }
  Status status =
      result.ToStatus(Context(answer.last ? kWhat : "deferred statement"));
  if (result.connection_lost()) {
    // Nothing durable says what became of it: only the server knows.
    state_ = State::kOutcomeUnknown;
    connection_.reset();
    Logger()->error("xid={}: {}; outcome unknown", gtrid_, status.message());
    return Status::UnknownOutcome(status.message() +
                                  "; the outcome is unknown");
  }
  // A deferred statement failed (COMMIT never ran), or the server refused
  // the COMMIT (deferred constraint, serialization failure): either way
  // the transaction ends rolled back.
  NoteError(result);
  state_ = State::kRolledBack;
  ReleaseConnection();
  Logger()->debug("postgresql resource '{}' xid={}: COMMIT failed: {}",
                  resource_name_, gtrid_, status.message());
  return Status::Aborted(status.message());
}

}  // namespace xatm
