#include "tests/unit/fake_resource.h"

#include <algorithm>

namespace xatm::testing {

void Journal::Add(std::string event) {
  std::lock_guard<std::mutex> lock(mu_);
  events_.push_back(std::move(event));
}

std::vector<std::string> Journal::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

int Journal::IndexOf(const std::string& event) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find(events_.begin(), events_.end(), event);
  return it == events_.end() ? -1 : static_cast<int>(it - events_.begin());
}

class FakeBranch : public Branch {
 public:
  FakeBranch(FakeResource* resource, Xid xid)
      : resource_(resource), xid_(std::move(xid)) {}

  const std::string& resource_name() const override {
    return resource_->name();
  }
  void SetDeadline(std::chrono::steady_clock::time_point deadline) override {
    std::lock_guard<std::mutex> lock(resource_->mu_);
    resource_->last_deadline_ = deadline;
  }
  bool read_only() const override { return resource_->script_.read_only; }
  Result<int64_t> Execute(const std::string&,
                          const std::vector<std::string>&) override {
    return int64_t{1};
  }
  Result<std::vector<Row>> Query(const std::string&,
                                 const std::vector<std::string>&) override {
    return std::vector<Row>{};
  }
  Status Prepare() override {
    resource_->Record("prepare", xid_);
    Status vote = resource_->script_.prepare;
    if (vote.ok() && !resource_->script_.read_only) {
      std::lock_guard<std::mutex> lock(resource_->mu_);
      resource_->prepared_[xid_.Gtrid()] = xid_;
    }
    return vote;
  }
  Status CommitPrepared() override {
    resource_->Record("commit", xid_);
    Status s = resource_->script_.commit;
    if (s.ok()) Forget(/*committed=*/true);
    return s;
  }
  Status Rollback() override {
    resource_->Record("rollback", xid_);
    Forget();
    return Status::Ok();
  }
  Status CommitOnePhase() override {
    resource_->Record("commit-one-phase", xid_);
    Status s = resource_->script_.one_phase;
    if (s.ok()) Forget(/*committed=*/true);
    return s;
  }

 private:
  void Forget(bool committed = false) {
    std::lock_guard<std::mutex> lock(resource_->mu_);
    resource_->prepared_.erase(xid_.Gtrid());
    if (committed) resource_->NoteCommitted(xid_);
  }

  FakeResource* resource_;
  Xid xid_;
};

FakeResource::FakeResource(std::string name, Journal* journal)
    : name_(std::move(name)), journal_(journal) {}

void FakeResource::Record(const std::string& what, const Xid&) {
  journal_->Add(what + ":" + name_);
}

void FakeResource::NoteCommitted(const Xid& xid) {
  if (script_.applies_commits) committed_.insert(xid.Gtrid());
}

std::vector<std::string> FakeResource::prepared() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [gtrid, xid] : prepared_) out.push_back(gtrid);
  return out;
}

Result<std::unique_ptr<Branch>> FakeResource::Begin(const Xid& xid) {
  Record("begin", xid);
  return std::unique_ptr<Branch>(new FakeBranch(this, xid));
}

void FakeResource::AddPrepared(const Xid& xid) {
  std::lock_guard<std::mutex> lock(mu_);
  prepared_[xid.Gtrid()] = xid;
}

std::optional<std::chrono::steady_clock::time_point>
FakeResource::last_deadline() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_deadline_;
}

Result<std::vector<PreparedBranch>> FakeResource::ListPrepared() {
  if (script_.on_list) script_.on_list();
  if (!script_.list.ok()) return script_.list;
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<PreparedBranch> out;
  for (const auto& [gtrid, xid] : prepared_) {
    out.push_back(
        PreparedBranch{BranchId{xid, name_}, gtrid, script_.db_age_ms});
  }
  return out;
}

Status FakeResource::CommitPrepared(const Xid& xid) {
  Record("recovery-commit", xid);
  Status s = script_.recovery_commit;
  std::lock_guard<std::mutex> lock(mu_);
  if (s.ok() && prepared_.erase(xid.Gtrid()) == 0) {
    return Status::NotFound("no such branch");
  }
  if (s.ok()) NoteCommitted(xid);
  return s;
}

Status FakeResource::RollbackPrepared(const Xid& xid) {
  Record("recovery-rollback", xid);
  std::lock_guard<std::mutex> lock(mu_);
  if (prepared_.erase(xid.Gtrid()) == 0) {
    return Status::NotFound("no such branch");
  }
  return Status::Ok();
}

