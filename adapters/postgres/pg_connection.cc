#include "adapters/postgres/pg_connection.h"

#include <spdlog/spdlog.h>

#include <cstring>
#include <utility>

#include "adapters/postgres/pg_error.h"

namespace xatm {
namespace {

bool SeverityEndsSession(const char* severity) {
  return severity != nullptr && (std::strcmp(severity, "FATAL") == 0 ||
                                 std::strcmp(severity, "PANIC") == 0);
}

}  // namespace

Result<std::unique_ptr<PgConnection>> PgConnection::Open(
    const std::string& conninfo, int connect_timeout_s, int lock_timeout_ms) {
  const std::string timeout =
      connect_timeout_s > 0 ? std::to_string(connect_timeout_s) : "";
  // Processed in order, later values win: the conninfo may choose its own
  // encoding and application name, the configured timeout always applies.
  // Empty values are ignored by libpq.
  const char* keywords[] = {"client_encoding", "fallback_application_name",
                            "dbname", "connect_timeout", nullptr};
  const char* values[] = {"UTF8", "xatm", conninfo.c_str(), timeout.c_str(),
                          nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return Status::Unavailable(
        "connect: libpq could not allocate a connection");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    // libpq's message names host and user, never the password.
    std::string message = OneLine(PQerrorMessage(conn));
    PQfinish(conn);
    return Status::Unavailable("connect: " + message);
  }
  std::unique_ptr<PgConnection> connection(new PgConnection(conn));
  if (lock_timeout_ms > 0) {
    // Once per session instead of once per transaction: a round trip saved
    // on every branch. Plain SET: it outlives transactions.
    PgResult set = connection->Exec("SET lock_timeout = " +
                                    std::to_string(lock_timeout_ms));
    if (!set.ok()) return set.ToStatus("connect: SET lock_timeout");
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

PgResult PgConnection::Exec(const std::string& sql) {
  ++statements_run_;
  if (broken_) return PgResult(nullptr, true, "connection already broken");
  return Finish(PQexec(conn_, sql.c_str()));
}

PgResult PgConnection::ExecParams(const std::string& sql,
                                  const std::vector<std::string>& params) {
  ++statements_run_;
  if (broken_) return PgResult(nullptr, true, "connection already broken");
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& param : params) values.push_back(param.c_str());
  return Finish(PQexecParams(conn_, sql.c_str(),
                             static_cast<int>(params.size()),
                             /*paramTypes=*/nullptr, values.data(),
                             /*paramLengths=*/nullptr, /*paramFormats=*/nullptr,
                             /*resultFormat=*/0));
}

std::vector<PgResult> PgConnection::ExecPipeline(
    const std::vector<PgStatement>& statements) {
  statements_run_ += static_cast<long>(statements.size());
  std::vector<PgResult> results;
  results.reserve(statements.size());
  // Everything not answered yet counts as lost with the session.
  auto lose_rest = [&](const std::string& why) {
    broken_ = true;
    while (results.size() < statements.size()) {
      results.emplace_back(nullptr, true, why);
    }
    return std::move(results);
  };
  if (broken_) return lose_rest("connection already broken");
  if (PQenterPipelineMode(conn_) != 1) {
    return lose_rest(OneLine(PQerrorMessage(conn_)));
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
      return lose_rest(OneLine(PQerrorMessage(conn_)));
    }
  }
  // Sends the Sync and flushes (the connection is in blocking mode).
  if (PQpipelineSync(conn_) != 1) {
    return lose_rest(OneLine(PQerrorMessage(conn_)));
  }
  for (size_t i = 0; i < statements.size(); ++i) {
    PgResult result = Finish(PQgetResult(conn_));
    const bool lost = result.connection_lost();
    results.push_back(std::move(result));
    if (lost) return lose_rest(OneLine(PQerrorMessage(conn_)));
    // Each statement's answer ends with a null result; one statement of
    // the extended protocol has exactly one answer.
    if (PGresult* extra = PQgetResult(conn_)) {
      PQclear(extra);
      return lose_rest("pipeline out of step");
    }
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
