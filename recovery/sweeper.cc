#include "xatm/sweeper.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "recovery/commit_evidence.h"
#include "recovery/parallel_for.h"
#include "recovery/sweep_metrics.h"
#include "tm/commit_check.h"
#include "tm/crash_point.h"
#include "tm/names.h"
#include "xatm/key_table.h"
#include "xatm/logging.h"
#include "xatm/own_branches.h"
#include "xatm/saga_barrier.h"

namespace xatm {

// State of one pass.
struct Sweeper::Pass {
  int64_t now_ms = 0;
  // COMMIT decisions open before anything was listed: only these are
  // checked for END, so a branch missing from the listing is known to have
  // been resolved before the listing, not prepared after it.
  std::vector<DecisionRecord> open_before;
  std::set<std::string> open_before_ids;
  std::set<std::string> down;  // resources not listed in this pass
  // Every read of the store (nodes, open decisions) succeeded: with no
  // resource down, the pass saw everything.
  bool store_read = true;
  std::set<std::string> taken_over;  // other nodes resolved in this pass
  std::vector<OwnBranch> prepared;
  // Nodes with a branch found under another resource name: never settled.
  std::set<std::string> misplaced_nodes;
  // (gtrid, resource) -> what this pass learned of a branch of an open
  // decision: OK committed, DataLoss heuristic, other = unresolved.
  std::map<std::pair<std::string, std::string>, Status> outcome;
  std::atomic<bool> first_commit_done{false};
  std::atomic<bool> first_rollback_done{false};
  std::atomic<bool> halted{false};  // see Sweeper::MayAct
  std::mutex progress_mu;
  size_t branches_done = 0;  // guarded by progress_mu
  SweepResult result;

  void Add(const std::string& gtrid, const std::string& resource,
           SweepAction action, std::string detail = "") {
    result.events.push_back(SweepEvent{gtrid, resource, action, detail});
  }
};

// One global transaction with prepared branches in this pass: what is
// asked once for all of them.
struct Sweeper::Txn {
  std::vector<size_t> branches;       // indexes into Pass::prepared, in order
  std::set<std::string> prepared_on;  // resources where one is prepared
  // Commit evidence when there is no open decision, and the store's answer
  // to ClaimAbort (true: abort holds).
  std::optional<CommitEvidence> evidence;
  std::optional<Result<bool>> claim;
  // Once abort is claimed: the evidence read again, and the answer to
  // withdrawing the abort when that shows a commit.
  std::optional<CommitEvidence> evidence_after_claim;
  std::optional<Status> withdrawn;
};

// One prepared branch being resolved on a worker: reads the pass, writes
// only its own report, merged into the pass in listing order afterwards.
struct Sweeper::BranchWork {
  Pass& pass;
  Txn& txn;
  const OwnBranch& found;
  SweepResult report;             // this branch's events and counts
  std::optional<Status> outcome;  // for Pass::outcome

