/// @file
/// Status and `Result<T>`: the error currency of the core, recovery and the
/// adapter interface. Driver exceptions never cross an adapter boundary; they
/// become a Status whose message keeps the SQLSTATE / error code.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace xatm {

/// What went wrong, in one of a few kinds that each say what to do next.
///
/// Each code carries a retry rule for the caller (RetryRuleFor). Database
/// errors map by meaning, the same from every adapter (see the table in
/// docs/library.md, "Errors and their retry rules"): a duplicate key is
/// kAlreadyExists, never kAborted, because running the same transaction
/// again meets the same key.
enum class StatusCode {
  kOk = 0,              ///< Success.
  kInvalidArgument,     ///< Bad input or a statement that does not fit the
                        ///< schema (syntax, unknown table or column, value
                        ///< out of range): fix the request, do not retry.
  kNotFound,            ///< The named thing does not exist (account, xid...).
  kAlreadyExists,       ///< Duplicate id or unique key: do not retry as is.
  kFailedPrecondition,  ///< State must be fixed first (e.g. log refuses, a
                        ///< foreign key, NOT NULL or CHECK constraint, a
                        ///< privilege, a read-only transaction).
  kAborted,             ///< The global transaction rolled back: retry it whole
                        ///< (serialization failure, deadlock, lock wait or
                        ///< statement timeout).
  kUnavailable,         ///< Resource unreachable: retry the call later.
  kInDoubt,             ///< Outcome decided but not finished (or unknown):
                        ///< recovery completes it; never retry the transfer.
  kUnknownOutcome,      ///< Nothing durable decides the outcome and the
                        ///< answer was lost (a one-phase commit's reply, a
                        ///< failed decision append): check before retrying.
  kDataLoss,            ///< Durable state damaged: alert an operator.
  kInternal,            ///< A bug.
};

/// The code's name in capitals, as ToString() and the CLI print it:
/// "OK", "INVALID_ARGUMENT", ..., "INTERNAL".
const char* StatusCodeName(StatusCode code);

/// What a caller should do about a code, as documented above.
enum class RetryRule {
  kNone,              ///< kOk: nothing to do.
  kFixRequest,        ///< kInvalidArgument, kNotFound, kAlreadyExists.
  kFixStateFirst,     ///< kFailedPrecondition.
  kRetryTransaction,  ///< kAborted: run the whole transaction again.
  kRetryCall,         ///< kUnavailable: the same call, later.
  kLeaveToRecovery,   ///< kInDoubt: never retry; recovery finishes it.
  kCheckFirst,        ///< kUnknownOutcome: look before trying again.
  kAlertOperator,     ///< kDataLoss.
  kReportBug,         ///< kInternal.
};

/// The retry rule of `code` (the table in docs/library.md, "Errors and
/// their retry rules").
RetryRule RetryRuleFor(StatusCode code);
/// The rule in words for messages: "fix the request", "retry the
/// transaction", "leave it to recovery", ...
const char* RetryRuleName(RetryRule rule);

/// The outcome of an operation: OK, or an error code and a message.
///
/// Functions that can fail return a Status (or a Result); the class is
/// `[[nodiscard]]`, so an ignored error is a compiler warning. Messages name
/// what failed (resource, gtrid, file) and never hold a password. A plain
/// value type: copy it freely; a const Status may be read from any thread.
class [[nodiscard]] Status {
 public:
  Status() = default;  ///< OK.
  /// An error (or OK, for kOk) with `message`.
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  /// OK, with an empty message.
  static Status Ok() { return Status(); }
  /// @name Errors of each code, with message `m`
  /// See StatusCode for what each means.
  /// @{

