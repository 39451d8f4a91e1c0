#include "xatm/sweep_result.h"

namespace xatm {

const char* SweepActionName(SweepAction action) {
  switch (action) {
    case SweepAction::kCommitted: return "committed";
    case SweepAction::kRolledBack: return "rolled-back";
    case SweepAction::kWouldCommit: return "would-commit";
    case SweepAction::kWouldRollBack: return "would-roll-back";
    case SweepAction::kEnded: return "ended";
    case SweepAction::kHeuristic: return "HEURISTIC";
    case SweepAction::kSkippedYoung: return "skipped-young";
    case SweepAction::kSkippedInFlight: return "skipped-in-flight";
    case SweepAction::kRetryLater: return "retry-later";
    case SweepAction::kResourceDown: return "resource-down";
    case SweepAction::kLeftAlone: return "left-alone";
  }
  return "?";
}

std::string SweepResult::Summary() const {
  return "committed " + std::to_string(committed) + ", rolled back " +
         std::to_string(rolled_back) + ", ended " + std::to_string(ended) +
         ", heuristic " + std::to_string(heuristics) + ", remaining " +
         std::to_string(remaining) + ", deferred " + std::to_string(deferred);
}

}  // namespace xatm
