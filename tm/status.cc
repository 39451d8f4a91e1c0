#include "xatm/status.h"

#include <cstdio>
#include <cstdlib>

namespace xatm {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kAborted:
      return "ABORTED";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kInDoubt:
      return "IN_DOUBT";
    case StatusCode::kUnknownOutcome:
      return "UNKNOWN_OUTCOME";
    case StatusCode::kDataLoss:
      return "DATA_LOSS";
    case StatusCode::kInternal:
      return "INTERNAL";
  }
  return "UNKNOWN";
}

RetryRule RetryRuleFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return RetryRule::kNone;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
      return RetryRule::kFixRequest;
    case StatusCode::kFailedPrecondition:
      return RetryRule::kFixStateFirst;
    case StatusCode::kAborted:
      return RetryRule::kRetryTransaction;
    case StatusCode::kUnavailable:
      return RetryRule::kRetryCall;
    case StatusCode::kInDoubt:
      return RetryRule::kLeaveToRecovery;
    case StatusCode::kUnknownOutcome:
      return RetryRule::kCheckFirst;
    case StatusCode::kDataLoss:
      return RetryRule::kAlertOperator;
    case StatusCode::kInternal:
      return RetryRule::kReportBug;
  }
  return RetryRule::kReportBug;
}

const char* RetryRuleName(RetryRule rule) {
  switch (rule) {
    case RetryRule::kNone:
      return "none";
    case RetryRule::kFixRequest:
      return "fix the request";
    case RetryRule::kFixStateFirst:
      return "fix the state first";
    case RetryRule::kRetryTransaction:
      return "retry the transaction";
    case RetryRule::kRetryCall:
      return "retry the call later";
    case RetryRule::kLeaveToRecovery:
      return "leave it to recovery";
    case RetryRule::kCheckFirst:
      return "check before retrying";
    case RetryRule::kAlertOperator:
      return "alert an operator";
    case RetryRule::kReportBug:
      return "report a bug";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

namespace internal {

void DieOnErrorValue(const Status& status) {
  std::fprintf(stderr, "Result::value() on an error: %s\n",
               status.ToString().c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace internal

}  // namespace xatm
