#include "adapters/postgres/pg_connection.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "adapters/postgres/pg_error.h"
#include "adapters/postgres/pg_wait.h"
#include "xatm/logging.h"

namespace xatm {
namespace {

// Statements kept per session: a transfer uses a handful of distinct ones.
// Once full, further statements run unnamed.
constexpr size_t kMaxCachedStatements = 64;
// Names handed out per session. A name forgotten after 0A000 (a cached plan
// whose result type changed) still exists on the server: this bounds them.
constexpr long kMaxStatementNames = 4 * static_cast<long>(kMaxCachedStatements);

// The server no longer knows the statement's name.
constexpr char kSqlStateUnknownStatement[] = "26000";
// "cached plan must not change result type": the table changed under it.
constexpr char kSqlStateFeatureNotSupported[] = "0A000";

bool SeverityEndsSession(const char* severity) {
  return severity != nullptr && (std::strcmp(severity, "FATAL") == 0 ||
                                 std::strcmp(severity, "PANIC") == 0);
}

}  // namespace

Result<std::unique_ptr<PgConnection>> PgConnection::Open(
    const PgConnectOptions& options, const PgDeadline& deadline) {
  const PgDeadline limit = deadline.EarlierOf(
      PgDeadline::InMs(static_cast<int64_t>(options.connect_timeout_s) * 1000));
  // Processed in order, later values win: the conninfo may choose its own
  // encoding and application name. libpq's connect_timeout is not used: it
  // has whole seconds and only PQconnectdb's blocking loop applies it.
  const std::string keepalive_idle =
      std::to_string(std::max(1, options.idle_in_transaction_s));
  const char* keywords[] = {"client_encoding", "fallback_application_name",
                            "keepalives",      "keepalives_idle",
                            "dbname",          nullptr};
  const char* values[] = {"UTF8",
                          "xatm",
                          options.idle_in_transaction_s > 0 ? "1" : "0",
                          keepalive_idle.c_str(),
                          options.conninfo.c_str(),
                          nullptr};
  PGconn* conn = PQconnectStartParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return Status::Unavailable(
        "connect: libpq could not allocate a connection");
  }
  // Owns `conn` from here: every early return closes it.
  std::unique_ptr<PgConnection> connection(
      new PgConnection(conn, options.prepared_statements));
  if (PQstatus(conn) != CONNECTION_BAD &&
      AwaitConnected(conn, limit) == PgWait::kTimedOut) {
    return Status::Unavailable("connect: timed out after " +
                               std::to_string(limit.budget_ms) + " ms");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    return Status::Unavailable("connect: " +
                               ConnectErrorMessage(PQerrorMessage(conn)));
  }
  if (PQsetnonblocking(conn, 1) != 0) {
    return Status::Unavailable("connect: cannot switch to non-blocking mode: " +
                               OneLine(PQerrorMessage(conn)));
  }
  // Once per session instead of once per transaction: a round trip saved
  // on every branch. set_config(..., false) is a plain SET: it outlives
  // transactions.
  std::string settings;
  if (options.lock_timeout_ms > 0) {
    settings = "set_config('lock_timeout', '" +
               std::to_string(options.lock_timeout_ms) + "', false)";
  }
  if (options.idle_in_transaction_s > 0) {
    settings += std::string(settings.empty() ? "" : ", ") +
                "set_config('idle_in_transaction_session_timeout', '" +
                std::to_string(options.idle_in_transaction_s * 1000) +
                "', false)";
  }
  if (!settings.empty()) {
    PgResult set = connection->Exec("SELECT " + settings, limit);
    if (!set.ok()) return set.ToStatus("connect: setting session limits");
    // Set-up is not use: a fresh connection must not count as a reused
    // one that may have gone stale in the pool.
    connection->statements_run_ = 0;
  }
  return connection;
}

PgConnection::PgConnection(PGconn* conn, bool prepared_statements)
    : conn_(conn), prepared_statements_(prepared_statements) {
  // Notices (warnings such as 25P01) go to the log, not to stderr.
  PQsetNoticeReceiver(conn_, &PgConnection::OnNotice, this);
}

PgConnection::~PgConnection() { PQfinish(conn_); }

void PgConnection::OnNotice(void* self, const PGresult* notice) {
  const char* severity =
      PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  Logger()->debug("postgresql notice: {}",
                  OneLine(PQresultErrorMessage(notice)));
  if (SeverityEndsSession(severity)) {
    static_cast<PgConnection*>(self)->broken_ = true;
  }
}

