#include "xatm/sweep_result.h"

namespace xatm {

const char* SweepActionName(SweepAction action) {
  switch (action) {
    case SweepAction::kCommitted:
      return "committed";
    case SweepAction::kRolledBack:
      return "rolled-back";
    case SweepAction::kWouldCommit:
      return "would-commit";
    case SweepAction::kWouldRollBack:
      return "would-roll-back";
    case SweepAction::kEnded:
      return "ended";
    case SweepAction::kHeuristic:
      return "HEURISTIC";
    case SweepAction::kSkippedYoung:
      return "skipped-young";
    case SweepAction::kSkippedInFlight:
      return "skipped-in-flight";
    case SweepAction::kRetryLater:
      return "retry-later";
    case SweepAction::kResourceDown:
      return "resource-down";
    case SweepAction::kLeftAlone:
      return "left-alone";
    case SweepAction::kSagaCommitted:
      return "saga-committed";
    case SweepAction::kSagaCompensated:
      return "saga-compensated";
    case SweepAction::kSagaStuck:
      return "saga-failed-to-compensate";
    case SweepAction::kSagaLater:
      return "saga-retry-later";
  }
  return "?";
}

std::string SweepResult::Summary() const {
  return "committed " + std::to_string(committed) + ", rolled back " +
         std::to_string(rolled_back) + ", ended " + std::to_string(ended) +
         ", heuristic " + std::to_string(heuristics) + ", remaining " +
         std::to_string(remaining) + ", deferred " + std::to_string(deferred) +
         (sagas_committed + sagas_compensated + sagas_stuck == 0
              ? ""
              : ", sagas committed " + std::to_string(sagas_committed) +
                    ", compensated " + std::to_string(sagas_compensated) +
                    ", failed to compensate " + std::to_string(sagas_stuck));
}

}  // namespace xatm
