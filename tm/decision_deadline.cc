#include "xatm/decision_deadline.h"

#include <string>

namespace xatm {

int64_t DecisionDeadlineForGrace(int64_t grace_period_ms) {
  return grace_period_ms / 2;
}

Status CheckDecisionDeadline(int64_t decision_deadline_ms,
                             int64_t grace_period_ms) {
  const std::string values =
      "decision_deadline_ms = " + std::to_string(decision_deadline_ms) +
      ", grace_period_ms = " + std::to_string(grace_period_ms);
  if (decision_deadline_ms <= 0 || grace_period_ms <= 0) {
    return Status::InvalidArgument(
        "the manager's decision_deadline_ms and the sweeper's "
        "grace_period_ms must both be positive (" +
        values + ")");
  }
  // Half leaves the other half for clocks, pauses and the last commit's
  // round trips before a sweeper may presume abort.
  if (decision_deadline_ms > grace_period_ms / 2) {
    return Status::InvalidArgument(
        "the manager's decision_deadline_ms must be at most half of the "
        "sweeper's grace_period_ms (" +
        values +
        "): a transaction decided after a sweeper presumed it aborted would "
        "commit on some databases and roll back on others");
  }
  return Status::Ok();
}

}  // namespace xatm
