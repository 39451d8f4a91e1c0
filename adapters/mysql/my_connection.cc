#include "adapters/mysql/my_connection.h"

#include <cppconn/connection.h>
#include <cppconn/datatype.h>
#include <cppconn/exception.h>
#include <cppconn/parameter_metadata.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <utility>

#include "adapters/mysql/my_call_watchdog.h"
#include "adapters/mysql/my_driver.h"
#include "adapters/mysql/my_socket_lookup.h"
#include "adapters/mysql/my_sql_script.h"
#include "adapters/mysql/my_tls_guard.h"
#include "adapters/mysql/my_tls_options.h"
#include "xatm/logging.h"

namespace xatm {
namespace {

using Clock = std::chrono::steady_clock;

// Per read / write on the socket when there is no request timeout.
constexpr int kIoTimeoutSeconds = 60;

int64_t MsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from)
      .count();
}

// Whole seconds, rounded up, at least 1.
int CeilSeconds(int64_t ms) {
  return static_cast<int>(std::max<int64_t>(1, (ms + 999) / 1000));
}

// The port in "host:port" (information_schema.PROCESSLIST.HOST); -1 if none.
int PortOfHost(const std::optional<std::string>& host) {
  if (!host) return -1;
  size_t colon = host->rfind(':');
  if (colon == std::string::npos) return -1;
  int port = -1;
  const char* begin = host->data() + colon + 1;
  const char* end = host->data() + host->size();
  std::from_chars_result r = std::from_chars(begin, end, port);
  return r.ec == std::errc() && r.ptr == end ? port : -1;
}

// Prepared statements kept per connection; the cache is simply emptied
// when full (a transfer uses a handful of distinct statements).
constexpr size_t kMaxCachedStatements = 64;

// Replaces every occurrence of `secret` in `text`.
std::string Redact(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t pos = text.find(secret); pos != std::string::npos;
       pos = text.find(secret, pos)) {
    text.replace(pos, secret.size(), "<redacted>");
    pos += 10;
  }
  return text;
}

MyError InternalError(const std::exception& e) {
  return MyError{0, "HY000", std::string("driver: ") + e.what()};
}