  /// kInvalidArgument: fix the request.
  static Status InvalidArgument(std::string m) {
    return Status(StatusCode::kInvalidArgument, std::move(m));
  }
  /// kNotFound: the named thing does not exist.
  static Status NotFound(std::string m) {
    return Status(StatusCode::kNotFound, std::move(m));
  }
  /// kAlreadyExists: a duplicate; never retry as is.
  static Status AlreadyExists(std::string m) {
    return Status(StatusCode::kAlreadyExists, std::move(m));
  }
  /// kFailedPrecondition: the state must be fixed first.
  static Status FailedPrecondition(std::string m) {
    return Status(StatusCode::kFailedPrecondition, std::move(m));
  }
  /// kAborted: rolled back; retry the whole transaction.
  static Status Aborted(std::string m) {
    return Status(StatusCode::kAborted, std::move(m));
  }
  /// kUnavailable: unreachable; retry the call later.
  static Status Unavailable(std::string m) {
    return Status(StatusCode::kUnavailable, std::move(m));
  }
  /// kInDoubt: decided, not finished; recovery completes it.
  static Status InDoubt(std::string m) {
    return Status(StatusCode::kInDoubt, std::move(m));
  }
  /// kUnknownOutcome: the answer was lost; check before retrying.
  static Status UnknownOutcome(std::string m) {
    return Status(StatusCode::kUnknownOutcome, std::move(m));
  }
  /// kDataLoss: durable state damaged.
  static Status DataLoss(std::string m) {
    return Status(StatusCode::kDataLoss, std::move(m));
  }
  /// kInternal: a bug.
  static Status Internal(std::string m) {
    return Status(StatusCode::kInternal, std::move(m));
  }
  /// @}

  /// Whether the code is kOk.
  bool ok() const { return code_ == StatusCode::kOk; }
  /// The kind of error, kOk for success.
  StatusCode code() const { return code_; }
  /// What failed and why; empty for OK.
  const std::string& message() const { return message_; }
  /// "ABORTED: message", or "OK".
  std::string ToString() const;

  /// Returns a copy whose message is prefixed with `context: `; an OK
  /// status is returned unchanged.
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

namespace internal {
// Prints "Result::value() on an error: <status>" to stderr and aborts.
[[noreturn]] void DieOnErrorValue(const Status& status);
}  // namespace internal

/// Either a value or a non-OK Status.
///
/// Built implicitly from either, so a function returning `Result<T>` may
/// `return value;` or `return status;`. Check ok() before reading the
/// value: value() of an error stops the program. A plain value type, with
/// T's thread safety.
template <typename T>
class [[nodiscard]] Result {
 public:
  /// A result holding `value`.
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  /// A result holding the error `status`. An OK status has no value: it
  /// becomes kInternal ("Result without value"), and asserts in debug
  /// builds.
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "Result built from an OK status has no value");
    if (status_.ok()) status_ = Status::Internal("Result without value");
  }

  /// Whether a value is held.
  bool ok() const { return value_.has_value(); }
  /// The error; OK when a value is held.
  const Status& status() const { return status_; }

  /// @name The value
  /// On an error each of these stops the program at once, printing
  /// "Result::value() on an error: " and the status to stderr (in every
  /// build type): a missed check must not read garbage.
  /// @{

  /// The value.
  T& value() & { return Checked(); }
  /// The value, read-only.
  const T& value() const& { return Checked(); }
  /// The value, moved out of a temporary result.
  T&& value() && { return std::move(Checked()); }
  /// The value's members.
  T* operator->() { return &Checked(); }
  /// The value's members, read-only.
  const T* operator->() const { return &Checked(); }
  /// The value.
  T& operator*() & { return Checked(); }
  /// The value, read-only.
  const T& operator*() const& { return Checked(); }
  /// @}

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

/// Returns early from the enclosing function when `expr` is a non-OK Status
/// (the function must return Status or a Result).
#define XATM_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::xatm::Status xatm_status_ = (expr);        \
    if (!xatm_status_.ok()) return xatm_status_; \
  } while (0)

/// Evaluates `expr`, a Result, and returns its status early from the
/// enclosing function (which must return Status or a Result) when it is an
/// error; otherwise moves its value into `lhs`, which may be a declaration:
///
///     XATM_ASSIGN_OR_RETURN(auto conn, pool.Acquire());
///     XATM_ASSIGN_OR_RETURN(rows, ListPrepared());
///
/// It expands to several statements, so it cannot be the body of an
/// unbraced `if`. `lhs` must not contain a bare comma.
#define XATM_ASSIGN_OR_RETURN(lhs, expr)                                   \
  XATM_ASSIGN_OR_RETURN_IMPL_(XATM_STATUS_CONCAT_(xatm_result_, __LINE__), \
                              lhs, expr)

/// @cond internal
#define XATM_STATUS_CONCAT_INNER_(a, b) a##b
#define XATM_STATUS_CONCAT_(a, b) XATM_STATUS_CONCAT_INNER_(a, b)
#define XATM_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr) \
  auto result = (expr);                                \
  if (!result.ok()) return result.status();            \
  lhs = std::move(result).value()
/// @endcond
