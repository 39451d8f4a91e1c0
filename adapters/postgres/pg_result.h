// PgResult: owns one libpq PGresult (PQclear on destruction) and reads it
// as the adapter needs: success, command tag, affected rows, text rows, and
// the error as a Status.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/postgres/pg_error.h"
#include "xatm/resource.h"
#include "xatm/status.h"

namespace xatm {

class PgResult {
 public:
  // Takes ownership of `result`, which is null when libpq could not send
  // the statement or read an answer. `connection_lost`: the server session
  // ended during the statement. `libpq_error`: the connection's error
  // message, used when the result has none of its own.
  PgResult(PGresult* result, bool connection_lost, std::string libpq_error);

  // An error found on the client side; nothing reached the server.
  static PgResult ClientError(StatusCode code, std::string message);
  // No answer within the deadline of `budget_ms`: the statement's outcome is
  // unknown and the connection is given up, as if the session were lost.
  static PgResult TimedOut(int64_t budget_ms);

  PgResult(PgResult&&) noexcept = default;
  PgResult& operator=(PgResult&&) noexcept = default;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  // The statement succeeded (PGRES_COMMAND_OK or PGRES_TUPLES_OK). Says
  // nothing of the command tag: PREPARE TRANSACTION "succeeds" with tag
  // ROLLBACK when the transaction had failed.
  bool ok() const;
  // The server reported an error (PGRES_FATAL_ERROR): in a pipeline it
  // skipped the rest of the round trip.
  bool server_error() const;
  // The session ended, or was given up (timed_out), during the statement.
  bool connection_lost() const { return connection_lost_; }
  bool timed_out() const { return timed_out_; }

  // Five characters, or empty when the server sent none (client-side error).
  std::string sqlstate() const;
  // The server's primary message, else libpq's; one line.
  std::string error_message() const;
  // "COMMIT", "ROLLBACK", "PREPARE TRANSACTION", "UPDATE 1"...
  std::string command_tag() const;
  // Rows affected (PQcmdTuples); 0 for commands without a count.
  int64_t affected_rows() const;
  // All rows as text; NULL is nullopt.
  std::vector<Row> rows() const;

  // The error as a Status whose message starts with `context`; `kind`
  // names the statement the SQLSTATE answers (see PgStatementKind).
  // REQUIRES: !ok().
  Status ToStatus(std::string_view context,
                  PgStatementKind kind = PgStatementKind::kOther) const;

 private:
  struct Clear {
    void operator()(PGresult* result) const { PQclear(result); }
  };

  std::unique_ptr<PGresult, Clear> result_;
  bool connection_lost_ = false;
  bool timed_out_ = false;
  std::string libpq_error_;
  // Set by ClientError: the code to report when no SQLSTATE applies.
  StatusCode client_error_code_ = StatusCode::kOk;
};

}  // namespace xatm
