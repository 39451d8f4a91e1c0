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

StatusCode StatusCodeFor(const MyError& e) {
  if (IsConnectionLost(e.code) || IsConnectFailure(e.code)) {
    return StatusCode::kUnavailable;
  }
  switch (e.code) {
    case errc::kUsage:
      return StatusCode::kInvalidArgument;
    case 0:
    case errc::kCrCommandsOutOfSync:
      // The C++ driver refused the call itself: a misuse on our side.
      return StatusCode::kInternal;
    case errc::kXaRbrollback:
    case errc::kXaRbtimeout:
    case errc::kXaRbdeadlock:
    case errc::kDeadlock:
    case errc::kLockWaitTimeout:
      return StatusCode::kAborted;
    case errc::kXaerNota:
    case errc::kNoSuchTable:
      return StatusCode::kNotFound;
    case errc::kXaerDupid:
    case errc::kDupEntry:
      return StatusCode::kAlreadyExists;
    case errc::kXaerInval:
    case errc::kXaerRmfail:
    case errc::kXaerOutside:
    case errc::kXaerRmerr:
    case errc::kAccessDenied:
    case errc::kDbAccessDenied:
    case errc::kConstraintFailed:
      return StatusCode::kFailedPrecondition;
    default:
      break;
  }
  const std::string cls = e.sqlstate.substr(0, 2);
  if (cls == "23") return StatusCode::kFailedPrecondition;  // integrity
  if (cls == "22" || cls == "42") return StatusCode::kInvalidArgument;
  if (cls == "08") return StatusCode::kUnavailable;
  if (cls == "40") return StatusCode::kAborted;  // transaction rollback
  // Anything else the server could not do now (storage engine, disk full,
  // resource limits): the call may succeed later.
  return StatusCode::kUnavailable;
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
