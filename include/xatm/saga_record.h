/// @file
/// A saga as the decision store keeps it: its definition (every step's SQL,
/// service and payload, so that any process can drive it on) and how far it
/// got. A record is saved whole each time it changes (a snapshot); the
/// latest saved one is the saga's state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xatm/status.h"

namespace xatm {

/// How a failing call of a step is tried again. A call is one local
/// transaction of a database step or one handler call of a service step.
struct RetryPolicy {
  int attempts = 5;                ///< calls before the step gives up (>= 1)
  int64_t first_backoff_ms = 100;  ///< wait after the first failed call
  double multiplier = 2.0;         ///< each later wait grows by this (>= 1)
  int64_t max_backoff_ms = 5000;   ///< no wait is longer (the cap)
  double jitter = 0.2;             ///< each wait varies by up to this fraction
  /// One call's own limit (every round trip of a database step, the
  /// deadline handed to a handler), apart from the saga's deadline.
  int64_t call_timeout_ms = 5000;
};

/// OK, or InvalidArgument naming the field that is out of range.
Status CheckRetryPolicy(const RetryPolicy& policy);

/// The wait before call number `attempt` + 1 (attempt >= 1 failed calls so
/// far), without jitter: first * multiplier^(attempt-1), capped.
int64_t BackoffMs(const RetryPolicy& policy, int attempt);

/// A parameter of this value is bound to the saga's id, which is made when
/// the saga begins (for rows that name their saga, such as a ledger's).
inline constexpr char kSagaIdParam[] = "${saga_id}";

/// One statement of a database step. `expected_rows`, when set, is what it
/// must affect: any other count is the business "no" of the step (its local
/// transaction rolls back and the saga compensates).
struct SqlCall {
  std::string sql;                  ///< '?' placeholders, as Branch::Execute
  std::vector<std::string> params;  ///< bound in order (kSagaIdParam: the id)
  std::optional<int64_t> expected_rows;  ///< the row count it must affect
};

/// One step: an action and its compensation.
struct SagaStep {
  std::string name;  ///< unique in its saga: [A-Za-z0-9_.-]{1,32}
  /// A database step: the resource its statements run on, each side in one
  /// local transaction with its barrier row.
  std::string resource;
  std::vector<SqlCall> action;  ///< database step: the action's statements
  /// Database step: the statements that undo the action (may be empty).
  std::vector<SqlCall> compensation;
  /// A service step: the name its handlers are registered under, and what
  /// they are given.
  std::string service;
  std::string payload;  ///< service step: ServiceCall::payload
  /// Once a pivot step has run, the saga only goes forward.
  bool pivot = false;
  RetryPolicy retry;               ///< of the action
  RetryPolicy compensation_retry;  ///< of the compensation
  /// Whether it is a service step (`service` set).
  bool is_service() const { return !service.empty(); }
};

/// Work on a database that can prepare, done in the saga's final XA group.
struct SagaXaWork {
  std::string resource;             ///< the resource of the branch
  std::vector<SqlCall> statements;  ///< run in the branch, in order
};

/// The steps in stages: the steps of one stage run in parallel, the stages
/// one after the other; compensation runs in the reverse order.
///
/// After the last stage, the XA group (if any) runs as one two-phase
/// transaction over its resources, and its COMMIT decision is the saga's
/// too: one durable record commits both, or, when a branch votes no, the
/// group rolls back and the saga compensates. Each group branch also
/// inserts the saga's barrier row for the reserved step "~xa", the proof
/// for recovery that the group committed.
struct SagaDefinition {
  /// What the saga does, for operators: [A-Za-z0-9_.-]{1,64}.
  std::string name;
  std::vector<std::vector<SagaStep>> stages;  ///< at least one step
  std::vector<SagaXaWork> xa_group;           ///< may be empty (no XA group)
  /// From the saga's begin: a saga still going forward past this compensates
  /// (unless its pivot has run).
  int64_t deadline_ms = 60000;
};

/// The barrier step name of the XA group (not a valid step name).
inline constexpr char kXaGroupStep[] = "~xa";

/// OK, or InvalidArgument naming what is wrong: no steps, an empty stage, a
/// bad or repeated name, a step that is neither or both of database and
/// service, a database step without action, a bad retry policy, more than
/// one pivot, a pivot in a stage of several steps, an XA group entry
/// without resource or statements, or a resource twice in it.
Status CheckSagaDefinition(const SagaDefinition& definition);

/// Where a saga stands.
enum class SagaPhase {
  kForward,             ///< running its steps
  kCompensating,        ///< undoing the steps that ran, in reverse
  kCommitted,           ///< every step done (final)
  kCompensated,         ///< every step that ran undone (final)
  kFailedToCompensate,  ///< a compensation ran out of attempts: an operator's
};
/// "forward", "compensating", "committed", "compensated" or
/// "failed-to-compensate", as records and `xatm` output show it.
const char* SagaPhaseName(SagaPhase phase);
/// The phase SagaPhaseName gives `name`, or nullopt.
std::optional<SagaPhase> ParseSagaPhase(std::string_view name);
/// Committed or compensated: nothing left to do, the record only waits to
/// be pruned.
bool IsFinal(SagaPhase phase);

/// Where one step of a saga stands.
enum class StepPhase {
  kPending,             ///< not started
  kStarted,             ///< its action may have run
  kDone,                ///< its action ran and committed
  kFailed,              ///< its action answered "no" (nothing to undo)
  kCompensated,         ///< undone, or proven never to have run
  kCompensationFailed,  ///< its compensation ran out of attempts
};
/// "pending", "started", "done", "failed", "compensated" or
/// "compensation-failed".
const char* StepPhaseName(StepPhase phase);
/// The phase StepPhaseName gives `name`, or nullopt.
std::optional<StepPhase> ParseStepPhase(std::string_view name);

/// One saga's state: its definition and how far it got.
struct SagaRecord {
  std::string id;    ///< gtrid format (Xid::Gtrid): node, begin time, home
  std::string node;  ///< the node driving it now (changes on takeover)
  SagaDefinition definition;              ///< what it runs, as given to Run
  SagaPhase phase = SagaPhase::kForward;  ///< where it stands
  /// One per step, in stage order (stage 0's steps first).
  std::vector<StepPhase> steps;
  int64_t begun_ms = 0;    ///< wall clock, from the id
  int64_t updated_ms = 0;  ///< when this snapshot was made
  /// Why it compensates or is stuck.
  std::string reason;
  /// The reason an operator gave when marking it compensated
  /// (SagaManager::MarkCompensated), or "".
  std::string operator_reason;
  /// The gtrid of the XA group's transaction, recorded before its first
  /// branch starts ("" until then, and again once it rolled back).
  std::string xa_gtrid;

  /// The steps in stage order, as `steps` indexes them.
  std::vector<const SagaStep*> FlatSteps() const;
};

/// JSON, the same text in the file log and in the database store.
std::string EncodeSagaRecord(const SagaRecord& record);
/// InvalidArgument (DataLoss for the caller to report) when `text` is not a
/// record EncodeSagaRecord made.
Result<SagaRecord> DecodeSagaRecord(std::string_view text);

}  // namespace xatm
