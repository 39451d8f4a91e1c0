// What one sweep did, branch by branch, for logs, the CLI and tests.
#pragma once

#include <string>
#include <vector>

namespace xatm {

enum class SweepAction {
  kCommitted,        // a prepared branch with a COMMIT decision, committed
  kRolledBack,       // a prepared branch without decision, rolled back
  kWouldCommit,      // dry run
  kWouldRollBack,    // dry run
  kEnded,            // every branch of a decision confirmed: END appended
  kHeuristic,        // an outcome contradicting the decision, recorded
  kSkippedYoung,     // no decision yet, younger than the grace period
  kSkippedInFlight,  // its transaction is still running in this process
  kRetryLater,       // unreachable, still attached, or log unusable
  kResourceDown,     // listing the resource failed (gtrid empty)
  kLeftAlone,        // its decision lives where this node does not read,
                     // or its branch carries another node's resource name
  // Sagas (gtrid = the saga's id, resource empty):
  kSagaCommitted,    // driven forward to its end
  kSagaCompensated,  // driven backward to its end
  kSagaStuck,        // failed to compensate: an operator must resolve it
  kSagaLater,        // not finished by this pass (detail says why)
};

const char* SweepActionName(SweepAction action);

struct SweepEvent {
  std::string gtrid;
  std::string resource;
  SweepAction action;
  std::string detail;
};

struct SweepResult {
  std::vector<SweepEvent> events;
  int committed = 0;
  int rolled_back = 0;
  int ended = 0;
  int heuristics = 0;
  // Branches or decisions still unresolved after this sweep (anything that
  // is not young or in flight, plus every resource that was down).
  int remaining = 0;
  // Young or in-flight branches left for a later pass.
  int deferred = 0;
  // Sagas finished by this pass, and those failed to compensate (all of
  // them, also those that were before; counted in `remaining` too).
  int sagas_committed = 0;
  int sagas_compensated = 0;
  int sagas_stuck = 0;
  // Why the pass stopped before its end (the node id not confirmed, or
  // taken by another process); empty when it ran to the end.
  std::string halted;

  // Nothing in doubt is left and nothing contradicted a decision.
  bool clean() const { return remaining == 0 && heuristics == 0; }
  std::string Summary() const;
};

}  // namespace xatm
