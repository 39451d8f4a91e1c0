#include "tm/commit_check.h"

#include "xatm/logging.h"

namespace xatm {

Status ConfirmCommitted(Resource& resource, const Xid& xid, Status commit) {
  if (commit.code() != StatusCode::kNotFound) return commit;
  const std::string gtrid = xid.Gtrid();
  Result<BranchOutcome> outcome = resource.LookupOutcome(xid);
  if (!outcome.ok()) {
    // Cannot look now: leave it for a later pass rather than guess.
    return Status::Unavailable("branch gone, ledger unreadable: " +
                               outcome.status().message());
  }
  switch (*outcome) {
    case BranchOutcome::kCommitted:
      return Status::Ok();
    case BranchOutcome::kUnknown:
      Logger()->warn(
          "xid={} branch on {} is gone and the database keeps no ledger: "
          "assuming it committed",
          gtrid, resource.name());
      return Status::Ok();
    case BranchOutcome::kNotCommitted:
      break;
  }
  return Status::DataLoss("branch on " + resource.name() +
                          " was rolled back although the decision is commit");
}

Status CommitPreparedChecked(Resource& resource, const Xid& xid,
                             bool* was_gone) {
  Status commit = resource.CommitPrepared(xid);
  *was_gone = commit.code() == StatusCode::kNotFound;
  if (commit.code() == StatusCode::kAborted) {
    // A read-only branch: nothing to commit, so no ledger row to check and
    // nothing that contradicts the decision.
    Logger()->debug("xid={} branch on {} had nothing to commit: {}",
                    xid.Gtrid(), resource.name(), commit.message());
    return Status::Ok();
  }
  if (!commit.ok()) return ConfirmCommitted(resource, xid, std::move(commit));
  Result<BranchOutcome> outcome = resource.LookupOutcome(xid);
  if (outcome.ok() && *outcome == BranchOutcome::kNotCommitted) {
    Logger()->error(
        "xid={} {} answered the commit but the branch's ledger row is not "
        "visible: the commit was not applied (a branch detaching from its "
        "session); it stays in doubt and reappears after a server restart",
        xid.Gtrid(), resource.name());
    return Status::Unavailable("commit answered but not applied on " +
                               resource.name());
  }
  return Status::Ok();
}

}  // namespace xatm
