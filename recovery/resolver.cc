#include "xatm/resolver.h"

#include <algorithm>
#include <optional>
#include <set>

#include "recovery/commit_evidence.h"
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
    Result<BranchOutcome> outcome = LookupBranchOutcome(*resource, xid);
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

// One manual resolution: what was found of the transaction, and what has
// been done so far.
struct Resolution {
  Resolution(TransactionManager& manager, const Xid& xid,
             const std::string& gtrid, const ResolveOptions& options)
      : manager(manager), xid(xid), gtrid(gtrid), options(options) {}

  TransactionManager& manager;
  const Xid& xid;
  const std::string& gtrid;
  const ResolveOptions& options;
  std::vector<OwnBranch> prepared;
  std::set<std::string> prepared_names;
  std::optional<DecisionRecord> decision;  // its open COMMIT, if any
  int64_t now_ms = 0;
  ResolveResult result;

  void Add(const std::string& resource, SweepAction action,
           const std::string& detail = "") {
    result.events.push_back({gtrid, resource, action, detail});
  }
  std::vector<std::string> PreparedList() const {
    return {prepared_names.begin(), prepared_names.end()};
  }
};

// A COMMIT a rollback would contradict: the branches it names and, for the
// refusal, what it is.
struct CommitFound {
  std::vector<std::string> resources;
  std::string what;
};

// The fence, as recovery's: a store records abort for every node unless a
// COMMIT got there first (a coordinator still deciding); a log presumes
// abort unless it has failed. nullopt: abort holds.
using MaybeCommit = std::optional<CommitFound>;

Result<MaybeCommit> FenceForRollback(Resolution& r) {
  if (r.decision.has_value()) {
    return MaybeCommit{
        CommitFound{r.decision->resources, "a durable COMMIT decision"}};
  }
  Result<bool> abort_holds = r.manager.log().ClaimAbort(r.gtrid);
  if (!abort_holds.ok()) {
    return Status::Unavailable(
        "xid=" + r.gtrid +
        ": cannot record the abort: " + abort_holds.status().message());
  }
  if (!*abort_holds) {
    return MaybeCommit{
        CommitFound{r.PreparedList(), "a durable COMMIT decision"}};
  }
  // From now on no COMMIT can be decided. One decided before the fence and
  // ENDed by its coordinator (alive after all) between the listing and the
  // fence left only its ledger rows: every resource is asked again.
  CommitEvidence evidence = FindCommitEvidence(r.manager, r.xid,
                                               /*prepared_on=*/{}, /*down=*/{});
  switch (evidence.kind) {
    case CommitEvidence::Kind::kNone:
      return MaybeCommit();
    case CommitEvidence::Kind::kUnknown:
      // Such a commit ENDed only once every branch committed: none is left
      // prepared for this rollback to harm. Only the report could be wrong.
      Logger()->warn(
          "xid={} abort recorded, but whether it committed just before "
          "cannot be read ({}): rolling back what is still prepared",
          r.gtrid, evidence.why);
      return MaybeCommit();
    case CommitEvidence::Kind::kHistory:
      // Another process withdrew the abort meanwhile.
      return MaybeCommit{CommitFound{r.PreparedList(), "a COMMIT decision"}};
    case CommitEvidence::Kind::kSiblingCommitted:
      break;
  }
  std::vector<std::string> resources;
  Status withdrawn = WithdrawAbortForCommit(r.manager, r.xid, r.prepared_names,
                                            evidence, &resources);
  if (!withdrawn.ok()) {
    return Status::Unavailable(
        "xid=" + r.gtrid + " committed on " + evidence.committed_on.front() +
        " before the abort was recorded, and the abort could not be "
        "withdrawn: " +
        withdrawn.message());
  }
  return MaybeCommit{CommitFound{
      resources, "committed on " + JoinNames(evidence.committed_on) +
                     " before the abort could be recorded"}};
}

// Rolls back every prepared branch; one that cannot be is left remaining.
void RollBackPrepared(Resolution& r) {
  for (const OwnBranch& b : r.prepared) {
    const std::string& name = b.resource->name();
    Status s = b.resource->RollbackPrepared(r.xid);
    if (s.ok() || s.code() == StatusCode::kNotFound) {
      Logger()->info("xid={} operator rolled back branch on {}", r.gtrid, name);
      r.Add(name, SweepAction::kRolledBack);
    } else {
      r.Add(name, SweepAction::kRetryLater, s.message());
      ++r.result.remaining;
    }
  }
}

// Logs END once nothing is left to resolve.
Status EndWhenDone(Resolution& r) {
  if (r.result.remaining != 0) return Status::Ok();
  XATM_RETURN_IF_ERROR(
      r.manager.log().LogEnd(r.gtrid, r.now_ms, EndOrigin::kRecovery));
  r.Add("", SweepAction::kEnded);
  return Status::Ok();
}

Result<ResolveResult> RollBackByHand(Resolution& r) {
  XATM_ASSIGN_OR_RETURN(std::optional<CommitFound> commit, FenceForRollback(r));
  if (commit.has_value()) {
    if (!r.options.force) {
      return Status::FailedPrecondition(
          "xid=" + r.gtrid + " has " + commit->what +
          "; rolling it back would contradict it (use --force: recorded as a "
          "heuristic outcome)");
    }
    std::string detail =
        "operator forced rollback against the commit decision; prepared on " +
        JoinNames(r.PreparedList());
    Logger()->error("xid={} HEURISTIC outcome: {}", r.gtrid, detail);
    XATM_RETURN_IF_ERROR(r.manager.log().LogHeuristic(
        r.gtrid, commit->resources, detail, r.now_ms));
    r.Add(JoinNames(commit->resources), SweepAction::kHeuristic, detail);
    ++r.result.heuristics;
  }
  RollBackPrepared(r);
  if (commit.has_value()) XATM_RETURN_IF_ERROR(EndWhenDone(r));
  return std::move(r.result);
}

