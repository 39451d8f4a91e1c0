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
    const std::string& conninfo, int connect_timeout_s) {
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
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
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
