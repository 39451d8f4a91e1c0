// Status and Result<T>: the error currency of the core, recovery and the
// adapter interface. Driver exceptions never cross an adapter boundary; they
// become a Status whose message keeps the SQLSTATE / error code.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace xatm {

// Each code carries a retry rule for the caller (RetryRuleFor). Database
// errors map by meaning, the same from every adapter (see the table in
// docs/library.md, "Errors and their retry rules"): a duplicate key is
// kAlreadyExists, never kAborted, because running the same transaction
// again meets the same key.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // Bad input or a statement that does not fit the
                        // schema (syntax, unknown table or column, value
                        // out of range): fix the request, do not retry.
  kNotFound,            // The named thing does not exist (account, xid...).
  kAlreadyExists,       // Duplicate id or unique key: do not retry as is.
  kFailedPrecondition,  // State must be fixed first (e.g. log refuses, a
                        // foreign key, NOT NULL or CHECK constraint, a
                        // privilege, a read-only transaction).
  kAborted,             // The global transaction rolled back: retry it whole
                        // (serialization failure, deadlock, lock wait or
                        // statement timeout).
  kUnavailable,         // Resource unreachable: retry the call later.
  kInDoubt,             // Outcome decided but not finished (or unknown):
                        // recovery completes it; never retry the transfer.
  kUnknownOutcome,      // Nothing durable decides the outcome and the
                        // answer was lost (a one-phase commit's reply, a
                        // failed decision append): check before retrying.
  kDataLoss,            // Durable state damaged: alert an operator.
  kInternal,            // A bug.
};

const char* StatusCodeName(StatusCode code);

// What a caller should do about a code, as documented above.
enum class RetryRule {
  kNone,              // kOk: nothing to do.
  kFixRequest,        // kInvalidArgument, kNotFound, kAlreadyExists.
  kFixStateFirst,     // kFailedPrecondition.
  kRetryTransaction,  // kAborted: run the whole transaction again.
  kRetryCall,         // kUnavailable: the same call, later.
  kLeaveToRecovery,   // kInDoubt: never retry; recovery finishes it.
  kCheckFirst,        // kUnknownOutcome: look before trying again.
  kAlertOperator,     // kDataLoss.
  kReportBug,         // kInternal.
};

RetryRule RetryRuleFor(StatusCode code);
const char* RetryRuleName(RetryRule rule);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return Status(StatusCode::kInvalidArgument, std::move(m));
  }
  static Status NotFound(std::string m) {
    return Status(StatusCode::kNotFound, std::move(m));
  }
  static Status AlreadyExists(std::string m) {
    return Status(StatusCode::kAlreadyExists, std::move(m));
  }
  static Status FailedPrecondition(std::string m) {
    return Status(StatusCode::kFailedPrecondition, std::move(m));
  }
  static Status Aborted(std::string m) {
    return Status(StatusCode::kAborted, std::move(m));
  }
  static Status Unavailable(std::string m) {
    return Status(StatusCode::kUnavailable, std::move(m));
  }
  static Status InDoubt(std::string m) {
    return Status(StatusCode::kInDoubt, std::move(m));
  }
  static Status UnknownOutcome(std::string m) {
    return Status(StatusCode::kUnknownOutcome, std::move(m));
  }
  static Status DataLoss(std::string m) {
    return Status(StatusCode::kDataLoss, std::move(m));
  }
  static Status Internal(std::string m) {
    return Status(StatusCode::kInternal, std::move(m));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "ABORTED: message", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

namespace internal {
// Prints "Result::value() on an error: <status>" to stderr and aborts.
[[noreturn]] void DieOnErrorValue(const Status& status);
}  // namespace internal

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "Result built from an OK status has no value");
    if (status_.ok()) status_ = Status::Internal("Result without value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // The value. On an error the program stops at once, printing the status
  // (in every build type): a missed check must not read garbage.
  T& value() & { return Checked(); }
  const T& value() const& { return Checked(); }
  T&& value() && { return std::move(Checked()); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &Checked(); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return Checked(); }

 private:
  T& Checked() {
    if (!value_.has_value()) internal::DieOnErrorValue(status_);
    return *value_;
  }
  const T& Checked() const {
    if (!value_.has_value()) internal::DieOnErrorValue(status_);
    return *value_;
  }

  std::optional<T> value_;
  Status status_;
};

}  // namespace xatm

// Returns early from the enclosing function when `expr` is a non-OK Status.
#define XATM_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::xatm::Status xatm_status_ = (expr);        \
    if (!xatm_status_.ok()) return xatm_status_; \
  } while (0)