// The branches to commit: those of the open decision, or of a decision
// made now (durable before the first branch commits; the coordinator is
// gone, so its decision deadline does not apply; a recorded abort still
// refuses it).
Result<std::vector<std::string>> DecideCommit(Resolution& r) {
  if (r.decision.has_value()) return r.decision->resources;
  XATM_ASSIGN_OR_RETURN(
      std::vector<std::string> resources,
      ManualCommitParticipants(r.manager, r.xid, r.prepared_names,
                               r.options.force));
  XATM_RETURN_IF_ERROR(
      r.manager.log().LogCommitAfterTheFact(r.gtrid, resources, r.now_ms));
  Logger()->info("xid={} operator decided commit on {}", r.gtrid,
                 JoinNames(resources));
  return resources;
}

// Commits (or confirms committed) each branch of the decision; answers the
// resources whose branch was rolled back although the decision is commit.
std::vector<std::string> CommitEach(Resolution& r,
                                    const std::vector<std::string>& resources) {
  std::vector<std::string> contradicted;
  for (const std::string& name : resources) {
    Resource* resource = r.manager.FindResource(name);
    if (resource == nullptr) {
      r.Add(name, SweepAction::kRetryLater, "resource not configured");
      ++r.result.remaining;
      continue;
    }
    const bool is_prepared = r.prepared_names.count(name) != 0;
    bool gone = false;
    Status s = is_prepared ? CommitPreparedChecked(*resource, r.xid, &gone)
                           : ConfirmCommitted(*resource, r.xid,
                                              Status::NotFound("not prepared"));
    if (s.ok()) {
      r.Add(name, SweepAction::kCommitted,
            is_prepared ? "" : "already committed");
    } else if (s.code() == StatusCode::kDataLoss) {
      contradicted.push_back(name);
    } else {
      r.Add(name, SweepAction::kRetryLater, s.message());
      ++r.result.remaining;
    }
  }
  return contradicted;
}

Result<ResolveResult> CommitByHand(Resolution& r,
                                   const std::vector<ResourceFailure>& failed) {
  // Every resource must have answered, or a branch it holds would be left
  // out of the decision and presumed aborted later.
  if (!failed.empty()) {
    return Status::Unavailable(
        "xid=" + r.gtrid + ": cannot commit by hand while " +
        failed[0].resource + " does not answer (" + failed[0].status.message() +
        "): every configured resource must answer");
  }
  XATM_ASSIGN_OR_RETURN(std::vector<std::string> resources, DecideCommit(r));
  std::vector<std::string> contradicted = CommitEach(r, resources);
  if (!contradicted.empty()) {
    std::string detail =
        "decision commit, branch rolled back on " + JoinNames(contradicted);
    Logger()->error("xid={} HEURISTIC outcome: {}", r.gtrid, detail);
    XATM_RETURN_IF_ERROR(
        r.manager.log().LogHeuristic(r.gtrid, contradicted, detail, r.now_ms));
    r.Add(JoinNames(contradicted), SweepAction::kHeuristic, detail);
    ++r.result.heuristics;
  }
  XATM_RETURN_IF_ERROR(EndWhenDone(r));
  return std::move(r.result);
}

}  // namespace

Result<ResolveResult> ResolveManually(TransactionManager& manager,
                                      const std::string& gtrid,
                                      const ResolveOptions& options) {
  XATM_ASSIGN_OR_RETURN(Xid xid, Xid::ParseGtrid(gtrid));
  // A shared store holds every node's decisions and fences for them all;
  // a log directory holds only this node's. A decision kept elsewhere may
  // be COMMIT: never decide over it from here.
  const bool foreign = xid.node != manager.node_id();
  if (!manager.log().Holds(xid, manager.node_id())) {
    return Status::FailedPrecondition(
        "xid=" + gtrid + " (node '" + xid.node + "'): its decision lives in " +
        DecisionLog::DescribeHome(xid) +
        ", which this node does not read: resolve it with that node's "
        "configuration");
  }

  Resolution r{manager, xid, gtrid, options};
  OwnBranches own = ListOwnBranches(manager, nullptr, /*all_nodes=*/foreign);
  for (OwnBranch& b : own.branches) {
    if (b.branch.id.xid != xid) continue;
    r.prepared_names.insert(b.resource->name());
    r.prepared.push_back(std::move(b));
  }
  r.decision = manager.log().FindOpenCommit(gtrid);
  if (r.prepared.empty() && !r.decision.has_value()) {
    if (!own.failed.empty()) {
      return Status::Unavailable(
          "xid=" + gtrid + ": nothing found, and " + own.failed[0].resource +
          " is unreachable: " + own.failed[0].status.message());
    }
    return Status::NotFound("xid=" + gtrid +
                            ": no prepared branch and no open decision");
  }
  r.now_ms = manager.clock().NowMs();
  for (const ResourceFailure& f : own.failed) {
    r.Add(f.resource, SweepAction::kResourceDown, f.status.message());
    ++r.result.remaining;
  }
  if (options.decision == ManualDecision::kRollback) return RollBackByHand(r);
  return CommitByHand(r, own.failed);
}

}  // namespace xatm