Result<BranchOutcome> FakeResource::LookupOutcome(const Xid& xid) {
  Record("lookup", xid);
  if (!script_.lookup.ok()) return script_.lookup;
  BranchOutcome answer;
  {
    std::lock_guard<std::mutex> lock(mu_);
    answer = committed_.count(xid.Gtrid()) != 0 ? BranchOutcome::kCommitted
                                                : script_.outcome;
  }
  if (script_.on_lookup) {
    std::function<void()> hook = std::move(script_.on_lookup);
    script_.on_lookup = nullptr;
    hook();
  }
  return answer;
}

Result<std::vector<Row>> FakeResource::QueryLocal(
    const std::string&, const std::vector<std::string>&) {
  if (!script_.query.ok()) return script_.query;
  return std::vector<Row>{};
}

Status FakeResource::ExecuteLocal(const std::string&,
                                  const std::vector<std::string>&) {
  return Status::Ok();
}

Status FakeDecisionLog::LogCommit(const std::string& gtrid,
                                  const std::vector<std::string>& resources,
                                  int64_t time_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!failure_.ok()) return failure_;
  journal_->Add("log-commit");
  records_.push_back(
      DecisionRecord{RecordType::kCommit, gtrid, resources, time_ms, ""});
  return Status::Ok();
}

Status FakeDecisionLog::CommitCarrying(
    Branch& branch, const std::string& gtrid,
    const std::vector<std::string>& resources, int64_t time_ms) {
  journal_->Add("carry-decision");
  Status committed = branch.CommitOnePhase();
  if (!committed.ok()) return committed;
  std::lock_guard<std::mutex> lock(mu_);
  records_.push_back(
      DecisionRecord{RecordType::kCommit, gtrid, resources, time_ms, ""});
  return Status::Ok();
}

Result<bool> FakeDecisionLog::ClaimAbort(const std::string& gtrid) {
  (void)gtrid;
  journal_->Add("claim-abort");
  if (on_claim_) std::exchange(on_claim_, nullptr)();
  if (!carrier_.empty()) return claim_;
  return DecisionLog::ClaimAbort(gtrid);
}

Status FakeDecisionLog::WithdrawAbort(const std::string& gtrid,
                                      const std::vector<std::string>& resources,
                                      int64_t time_ms) {
  journal_->Add("withdraw-abort");
  return DecisionLog::WithdrawAbort(gtrid, resources, time_ms);
}

Status FakeDecisionLog::LogEnd(const std::string& gtrid, int64_t time_ms,
                               EndOrigin origin) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!failure_.ok()) return failure_;
  journal_->Add("log-end");
  records_.push_back(
      DecisionRecord{RecordType::kEnd,
                     gtrid,
                     {},
                     time_ms,
                     origin == EndOrigin::kRecovery ? "recovery" : ""});
  return Status::Ok();
}

Status FakeDecisionLog::LogHeuristic(const std::string& gtrid,
                                     const std::vector<std::string>& resources,
                                     const std::string& detail,
                                     int64_t time_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!failure_.ok()) return failure_;
  journal_->Add("log-heuristic");
  records_.push_back(DecisionRecord{RecordType::kHeuristic, gtrid, resources,
                                    time_ms, detail});
  return Status::Ok();
}

std::vector<DecisionRecord> FakeDecisionLog::OpenCommits() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<DecisionRecord> open;
  for (const auto& r : records_) {
    if (r.type == RecordType::kCommit) open.push_back(r);
    if (r.type == RecordType::kEnd) {
      open.erase(std::remove_if(open.begin(), open.end(),
                                [&](const DecisionRecord& c) {
                                  return c.gtrid == r.gtrid;
                                }),
                 open.end());
    }
  }
  return open;
}

std::optional<DecisionRecord> FakeDecisionLog::FindOpenCommit(
    const std::string& gtrid) const {
  for (const auto& r : OpenCommits()) {
    if (r.gtrid == gtrid) return r;
  }
  return std::nullopt;
}

bool FakeDecisionLog::HasCommitHistory(const std::string& gtrid) const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::any_of(records_.begin(), records_.end(),
                     [&](const DecisionRecord& r) { return r.gtrid == gtrid; });
}

Status FakeDecisionLog::health() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

std::vector<DecisionRecord> FakeDecisionLog::all_records() const {
  std::lock_guard<std::mutex> lock(mu_);
  return records_;
}

}  // namespace xatm::testing
