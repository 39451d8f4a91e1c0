// Manual resolution of one global transaction by an operator.
//
// --commit makes (or reuses) a COMMIT decision, commits every prepared
// branch and ENDs it. --rollback rolls every prepared branch back, but
// refuses to contradict a logged COMMIT decision unless forced; a forced
// contradiction is recorded as a HEURISTIC outcome before anything changes.
#pragma once

#include <string>
#include <vector>

#include "recovery/sweep_result.h"
#include "tm/transaction_manager.h"

namespace xatm {

enum class ManualDecision { kCommit, kRollback };

struct ResolveOptions {
  ManualDecision decision = ManualDecision::kCommit;
  bool force = false;
};

struct ResolveResult {
  std::vector<SweepEvent> events;
  int heuristics = 0;
  int remaining = 0;  // branches that could not be resolved now
};

// InvalidArgument: not an xatm gtrid. FailedPrecondition: another node's
// transaction, or a contradiction without force. NotFound: nothing of it is
// prepared or logged.
Result<ResolveResult> ResolveManually(TransactionManager& manager,
                                      const std::string& gtrid,
                                      const ResolveOptions& options);

}  // namespace xatm
