#include "recovery/sweep_metrics.h"

#include <algorithm>

#include "xatm/xid.h"

namespace xatm {

void RecordSweep(const SweepResult& result, int64_t now_ms, Metrics& metrics) {
  int committed = 0;
  int rolled_back = 0;
  int deferred = 0;
  int in_doubt = 0;
  int64_t oldest_ms = 0;
  for (const SweepEvent& e : result.events) {
    switch (e.action) {
      case SweepAction::kCommitted:
        ++committed;
        continue;
      case SweepAction::kRolledBack:
        ++rolled_back;
        continue;
      case SweepAction::kSkippedInFlight:
        // Being committed by this process right now: not in doubt.
        ++deferred;
        continue;
      case SweepAction::kSkippedYoung:
      case SweepAction::kRetryLater:
      case SweepAction::kWouldCommit:
      case SweepAction::kWouldRollBack:
      case SweepAction::kLeftAlone:
        ++deferred;
        break;  // left prepared: in doubt
      case SweepAction::kEnded:
      case SweepAction::kHeuristic:
      case SweepAction::kResourceDown:
      case SweepAction::kSagaCommitted:
      case SweepAction::kSagaCompensated:
      case SweepAction::kSagaStuck:
      case SweepAction::kSagaLater:
        continue;  // not about one prepared branch
    }
    ++in_doubt;
    Result<Xid> xid = Xid::ParseGtrid(e.gtrid);
    if (xid.ok()) oldest_ms = std::max(oldest_ms, now_ms - xid->begin_ms);
  }
  metrics.CountRecovery(Metrics::RecoveryAction::kFound,
                        committed + rolled_back + deferred);
  metrics.CountRecovery(Metrics::RecoveryAction::kCommitted, committed);
  metrics.CountRecovery(Metrics::RecoveryAction::kRolledBack, rolled_back);
  metrics.CountRecovery(Metrics::RecoveryAction::kDeferred, deferred);
  metrics.CountHeuristics(result.heuristics);
  metrics.SetInDoubt(in_doubt, static_cast<double>(oldest_ms) / 1000.0);
}

}  // namespace xatm
