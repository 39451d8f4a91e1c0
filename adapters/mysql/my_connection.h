// One client connection to MariaDB / MySQL: RAII around sql::Connection.
// Every call catches the driver's exceptions and answers with a MyStatus
// (Open with a Result, as PgConnection::Open does); an error that leaves
// the link unusable marks the connection broken, and a broken connection
// is never reused (the pool closes it).
//
// Not thread-safe: one thread at a time (any thread; each registers itself
// with the driver on first use).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/mysql/my_error.h"
#include "adapters/pool_gauges.h"
#include "xatm/resource.h"
#include "xatm/resource_config.h"

namespace sql {
class Connection;
class PreparedStatement;
}  // namespace sql

namespace xatm {

// When a call must have returned; nullopt: no limit beyond the request
// timeout.
using MyDeadline = std::optional<std::chrono::steady_clock::time_point>;

// Rows this session has written so far, by the server's own count
// (Handler_write + Handler_update + Handler_delete; writes to internal
// temporary tables count elsewhere). Exact and immediate, unlike
// information_schema.INNODB_TRX, which is a cache refreshed at most every
// 100 ms after its last read. About 0.3 ms of server time per read.
inline constexpr char kRowWritesSql[] =
    "SELECT SUM(VARIABLE_VALUE) FROM information_schema.SESSION_STATUS "
    "WHERE VARIABLE_NAME IN ('HANDLER_WRITE', 'HANDLER_UPDATE', "
    "'HANDLER_DELETE')";
// The count in the rows of kRowWritesSql; nullopt if unreadable.
std::optional<int64_t> ParseRowWrites(const std::vector<Row>& rows);

class MyConnection {
 public:
  // Connects with autocommit on, multiple statements per query allowed,
  // affected rows counting matched rows (CLIENT_FOUND_ROWS, as PostgreSQL
  // does), no automatic reconnect (a silent reconnect would lose an XA
  // branch). Sets the session's lock wait limit and idle timeout
  // (wait_timeout = idle_session_timeout_s). The error never contains the
  // password.
  //
  // Every call on the connection, the connect included, is bounded by
  // config.request_timeout_ms and by the deadline (set_deadline) when
  // earlier: past it the call fails with my_errc::kTimedOut ("timed out after
  // N ms") and the connection is broken. A blocked call is cut by shutting
  // its socket down (my_call_watchdog.h); when the socket cannot be found (a
  // proxy in between) the client library's own read/write timeouts, whole
  // seconds set at connect, are the bound.
  //
  // The error's code is StatusCodeFor the driver's error, its message that
  // error described ("error 1045 (28000) Access denied...").
  static Result<std::unique_ptr<MyConnection>> Open(
      const ResourceConfig& config, MyDeadline deadline = std::nullopt);

  ~MyConnection();
  MyConnection(const MyConnection&) = delete;
  MyConnection& operator=(const MyConnection&) = delete;

  // The server's id for this session (CONNECTION_ID(), the KILL target).
  int64_t session_id() const { return session_id_; }
  // When the server started (Unix seconds, +-1): tells whether a session id
  // remembered from earlier belongs to this server's lifetime (ids restart
  // from 1 after a restart).
  int64_t server_boot_s() const { return server_boot_s_; }

  // The link is gone or out of sync: close, never reuse.
  bool broken() const { return broken_; }
  // For owners that know the session state is unfit for reuse.
  void MarkBroken() { broken_ = true; }

  // Bounds every later call (with the request timeout); nullopt: only the
  // request timeout.
  void set_deadline(MyDeadline deadline) { deadline_ = deadline; }
  // Whether calls can be cut at their deadline (the socket is known).
  bool watched() const { return socket_fd_ >= 0; }

  // The row-write count (kRowWritesSql) as last read on this session with
  // nothing written since; nullopt when unknown. Taking it forgets it: the
  // taker writes, and sets it again only if it read the count afterwards.
  std::optional<int64_t> TakeRowWrites() {
    std::optional<int64_t> v = row_writes_;
    row_writes_.reset();
    return v;
  }
  void set_row_writes(std::optional<int64_t> v) { row_writes_ = v; }
  // The session's last branch surely wrote and did not read the count (see
  // MyBranch::Prepare): the next branch on it likely writes too, so its
  // start does not read the count either.
  bool last_branch_wrote() const { return last_branch_wrote_; }
  void set_last_branch_wrote(bool wrote) { last_branch_wrote_ = wrote; }

