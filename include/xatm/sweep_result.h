/// @file
/// What one sweep did, branch by branch, for logs, the CLI and tests.
#pragma once

#include <string>
#include <vector>

namespace xatm {

/// What a sweep (or a manual resolution) did with one branch, decision or
/// saga.
enum class SweepAction {
  kCommitted,        ///< a prepared branch with a COMMIT decision, committed
  kRolledBack,       ///< a prepared branch without decision, rolled back
  kWouldCommit,      ///< dry run: kCommitted had it not been one
  kWouldRollBack,    ///< dry run: kRolledBack had it not been one
  kEnded,            ///< every branch of a decision confirmed: END appended
  kHeuristic,        ///< an outcome contradicting the decision, recorded
  kSkippedYoung,     ///< no decision yet, younger than the grace period
  kSkippedInFlight,  ///< its transaction is still running in this process
  kRetryLater,       ///< unreachable, still attached, or log unusable
  kResourceDown,     ///< listing the resource failed (gtrid empty)
  kLeftAlone,        ///< its decision lives where this node does not read,
                     ///< or its branch carries another node's resource name
  // Sagas (gtrid = the saga's id, resource empty):
  kSagaCommitted,    ///< driven forward to its end
  kSagaCompensated,  ///< driven backward to its end
  kSagaStuck,        ///< failed to compensate: an operator must resolve it
  kSagaLater,        ///< not finished by this pass (detail says why)
};

/// The action's name in logs and `xatm recover` output: "committed",
/// "rolled-back", "would-commit", ..., "HEURISTIC", ...,
/// "saga-failed-to-compensate", "saga-retry-later".
const char* SweepActionName(SweepAction action);

/// One thing a sweep did or left.
struct SweepEvent {
  std::string gtrid;     ///< the transaction (or saga); empty: a resource
  std::string resource;  ///< the branch's resource; several comma-joined for
                         ///< a HEURISTIC; empty for an END or a saga
  SweepAction action;    ///< what was done
  std::string detail;    ///< why, or the error met; may be empty
};

/// What one sweep pass did, in total and event by event.
struct SweepResult {
  std::vector<SweepEvent> events;  ///< in listing order
  int committed = 0;               ///< prepared branches committed
  int rolled_back = 0;             ///< prepared branches rolled back
  int ended = 0;                   ///< decisions closed with an END
  int heuristics = 0;  ///< outcomes contradicting a decision, recorded
  /// Branches or decisions still unresolved after this sweep (anything that
  /// is not young or in flight, plus every resource that was down).
  int remaining = 0;
  /// Young or in-flight branches left for a later pass.
  int deferred = 0;
  int sagas_committed = 0;    ///< sagas this pass drove forward to the end
  int sagas_compensated = 0;  ///< sagas this pass drove backward to the end
  /// Sagas failed to compensate: all of them, also those that were before
  /// (counted in `remaining` too).
  int sagas_stuck = 0;
  /// Why the pass stopped before its end (the node id not confirmed, or
  /// taken by another process); empty when it ran to the end.
  std::string halted;

  /// Nothing in doubt is left and nothing contradicted a decision.
  bool clean() const { return remaining == 0 && heuristics == 0; }
  /// The counts in one line for logs: "committed N, rolled back N, ended
  /// N, heuristic N, remaining N, deferred N" (and the sagas', if any).
  std::string Summary() const;
};

}  // namespace xatm