PgResult PgConnection::Expired(const PgDeadline& deadline) {
  broken_ = true;
  return PgResult::TimedOut(deadline.budget_ms);
}

std::optional<PgResult> PgConnection::AwaitReady(const PgDeadline& deadline) {
  switch (AwaitResult(conn_, deadline)) {
    case PgWait::kReady:
      return std::nullopt;
    case PgWait::kTimedOut:
      return Expired(deadline);
    case PgWait::kFailed:
      break;
  }
  broken_ = true;
  // A dead connection answers PQgetResult at once, with the server's last
  // words (a FATAL error) if it sent any; a live but busy one would block.
  if (PQstatus(conn_) == CONNECTION_BAD || !PQisBusy(conn_)) {
    return Finish(PQgetResult(conn_));
  }
  return PgResult(nullptr, /*connection_lost=*/true,
                  OneLine(PQerrorMessage(conn_)));
}

PgResult PgConnection::ReadResults(const PgDeadline& deadline) {
  // What PQexec keeps, without its unbounded waits: the first error, else
  // the last result.
  PGresult* kept = nullptr;
  for (;;) {
    if (std::optional<PgResult> failure = AwaitReady(deadline)) {
      PQclear(kept);
      return std::move(*failure);
    }
    PGresult* next = PQgetResult(conn_);
    if (next == nullptr) break;
    const ExecStatusType status = PQresultStatus(next);
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT ||
        status == PGRES_COPY_BOTH) {
      PQclear(kept);
      return Finish(next);  // refused there; the connection is broken
    }
    if (kept != nullptr && PQresultStatus(kept) == PGRES_FATAL_ERROR) {
      PQclear(next);
    } else {
      PQclear(kept);
      kept = next;
    }
    if (PQstatus(conn_) == CONNECTION_BAD) break;
  }
  return Finish(kept);
}

PgResult PgConnection::Exec(const std::string& sql,
                            const PgDeadline& deadline) {
  ++statements_run_;
  if (broken_) return PgResult(nullptr, true, "connection already broken");
  if (deadline.passed()) return Expired(deadline);
  if (PQsendQuery(conn_, sql.c_str()) != 1) return Finish(nullptr);
  return ReadResults(deadline);
}

bool PgConnection::HasRoom() const {
  return named_.size() < kMaxCachedStatements &&
         names_issued_ < kMaxStatementNames;
}

PgConnection::Plan PgConnection::PlanFor(const PgStatement& statement) {
  if (!prepared_statements_ || statement.params.empty()) return Plan{};
  auto it = named_.find(statement.sql);
  // Prepared, or being prepared by an earlier statement of this round trip.
  if (it != named_.end()) return Plan{it->second.name, /*prepare=*/false};
  if (!HasRoom()) return Plan{};
  std::string name = "xatm_s" + std::to_string(++names_issued_);
  named_.emplace(statement.sql, Named{name, /*prepared=*/false});
  return Plan{std::move(name), /*prepare=*/true};
}

void PgConnection::NoteNamedFailure(const std::string& sql,
                                    const PgResult& result) {
  if (result.ok()) return;
  const std::string sqlstate = result.sqlstate();
  if (sqlstate == kSqlStateUnknownStatement) {
    // DISCARD ALL or DEALLOCATE ALL ran on the session: none is left.
    Logger()->debug("postgresql: prepared statements of the session are gone");
    named_.clear();
  } else if (sqlstate == kSqlStateFeatureNotSupported) {
    named_.erase(sql);
  }
}

PgResult PgConnection::ExecParams(const std::string& sql,
                                  const std::vector<std::string>& params,
                                  const PgDeadline& deadline) {
  const std::string* name = nullptr;
  if (prepared_statements_ && !params.empty()) {
    auto it = named_.find(sql);
    if (it != named_.end() && it->second.prepared) {
      name = &it->second.name;
    } else if (it == named_.end() && HasRoom()) {
      // Parse and run in one round trip.
      std::vector<PgResult> results =
          ExecPipeline({PgStatement{sql, params}}, deadline);
      return std::move(results.front());
    }
  }
  ++statements_run_;
  if (broken_) return PgResult(nullptr, true, "connection already broken");
  if (deadline.passed()) return Expired(deadline);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& param : params) values.push_back(param.c_str());
  const int sent =
      name != nullptr
          ? PQsendQueryPrepared(conn_, name->c_str(),
                                static_cast<int>(params.size()), values.data(),
                                /*paramLengths=*/nullptr,
                                /*paramFormats=*/nullptr, /*resultFormat=*/0)
          : PQsendQueryParams(conn_, sql.c_str(),
                              static_cast<int>(params.size()),
                              /*paramTypes=*/nullptr, values.data(),
                              /*paramLengths=*/nullptr,
                              /*paramFormats=*/nullptr, /*resultFormat=*/0);
  if (sent != 1) return Finish(nullptr);
  PgResult result = ReadResults(deadline);
  if (name != nullptr) NoteNamedFailure(sql, result);
  return result;
}

