// PgConnection: one libpq connection, closed (PQfinish) on destruction.
// A connection whose session died is marked broken for good; the pool never
// hands it out again. Not thread-safe: one thread at a time.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/postgres/pg_result.h"
#include "tm/status.h"

namespace xatm {

// One statement with $1..$n placeholders and its text parameters.
struct PgStatement {
  std::string sql;
  std::vector<std::string> params;
};

class PgConnection {
 public:
  // Connects with `conninfo` (keywords or a URI; no password in it: libpq
  // reads PGPASSWORD or ~/.pgpass). `connect_timeout_s` <= 0: libpq's
  // default. `lock_timeout_ms` > 0 becomes the session's lock_timeout.
  // Unavailable when the server cannot be reached or refuses.
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& conninfo,
                                                    int connect_timeout_s,
                                                    int lock_timeout_ms = 0);

  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` as a simple query: one or more statements, no parameters.
  PgResult Exec(const std::string& sql);
  // Runs one statement with text parameters bound to $1..$n.
  PgResult ExecParams(const std::string& sql,
                      const std::vector<std::string>& params);
  // Runs `statements` in one round trip (libpq pipeline mode: all sent, one
  // Sync, then every answer read) and returns one result per statement, in
  // order. After a failed statement the server skips the rest up to the
  // Sync: their results are PGRES_PIPELINE_ABORTED (not ok, no SQLSTATE).
  // A lost session makes the results from there on connection-lost ones.
  // The connection leaves pipeline mode before returning, or is broken.
  std::vector<PgResult> ExecPipeline(
      const std::vector<PgStatement>& statements);

  // `text` as a quoted SQL string literal, for statements that take no bind
  // parameters (PREPARE TRANSACTION, COMMIT PREPARED).
  Result<std::string> QuoteLiteral(std::string_view text);

  // The session is known to be gone (sticky).
  bool broken() const { return broken_; }
  // Healthy and outside any transaction: fit to go back to the pool.
  bool ReusableForPool() const;
  // Reads what the server sent while the connection sat idle, without
  // blocking: false when the session ended meanwhile (terminated backend,
  // server restart). Marks the connection broken then.
  bool CheckAlive();
  // Whether any statement ran on this connection (it came from the pool).
  bool used() const { return statements_run_ > 0; }

 private:
  explicit PgConnection(PGconn* conn);
  // libpq notice receiver: logs notices, and notes a FATAL one (a backend
  // terminated while the connection sat idle sends one before closing).
  static void OnNotice(void* self, const PGresult* notice);
  // Wraps what libpq returned and notes a lost session.
  PgResult Finish(PGresult* result);

  PGconn* conn_;
  bool broken_ = false;
  long statements_run_ = 0;
};

}  // namespace xatm
