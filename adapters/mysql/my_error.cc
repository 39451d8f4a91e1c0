#include "adapters/mysql/my_error.h"

#include <cppconn/exception.h>

namespace xatm::mysql {

bool IsConnectionLost(int code) {
  switch (code) {
    case errc::kCrServerGone:
    case errc::kCrServerLost:
    case errc::kCrServerLostExtended:
    case errc::kConnectionKilled:
    case errc::kServerShutdown:
    case errc::kTimedOut:
      return true;
    default:
      return false;
  }
}

bool IsConnectFailure(int code) {
  switch (code) {
    case errc::kCrConnectionError:
    case errc::kCrConnHostError:
    case errc::kCrUnknownHost:
    case errc::kTooManyConnections:
      return true;
    default:
      return false;
  }
}

bool IsRolledBackByServer(int code) {
  return code == errc::kXaRbrollback || code == errc::kXaRbtimeout ||
         code == errc::kXaRbdeadlock;
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
  if (e.code == errc::kTooManyConnections) return DbErrorClass::kServerBusy;
  if (IsConnectFailure(e.code)) return DbErrorClass::kConnectionLost;
  switch (e.code) {
    case errc::kUsage:
      return DbErrorClass::kBadStatement;
    case 0:
    case errc::kCrCommandsOutOfSync:
      // The C++ driver refused the call itself: a misuse on our side.
      return DbErrorClass::kClientMisuse;
    case errc::kXaRbrollback:
    case errc::kXaRbtimeout:
    case errc::kXaRbdeadlock:
    case errc::kDeadlock:
    case errc::kLockWaitTimeout:
    case errc::kStatementTimeout:
    case errc::kQueryInterrupted:
      return DbErrorClass::kTransactionRolledBack;
    case errc::kXaerNota:
      return DbErrorClass::kUnknownTransaction;
    case errc::kXaerDupid:
    case errc::kDupEntry:
    case errc::kDupKey:
    case errc::kDupEntryWithKeyName:
    case errc::kTableExists:
    case errc::kDatabaseExists:
    case errc::kDupFieldName:
    case errc::kDupKeyName:
      return DbErrorClass::kDuplicate;
    case errc::kXaerInval:
    case errc::kXaerRmfail:
    case errc::kXaerOutside:
    case errc::kXaerRmerr:
    case errc::kReadOnlyTransaction:
    case errc::kOptionPreventsStatement:
      return DbErrorClass::kWrongState;
    case errc::kAccessDenied:
    case errc::kDbAccessDenied:
    case errc::kTableAccessDenied:
    case errc::kColumnAccessDenied:
    case errc::kSpecificAccessDenied:
    case errc::kUnknownDatabase:
      return DbErrorClass::kNotPermitted;
    case errc::kConstraintFailed:
    case errc::kSignalException:
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
  return ok_ ? "OK" : mysql::Describe(error_);
}

}  // namespace xatm::mysql