std::vector<PgResult> PgConnection::ExecPipeline(
    const std::vector<PgStatement>& statements, const PgDeadline& deadline) {
  StartPipeline(statements, deadline);
  return FinishPipeline(deadline);
}

void PgConnection::StartPipeline(const std::vector<PgStatement>& statements,
                                 const PgDeadline& deadline) {
  statements_run_ += static_cast<long>(statements.size());
  started_.clear();
  start_failure_.reset();
  auto lost = [&](const std::string& why) {
    broken_ = true;
    start_failure_ = PgResult(nullptr, true, why);
  };
  // The answers of all of them are owed, whatever happens below.
  for (const PgStatement& statement : statements) {
    started_.push_back(Started{statement.sql, Plan{}});
  }
  if (broken_) return lost("connection already broken");
  if (deadline.passed()) {
    start_failure_ = Expired(deadline);
    return;
  }
  if (PQenterPipelineMode(conn_) != 1) {
    return lost(OneLine(PQerrorMessage(conn_)));
  }
  std::vector<const char*> values;
  for (size_t i = 0; i < statements.size(); ++i) {
    const PgStatement& statement = statements[i];
    values.clear();
    for (const std::string& param : statement.params) {
      values.push_back(param.c_str());
    }
    const int count = static_cast<int>(statement.params.size());
    started_[i].plan = PlanFor(statement);
    const Plan& plan = started_[i].plan;
    if (plan.prepare &&
        PQsendPrepare(conn_, plan.name.c_str(), statement.sql.c_str(), count,
                      /*paramTypes=*/nullptr) != 1) {
      return lost(OneLine(PQerrorMessage(conn_)));
    }
    const int sent =
        plan.name.empty()
            ? PQsendQueryParams(conn_, statement.sql.c_str(), count,
                                /*paramTypes=*/nullptr, values.data(),
                                /*paramLengths=*/nullptr,
                                /*paramFormats=*/nullptr, /*resultFormat=*/0)
            : PQsendQueryPrepared(conn_, plan.name.c_str(), count,
                                  values.data(), /*paramLengths=*/nullptr,
                                  /*paramFormats=*/nullptr,
                                  /*resultFormat=*/0);
    if (sent != 1) return lost(OneLine(PQerrorMessage(conn_)));
  }
  // Queues the Sync; FinishPipeline sends what the socket did not take.
  if (PQpipelineSync(conn_) != 1) {
    return lost(OneLine(PQerrorMessage(conn_)));
  }
  // Without blocking: the server starts on it while this thread does
  // something else. A full socket is flushed by AwaitReady later.
  if (PQflush(conn_) < 0) return lost(OneLine(PQerrorMessage(conn_)));
}