  const Xid& xid() const { return found.branch.id.xid; }
  const std::string& name() const { return found.resource->name(); }
  void Add(SweepAction action, std::string detail = "") {
    report.events.push_back(
        SweepEvent{xid().Gtrid(), name(), action, std::move(detail)});
  }
};

namespace {

void AddCounts(SweepResult& into, SweepResult&& from) {
  for (SweepEvent& e : from.events) into.events.push_back(std::move(e));
  into.committed += from.committed;
  into.rolled_back += from.rolled_back;
  into.ended += from.ended;
  into.heuristics += from.heuristics;
  into.remaining += from.remaining;
  into.deferred += from.deferred;
}

}  // namespace

Sweeper::Sweeper(TransactionManager* manager, SweeperOptions options)
    : manager_(manager), options_(options) {
  if (options_.all_nodes && !manager_->log().shared()) {
    // Another node's decisions are in its own log: never presume for it.
    Logger()->error(
        "sweep: all_nodes needs a decision store every node "
        "shares; resolving this node's branches only");
    options_.all_nodes = false;
  }
  Resource* store = manager_->log().store_resource();
  if (options_.takeover_after_ms > 0 && !options_.all_nodes &&
      store != nullptr) {
    Result<std::unique_ptr<NodeRegistry>> registry = NodeRegistry::Open(*store);
    if (registry.ok()) {
      registry_ = std::move(registry).value();
    } else {
      Logger()->error("sweep: no takeover of silent nodes: {}",
                      registry.status().ToString());
    }
  }
}

std::set<std::string> Sweeper::NodesToTakeOver(Pass& pass) {
  std::set<std::string> silent;
  if (registry_ == nullptr) return silent;
  Result<std::vector<NodeRecord>> nodes = registry_->List();
  if (!nodes.ok()) {
    pass.store_read = false;
    // The store is down: its decisions cannot be read either.
    Logger()->warn("sweep: cannot read the nodes: {}",
                   nodes.status().ToString());
    return taken_over_;
  }
  for (const NodeRecord& n : *nodes) {
    if (n.node == manager_->node_id()) continue;
    if (n.age_ms < options_.takeover_after_ms) continue;
    silent.insert(n.node);
    if (taken_over_.count(n.node) == 0) {
      Logger()->warn(
          "sweep: node {} (host {} pid {}) silent for {} ms: taking over its "
          "transactions",
          n.node, n.host, n.pid, n.age_ms);
    }
  }
  for (const std::string& node : taken_over_) {
    if (silent.count(node) == 0) {
      Logger()->info("sweep: node {} is back (or gone from the table)", node);
    }
  }
  taken_over_ = silent;
  return silent;
}

void Sweeper::ForgetSettledNodes(const Pass& pass) {
  // Only what every resource and the store were asked about is known to be
  // settled: a row removed too early is never taken over again.
  if (registry_ == nullptr || pass.taken_over.empty() || !pass.down.empty() ||
      !pass.store_read) {
    return;
  }
  // What the pass saw of them; a decision it ENDed still counts (the next
  // pass removes the row), so the store is not read again for this.
  std::set<std::string> unsettled = pass.misplaced_nodes;
  for (const OwnBranch& b : pass.prepared)
    unsettled.insert(b.branch.id.xid.node);
  for (const DecisionRecord& d : pass.open_before) {
    Result<Xid> xid = Xid::ParseGtrid(d.gtrid);
    if (xid.ok()) unsettled.insert(xid->node);
  }
  for (const std::string& node : pass.taken_over) {
    if (unsettled.count(node) != 0) continue;
    // Still silent, and still the process that fell silent: a node that
    // comes back puts its row back with its next heartbeat.
    Result<bool> forgotten =
        registry_->ForgetIfSilent(node, options_.takeover_after_ms);
    if (forgotten.ok() && *forgotten) {
      Logger()->info(
          "sweep: node {} taken over, nothing of it left: row removed", node);
      taken_over_.erase(node);
    }
  }
}

bool Sweeper::CoversNode(const Pass& pass, const std::string& node) const {
  return options_.all_nodes || node == manager_->node_id() ||
         pass.taken_over.count(node) != 0;
}

bool Sweeper::ShouldSkip(const std::string& resource, int64_t now_ms) const {
  auto it = backoff_.find(resource);
  return it != backoff_.end() && now_ms < it->second.next_try_ms;
}

void Sweeper::NoteDown(const std::string& resource, int64_t now_ms) {
  Backoff& b = backoff_[resource];
  b.delay_ms = b.delay_ms == 0
                   ? options_.initial_backoff_ms
                   : std::min(b.delay_ms * 2, options_.max_backoff_ms);
  b.next_try_ms = now_ms + b.delay_ms;
}

void Sweeper::NoteUp(const std::string& resource) { backoff_.erase(resource); }

bool Sweeper::Covers(const Pass& pass, const std::string& gtrid) const {
  if (options_.all_nodes) return true;
  Result<Xid> xid = Xid::ParseGtrid(gtrid);
  // A foreign gtrid is reported by FinishDecisions.
  return !xid.ok() || CoversNode(pass, xid->node);
}

Status Sweeper::health() const {
  std::lock_guard<std::mutex> lock(health_mu_);
  return health_;
}

bool Sweeper::MayAct(Pass& pass) {
  if (pass.halted.load()) return false;
  if (!options_.node_health) return true;
  Status held = options_.node_health();
  if (held.ok()) return true;
  std::lock_guard<std::mutex> lock(pass.progress_mu);
  if (pass.halted.exchange(true)) return false;
  pass.result.halted = held.ToString();
  // Lost for good is an error; unconfirmed (a late beat) is retried.
  const bool lost = held.code() == StatusCode::kFailedPrecondition;
  Logger()->log(lost ? spdlog::level::err : spdlog::level::warn,
                "sweep: stopped before the end of the pass: {}",
                held.ToString());
  if (lost) {
    std::lock_guard<std::mutex> health_lock(health_mu_);
    health_ = held;
  }
  return false;
}

bool Sweeper::MayAct(BranchWork& work) {
  if (options_.dry_run || MayAct(work.pass)) return true;
  work.Add(SweepAction::kRetryLater, "node id not confirmed");
  return false;
}

SweepResult Sweeper::SweepOnce() {
  std::lock_guard<std::mutex> lock(sweep_mu_);
  Pass pass;
  pass.now_ms = manager_->clock().NowMs();
  if (Status lost = health(); !lost.ok()) {
    pass.result.halted = lost.ToString();
    return std::move(pass.result);
  }
  if (!MayAct(pass)) return std::move(pass.result);
  pass.taken_over = NodesToTakeOver(pass);
  Result<std::vector<DecisionRecord>> open = manager_->log().ReadOpenCommits();
  std::vector<DecisionRecord> open_commits;
  if (open.ok()) {
    open_commits = std::move(open).value();
  } else {
    Logger()->warn("sweep: {}", open.status().ToString());
    pass.store_read = false;
  }
  for (DecisionRecord& d : open_commits) {
    if (!Covers(pass, d.gtrid)) continue;
    pass.open_before_ids.insert(d.gtrid);
    pass.open_before.push_back(std::move(d));
  }
  ListBranches(pass);
  ResolveBranches(pass);
  FinishDecisions(pass);
  if (options_.sagas != nullptr && !options_.dry_run && MayAct(pass)) {
    SweepSagas(pass);
  }
  if (!options_.dry_run && MayAct(pass)) ForgetSettledNodes(pass);
  if (!options_.dry_run && MayAct(pass)) {
    Status pruned = manager_->log().Prune();
    if (!pruned.ok()) Logger()->warn("sweep: {}", pruned.ToString());
  }
  if (!options_.dry_run && options_.key_retention_s > 0 &&
      pass.now_ms >= next_key_prune_ms_) {
    next_key_prune_ms_ = pass.now_ms + kKeyPruneIntervalMs;
    for (const auto& resource : manager_->resources()) {
      Status s = PruneKeys(*resource, options_.key_retention_s);
      if (!s.ok()) Logger()->warn("sweep: {}", s.ToString());
    }
    if (options_.sagas != nullptr && options_.saga_retention_s > 0) {
      PruneSagas();
    }
  }
  if (!pass.result.events.empty()) {
    Logger()->info("sweep: {}", pass.result.Summary());
  }
  RecordSweep(pass.result, pass.now_ms, manager_->metrics());
  return std::move(pass.result);
}

void Sweeper::SweepSagas(Pass& pass) {
  SagaResumeOptions resume;
  resume.grace_ms = options_.grace_period_ms;
  resume.node_is_gone = [&pass, this](const std::string& node) {
    return options_.all_nodes || pass.taken_over.count(node) != 0;
  };
  SagaResumeResult sagas = options_.sagas->Resume(resume);
  for (const SagaOutcome& o : sagas.driven) {
    switch (o.phase) {
      case SagaPhase::kCommitted:
        pass.Add(o.id, "", SweepAction::kSagaCommitted, "");
        ++pass.result.sagas_committed;
        break;
      case SagaPhase::kCompensated:
        pass.Add(o.id, "", SweepAction::kSagaCompensated, o.reason);
        ++pass.result.sagas_compensated;
        break;
      case SagaPhase::kFailedToCompensate:
        break;  // listed below with the others
      default:
        pass.Add(o.id, "", SweepAction::kSagaLater, o.reason);
        ++pass.result.remaining;
    }
  }
  int64_t oldest_stuck_ms = 0;
  for (const std::string& id : sagas.stuck_ids) {
    if (Result<Xid> xid = Xid::ParseGtrid(id); xid.ok()) {
      oldest_stuck_ms = std::max(oldest_stuck_ms, pass.now_ms - xid->begin_ms);
    }
    pass.Add(id, "", SweepAction::kSagaStuck,
             "resolve it: xatm resolve " + id +
                 " --retry | --mark-compensated --reason TEXT");
    ++pass.result.sagas_stuck;
    ++pass.result.remaining;
  }
  manager_->metrics().SetStuckSagas(
      static_cast<int>(sagas.stuck_ids.size()),
      static_cast<double>(oldest_stuck_ms) / 1000.0);
  pass.result.deferred += sagas.waiting;
  for (const std::string& e : sagas.errors) {
    if (e.rfind("sagas: ", 0) == 0) {
      pass.Add("", "", SweepAction::kSagaLater, e);
      ++pass.result.remaining;
    }
  }
}

void Sweeper::PruneSagas() {
  SagaJournal& journal = options_.sagas->journal();
  Status s = journal.Prune(options_.saga_retention_s);
  if (!s.ok()) Logger()->warn("sweep: sagas: {}", s.ToString());
  // Barrier rows guard unfinished sagas: those are kept.
  Result<std::vector<SagaRecord>> open = journal.Unfinished();
  if (!open.ok()) return;
  std::vector<std::string> keep;
  for (const SagaRecord& r : *open) keep.push_back(r.id);
  const std::string prefix =
      options_.all_nodes ? "" : "xatm:" + manager_->node_id() + ":";
  for (const auto& resource : manager_->resources()) {
    s = PruneSagaBarriers(*resource, options_.saga_retention_s, prefix, keep);
    if (!s.ok()) Logger()->warn("sweep: saga barriers: {}", s.ToString());
  }
}

void Sweeper::ListBranches(Pass& pass) {
  auto backing_off = [&](const std::string& name) {
    if (!ShouldSkip(name, pass.now_ms)) return false;
    pass.down.insert(name);
    pass.Add("", name, SweepAction::kResourceDown, "backing off");
    ++pass.result.remaining;
    return true;
  };
  OwnBranches own = ListBranchesOf(
      *manager_, backing_off,
      [&](const std::string& node) { return CoversNode(pass, node); });
  for (const ResourceFailure& f : own.failed) {
    NoteDown(f.resource, pass.now_ms);
    pass.down.insert(f.resource);
    pass.Add("", f.resource, SweepAction::kResourceDown, f.status.message());
    ++pass.result.remaining;
  }
  for (const auto& resource : manager_->resources()) {
    if (pass.down.count(resource->name()) == 0) NoteUp(resource->name());
  }
  for (const MisplacedBranch& m : own.misplaced) {
    pass.misplaced_nodes.insert(m.id.xid.node);
    pass.Add(m.id.xid.Gtrid(), m.found_in, SweepAction::kLeftAlone,
             "prepared for resource '" + m.id.resource +
                 "', a name this node does not give it: resolve it with the "
                 "configuration of the node that prepared it");
    ++pass.result.remaining;
  }
  pass.prepared = std::move(own.branches);
}

void Sweeper::ResolveBranches(Pass& pass) {
  std::vector<Txn> txns;
  std::map<std::string, size_t> txn_of;  // gtrid -> index into txns
  for (size_t i = 0; i < pass.prepared.size(); ++i) {
    const OwnBranch& b = pass.prepared[i];
    auto [it, added] = txn_of.emplace(b.branch.id.xid.Gtrid(), txns.size());
    if (added) txns.emplace_back();
    txns[it->second].branches.push_back(i);
    txns[it->second].prepared_on.insert(b.resource->name());
  }
  std::vector<std::optional<BranchWork>> works(pass.prepared.size());
  const size_t total = pass.prepared.size();
  ParallelFor(txns.size(), options_.workers, [&](size_t t) {
    for (size_t i : txns[t].branches) {
      BranchWork& work = works[i].emplace(
          BranchWork{pass, txns[t], pass.prepared[i], {}, std::nullopt});
      ResolveBranch(work);
      if (options_.on_progress) {
        std::lock_guard<std::mutex> lock(pass.progress_mu);
        options_.on_progress(++pass.branches_done, total);
      }
    }
  });
  for (std::optional<BranchWork>& work : works) {
    if (work->outcome.has_value()) {
      pass.outcome[{work->xid().Gtrid(), work->name()}] =
          std::move(*work->outcome);
    }
    AddCounts(pass.result, std::move(work->report));
  }
}

void Sweeper::ResolveBranch(BranchWork& work) {
  const Xid& xid = work.xid();
  const std::string gtrid = xid.Gtrid();
  const std::string& name = work.name();
  Pass& pass = work.pass;

  // Never presume anything of a decision kept where this node does not look.
  if (!work.found.left_alone.empty()) {
    Logger()->warn("xid={} branch on {} left alone: {}", gtrid, name,
                   work.found.left_alone);
    work.Add(SweepAction::kLeftAlone, work.found.left_alone);
    ++work.report.remaining;
    return;
  }
  // In-flight first, then the log: a transaction logs its decision
  // before it stops being in flight, so this order never misses one.
  if (manager_->IsInFlight(gtrid)) {
    work.Add(SweepAction::kSkippedInFlight);
    ++work.report.deferred;
    work.outcome = Status::Unavailable("in flight");
    return;
  }
  bool decided_commit = manager_->log().FindOpenCommit(gtrid).has_value();

  if (decided_commit) {
    CommitBranch(work);
    return;
  }

  // The database's own clock where it keeps one: a step of this host's
  // clock must not make a branch look old. A negative age is young.
  int64_t age_ms =
      work.found.branch.db_age_ms.value_or(pass.now_ms - xid.begin_ms);
  if (age_ms < options_.grace_period_ms) {
    work.Add(SweepAction::kSkippedYoung,
             "age " + std::to_string(age_ms) + " ms");
    ++work.report.deferred;
    return;
  }
  switch (DecideWithoutOpenDecision(work)) {
    case Verdict::kCommit:
      CommitBranch(work);
      return;
    case Verdict::kLater:
      ++work.report.remaining;
      return;
    case Verdict::kPresumeAbort:
      break;
  }
  if (options_.dry_run) {
    work.Add(SweepAction::kWouldRollBack);
    return;
  }
  if (!MayAct(work)) {
    ++work.report.remaining;
    return;
  }
  Status s = work.found.resource->RollbackPrepared(xid);
  // Gone since the listing: resolved by its own transaction (perhaps
  // committed) or by another sweep. Nothing was rolled back here.
  if (s.code() == StatusCode::kNotFound) return;
  if (s.ok()) {
    Logger()->info("xid={} recovery rolled back branch on {} (no decision)",
                   gtrid, name);
    work.Add(SweepAction::kRolledBack);
    ++work.report.rolled_back;
    if (!pass.first_rollback_done.exchange(true)) {
      CrashPoint("recover-after-rollback-first");
    }
  } else {
    Logger()->warn("xid={} recovery rollback on {} must be retried: {}", gtrid,
                   name, s.ToString());
    work.Add(SweepAction::kRetryLater, s.message());
    ++work.report.remaining;
  }
}

void Sweeper::CommitBranch(BranchWork& work) {
  const Xid& xid = work.xid();
  const std::string gtrid = xid.Gtrid();
  const std::string& name = work.name();
  if (options_.dry_run) {
    work.Add(SweepAction::kWouldCommit);
    work.outcome = Status::Unavailable("dry run");
    return;
  }
  if (!MayAct(work)) {
    work.outcome = Status::Unavailable("node id not confirmed");
    // An open decision's is counted in FinishDecisions.
    if (work.pass.open_before_ids.count(gtrid) == 0) ++work.report.remaining;
    return;
  }
  bool gone = false;
  Status s = CommitPreparedChecked(*work.found.resource, xid, &gone);
  work.outcome = s;
  if (s.ok() && gone) return;  // committed since the listing, not by us
  if (s.ok()) {
    Logger()->info("xid={} recovery committed branch on {}", gtrid, name);
    work.Add(SweepAction::kCommitted);
    ++work.report.committed;
    if (!work.pass.first_commit_done.exchange(true)) {
      CrashPoint("recover-after-commit-first");
    }
  } else if (s.code() != StatusCode::kDataLoss) {
    Logger()->warn("xid={} recovery commit on {} must be retried: {}", gtrid,
                   name, s.ToString());
    work.Add(SweepAction::kRetryLater, s.message());
  }
  // Decisions open before the listing are counted in FinishDecisions; a
  // newer one is finished by the next pass.
  if (!s.ok() && work.pass.open_before_ids.count(gtrid) == 0) {
    ++work.report.remaining;
  }
}

Sweeper::Verdict Sweeper::DecideWithoutOpenDecision(BranchWork& work) {
  const Xid& xid = work.xid();
  const std::string gtrid = xid.Gtrid();
  const std::string& name = work.name();
  Txn& txn = work.txn;
  if (!txn.evidence.has_value()) {
    txn.evidence =
        FindCommitEvidence(*manager_, xid, txn.prepared_on, work.pass.down);
  }
  const CommitEvidence& evidence = *txn.evidence;
  switch (evidence.kind) {
    case CommitEvidence::Kind::kHistory:
      // A decision closed as heuristic, or ENDed by recovery on answers
      // from other sessions: the branch came back (say after a restart).
      Logger()->warn(
          "xid={} branch on {} is prepared although its COMMIT decision was "
          "closed: committing it",
          gtrid, name);
      return Verdict::kCommit;
    case CommitEvidence::Kind::kSiblingCommitted:
      RecordLostDecision(work, evidence.committed_on);
      return Verdict::kCommit;
    case CommitEvidence::Kind::kUnknown:
      work.Add(SweepAction::kRetryLater,
               "cannot presume abort: " + evidence.why);
      return Verdict::kLater;
    case CommitEvidence::Kind::kNone:
      break;
  }
  if (options_.dry_run) return Verdict::kPresumeAbort;
  if (!MayAct(work)) return Verdict::kLater;
  // Asked now, not at the start of the pass: a COMMIT append that failed
  // meanwhile may have reached the disk, and a coordinator elsewhere may be
  // committing its decision row at this moment (the fence waits for it).
  if (!txn.claim.has_value()) txn.claim = manager_->log().ClaimAbort(gtrid);
  const Result<bool>& aborted = *txn.claim;
  if (!aborted.ok()) {
    // Typically a coordinator holding its uncommitted COMMIT row (alive
    // after all, or paused): the fence waited for it and gave up.
    Logger()->warn(
        "xid={} cannot claim abort for the branch on {}: {}; "
        "retried at the next pass",
        gtrid, name, aborted.status().message());
    work.Add(SweepAction::kRetryLater,
             "cannot claim abort: " + aborted.status().message());
    return Verdict::kLater;
  }
  if (!*aborted) {
    Logger()->info(
        "xid={} a COMMIT decision was made before the fence: "
        "committing the branch on {}",
        gtrid, name);
    return Verdict::kCommit;
  }
  return CheckAfterClaim(work);
}

Sweeper::Verdict Sweeper::CheckAfterClaim(BranchWork& work) {
  const Xid& xid = work.xid();
  const std::string gtrid = xid.Gtrid();
  const std::string& name = work.name();
  Txn& txn = work.txn;
  // From now on no COMMIT can be decided. One decided before the fence and
  // ENDed by its coordinator (the row deleted) between the evidence read
  // and the fence left only its branches' ledger rows: every resource is
  // asked again, those prepared at listing too (committed since).
  if (!txn.evidence_after_claim.has_value()) {
    txn.evidence_after_claim =
        FindCommitEvidence(*manager_, xid, /*prepared_on=*/{}, work.pass.down);
  }
  const CommitEvidence& evidence = *txn.evidence_after_claim;
  switch (evidence.kind) {
    case CommitEvidence::Kind::kNone:
      return Verdict::kPresumeAbort;
    case CommitEvidence::Kind::kHistory:
      // Another node withdrew the abort meanwhile: its COMMIT row is open.
      Logger()->info(
          "xid={} the abort claimed was withdrawn for a COMMIT "
          "decision: committing the branch on {}",
          gtrid, name);
      return Verdict::kCommit;
    case CommitEvidence::Kind::kUnknown:
      Logger()->warn(
          "xid={} abort claimed, but whether it committed before "
          "the fence cannot be read ({}): the branch on {} is "
          "retried at the next pass",
          gtrid, evidence.why, name);
      work.Add(SweepAction::kRetryLater,
               "abort claimed, commit before it not excluded: " + evidence.why);
      return Verdict::kLater;
    case CommitEvidence::Kind::kSiblingCommitted:
      break;
  }
  if (!txn.withdrawn.has_value()) {
    if (!MayAct(work)) return Verdict::kLater;
    // A COMMIT row is deleted only once every branch committed, and a
    // branch is rolled back on an abort only if no COMMIT row preceded it:
    // none was rolled back on this abort.
    std::vector<std::string> resources;
    txn.withdrawn = WithdrawAbortForCommit(*manager_, xid, txn.prepared_on,
                                           evidence, &resources);
  }
  if (!txn.withdrawn->ok()) {
    Logger()->error(
        "xid={} the abort claimed could not be withdrawn: {}; the "
        "branch on {} is retried at the next pass",
        gtrid, txn.withdrawn->ToString(), name);
    work.Add(SweepAction::kRetryLater,
             "abort not withdrawn: " + txn.withdrawn->message());
    return Verdict::kLater;
  }
  return Verdict::kCommit;
}

void Sweeper::RecordLostDecision(BranchWork& work,
                                 const std::vector<std::string>& committed_on) {
  const std::string gtrid = work.xid().Gtrid();
  std::set<std::string> names = work.txn.prepared_on;
  names.insert(committed_on.begin(), committed_on.end());
  std::vector<std::string> resources(names.begin(), names.end());
  const std::string joined = JoinNames(resources);
  Logger()->warn(
      "xid={} the decision log lost a COMMIT decision: the branch on {} is "
      "committed; committing the rest and logging the decision again "
      "(resources {})",
      gtrid, committed_on.front(), joined);
  if (options_.dry_run || !MayAct(work.pass)) return;
  Status logged = manager_->log().LogCommitAfterTheFact(
      gtrid, resources, manager_->clock().NowMs());
  if (!logged.ok()) {
    Logger()->error("xid={} the COMMIT decision could not be logged again: {}",
                    gtrid, logged.ToString());
  }
}

void Sweeper::FinishDecisions(Pass& pass) {
  for (const DecisionRecord& decision : pass.open_before) {
    const std::string& gtrid = decision.gtrid;
    if (manager_->IsInFlight(gtrid)) continue;
    // ENDed since the snapshot (by its transaction or another sweep).
    if (!manager_->log().FindOpenCommit(gtrid).has_value()) continue;
    Result<Xid> xid = Xid::ParseGtrid(gtrid);
    if (!xid.ok()) {
      Logger()->error("sweep: decision log holds a foreign gtrid '{}'", gtrid);
      ++pass.result.remaining;
      continue;
    }
    if (!options_.dry_run && !MayAct(pass)) {
      ++pass.result.remaining;
      continue;
    }
    bool unresolved = false;
    std::vector<std::string> contradicted;
    for (const std::string& name : decision.resources) {
      auto it = pass.outcome.find({gtrid, name});
      Status s;
      if (it != pass.outcome.end()) {
        s = it->second;  // was prepared at listing time
      } else if (name == manager_->log().carrier()) {
        s = Status::Ok();  // committed in one transaction with the decision
      } else if (pass.down.count(name) != 0) {
        s = Status::Unavailable("resource down");
      } else if (Resource* r = manager_->FindResource(name); r == nullptr) {
        s = Status::FailedPrecondition("resource no longer configured");
        Logger()->error(
            "xid={} decision names resource '{}', which is not "
            "configured: cannot finish it",
            gtrid, name);
      } else if (options_.dry_run) {
        s = Status::Unavailable("dry run");
      } else {
        // Not prepared when listed: resolved before this pass began.
        s = ConfirmCommitted(*r, *xid, Status::NotFound("not prepared"));
      }
      if (s.code() == StatusCode::kDataLoss) {
        contradicted.push_back(name);
      } else if (!s.ok()) {
        unresolved = true;
      }
    }
    if (unresolved) {
      ++pass.result.remaining;
      continue;
    }
    if (!contradicted.empty()) {
      const std::string names = JoinNames(contradicted);
      std::string detail = "decision commit, branch rolled back on " + names;
      Logger()->error("xid={} HEURISTIC outcome: {} (resources {})", gtrid,
                      detail, names);
      Status logged = manager_->log().LogHeuristic(gtrid, contradicted, detail,
                                                   manager_->clock().NowMs());
      if (!logged.ok()) {
        Logger()->error("xid={} heuristic not logged: {}", gtrid,
                        logged.ToString());
        ++pass.result.remaining;
        continue;
      }
      pass.Add(gtrid, names, SweepAction::kHeuristic, detail);
      ++pass.result.heuristics;
    }
    Status ended = manager_->log().LogEnd(gtrid, manager_->clock().NowMs(),
                                          EndOrigin::kRecovery);
    if (!ended.ok()) {
      Logger()->warn("xid={} END not logged: {}", gtrid, ended.ToString());
      ++pass.result.remaining;
      continue;
    }
    Logger()->info("xid={} every branch resolved: END logged", gtrid);
    pass.Add(gtrid, "", SweepAction::kEnded);
    ++pass.result.ended;
  }
}

}  // namespace xatm
