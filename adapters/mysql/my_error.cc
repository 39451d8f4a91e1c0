#include "adapters/mysql/my_error.h"

#include <cppconn/exception.h>

namespace xatm {

bool IsConnectionLost(int code) {
  switch (code) {
    case my_errc::kCrServerGone:
    case my_errc::kCrServerLost:
    case my_errc::kCrServerLostExtended:
    case my_errc::kConnectionKilled:
    case my_errc::kServerShutdown:
    case my_errc::kTimedOut:
      return true;
    default:
      return false;
  }
}

bool IsConnectFailure(int code) {
  switch (code) {
    case my_errc::kCrConnectionError:
    case my_errc::kCrConnHostError:
    case my_errc::kCrUnknownHost:
    case my_errc::kTooManyConnections:
      return true;
    default:
      return false;
  }
}

bool IsRolledBackByServer(int code) {
  return code == my_errc::kXaRbrollback || code == my_errc::kXaRbtimeout ||
         code == my_errc::kXaRbdeadlock;
}

std::string Describe(const MyError& e) {
  if (e.code <= 0) return e.text;
  std::string s = "error " + std::to_string(e.code);
  if (!e.sqlstate.empty()) s += " (" + e.sqlstate + ")";
  if (!e.text.empty()) s += " " + e.text;
  return s;
}

DbErrorClass ErrorClassFor(const MyError& e) {
  if (IsConnectionLost(e.code)) return DbErrorClass::kConnectionLost;
  if (e.code == my_errc::kTooManyConnections) return DbErrorClass::kServerBusy;
  if (IsConnectFailure(e.code)) return DbErrorClass::kConnectionLost;
  switch (e.code) {
    case my_errc::kUsage:
      return DbErrorClass::kBadStatement;
    case 0:
    case my_errc::kCrCommandsOutOfSync:
      // The C++ driver refused the call itself: a misuse on our side.
      return DbErrorClass::kClientMisuse;
    case my_errc::kXaRbrollback:
    case my_errc::kXaRbtimeout:
    case my_errc::kXaRbdeadlock:
    case my_errc::kDeadlock:
    case my_errc::kLockWaitTimeout:
    case my_errc::kStatementTimeout:
    case my_errc::kQueryInterrupted:
      return DbErrorClass::kTransactionRolledBack;
    case my_errc::kXaerNota:
      return DbErrorClass::kUnknownTransaction;
    case my_errc::kXaerDupid:
    case my_errc::kDupEntry:
    case my_errc::kDupKey:
    case my_errc::kDupEntryWithKeyName:
    case my_errc::kTableExists:
    case my_errc::kDatabaseExists:
    case my_errc::kDupFieldName:
    case my_errc::kDupKeyName:
      return DbErrorClass::kDuplicate;
    case my_errc::kXaerInval:
    case my_errc::kXaerRmfail:
    case my_errc::kXaerOutside:
    case my_errc::kXaerRmerr:
    case my_errc::kReadOnlyTransaction:
    case my_errc::kOptionPreventsStatement:
      return DbErrorClass::kWrongState;
    case my_errc::kAccessDenied:
    case my_errc::kDbAccessDenied:
    case my_errc::kTableAccessDenied:
    case my_errc::kColumnAccessDenied:
    case my_errc::kSpecificAccessDenied:
    case my_errc::kUnknownDatabase:
      return DbErrorClass::kNotPermitted;
    case my_errc::kConstraintFailed:
    case my_errc::kSignalException:
      return DbErrorClass::kConstraintViolated;
    default:
      break;
  }
  const std::string cls = e.sqlstate.substr(0, 2);
  // 23000 covers duplicates too: those have their numbers above.
  if (cls == "23") return DbErrorClass::kConstraintViolated;
  if (cls == "22") return DbErrorClass::kBadValue;
  if (cls == "42" || cls == "0A") return DbErrorClass::kBadStatement;
  if (cls == "28") return DbErrorClass::kNotPermitted;
  if (cls == "25") return DbErrorClass::kWrongState;
  if (cls == "08") return DbErrorClass::kConnectionLost;
  if (cls == "40") return DbErrorClass::kTransactionRolledBack;
  // Anything else the server could not do now (storage engine, disk full,
  // resource limits): the call may succeed later.
  return DbErrorClass::kOther;
}

StatusCode StatusCodeFor(const MyError& e) {
  return StatusCodeForClass(ErrorClassFor(e));
}

MyError FromException(const sql::SQLException& e) {
  MyError out;
  out.code = e.getErrorCode();
  out.sqlstate = e.getSQLState();
  out.text = e.what();
  return out;
}

Status MyStatus::ToStatus(const std::string& context) const {
  if (ok_) return Status::Ok();
  return ToStatus(StatusCodeFor(error_), context);
}

Status MyStatus::ToStatus(StatusCode code, const std::string& context) const {
  if (ok_) return Status::Ok();
  return Status(code, context + ": " + Describe());
}

std::string MyStatus::Describe() const {
  return ok_ ? "OK" : xatm::Describe(error_);
}

}  // namespace xatm
