#include "xatm/resolver.h"

#include <algorithm>
#include <optional>
#include <set>

#include "tm/commit_check.h"
#include "tm/names.h"
#include "xatm/logging.h"
#include "xatm/own_branches.h"

namespace xatm {
namespace {

// The branches a manual COMMIT decision names when none is logged: those
// prepared, and those whose ledger shows them committed. A configured
// resource with neither may hold a branch that never prepared (rolled back
// with its changes): committing the rest would commit part of the
// transaction, so that is refused unless forced.
Result<std::vector<std::string>> ManualCommitParticipants(
    TransactionManager& manager, const Xid& xid,
    const std::set<std::string>& prepared, bool force) {
  std::set<std::string> names = prepared;
  std::vector<std::string> no_trace;
  for (const auto& resource : manager.resources()) {
    const std::string& name = resource->name();
    if (prepared.count(name) != 0) continue;
    Result<BranchOutcome> outcome = resource->LookupOutcome(xid);
    if (!outcome.ok()) {
      return Status::Unavailable(
          "xid=" + xid.Gtrid() + ": cannot commit by hand: the ledger of " +
          name + " is unreadable: " + outcome.status().message());
    }
    if (*outcome == BranchOutcome::kCommitted) {
      names.insert(name);
    } else {
      no_trace.push_back(name);
    }
  }
  if (!no_trace.empty() && !force) {
    return Status::FailedPrecondition(
        "xid=" + xid.Gtrid() + " has no logged decision, and " +
        JoinNames(no_trace) +
        " shows neither a prepared branch nor a committed one: a branch "
        "there may have been rolled back before it prepared, and committing "
        "the others would commit part of the transaction. Roll it back, or "
        "use --force if " +
        JoinNames(no_trace) + " took no part in it");
  }
  return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace

Result<ResolveResult> ResolveManually(TransactionManager& manager,
                                      const std::string& gtrid,
                                      const ResolveOptions& options) {
  Result<Xid> xid = Xid::ParseGtrid(gtrid);
  if (!xid.ok()) return xid.status();
  // A shared store holds every node's decisions and fences for them all;
  // a log directory holds only this node's. A decision kept elsewhere may
  // be COMMIT: never decide over it from here.
  const bool foreign = xid->node != manager.node_id();
  if (!manager.log().Holds(*xid, manager.node_id())) {
    return Status::FailedPrecondition(
        "xid=" + gtrid + " (node '" + xid->node + "'): its decision lives in " +
        DecisionLog::DescribeHome(*xid) +
        ", which this node does not read: resolve it with that node's "
        "configuration");
  }

  OwnBranches own = ListOwnBranches(manager, nullptr, /*all_nodes=*/foreign);
  std::vector<OwnBranch> prepared;
  for (OwnBranch& b : own.branches) {
    if (b.branch.id.xid == *xid) prepared.push_back(std::move(b));
  }
  std::optional<DecisionRecord> decision = manager.log().FindOpenCommit(gtrid);
  if (prepared.empty() && !decision.has_value()) {
    if (!own.failed.empty()) {
      return Status::Unavailable(
          "xid=" + gtrid + ": nothing found, and " + own.failed[0].resource +
          " is unreachable: " + own.failed[0].status.message());
    }
    return Status::NotFound("xid=" + gtrid +
                            ": no prepared branch and no open decision");
  }

  ResolveResult result;
  const int64_t now_ms = manager.clock().NowMs();
  std::set<std::string> prepared_names;
  for (const OwnBranch& b : prepared) prepared_names.insert(b.resource->name());
  for (const ResourceFailure& f : own.failed) {
    result.events.push_back(
        {gtrid, f.resource, SweepAction::kResourceDown, f.status.message()});
    ++result.remaining;
  }

  if (options.decision == ManualDecision::kRollback) {
    std::vector<std::string> prepared_list(prepared_names.begin(),
                                           prepared_names.end());
    // The branches a COMMIT decision names, when there is one.
    std::optional<std::vector<std::string>> committed;
    if (decision.has_value()) {
      committed = decision->resources;
    } else {
      // The fence, as recovery's: a store records abort for every node
      // unless a COMMIT got there first (a coordinator still deciding); a
      // log presumes abort unless it has failed.
      Result<bool> abort_holds = manager.log().ClaimAbort(gtrid);
      if (!abort_holds.ok()) {
        return Status::Unavailable(
            "xid=" + gtrid +
            ": cannot record the abort: " + abort_holds.status().message());
      }
      if (!*abort_holds) committed = prepared_list;
    }
    if (committed.has_value()) {
      if (!options.force) {
        return Status::FailedPrecondition(
            "xid=" + gtrid +
            " has a durable COMMIT decision; rolling it back would contradict "
            "it (use --force: recorded as a heuristic outcome)");
      }
      std::string detail =
          "operator forced rollback against the commit "
          "decision; prepared on " +
          JoinNames(prepared_list);
      Logger()->error("xid={} HEURISTIC outcome: {}", gtrid, detail);
      XATM_RETURN_IF_ERROR(
          manager.log().LogHeuristic(gtrid, *committed, detail, now_ms));
      result.events.push_back(
          {gtrid, JoinNames(*committed), SweepAction::kHeuristic, detail});
      ++result.heuristics;
    }
    for (const OwnBranch& b : prepared) {
      Status s = b.resource->RollbackPrepared(*xid);
      if (s.ok() || s.code() == StatusCode::kNotFound) {
        Logger()->info("xid={} operator rolled back branch on {}", gtrid,
                       b.resource->name());
        result.events.push_back(
            {gtrid, b.resource->name(), SweepAction::kRolledBack, ""});
      } else {
        result.events.push_back(
            {gtrid, b.resource->name(), SweepAction::kRetryLater, s.message()});
        ++result.remaining;
      }
    }
    if (committed.has_value() && result.remaining == 0) {
      XATM_RETURN_IF_ERROR(
          manager.log().LogEnd(gtrid, now_ms, EndOrigin::kRecovery));
      result.events.push_back({gtrid, "", SweepAction::kEnded, ""});
    }
    return result;
  }

  // Commit: every resource must have answered, or a branch it holds would
  // be left out of the decision and presumed aborted later.
  if (!own.failed.empty()) {
    return Status::Unavailable("xid=" + gtrid +
                               ": cannot commit by hand while " +
                               own.failed[0].resource + " does not answer (" +
                               own.failed[0].status.message() +
                               "): every configured resource must answer");
  }
  std::vector<std::string> resources;
  if (decision.has_value()) {
    resources = decision->resources;
  } else {
    Result<std::vector<std::string>> participants =
        ManualCommitParticipants(manager, *xid, prepared_names, options.force);
    if (!participants.ok()) return participants.status();
    resources = std::move(participants).value();
    // The decision must be durable before the first branch commits. The
    // coordinator is gone, so its decision deadline does not apply; a
    // recorded abort still refuses it.
    XATM_RETURN_IF_ERROR(
        manager.log().LogCommitAfterTheFact(gtrid, resources, now_ms));
    Logger()->info("xid={} operator decided commit on {}", gtrid,
                   JoinNames(resources));
  }
  std::vector<std::string> contradicted;
  for (const std::string& name : resources) {
    Resource* r = manager.FindResource(name);
    if (r == nullptr) {
      result.events.push_back(
          {gtrid, name, SweepAction::kRetryLater, "resource not configured"});
      ++result.remaining;
      continue;
    }
    bool is_prepared = prepared_names.count(name) != 0;
    bool gone = false;
    Status s = is_prepared ? CommitPreparedChecked(*r, *xid, &gone)
                           : ConfirmCommitted(*r, *xid,
                                              Status::NotFound("not prepared"));
    if (s.ok()) {
      result.events.push_back({gtrid, name, SweepAction::kCommitted,
                               is_prepared ? "" : "already committed"});
    } else if (s.code() == StatusCode::kDataLoss) {
      contradicted.push_back(name);
    } else {
      result.events.push_back(
          {gtrid, name, SweepAction::kRetryLater, s.message()});
      ++result.remaining;
    }
  }
  if (!contradicted.empty()) {
    std::string detail =
        "decision commit, branch rolled back on " + JoinNames(contradicted);
    Logger()->error("xid={} HEURISTIC outcome: {}", gtrid, detail);
    XATM_RETURN_IF_ERROR(
        manager.log().LogHeuristic(gtrid, contradicted, detail, now_ms));
    result.events.push_back(
        {gtrid, JoinNames(contradicted), SweepAction::kHeuristic, detail});
    ++result.heuristics;
  }
  if (result.remaining == 0) {
    XATM_RETURN_IF_ERROR(
        manager.log().LogEnd(gtrid, now_ms, EndOrigin::kRecovery));
    result.events.push_back({gtrid, "", SweepAction::kEnded, ""});
  }
  return result;
}

}  // namespace xatm
