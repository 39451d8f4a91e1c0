#include "tm/commit_check.h"

#include <vector>

#include "xatm/logging.h"
#include "xatm/saga_record.h"

namespace xatm {
namespace {

constexpr char kXaGroupBarrierSql[] =
    "SELECT 1 FROM xatm_saga_barrier WHERE saga_id = ? AND step = ?";

}  // namespace

Result<BranchOutcome> LookupBranchOutcome(Resource& resource, const Xid& xid) {
  XATM_ASSIGN_OR_RETURN(BranchOutcome ledger, resource.LookupOutcome(xid));
  if (ledger != BranchOutcome::kNotCommitted) return ledger;
  Result<std::vector<Row>> rows =
      resource.QueryLocal(kXaGroupBarrierSql, {xid.Gtrid(), kXaGroupStep});
  if (rows.ok()) {
    return rows->empty() ? ledger : BranchOutcome::kCommitted;
  }
  // No barrier table (no saga ever ran here: an undefined table is a bad
  // statement) proves no more than the ledger did; any other error, such
  // as a database that stopped answering, proves nothing.
  if (rows.status().code() == StatusCode::kInvalidArgument) return ledger;
  return rows.status();
}

Status ConfirmCommitted(Resource& resource, const Xid& xid, Status commit) {
  if (commit.code() != StatusCode::kNotFound) return commit;
  const std::string gtrid = xid.Gtrid();
  Result<BranchOutcome> outcome = LookupBranchOutcome(resource, xid);
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
  Result<BranchOutcome> outcome = LookupBranchOutcome(resource, xid);
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
