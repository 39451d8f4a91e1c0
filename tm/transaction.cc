#include "tm/transaction.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tm/commit_check.h"
#include "tm/crash_point.h"
#include "tm/transaction_manager.h"

namespace xatm {

Transaction::Transaction(TransactionManager* manager, Xid xid)
    : manager_(manager), xid_(std::move(xid)), gtrid_(xid_.Gtrid()) {
  branches_.reserve(2);  // the common case: one allocation, not two
}

Transaction::~Transaction() {
  if (state_ == State::kActive) {
    spdlog::info("xid={} destroyed without commit: rolling back", gtrid_);
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
    return Status::NotFound("unknown resource '" + resource + "'");
  }
  Result<std::unique_ptr<Branch>> branch = r->Begin(xid_);
  if (!branch.ok()) {
    return branch.status().WithContext("xid=" + gtrid_ + " begin on '" +
                                       resource + "'");
  }
  branches_.push_back(Enlisted{r, std::move(branch).value()});
  spdlog::debug("xid={} enlisted {}", gtrid_, resource);
  return branches_.back().branch.get();
}

std::vector<std::string> Transaction::ResourceNames() const {
  std::vector<std::string> names;
  for (const auto& e : branches_) names.push_back(e.resource->name());
  return names;
}

void Transaction::Finish(State state) {
  state_ = state;
  manager_->MarkDone(gtrid_);
}

Status Transaction::Commit() {
  if (state_ != State::kActive) {
    return Status::FailedPrecondition("xid=" + gtrid_ + " is finished");
  }
  if (branches_.empty()) {
    Finish(State::kCommitted);
    return Status::Ok();
  }
  if (branches_.size() == 1) return CommitOnePhase();
  return CommitTwoPhase();
}

Status Transaction::CommitOnePhase() {
  Status s = branches_[0].branch->CommitOnePhase();
  if (s.ok()) {
    spdlog::info("xid={} committed (one phase) on {}", gtrid_,
                 branches_[0].resource->name());
    Finish(State::kCommitted);
    return s;
  }
  if (s.code() == StatusCode::kAborted) {
    spdlog::info("xid={} rolled back (one phase): {}", gtrid_, s.message());
    Finish(State::kRolledBack);
    return s;
  }
  // The connection may have died with the COMMIT in flight: only the
  // database knows, and without a prepare there is nothing to recover.
  spdlog::error("xid={} one-phase commit outcome unknown: {}", gtrid_,
                s.ToString());
  Finish(State::kInDoubt);
  return Status::InDoubt("xid=" + gtrid_ +
                         ": one-phase commit outcome unknown: " + s.message());
}

Status Transaction::PrepareAll() {
  std::atomic<int> prepared{0};
  std::vector<Status> votes =
      manager_->workers_.RunAll(branches_.size(), [this, &prepared](size_t i) {
        Status s = branches_[i].branch->Prepare();
        if (s.ok() && prepared.fetch_add(1) == 0) {
          CrashPoint("after-prepare-first");
        }
        return s;
      });
  for (size_t i = 0; i < votes.size(); ++i) {
    if (!votes[i].ok()) {
      return Status::Aborted(branches_[i].resource->name() +
                             " voted no: " + votes[i].message());
    }
  }
  return Status::Ok();
}

Status Transaction::CommitTwoPhase() {
  CrashPoint("before-prepare");
  Status vote = PrepareAll();
  if (vote.ok()) CrashPoint("after-prepare-all");
  if (vote.ok()) {
    int64_t age = manager_->clock().NowMs() - xid_.begin_ms;
    if (age > manager_->options().decision_deadline_ms) {
      vote = Status::Aborted("took " + std::to_string(age) +
                             " ms, past the decision deadline");
    }
  }
  if (!vote.ok()) {
    spdlog::info("xid={} rolling back: {}", gtrid_, vote.message());
    (void)RollbackAll();
    Finish(State::kRolledBack);
    return Status::Aborted("xid=" + gtrid_ + " rolled back: " +
                           vote.message());
  }

  // The commit point. If the append fails the record may still have reached
  // the disk, so the branches stay prepared and recovery decides from what
  // the log holds after a restart: rolling back here could contradict it.
  Status decided = manager_->log().LogCommit(gtrid_, ResourceNames(),
                                             manager_->clock().NowMs());
  if (!decided.ok()) {
    spdlog::error("xid={} decision log failed, outcome left to recovery: {}",
                  gtrid_, decided.ToString());
    Finish(State::kInDoubt);
    return Status::InDoubt("xid=" + gtrid_ +
                           ": decision log failed; recovery decides: " +
                           decided.message());
  }
  spdlog::debug("xid={} commit decision durable", gtrid_);
  CrashPoint("after-decision");

  std::vector<std::string> unfinished;
  CommitAll(&unfinished);
  if (!unfinished.empty()) {
    std::string names;
    for (const auto& n : unfinished) names += (names.empty() ? "" : ", ") + n;
    spdlog::warn("xid={} committed, phase 2 unfinished on {}", gtrid_, names);
    Finish(State::kInDoubt);
    return Status::InDoubt("xid=" + gtrid_ +
                           ": commit decided; not yet committed on " + names +
                           " (recovery will finish it)");
  }
  CrashPoint("after-commit-all");
  Status ended = manager_->log().LogEnd(gtrid_, manager_->clock().NowMs());
  if (!ended.ok()) {
    // Harmless for atomicity: recovery re-checks the branches and ends it.
    spdlog::warn("xid={} END not logged: {}", gtrid_, ended.ToString());
  }
  spdlog::info("xid={} committed", gtrid_);
  Finish(State::kCommitted);
  return Status::Ok();
}

Status Transaction::CommitBranch(size_t i) {
  Enlisted& e = branches_[i];
  Status s = e.branch->CommitPrepared();
  // The branch's own connection failed: retry from a fresh connection.
  for (int attempt = 1;
       s.code() == StatusCode::kUnavailable &&
       attempt < manager_->options().commit_attempts;
       ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
    s = e.resource->CommitPrepared(xid_);
  }
  // Gone: committed by an earlier attempt whose answer was lost, or
  // resolved by someone else. The ledger tells; a contradiction stays
  // unfinished here and the sweeper records it as heuristic.
  s = ConfirmCommitted(*e.resource, xid_, std::move(s));
  if (!s.ok()) {
    spdlog::warn("xid={} commit on {} not confirmed: {}", gtrid_,
                 e.resource->name(), s.ToString());
  }
  return s;
}

void Transaction::CommitAll(std::vector<std::string>* unfinished) {
  std::atomic<int> committed{0};
  std::vector<Status> results =
      manager_->workers_.RunAll(branches_.size(), [this, &committed](size_t i) {
        Status s = CommitBranch(i);
        if (s.ok() && committed.fetch_add(1) == 0) {
          CrashPoint("after-commit-first");
        }
        return s;
      });
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok()) unfinished->push_back(branches_[i].resource->name());
  }
}

Status Transaction::RollbackAll() {
  std::vector<Status> results = manager_->workers_.RunAll(
      branches_.size(),
      [this](size_t i) { return branches_[i].branch->Rollback(); });
  Status first;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok()) continue;
    spdlog::warn("xid={} rollback on {} failed (recovery will finish it): {}",
                 gtrid_, branches_[i].resource->name(), results[i].ToString());
    if (first.ok()) first = results[i];
  }
  return first;
}

Status Transaction::Rollback() {
  if (state_ != State::kActive) {
    return Status::FailedPrecondition("xid=" + gtrid_ + " is finished");
  }
  Status s = RollbackAll();
  spdlog::debug("xid={} rolled back", gtrid_);
  Finish(State::kRolledBack);
  return s;
}

}  // namespace xatm