// The shortest text that reads back as the same number, as the server
// prints it in the text protocol. Connector/C++ 1.1 formats binary-protocol
// floating point with "%f", which loses digits ("1e-10" -> "0.000000").
template <typename Float>
std::string FloatText(Float v) {
  char buf[64];
  std::to_chars_result r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

// Reads all rows of `rs` as text; NULL -> nullopt. `binary`: the result of
// a server-side prepared statement.
std::vector<Row> ReadRows(sql::ResultSet* rs, bool binary) {
  std::vector<Row> rows;
  sql::ResultSetMetaData* meta = rs->getMetaData();  // owned by rs
  const unsigned int columns = meta->getColumnCount();
  std::vector<int> types(columns + 1, sql::DataType::UNKNOWN);
  if (binary) {
    for (unsigned int i = 1; i <= columns; ++i) {
      types[i] = meta->getColumnType(i);
    }
  }
  while (rs->next()) {
    Row row;
    row.reserve(columns);
    for (unsigned int i = 1; i <= columns; ++i) {
      if (rs->isNull(i)) {
        row.emplace_back(std::nullopt);
      } else if (types[i] == sql::DataType::DOUBLE) {
        row.emplace_back(FloatText(static_cast<double>(rs->getDouble(i))));
      } else if (types[i] == sql::DataType::REAL) {
        row.emplace_back(FloatText(static_cast<float>(rs->getDouble(i))));
      } else {
        row.emplace_back(rs->getString(i).asStdString());
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

std::optional<int64_t> ParseRowWrites(const std::vector<Row>& rows) {
  if (rows.size() != 1 || rows[0].size() != 1 || !rows[0][0]) {
    return std::nullopt;
  }
  int64_t v = 0;
  const std::string& text = *rows[0][0];
  std::from_chars_result r =
      std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return v;
}

namespace {

// How long a connect may take: until the earlier of the request timeout
// and the caller's deadline.
struct ConnectBound {
  Clock::time_point start;
  Clock::time_point end;  // max(): no bound
  bool request_bounded;   // config.request_timeout_ms > 0
};

ConnectBound BoundOfConnect(const ResourceConfig& config, MyDeadline deadline) {
  ConnectBound bound;
  bound.start = Clock::now();
  bound.request_bounded = config.request_timeout_ms > 0;
  bound.end =
      bound.request_bounded
          ? bound.start + std::chrono::milliseconds(config.request_timeout_ms)
          : Clock::time_point::max();
  if (deadline && *deadline < bound.end) bound.end = *deadline;
  return bound;
}

// The driver's options: where to connect and as whom, the client library's
// timeouts, the session's protocol flags and TLS.
sql::ConnectOptionsMap ConnectOptions(const ResourceConfig& config,
                                      const ConnectBound& bound) {
  sql::ConnectOptionsMap options;
  options["hostName"] = sql::SQLString("tcp://" + config.host + ":" +
                                       std::to_string(config.port));
  options["userName"] = sql::SQLString(config.user);
  options["password"] = sql::SQLString(config.password);
  if (!config.database.empty()) {
    options["schema"] = sql::SQLString(config.database);
  }
  // The client library counts whole seconds and waits once per read (no
  // retries: measured). The connect timeout also covers the server's
  // greeting. Reads and writes get a second more than the request
  // timeout: the watchdog cuts a call first when it can.
  int connect_s = std::max(1, config.connect_timeout_s);
  if (bound.end != Clock::time_point::max()) {
    connect_s =
        std::min(connect_s, CeilSeconds(MsBetween(bound.start, bound.end)));
  }
  const int io_s = bound.request_bounded
                       ? CeilSeconds(config.request_timeout_ms) + 1
                       : kIoTimeoutSeconds;
  options["OPT_CONNECT_TIMEOUT"] = connect_s;
  options["OPT_READ_TIMEOUT"] = io_s;
  options["OPT_WRITE_TIMEOUT"] = io_s;
  options["OPT_RECONNECT"] = false;
  options["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  options["CLIENT_MULTI_STATEMENTS"] = true;
  options["CLIENT_FOUND_ROWS"] = true;
  AddTlsOptions(config, &options);
  return options;
}

// The error of a failed connect, without the password, with the TLS
// settings when they may explain it.
MyStatus ConnectError(const ResourceConfig& config,
                      const std::optional<MyTlsGuardScope>& guard,
                      MyError err) {
  // Connector/C++ and the server do not echo the password today; this
  // keeps it that way whatever a future version says.
  err.text = Redact(err.text, config.password);
  if (guard && guard->cipher().empty() &&
      err.code != my_errc::kCrSslConnectionError &&
      !IsConnectFailure(err.code) && !IsConnectionLost(err.code)) {
    // Past a greeting without plugin authentication (my_tls_guard.h).
    err.text += "; the session was never encrypted";
    err.text = WithTlsContext(config, std::move(err.text));
  } else if (err.code == my_errc::kCrSslConnectionError) {
    err.text = WithTlsContext(config, std::move(err.text));
  }
  return MyStatus(std::move(err));
}

// The session settings of `config` for SET SESSION; empty when none.
// InnoDB counts whole seconds: round up, never below the configured wait.
// The server ends a session idle for wait_timeout: a branch attached to the
// session of a dead or partitioned host is then released for recovery.
std::string SessionSettings(const ResourceConfig& config) {
  std::string set;
  if (config.lock_timeout_ms > 0) {
    set = "innodb_lock_wait_timeout = " +
          std::to_string(CeilSeconds(config.lock_timeout_ms));
  }
  if (config.idle_session_timeout_s > 0) {
    set += std::string(set.empty() ? "" : ", ") +
           "wait_timeout = " + std::to_string(config.idle_session_timeout_s);
  }
  return set;
}

// A failed open as a Status: StatusCodeFor's code, the error described.
Status OpenError(const MyStatus& s) {
  return Status(StatusCodeFor(s.error()), s.Describe());
}

}  // namespace

Result<std::unique_ptr<MyConnection>> MyConnection::Open(
    const ResourceConfig& config, MyDeadline deadline) {
  EnsureDriverThread();
  const ConnectBound bound = BoundOfConnect(config, deadline);
  if (bound.start >= bound.end) {
    return OpenError(
        MyStatus(MyError{my_errc::kTimedOut, "HYT00",
                         "connect: deadline passed before the call"}));
  }
  // In TLS modes the connect logs in through the guard (my_tls_guard.h).
  std::optional<MyTlsGuardScope> guard;
  if (config.ssl_mode != SslMode::kDisabled) {
    MyStatus registered = RegisterTlsGuard();
    if (!registered.ok()) return OpenError(registered);
    guard.emplace(config.password);
  }
  try {
    sql::ConnectOptionsMap options = ConnectOptions(config, bound);
    // connect() returns an owning raw pointer.
    std::unique_ptr<sql::Connection> raw(Driver()->connect(options));
    std::unique_ptr<MyConnection> conn(new MyConnection(std::move(raw)));
    if (guard) {
      // Logged in without the guard seeing TLS: the server hid plugin
      // authentication (my_tls_guard.h). No query of ours goes over it.
      MyStatus encrypted = CheckEncrypted(config, guard->cipher());
      if (!encrypted.ok()) return OpenError(encrypted);
    }
    conn->LimitCalls(config, bound.end);
    MyStatus s = conn->ReadSessionInfo(config);
    if (!s.ok()) return OpenError(s);
    s = conn->ApplySessionSettings(config);
    if (!s.ok()) return OpenError(s);
    conn->deadline_ = deadline;
    return conn;
  } catch (const sql::SQLException& e) {
    return OpenError(ConnectError(config, guard, FromException(e)));
  } catch (const std::exception& e) {
    return OpenError(ConnectError(config, guard, InternalError(e)));
  }
}

void MyConnection::LimitCalls(const ResourceConfig& config,
                              Clock::time_point connect_bound) {
  if (config.request_timeout_ms > 0) {
    request_timeout_ = std::chrono::milliseconds(config.request_timeout_ms);
  }
  // The set-up after the connect keeps the connect's bound.
  if (connect_bound != Clock::time_point::max()) deadline_ = connect_bound;
}

MyStatus MyConnection::ReadSessionInfo(const ResourceConfig& config) {
  std::vector<Row> rows;
  MyStatus s = RunQuery(
      "SELECT CONNECTION_ID(), @@autocommit, UNIX_TIMESTAMP() - "
      "CAST(VARIABLE_VALUE AS SIGNED), (SELECT HOST FROM "
      "information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()) FROM "
      "information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'UPTIME'",
      &rows);
  if (!s.ok()) return s;
  if (rows.size() != 1 || rows[0].size() != 4 || !rows[0][0] || !rows[0][2]) {
    return MyStatus(MyError{0, "HY000", "unexpected CONNECTION_ID() answer"});
  }
  session_id_ = std::stoll(*rows[0][0]);
  server_boot_s_ = std::stoll(*rows[0][2]);
  socket_fd_ = FindTcpSocket(PortOfHost(rows[0][3]), config.port);
  if (socket_fd_ < 0) {
    Logger()->debug(
        "mysql resource '{}': socket of session {} not found (a proxy?): "
        "calls are bounded by whole-second read timeouts only",
        config.name, session_id_);
  }
  EnableKeepalive(socket_fd_, config.idle_session_timeout_s);
  if (rows[0][1] != std::optional<std::string>("1")) {
    conn_->setAutoCommit(true);
  }
  return MyStatus::Ok();
}

MyStatus MyConnection::ApplySessionSettings(const ResourceConfig& config) {
  // Once per session instead of once per transaction.
  const std::string set = SessionSettings(config);
  if (set.empty()) return MyStatus::Ok();
  return Run("SET SESSION " + set);
}

MyConnection::MyConnection(std::unique_ptr<sql::Connection> conn)
    : conn_(std::move(conn)), last_used_(std::chrono::steady_clock::now()) {}

MyConnection::~MyConnection() {
  EnsureDriverThread();
  try {
    statements_.clear();
    if (conn_ && !conn_->isClosed()) conn_->close();
  } catch (const std::exception& e) {
    Logger()->debug("mysql: closing session {}: {}", session_id_, e.what());
  }
  // The sql::Connection destructor frees the handle; it does no I/O once
  // closed.
}

void MyConnection::Touch() { last_used_ = std::chrono::steady_clock::now(); }

MyStatus MyConnection::Fail(MyError e) {
  // Anything the C++ driver raised itself (code 0) or an out-of-sync
  // protocol may have left unread results behind: do not trust the link.
  if (IsConnectionLost(e.code) || e.code == my_errc::kCrCommandsOutOfSync ||
      e.code == 0) {
    broken_ = true;
  }
  Touch();
  return MyStatus(std::move(e));
}

Clock::time_point MyConnection::CallDeadline(Clock::time_point start) const {
  Clock::time_point deadline = request_timeout_.count() > 0
                                   ? start + request_timeout_
                                   : Clock::time_point::max();
  if (deadline_ && *deadline_ < deadline) deadline = *deadline_;
  return deadline;
}

template <typename Body>
MyStatus MyConnection::Bounded(Body&& body) {
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = CallDeadline(start);
  if (start >= deadline) {
    return Fail(MyError{my_errc::kTimedOut, "HYT00",
                        "timed out: deadline passed before the call"});
  }
  MyCallTicket ticket(socket_fd_, deadline);
  MyStatus s = body();
  const bool cut = ticket.Disarm();
  if (cut) broken_ = true;  // the socket is shut down, whatever came back
  if (!s.ok() && (cut || (s.connection_lost() && Clock::now() >= deadline))) {
    return Fail(MyError{my_errc::kTimedOut, "HYT00",
                        "timed out after " +
                            std::to_string(MsBetween(start, Clock::now())) +
                            " ms (" + Describe(s.error()) + ")"});
  }
  return s;
}

bool MyConnection::Ping() {
  EnsureDriverThread();
  MyStatus s = Bounded([&]() -> MyStatus {
    try {
      if (conn_->isValid()) return MyStatus::Ok();
    } catch (const std::exception&) {
    }
    return MyStatus(MyError{my_errc::kCrServerGone, "HY000", "ping failed"});
  });
  Touch();
  if (!s.ok()) broken_ = true;
  return s.ok();
}

MyStatus MyConnection::Run(const std::string& sql) {
  EnsureDriverThread();
  return Bounded([&]() -> MyStatus {
    try {
      std::unique_ptr<sql::Statement> st(conn_->createStatement());
      if (st->execute(sql)) {
        std::unique_ptr<sql::ResultSet> drop(st->getResultSet());
      }
      Touch();
      return MyStatus::Ok();
    } catch (const sql::SQLException& e) {
      return Fail(FromException(e));
    } catch (const std::exception& e) {
      return Fail(InternalError(e));
    }
  });
}

MyStatus MyConnection::RunQuery(const std::string& sql,
                                std::vector<Row>* rows) {
  EnsureDriverThread();
  return Bounded([&]() -> MyStatus {
    try {
      std::unique_ptr<sql::Statement> st(conn_->createStatement());
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery(sql));
      *rows = ReadRows(rs.get(), /*binary=*/false);
      Touch();
      return MyStatus::Ok();
    } catch (const sql::SQLException& e) {
      return Fail(FromException(e));
    } catch (const std::exception& e) {
      return Fail(InternalError(e));
    }
  });
}

MyStatus MyConnection::RunScript(const std::string& script) {
  EnsureDriverThread();
  return Bounded([&]() -> MyStatus {
    const MyScriptShape shape = AnalyzeScript(script);
    if (!shape.has_statements) return MyStatus::Ok();
    try {
      std::unique_ptr<sql::Statement> st(conn_->createStatement());
      bool has_rows = st->execute(WithSentinel(script, shape));
      // Each statement yields one answer; only answers without rows can
      // make getMoreResults() return false, so more of those than there are
      // statements means the sentinel was swallowed (say by an unterminated
      // comment) and the end cannot be found.
      size_t answers_without_rows = 0;
      for (;;) {
        if (has_rows) {
          std::unique_ptr<sql::ResultSet> rs(st->getResultSet());
          if (rs && rs->rowsCount() == 1 &&
              rs->getMetaData()->getColumnCount() == 1 && rs->next() &&
              rs->getString(1).asStdString() == kScriptSentinel) {
            Touch();
            return MyStatus::Ok();
          }
        } else if (++answers_without_rows > shape.max_statements + 1) {
          broken_ = true;
          return MyStatus(MyError{0, "HY000",
                                  "script ended before its last statement "
                                  "(unterminated comment?)"});
        }
        has_rows = st->getMoreResults();
      }
    } catch (const sql::SQLException& e) {
      return Fail(FromException(e));
    } catch (const std::exception& e) {
      return Fail(InternalError(e));
    }
  });
}

MyStatus MyConnection::RunBatch(const std::vector<std::string>& statements,
                                size_t* completed, std::vector<Row>* rows) {
  EnsureDriverThread();
  return Bounded([&]() -> MyStatus {
    *completed = 0;
    if (statements.empty()) return MyStatus::Ok();
    std::string text;
    for (const std::string& statement : statements) {
      if (!text.empty()) text += "; ";
      text += statement;
    }
    try {
      std::unique_ptr<sql::Statement> st(conn_->createStatement());
      // execute() reads the first answer and getMoreResults() each next one;
      // either throws for a failed statement, after which the server runs
      // nothing more of the batch.
      bool has_rows = st->execute(text);
      for (;;) {
        if (has_rows) {
          std::unique_ptr<sql::ResultSet> rs(st->getResultSet());
          if (rows != nullptr) {
            for (Row& row : ReadRows(rs.get(), /*binary=*/false)) {
              rows->push_back(std::move(row));
            }
          }
        }
        if (++*completed == statements.size()) break;
        has_rows = st->getMoreResults();
      }
      Touch();
      return MyStatus::Ok();
    } catch (const sql::SQLException& e) {
      return Fail(FromException(e));
    } catch (const std::exception& e) {
      return Fail(InternalError(e));
    }
  });
}

sql::PreparedStatement* MyConnection::Prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second.get();
  if (statements_.size() >= kMaxCachedStatements) statements_.clear();
  // prepareStatement() returns an owning raw pointer.
  std::unique_ptr<sql::PreparedStatement> ps(conn_->prepareStatement(sql));
  return statements_.emplace(sql, std::move(ps)).first->second.get();
}

namespace {

// Binds every parameter as a string; the count must match exactly (a
// prepared statement would otherwise reuse values from its last run).
MyStatus Bind(sql::PreparedStatement* ps,
              const std::vector<std::string>& params) {
  const unsigned int expected =
      ps->getParameterMetaData()->getParameterCount();  // owned by ps
  if (expected != params.size()) {
    return MyStatus(MyError{
        my_errc::kUsage, "07001",
        "statement has " + std::to_string(expected) + " placeholders, " +
            std::to_string(params.size()) + " parameters given"});
  }
  ps->clearParameters();
  for (size_t i = 0; i < params.size(); ++i) {
    ps->setString(static_cast<unsigned int>(i + 1), params[i]);
  }
  return MyStatus::Ok();
}

}  // namespace

template <typename Step>
MyStatus MyConnection::RunPrepared(const std::string& sql,
                                   const std::vector<std::string>& params,
                                   bool returns_rows, Step&& run) {
  EnsureDriverThread();
  return Bounded([&]() -> MyStatus {
    try {
      sql::PreparedStatement* ps = Prepare(sql);
      if ((ps->getMetaData()->getColumnCount() != 0) != returns_rows) {
        return MyStatus(
            MyError{my_errc::kUsage, "HY000",
                    returns_rows ? "statement returns no rows: use an execute"
                                 : "statement returns rows: use a query"});
      }
      MyStatus bound = Bind(ps, params);
      if (!bound.ok()) return bound;
      run(ps);
      Touch();
      return MyStatus::Ok();
    } catch (const sql::SQLException& e) {
      statements_.erase(sql);
      return Fail(FromException(e));
    } catch (const std::exception& e) {
      statements_.erase(sql);
      return Fail(InternalError(e));
    }
  });
}

MyStatus MyConnection::Execute(const std::string& sql,
                               const std::vector<std::string>& params,
                               int64_t* affected) {
  return RunPrepared(
      sql, params, /*returns_rows=*/false,
      [&](sql::PreparedStatement* ps) { *affected = ps->executeUpdate(); });
}

MyStatus MyConnection::Query(const std::string& sql,
                             const std::vector<std::string>& params,
                             std::vector<Row>* rows) {
  return RunPrepared(sql, params, /*returns_rows=*/true,
                     [&](sql::PreparedStatement* ps) {
                       std::unique_ptr<sql::ResultSet> rs(ps->executeQuery());
                       *rows = ReadRows(rs.get(), /*binary=*/true);
                     });
}

}  // namespace xatm
