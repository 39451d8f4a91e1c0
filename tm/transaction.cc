#include "xatm/transaction.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <utility>
#include <vector>

#include "tm/commit_check.h"
#include "tm/crash_point.h"
#include "tm/names.h"
#include "xatm/logging.h"
#include "xatm/transaction_manager.h"
#include "xatm/worker_pool.h"

namespace xatm {
namespace {

// How long the rollback of a branch whose prepare went unanswered may take.
constexpr std::chrono::milliseconds kRollbackAfterNoAnswer(1000);
// Phase 2 retries a failed commit from a fresh connection only while the
// branch's commit has taken less than this: a quick failure is a broken
// connection worth retrying; a slow one is a server not answering, left to
// recovery so the caller is not held for several request timeouts.
constexpr std::chrono::milliseconds kPhaseTwoRetryWindow(1000);

// One phase over `count` branches, the databases working at once: `start(i)`
// sends branch i's step when it can without waiting for the answer; the
// others run `finish(i)` on the pool (here, when one is left); then this
// thread reads the started ones' answers with `finish(i)`. With PostgreSQL
// and MariaDB that is no thread hand-off at all.
template <typename Start, typename Finish>
std::vector<Status> RunPhase(WorkerPool& workers, size_t count, Start&& start,
                             Finish&& finish) {
  std::vector<size_t> started;
  std::vector<size_t> others;
  for (size_t i = 0; i < count; ++i) (start(i) ? started : others).push_back(i);
  std::vector<Status> ran = workers.RunAll(
      others.size(), [&](size_t k) { return finish(others[k]); });
  std::vector<Status> results(count);
  for (size_t k = 0; k < others.size(); ++k) {
    results[others[k]] = std::move(ran[k]);
  }
  for (size_t i : started) results[i] = finish(i);
  return results;
}

}  // namespace

Transaction::Transaction(TransactionManager* manager, Xid xid)
    : manager_(manager), xid_(std::move(xid)), gtrid_(xid_.Gtrid()) {
  branches_.reserve(2);  // the common case: one allocation, not two
}

Transaction::~Transaction() {
  if (state_ == State::kActive) {
    Logger()->debug("xid={} destroyed without commit: rolling back", gtrid_);
    (void)Rollback();
  }
}

Result<Branch*> Transaction::Enlist(const std::string& resource) {
  if (state_ != State::kActive) {
    return Status::FailedPrecondition("xid=" + gtrid_ + " is finished");
  }
  for (auto& e : branches_) {
    if (e.resource->name() == resource) return e.branch.get();
  }
  Resource* r = manager_->FindResource(resource);
  if (r == nullptr) {
    return EnlistFailed(
        Status::NotFound("unknown resource '" + resource + "'"));
  }
  Result<std::unique_ptr<Branch>> branch = r->Begin(xid_);
  if (!branch.ok()) {
    CountError(*r, branch.status());
    return EnlistFailed(branch.status().WithContext(
        "xid=" + gtrid_ + " begin on '" + resource + "'"));
  }
  if (deadline_.has_value()) (*branch)->SetDeadline(*deadline_);
  branches_.push_back(Enlisted{r, std::move(branch).value()});
  Logger()->debug("xid={} enlisted {}", gtrid_, resource);
  return branches_.back().branch.get();
}

Status Transaction::EnlistFailed(Status failure) {
  Logger()->warn("xid={} enlisting failed, the transaction will roll back: {}",
                 gtrid_, failure.ToString());
  if (enlist_failure_.ok()) enlist_failure_ = failure;
  return failure;
}

std::vector<std::string> Transaction::ResourceNames() const {
  std::vector<std::string> names;
  for (const auto& e : branches_) names.push_back(e.resource->name());
  return names;
}

void Transaction::CountError(const Resource& resource, const Status& s) {
  // Failures only: the label lookup stays off the path of a good commit.
  if (!s.ok()) manager_->metrics().ForResource(resource.name())->CountError(s);
}

void Transaction::Finish(State state) {
  state_ = state;
  manager_->MarkDone(gtrid_);
}

Status Transaction::Commit() {
  if (state_ != State::kActive) {
    return Status::FailedPrecondition("xid=" + gtrid_ + " is finished");
  }
  const auto started = std::chrono::steady_clock::now();
  Status s = Status::Ok();
  if (!enlist_failure_.ok()) {
    // The application meant a branch that never started: committing the
    // others alone would apply half of its work.
    Logger()->debug("xid={} rolling back: {}", gtrid_,
                    enlist_failure_.message());
    (void)RollbackAll();
    Finish(State::kRolledBack);
    s = Status::Aborted("xid=" + gtrid_ + " rolled back: a branch could not " +
                        "be enlisted: " + enlist_failure_.ToString());
  } else if (branches_.empty()) {
    Finish(State::kCommitted);
  } else if (branches_.size() == 1) {
    s = CommitOnePhase();
  } else {
    s = CommitTwoPhase();
  }
  CountCommit(s, started);
  return s;
}

void Transaction::CountCommit(const Status& s,
                              std::chrono::steady_clock::time_point started) {
  Metrics& metrics = manager_->metrics();
  metrics.ObserveSince(Metrics::Phase::kCommit, started);
  if (s.ok()) {
    metrics.CountOutcome(decided_ ? Metrics::Outcome::kCommitted
                                  : Metrics::Outcome::kOnePhase);
  } else if (s.code() == StatusCode::kAborted) {
    metrics.CountOutcome(Metrics::Outcome::kAborted);
  } else {
    metrics.CountOutcome(Metrics::Outcome::kInDoubt);
  }
}

Status Transaction::CommitOnePhase() {
  Enlisted& only = branches_[0];
  CrashPoint("before-one-phase-commit");
  Status s = only.branch->CommitOnePhase();
  CountError(*only.resource, s);
  if (s.ok()) {
    Logger()->debug("xid={} committed (one phase) on {}", gtrid_,
                    only.resource->name());
    Finish(State::kCommitted);
    return s;
  }
  if (s.code() == StatusCode::kAborted) {
    Logger()->debug("xid={} rolled back (one phase): {}", gtrid_, s.message());
    Finish(State::kRolledBack);
    return s;
  }
  // The connection may have died with the COMMIT in flight, and without a
  // prepare there is nothing to recover: only the ledger row can tell. Its
  // absence proves nothing (the COMMIT may still be applied), so a missing
  // row leaves the outcome unknown rather than "rolled back".
  Result<BranchOutcome> outcome = LookupBranchOutcome(*only.resource, xid_);
  if (outcome.ok() && *outcome == BranchOutcome::kCommitted) {
    Logger()->info(
        "xid={} committed (one phase) on {}: the answer was lost, "
        "the ledger shows the commit",
        gtrid_, only.resource->name());
    Finish(State::kCommitted);
    return Status::Ok();
  }
  Logger()->error("xid={} one-phase commit outcome unknown: {}", gtrid_,
                  s.ToString());
  Finish(State::kInDoubt);
  return Status::UnknownOutcome(
      "xid=" + gtrid_ + ": one-phase commit outcome unknown: " + s.message());
}

Status Transaction::PrepareAll() {
  std::atomic<int> prepared{0};
  std::vector<Status> votes = RunPhase(
      manager_->workers_, branches_.size(),
      [this](size_t i) { return branches_[i].branch->StartPrepare(); },
      [this, &prepared](size_t i) {
        Status s = branches_[i].branch->Prepare();
        if (s.ok() && prepared.fetch_add(1) == 0) {
          CrashPoint("after-prepare-first");
        }
        return s;
      });
  Status first_no;
  for (size_t i = 0; i < votes.size(); ++i) {
    if (votes[i].ok()) continue;
    CountError(*branches_[i].resource, votes[i]);
    if (votes[i].code() != StatusCode::kAborted) {
      // No answer in time (or a lost one): the server is slow or gone, and
      // a rollback must not wait for it as long again. Recovery rolls back
      // whatever stays prepared.
      branches_[i].branch->SetDeadline(std::chrono::steady_clock::now() +
                                       kRollbackAfterNoAnswer);
    }
    if (first_no.ok()) {
      first_no = Status::Aborted(branches_[i].resource->name() +
                                 " voted no: " + votes[i].message());
    }
  }
  return first_no;
}

std::string Transaction::LateForDecision() const {
  const int64_t limit = manager_->options().decision_deadline_ms;
  // A sweeper elsewhere ages branches by the wall clock (the gtrid's begin
  // time): if it jumped ahead, deciding now could race a presumed abort.
  int64_t wall_ms = manager_->clock().NowMs() - xid_.begin_ms;
  if (wall_ms > limit) {
    return "took " + std::to_string(wall_ms) +
           " ms by the wall clock, past the decision deadline";
  }
  // A wall clock stepped back must not stretch the deadline either.
  auto now = std::chrono::steady_clock::now();
  int64_t steady_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - started_)
          .count();
  if (steady_ms > limit) {
    return "took " + std::to_string(steady_ms) +
           " ms, past the decision deadline";
  }
  if (deadline_.has_value() && now > *deadline_) {
    return "the transaction's deadline passed";
  }
  return "";
}

