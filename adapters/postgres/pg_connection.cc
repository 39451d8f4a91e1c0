#include "adapters/postgres/pg_connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "adapters/postgres/pg_error.h"
#include "adapters/postgres/pg_wait.h"

namespace xatm {
namespace {

bool SeverityEndsSession(const char* severity) {
  return severity != nullptr && (std::strcmp(severity, "FATAL") == 0 ||
                                 std::strcmp(severity, "PANIC") == 0);
}

}  // namespace

Result<std::unique_ptr<PgConnection>> PgConnection::Open(
    const PgConnectOptions& options, const Deadline& deadline) {
  const Deadline limit = deadline.EarlierOf(
      Deadline::InMs(static_cast<int64_t>(options.connect_timeout_s) * 1000));
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
  std::unique_ptr<PgConnection> connection(new PgConnection(conn));
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

PgConnection::PgConnection(PGconn* conn) : conn_(conn) {
  // Notices (warnings such as 25P01) go to the log, not to stderr.
  PQsetNoticeReceiver(conn_, &PgConnection::OnNotice, this);
}

PgConnection::~PgConnection() { PQfinish(conn_); }

void PgConnection::OnNotice(void* self, const PGresult* notice) {
  const char* severity =
      PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  spdlog::debug("postgresql notice: {}", OneLine(PQresultErrorMessage(notice)));
  if (SeverityEndsSession(severity)) {
    static_cast<PgConnection*>(self)->broken_ = true;
  }
}

PgResult PgConnection::Expired(const Deadline& deadline) {
  broken_ = true;
  return PgResult::TimedOut(deadline.budget_ms);
}

std::optional<PgResult> PgConnection::AwaitReady(const Deadline& deadline) {
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

PgResult PgConnection::ReadResults(const Deadline& deadline) {
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

PgResult PgConnection::Exec(const std::string& sql, const Deadline& deadline) {
  ++statements_run_;
  if (broken_) return PgResult(nullptr, true, "connection already broken");
  if (deadline.passed()) return Expired(deadline);
  if (PQsendQuery(conn_, sql.c_str()) != 1) return Finish(nullptr);
  return ReadResults(deadline);
}

PgResult PgConnection::ExecParams(const std::string& sql,
                                  const std::vector<std::string>& params,
                                  const Deadline& deadline) {
  ++statements_run_;
  if (broken_) return PgResult(nullptr, true, "connection already broken");
  if (deadline.passed()) return Expired(deadline);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& param : params) values.push_back(param.c_str());
  if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(params.size()),
                        /*paramTypes=*/nullptr, values.data(),
                        /*paramLengths=*/nullptr, /*paramFormats=*/nullptr,
                        /*resultFormat=*/0) != 1) {
    return Finish(nullptr);
  }
  return ReadResults(deadline);
}

std::vector<PgResult> PgConnection::ExecPipeline(
    const std::vector<PgStatement>& statements, const Deadline& deadline) {
  StartPipeline(statements, deadline);
  return FinishPipeline(deadline);
}

void PgConnection::StartPipeline(const std::vector<PgStatement>& statements,
                                 const Deadline& deadline) {
  statements_run_ += static_cast<long>(statements.size());
  started_count_ = statements.size();
  start_failure_.reset();
  auto lost = [&](const std::string& why) {
    broken_ = true;
    start_failure_ = PgResult(nullptr, true, why);
  };
  if (broken_) return lost("connection already broken");
  if (deadline.passed()) {
    start_failure_ = Expired(deadline);
    return;
  }
  if (PQenterPipelineMode(conn_) != 1) {
    return lost(OneLine(PQerrorMessage(conn_)));
  }
  std::vector<const char*> values;
  for (const PgStatement& statement : statements) {
    values.clear();
    for (const std::string& param : statement.params) {
      values.push_back(param.c_str());
    }
    if (PQsendQueryParams(conn_, statement.sql.c_str(),
                          static_cast<int>(statement.params.size()),
                          /*paramTypes=*/nullptr, values.data(),
                          /*paramLengths=*/nullptr, /*paramFormats=*/nullptr,
                          /*resultFormat=*/0) != 1) {
      return lost(OneLine(PQerrorMessage(conn_)));
    }
  }
  // Queues the Sync; FinishPipeline sends what the socket did not take.
  if (PQpipelineSync(conn_) != 1) {
    return lost(OneLine(PQerrorMessage(conn_)));
  }
  // Without blocking: the server starts on it while this thread does
  // something else. A full socket is flushed by AwaitReady later.
  if (PQflush(conn_) < 0) return lost(OneLine(PQerrorMessage(conn_)));
}

std::vector<PgResult> PgConnection::FinishPipeline(const Deadline& deadline) {
  const size_t count = started_count_;
  started_count_ = 0;
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
  auto lost = [&](const std::string& why) {
    return lose_rest(PgResult(nullptr, true, why));
  };
  if (start_failure_.has_value()) {
    PgResult failure = std::move(*start_failure_);
    start_failure_.reset();
    return lose_rest(std::move(failure));
  }
  for (size_t i = 0; i < count; ++i) {
    if (std::optional<PgResult> failure = AwaitReady(deadline)) {
      return lose_rest(std::move(*failure));
    }
    PgResult result = Finish(PQgetResult(conn_));
    const bool session_lost = result.connection_lost();
    if (session_lost) return lose_rest(std::move(result));
    results.push_back(std::move(result));
    // Each statement's answer ends with a null result; one statement of
    // the extended protocol has exactly one answer.
    if (std::optional<PgResult> failure = AwaitReady(deadline)) {
      return lose_rest(std::move(*failure));
    }
    if (PGresult* extra = PQgetResult(conn_)) {
      PQclear(extra);
      return lost("pipeline out of step");
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