  // When the last call on this connection ended.
  std::chrono::steady_clock::time_point last_used() const { return last_used_; }

  // A server round trip; false (and broken) when the link is gone.
  bool Ping();

  // One statement without parameters through the text protocol (XA
  // statements, KILL). Any result set is read and dropped.
  MyStatus Run(const std::string& sql);
  MyStatus RunQuery(const std::string& sql, std::vector<Row>* rows);

  // Several statements in one round trip, all results consumed (see
  // my_sql_script.h). Stops at the first failing statement.
  MyStatus RunScript(const std::string& script);

  // `statements` (each one statement with one answer: no CALL, no ';'
  // inside) sent as one multi-statement query: one round trip. Stops at
  // the first failing statement; `*completed` counts those that succeeded
  // before it (all of them on OK). After a lost connection the statements
  // past `*completed` may or may not have run. The rows of statements that
  // return rows go to `*rows` (if given), in order.
  MyStatus RunBatch(const std::vector<std::string>& statements,
                    size_t* completed, std::vector<Row>* rows = nullptr);

  // One statement with '?' placeholders as a server-side prepared statement
  // (cached per connection); every parameter is bound as a string.
  MyStatus Execute(const std::string& sql,
                   const std::vector<std::string>& params, int64_t* affected);
  MyStatus Query(const std::string& sql, const std::vector<std::string>& params,
                 std::vector<Row>* rows);

  // Counts this connection in its pool's open gauge while it lives.
  void set_open_ticket(PoolGauges::OpenTicket ticket) {
    open_ticket_ = std::move(ticket);
  }

 private:
  explicit MyConnection(std::unique_ptr<sql::Connection> conn);

  // Open's steps once connected. Bounds every call by the request timeout,
  // and the set-up calls by `connect_bound` (max(): none) too.
  void LimitCalls(const ResourceConfig& config,
                  std::chrono::steady_clock::time_point connect_bound);
  // Reads the session id, the server's start and autocommit; finds the
  // socket to watch and turns autocommit on if it was off.
  MyStatus ReadSessionInfo(const ResourceConfig& config);
  // Sets the session's lock wait and idle limits, if configured.
  MyStatus ApplySessionSettings(const ResourceConfig& config);
  // Records a failure: marks the connection broken when the error means so.
  MyStatus Fail(MyError e);
  // Runs `body` (one call to the server) within the call's deadline.
  template <typename Body>
  MyStatus Bounded(Body&& body);
  // The deadline of a call starting at `start`.
  std::chrono::steady_clock::time_point CallDeadline(
      std::chrono::steady_clock::time_point start) const;
  // The cached prepared statement for `sql`, preparing it if needed.
  sql::PreparedStatement* Prepare(const std::string& sql);
  // Execute and Query: `sql` as the cached prepared statement, checked to
  // return rows or not (`returns_rows`), `params` bound, then `run(ps)`;
  // a failed statement leaves the cache.
  template <typename Step>
  MyStatus RunPrepared(const std::string& sql,
                       const std::vector<std::string>& params,
                       bool returns_rows, Step&& run);
  void Touch();

  // First: released last, once the session is closed.
  PoolGauges::OpenTicket open_ticket_;
  std::unique_ptr<sql::Connection> conn_;
  // Declared after conn_: statements go before their connection does.
  std::map<std::string, std::unique_ptr<sql::PreparedStatement>> statements_;
  int64_t session_id_ = 0;
  int64_t server_boot_s_ = 0;
  bool broken_ = false;
  int socket_fd_ = -1;  // -1: unknown, calls are not watched
  std::chrono::milliseconds request_timeout_{0};  // 0: none
  MyDeadline deadline_;
  std::optional<int64_t> row_writes_;
  bool last_branch_wrote_ = false;
  std::chrono::steady_clock::time_point last_used_;
};

}  // namespace xatm
