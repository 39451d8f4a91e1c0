// PgConnection: one libpq connection, closed (PQfinish) on destruction.
// A connection whose session died is marked broken for good; the pool never
// hands it out again. Not thread-safe: one thread at a time.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "adapters/pool_gauges.h"
#include "adapters/postgres/pg_deadline.h"
#include "adapters/postgres/pg_result.h"
#include "xatm/status.h"

namespace xatm {

// One statement with $1..$n placeholders and its text parameters.
struct PgStatement {
  std::string sql;
  std::vector<std::string> params;
};

// How to open a connection.
struct PgConnectOptions {
  // Keywords or a URI; no password in it (libpq reads PGPASSWORD or
  // ~/.pgpass). Never logged or put in a message: it may hold a secret.
  std::string conninfo;
  // Seconds; <= 0: no limit of its own (the caller's deadline still holds).
  int connect_timeout_s = 0;
  // > 0: the session's lock_timeout.
  int lock_timeout_ms = 0;
  // > 0: the session's idle_in_transaction_session_timeout (seconds), and
  // TCP keepalives after that long idle.
  int idle_in_transaction_s = 0;
  // Statements with parameters are prepared on the server once per session
  // (see PgConnection). Off behind a pooler that moves sessions between
  // transactions (PgBouncer before 1.21 in transaction mode).
  bool prepared_statements = true;
};

// Every call that talks to the server takes a deadline: it waits for
// nothing past it, and on expiry the connection is marked broken (never
// reused: the server may still run what was sent) and the result says
// "timed out after N ms". No cancel request is sent: PQcancel opens a new
// connection and waits for the server without any limit, so it could hang
// on the very server that timed out. The backend finds the closed socket
// when it next reads or writes (a statement it is running finishes first;
// lock_timeout bounds its lock waits) and rolls back what was not
// committed or prepared.
//
// Statements with parameters become named server-side prepared statements
// ("xatm_s1", ...), kept per session and keyed by their text, so the server
// parses and plans each once per session instead of on every run. The first run
// sends Parse in the same pipeline as the statement: no extra round trip; its
// answer is never one of the caller's results, except that a failed Parse (or
// one skipped after an earlier error) is that statement's answer, as before. A
// statement counts as prepared only once its Parse succeeded. Statements
// without parameters (they carry literals, such as PREPARE TRANSACTION 'gid')
// are never kept. At most 64 are kept (further ones run unnamed); names are
// never reused in a session, so a Parse never meets a name still in use. When
// the server no longer knows a kept name (26000: DISCARD ALL or DEALLOCATE ran
// on the session), the session's names are forgotten and the error is reported
// as it is: a statement is never repeated behind the caller's back. A statement
// whose result columns changed under it (0A000) fails once likewise and is
// forgotten, so its next run parses it anew. A broken connection is never
// reused, so its names die with it.
class PgConnection {
 public:
  // Connects (PQconnectStartParams + PQconnectPoll, bounded by `deadline`
  // and options.connect_timeout_s) and switches the connection to
  // non-blocking mode. Unavailable when the server cannot be reached, does
  // not answer in time, or refuses. The message never holds the conninfo
  // string (see ConnectErrorMessage). Host names are resolved inside libpq
  // (getaddrinfo), which no deadline bounds: give addresses (host=IP or
  // hostaddr) where a hung resolver must not stall a transaction.
  static Result<std::unique_ptr<PgConnection>> Open(
      const PgConnectOptions& options, const PgDeadline& deadline);

  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` as a simple query: one or more statements, no parameters.
  // The result is the first failed statement's, else the last one's.
  PgResult Exec(const std::string& sql, const PgDeadline& deadline);
  // Runs one statement with text parameters bound to $1..$n.
  PgResult ExecParams(const std::string& sql,
                      const std::vector<std::string>& params,
                      const PgDeadline& deadline);
  // Runs `statements` in one round trip (libpq pipeline mode: all sent, one
  // Sync, then every answer read) and returns one result per statement, in
  // order. After a failed statement the server skips the rest up to the
  // Sync: their results are PGRES_PIPELINE_ABORTED (not ok, no SQLSTATE).
  // A lost session, or the deadline, makes the results from there on
  // connection-lost (or timed-out) ones. The connection leaves pipeline
  // mode before returning, or is broken.
  std::vector<PgResult> ExecPipeline(const std::vector<PgStatement>& statements,
                                     const PgDeadline& deadline);
  // ExecPipeline in two halves, so that one thread can have several
  // connections' round trips under way at once: StartPipeline sends what
  // the socket takes without blocking and returns; FinishPipeline (with the
  // same deadline) waits for and reads the answers. Nothing else may run
  // on the connection in between.
  void StartPipeline(const std::vector<PgStatement>& statements,
                     const PgDeadline& deadline);
  std::vector<PgResult> FinishPipeline(const PgDeadline& deadline);

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
  // Counts this connection in its pool's open gauge while it lives.
  void set_open_ticket(PoolGauges::OpenTicket ticket) {
    open_ticket_ = std::move(ticket);
  }

 private:
  // A server-side prepared statement of this session.
  struct Named {
    std::string name;
    bool prepared = false;  // its Parse succeeded
  };
  // How one statement goes out: unnamed when `name` is empty; with
  // `prepare`, its Parse goes first in the same round trip.
  struct Plan {
    std::string name;
    bool prepare = false;
  };

  PgConnection(PGconn* conn, bool prepared_statements);
  // libpq notice receiver: logs notices, and notes a FATAL one (a backend
  // terminated while the connection sat idle sends one before closing).
  static void OnNotice(void* self, const PGresult* notice);
  // Wraps what libpq returned and notes a lost session.
  PgResult Finish(PGresult* result);
  // The deadline passed (maybe before anything was sent): the connection
  // is given up, and this is the result to return.
  PgResult Expired(const PgDeadline& deadline);
  // Sends what is unsent and waits until PQgetResult will not block.
  // nullopt when it will not; else the result to return instead (timed
  // out, or the lost session's), and the connection is broken.
  std::optional<PgResult> AwaitReady(const PgDeadline& deadline);
  // Reads a simple query's or one statement's results up to their end.
  PgResult ReadResults(const PgDeadline& deadline);
  // Another statement may be named in this session.
  bool HasRoom() const;
  // How `statement` is sent in this session; a statement to prepare gets a
  // new name, kept unprepared until its Parse succeeds.
  Plan PlanFor(const PgStatement& statement);
  // Forgets what a failed run of the kept statement `sql` shows gone.
  void NoteNamedFailure(const std::string& sql, const PgResult& result);

  // First: released last, once the session is closed.
  PoolGauges::OpenTicket open_ticket_;
  PGconn* conn_;
  bool broken_ = false;
  long statements_run_ = 0;
  // Between StartPipeline and FinishPipeline: each statement sent, and the
  // result standing for all of them when sending failed.
  struct Started {
    std::string sql;
    Plan plan;
  };
  std::vector<Started> started_;
  std::optional<PgResult> start_failure_;
  const bool prepared_statements_;
  // SQL text -> its server-side statement.
  std::unordered_map<std::string, Named> named_;
  // Names handed out in this session (never reused).
  long names_issued_ = 0;
};

}  // namespace xatm