std::vector<size_t> Transaction::WritingBranches() const {
  std::vector<size_t> writing;
  for (size_t i = 0; i < branches_.size(); ++i) {
    if (!branches_[i].branch->read_only()) writing.push_back(i);
  }
  return writing;
}

void Transaction::SetCarrierAside() {
  const std::string& name = manager_->log().carrier();
  if (name.empty()) return;
  for (size_t i = 0; i < branches_.size(); ++i) {
    if (branches_[i].resource->name() != name) continue;
    carrier_ = std::move(branches_[i]);
    branches_.erase(branches_.begin() + static_cast<long>(i));
    return;
  }
}

Status Transaction::CommitTwoPhase() {
  // The decision store's own branch, when it took part, is not prepared:
  // its one-phase commit carries the decision (last-resource commit).
  SetCarrierAside();
  CrashPoint("before-prepare");
  Metrics& metrics = manager_->metrics();
  auto phase_started = std::chrono::steady_clock::now();
  Status vote = PrepareAll();
  metrics.ObserveSince(Metrics::Phase::kPrepare, phase_started);
  if (vote.ok()) CrashPoint("after-prepare-all");
  if (vote.ok()) {
    std::string late = LateForDecision();
    if (!late.empty()) vote = Status::Aborted(late);
  }
  if (!vote.ok()) {
    Logger()->debug("xid={} rolling back: {}", gtrid_, vote.message());
    (void)RollbackAll();
    Finish(State::kRolledBack);
    return Status::Aborted("xid=" + gtrid_ + " rolled back: " + vote.message());
  }
  // Read-only branches finished at prepare: nothing of them to decide.
  std::vector<size_t> writing = WritingBranches();
  if (writing.size() < branches_.size()) {
    std::vector<Enlisted> kept;
    for (size_t i : writing) kept.push_back(std::move(branches_[i]));
    branches_ = std::move(kept);
  }
  if (branches_.empty() && carrier_.has_value()) {
    // Every other branch was read-only: the carrier alone decides.
    branches_.push_back(std::move(*carrier_));
    carrier_.reset();
    return CommitOnePhase();
  }
  if (branches_.empty()) {
    Logger()->debug("xid={} committed (every branch read-only)", gtrid_);
    Finish(State::kCommitted);
    return Status::Ok();
  }

  // The commit point. If a log append fails the record may still have
  // reached the disk, so the branches stay prepared and recovery decides
  // from what the log holds after a restart: rolling back here could
  // contradict it. A store answers Aborted only when no decision exists and
  // none can appear.
  std::vector<std::string> names = ResourceNames();
  if (carrier_.has_value()) names.push_back(carrier_->resource->name());
  Status decided;
  phase_started = std::chrono::steady_clock::now();
  if (carrier_.has_value()) {
    decided = manager_->log().CommitCarrying(*carrier_->branch, gtrid_, names,
                                             manager_->clock().NowMs());
    carrier_.reset();  // committed or rolled back with the decision
  } else {
    decided =
        manager_->log().LogCommit(gtrid_, names, manager_->clock().NowMs());
  }
  metrics.ObserveSince(Metrics::Phase::kDecision, phase_started);
  if (decided.code() == StatusCode::kAborted) {
    Logger()->debug("xid={} rolling back: {}", gtrid_, decided.message());
    (void)RollbackAll();
    Finish(State::kRolledBack);
    return Status::Aborted("xid=" + gtrid_ +
                           " rolled back: " + decided.message());
  }
  if (!decided.ok()) {
    Logger()->error(
        "xid={} decision not confirmed, outcome left to recovery: {}", gtrid_,
        decided.ToString());
    Finish(State::kInDoubt);
    return Status::UnknownOutcome("xid=" + gtrid_ +
                                  ": decision not confirmed; recovery "
                                  "decides: " +
                                  decided.message());
  }
  Logger()->debug("xid={} commit decision durable", gtrid_);
  decided_ = true;
  CrashPoint("after-decision");

  std::vector<std::string> unfinished;
  phase_started = std::chrono::steady_clock::now();
  CommitAll(&unfinished);
  metrics.ObserveSince(Metrics::Phase::kCommitPhase, phase_started);
  if (!unfinished.empty()) {
    const std::string joined = JoinNames(unfinished, ", ");
    Logger()->warn("xid={} committed, phase 2 unfinished on {}", gtrid_,
                   joined);
    Finish(State::kInDoubt);
    return Status::InDoubt("xid=" + gtrid_ +
                           ": commit decided; not yet committed on " + joined +
                           " (recovery will finish it)");
  }
  CrashPoint("after-commit-all");
  Status ended = manager_->log().LogEnd(gtrid_, manager_->clock().NowMs());
  if (!ended.ok()) {
    // Harmless for atomicity: recovery re-checks the branches and ends it.
    Logger()->warn("xid={} END not logged: {}", gtrid_, ended.ToString());
  }
  Logger()->debug("xid={} committed", gtrid_);
  Finish(State::kCommitted);
  return Status::Ok();
}

