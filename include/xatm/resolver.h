/// @file
/// Manual resolution of one global transaction by an operator.
///
/// `--commit` makes (or reuses) a COMMIT decision, commits every prepared
/// branch and ENDs it; a decision store refuses the COMMIT when abort is
/// recorded there. `--rollback` first fences like recovery
/// (DecisionLog::ClaimAbort: a store records abort unless a COMMIT got
/// there first), then rolls every prepared branch back; it refuses to
/// contradict a COMMIT decision unless forced, and a forced contradiction
/// is recorded as a HEURISTIC outcome before anything changes. With a
/// shared store any node's transaction may be resolved; with a log, only
/// this node's.
#pragma once

#include <string>
#include <vector>

#include "xatm/sweep_result.h"
#include "xatm/transaction_manager.h"

namespace xatm {

/// What an operator decides for a transaction: `kCommit` (`xatm resolve
/// --commit`) or `kRollback` (`--rollback`).
enum class ManualDecision { kCommit, kRollback };

/// The operator's request to ResolveManually.
struct ResolveOptions {
  ManualDecision decision = ManualDecision::kCommit;  ///< commit or roll back
  /// Roll back even against a COMMIT decision (recorded as a HEURISTIC
  /// outcome first); commit without a logged decision although a
  /// configured resource shows neither a prepared nor a committed branch.
  bool force = false;
};

/// What ResolveManually did.
struct ResolveResult {
  std::vector<SweepEvent> events;  ///< branch by branch, in order
  int heuristics = 0;              ///< HEURISTIC outcomes it recorded
  int remaining = 0;               ///< branches that could not be resolved now
};

/// InvalidArgument: not an xatm gtrid. FailedPrecondition: another node's
/// transaction (a log), a contradiction without force, or a COMMIT refused
/// because abort is recorded. NotFound: nothing of it is prepared or logged.
/// Unavailable: a resource or the store did not answer.
Result<ResolveResult> ResolveManually(TransactionManager& manager,
                                      const std::string& gtrid,
                                      const ResolveOptions& options);

}  // namespace xatm