std::vector<PgResult> PgConnection::FinishPipeline(const PgDeadline& deadline) {
  const std::vector<Started> started = std::move(started_);
  started_.clear();
  const size_t count = started.size();
  std::vector<PgResult> results;
  results.reserve(count);
  // Everything not answered yet shares the fate of the first unanswered:
  // lost with the session, or timed out.
  auto lose_rest = [&](PgResult first) {
    broken_ = true;
    const bool timed_out = first.timed_out();
    const std::string why = first.error_message();
    if (results.size() < count) results.push_back(std::move(first));
    while (results.size() < count) {
      results.push_back(timed_out ? PgResult::TimedOut(deadline.budget_ms)
                                  : PgResult(nullptr, true, why));
    }
    return std::move(results);
  };
  if (start_failure_.has_value()) {
    PgResult failure = std::move(*start_failure_);
    start_failure_.reset();
    return lose_rest(std::move(failure));
  }
  // Each command's answer ends with a null result; one command of the
  // extended protocol has exactly one answer. nullopt when the end came;
  // else the fate of everything not answered yet.
  auto end_of_answer = [&]() -> std::optional<PgResult> {
    if (std::optional<PgResult> failure = AwaitReady(deadline)) {
      return failure;
    }
    if (PGresult* extra = PQgetResult(conn_)) {
      PQclear(extra);
      return PgResult(nullptr, true, "pipeline out of step");
    }
    return std::nullopt;
  };
  for (size_t i = 0; i < count; ++i) {
    const Plan& plan = started[i].plan;
    const std::string& sql = started[i].sql;
    // A failed (or skipped) Parse: the statement's own answer, whatever
    // the server then says to running it (skipped as well).
    std::optional<PgResult> refused;
    auto fail = [&](PgResult why) {
      if (refused.has_value()) results.push_back(std::move(*refused));
      return lose_rest(std::move(why));
    };
    if (plan.prepare) {
      if (std::optional<PgResult> failure = AwaitReady(deadline)) {
        return lose_rest(std::move(*failure));
      }
      PgResult parsed = Finish(PQgetResult(conn_));
      if (parsed.connection_lost()) return lose_rest(std::move(parsed));
      if (std::optional<PgResult> failure = end_of_answer()) {
        return lose_rest(std::move(*failure));
      }
      auto it = named_.find(sql);
      if (parsed.ok()) {
        if (it != named_.end()) it->second.prepared = true;
      } else {
        if (it != named_.end() && !it->second.prepared) named_.erase(it);
        refused.emplace(std::move(parsed));
      }
    }
    if (std::optional<PgResult> failure = AwaitReady(deadline)) {
      return fail(std::move(*failure));
    }
    PgResult result = Finish(PQgetResult(conn_));
    const bool session_lost = result.connection_lost();
    if (session_lost) return fail(std::move(result));
    if (refused.has_value()) {
      results.push_back(std::move(*refused));
      refused.reset();
    } else {
      if (!plan.name.empty()) NoteNamedFailure(sql, result);
      results.push_back(std::move(result));
    }
    if (std::optional<PgResult> failure = end_of_answer()) {
      return lose_rest(std::move(*failure));
    }
  }
  if (std::optional<PgResult> failure = AwaitReady(deadline)) {
    // Every statement was answered; only the Sync's answer is missing.
    broken_ = true;
    return results;
  }
  PGresult* sync = PQgetResult(conn_);
  const bool synced =
      sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced || PQexitPipelineMode(conn_) != 1) {
    // Answers are out of step with the statements: never reuse it.
    broken_ = true;
  }
  return results;
}

Result<std::string> PgConnection::QuoteLiteral(std::string_view text) {
  char* quoted = PQescapeLiteral(conn_, text.data(), text.size());
  if (quoted == nullptr) {
    return Status::Internal("PQescapeLiteral: " +
                            OneLine(PQerrorMessage(conn_)));
  }
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

bool PgConnection::ReusableForPool() const {
  return !broken_ && PQstatus(conn_) == CONNECTION_OK &&
         PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

bool PgConnection::CheckAlive() {
  // libpq sockets are non-blocking underneath, so PQconsumeInput only takes
  // what already arrived, and PQisBusy parses it: a terminated backend's
  // FATAL notice (see OnNotice) or EOF.
  if (broken_ || PQstatus(conn_) != CONNECTION_OK ||
      PQconsumeInput(conn_) == 0) {
    broken_ = true;
    return false;
  }
  (void)PQisBusy(conn_);
  if (broken_ || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return false;
  }
  return true;
}

PgResult PgConnection::Finish(PGresult* result) {
  bool session_lost = result == nullptr || PQstatus(conn_) != CONNECTION_OK;
  if (result != nullptr) {
    const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const char* severity =
        PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
    if ((sqlstate != nullptr && SqlStateEndsSession(sqlstate)) ||
        SeverityEndsSession(severity) ||
        PQresultStatus(result) == PGRES_BAD_RESPONSE) {
      session_lost = true;
    }
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT ||
        status == PGRES_COPY_BOTH) {
      // The session now waits for COPY data: unusable for anything else.
      PQclear(result);
      broken_ = true;
      return PgResult::ClientError(StatusCode::kInvalidArgument,
                                   "COPY is not supported");
    }
  }
  if (session_lost) broken_ = true;
  std::string libpq_error =
      session_lost ? OneLine(PQerrorMessage(conn_)) : std::string();
  return PgResult(result, session_lost, std::move(libpq_error));
}

}  // namespace xatm
