// What the MariaDB / MySQL server or client library said when a call failed,
// and how that maps onto the project's Status codes. The driver's exceptions
// are turned into MyError at the connection boundary (my_connection.cc) and
// never travel further.
#pragma once

#include <exception>
#include <string>
#include <utility>

#include "adapters/db_error_class.h"
#include "xatm/status.h"

namespace sql {
class SQLException;
}  // namespace sql

namespace xatm {

// Error numbers the adapter acts on (server 1xxx/4xxx, client 2xxx).
namespace my_errc {
// Refused by the adapter before reaching the server (wrong parameter count,
// a query given to Execute...): the caller's mistake.
inline constexpr int kUsage = -1;
// The adapter cut the call at its deadline (request timeout or the branch's
// deadline) and dropped the connection: what the server did is unknown.
inline constexpr int kTimedOut = -2;
inline constexpr int kUnknownThread = 1094;     // KILL of a gone session
inline constexpr int kNotOwnerOfThread = 1095;  // KILL without privilege
inline constexpr int kNoSuchTable = 1146;
inline constexpr int kLockWaitTimeout = 1205;
inline constexpr int kDeadlock = 1213;
inline constexpr int kXaerNota = 1397;      // XAER_NOTA: unknown xid
inline constexpr int kXaerInval = 1398;     // XAER_INVAL
inline constexpr int kXaerRmfail = 1399;    // XAER_RMFAIL: wrong state
inline constexpr int kXaerOutside = 1400;   // XAER_OUTSIDE
inline constexpr int kXaerRmerr = 1401;     // XAER_RMERR
inline constexpr int kXaRbrollback = 1402;  // XA_RBROLLBACK
inline constexpr int kXaerDupid = 1440;     // XAER_DUPID
inline constexpr int kXaRbtimeout = 1613;   // XA_RBTIMEOUT
inline constexpr int kXaRbdeadlock = 1614;  // XA_RBDEADLOCK
inline constexpr int kConnectionKilled = 1927;
inline constexpr int kServerShutdown = 1053;
inline constexpr int kTooManyConnections = 1040;
inline constexpr int kAccessDenied = 1045;
inline constexpr int kDbAccessDenied = 1044;
inline constexpr int kDupEntry = 1062;
inline constexpr int kConstraintFailed = 4025;  // CHECK constraint
inline constexpr int kDupKey = 1022;
inline constexpr int kDupEntryWithKeyName = 1586;
inline constexpr int kTableExists = 1050;
inline constexpr int kDatabaseExists = 1007;
inline constexpr int kDupFieldName = 1060;
inline constexpr int kDupKeyName = 1061;
inline constexpr int kUnknownDatabase = 1049;
inline constexpr int kTableAccessDenied = 1142;
inline constexpr int kColumnAccessDenied = 1143;
inline constexpr int kSpecificAccessDenied = 1227;
inline constexpr int kOptionPreventsStatement = 1290;  // e.g. read_only
inline constexpr int kReadOnlyTransaction = 1792;
inline constexpr int kQueryInterrupted = 1317;  // KILL QUERY
inline constexpr int kStatementTimeout = 1969;  // max_statement_time
inline constexpr int kSignalException = 1644;   // SIGNAL in a trigger
inline constexpr int kCrConnectionError = 2002;
inline constexpr int kCrConnHostError = 2003;
inline constexpr int kCrUnknownHost = 2005;
inline constexpr int kCrServerGone = 2006;
inline constexpr int kCrCommandsOutOfSync = 2014;
inline constexpr int kCrServerLost = 2013;
inline constexpr int kCrServerLostExtended = 2055;
// TLS could not be set up (bad certificate, file, or no TLS where required).
inline constexpr int kCrSslConnectionError = 2026;
}  // namespace my_errc

struct MyError {
  int code = 0;  // 0: raised by the C++ driver itself; < 0: by the adapter
  std::string sqlstate;  // "HY000" when the driver has none
  std::string text;      // the driver's message (never holds parameters)
};

// The link to the server is gone (or unusable, also after a timeout): the
// connection must be closed, and whatever the statement did is unknown.
bool IsConnectionLost(int code);
// Could not even connect: nothing happened on the server.
bool IsConnectFailure(int code);
// The server already rolled the XA branch (or the transaction) back.
bool IsRolledBackByServer(int code);

// "error 1397 (XAE04) XAER_NOTA: Unknown XID"; errors that did not come
// from the server (code <= 0) read as just their text.
std::string Describe(const MyError& e);
// What an error means (adapters/db_error_class.h, shared with the
// PostgreSQL adapter): by error number, then by SQLSTATE class.
DbErrorClass ErrorClassFor(const MyError& e);
// The Status code an error means when nothing more specific is known:
// StatusCodeForClass(ErrorClassFor(e)).
StatusCode StatusCodeFor(const MyError& e);

MyError FromException(const sql::SQLException& e);

// The outcome of one driver call: OK, or the error the driver reported.
class [[nodiscard]] MyStatus {
 public:
  MyStatus() = default;  // OK
  explicit MyStatus(MyError e) : ok_(false), error_(std::move(e)) {}
  static MyStatus Ok() { return MyStatus(); }

  bool ok() const { return ok_; }
  // REQUIRES: !ok().
  const MyError& error() const { return error_; }
  int code() const { return ok_ ? 0 : error_.code; }
  bool connection_lost() const { return !ok_ && IsConnectionLost(error_.code); }
  // Cut at its deadline (a connection_lost() too): the server may be alive
  // but unresponsive, so another try on a fresh connection is no help.
  bool timed_out() const { return !ok_ && error_.code == my_errc::kTimedOut; }

  // "context: error 1397 (XAE04) ...", with StatusCodeFor's code; OK if ok().
  Status ToStatus(const std::string& context) const;
  // Same text, but with the given code.
  Status ToStatus(StatusCode code, const std::string& context) const;
  std::string Describe() const;

 private:
  bool ok_ = true;
  MyError error_;
};

// Runs `body` (returning Status or Result<T>) and turns any exception that
// escapes it into Internal. Nothing should escape - MyConnection catches the
// driver's exceptions - but no exception may cross the adapter boundary.
template <typename Body>
auto CatchAll(const std::string& context, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Status::Internal(context + ": unexpected exception: " + e.what());
  } catch (...) {
    return Status::Internal(context + ": unexpected exception");
  }
}

}  // namespace xatm