Status Transaction::CommitBranch(size_t i) {
  Enlisted& e = branches_[i];
  // The preparing session's answer is reliable: MariaDB's false OK comes
  // from other sessions while the preparing one detaches.
  const auto started = std::chrono::steady_clock::now();
  Status s = e.branch->CommitPrepared();
  if (s.code() == StatusCode::kNotFound) {
    // Gone: committed by an earlier attempt whose answer was lost, or
    // resolved by someone else. The ledger tells; a contradiction stays
    // unfinished here and the sweeper records it as heuristic.
    s = ConfirmCommitted(*e.resource, xid_, std::move(s));
  }
  // The branch's own connection failed: retry from a fresh connection, with
  // the ledger-checked commit that recovery uses.
  for (int attempt = 1;
       s.code() == StatusCode::kUnavailable &&
       attempt < manager_->options().commit_attempts &&
       std::chrono::steady_clock::now() - started < kPhaseTwoRetryWindow;
       ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
    bool gone = false;
    s = CommitPreparedChecked(*e.resource, xid_, &gone);
  }
  if (!s.ok()) {
    Logger()->warn("xid={} commit on {} not confirmed: {}", gtrid_,
                   e.resource->name(), s.ToString());
  }
  return s;
}

void Transaction::CommitAll(std::vector<std::string>* unfinished) {
  std::atomic<int> committed{0};
  std::vector<Status> results = RunPhase(
      manager_->workers_, branches_.size(),
      [this](size_t i) { return branches_[i].branch->StartCommitPrepared(); },
      [this, &committed](size_t i) {
        Status s = CommitBranch(i);
        if (s.ok() && committed.fetch_add(1) == 0) {
          CrashPoint("after-commit-first");
        }
        return s;
      });
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok()) continue;
    CountError(*branches_[i].resource, results[i]);
    unfinished->push_back(branches_[i].resource->name());
  }
}

Status Transaction::RollbackAll() {
  if (carrier_.has_value()) {
    branches_.push_back(std::move(*carrier_));
    carrier_.reset();
  }
  std::vector<Status> results = manager_->workers_.RunAll(
      branches_.size(),
      [this](size_t i) { return branches_[i].branch->Rollback(); });
  Status first;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok()) continue;
    CountError(*branches_[i].resource, results[i]);
    Logger()->warn("xid={} rollback on {} failed (recovery will finish it): {}",
                   gtrid_, branches_[i].resource->name(),
                   results[i].ToString());
    if (first.ok()) first = results[i];
  }
  return first;
}

Status Transaction::Rollback() {
  if (state_ != State::kActive) {
    return Status::FailedPrecondition("xid=" + gtrid_ + " is finished");
  }
  Status s = RollbackAll();
  Logger()->debug("xid={} rolled back", gtrid_);
  Finish(State::kRolledBack);
  return s;
}

}  // namespace xatm
