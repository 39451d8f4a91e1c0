#include "recovery/commit_evidence.h"

#include "tm/commit_check.h"
#include "tm/names.h"
#include "xatm/logging.h"

namespace xatm {

CommitEvidence FindCommitEvidence(TransactionManager& manager, const Xid& xid,
                                  const std::set<std::string>& prepared_on,
                                  const std::set<std::string>& down) {
  CommitEvidence evidence;
  if (manager.log().HasCommitHistory(xid.Gtrid())) {
    evidence.kind = CommitEvidence::Kind::kHistory;
    return evidence;
  }
  for (const auto& resource : manager.resources()) {
    const std::string& name = resource->name();
    if (prepared_on.count(name) != 0) continue;
    if (down.count(name) != 0) {
      evidence.kind = CommitEvidence::Kind::kUnknown;
      evidence.why = name + " is unreachable";
      return evidence;
    }
    Result<BranchOutcome> outcome = LookupBranchOutcome(*resource, xid);
    if (!outcome.ok()) {
      evidence.kind = CommitEvidence::Kind::kUnknown;
      evidence.why =
          "ledger of " + name + " unreadable: " + outcome.status().message();
      return evidence;
    }
    if (*outcome == BranchOutcome::kCommitted) {
      evidence.committed_on.push_back(name);
    }
  }
  if (!evidence.committed_on.empty()) {
    evidence.kind = CommitEvidence::Kind::kSiblingCommitted;
  }
  return evidence;
}

Status WithdrawAbortForCommit(TransactionManager& manager, const Xid& xid,
                              const std::set<std::string>& prepared_on,
                              const CommitEvidence& evidence,
                              std::vector<std::string>* resources) {
  std::set<std::string> names = prepared_on;
  names.insert(evidence.committed_on.begin(), evidence.committed_on.end());
  resources->assign(names.begin(), names.end());
  const std::string gtrid = xid.Gtrid();
  Logger()->warn(
      "xid={} committed before the abort fence (its COMMIT decision already "
      "ENDed; the branch on {} is committed): withdrawing the abort just "
      "claimed for a COMMIT decision (resources {})",
      gtrid, evidence.committed_on.front(), JoinNames(*resources));
  return manager.log().WithdrawAbort(gtrid, *resources,
                                     manager.clock().NowMs());
}

}  // namespace xatm
