// A scripted in-memory Resource for coordinator unit tests, and an in-memory
// DecisionLog. Both write what happens to a shared Journal, so tests can check
// the order of events (e.g. the decision before any commit). Not a stand-in
// for a database in any test that claims database behaviour.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "xatm/decision_log.h"
#include "xatm/resource.h"

namespace xatm::testing {

class Journal {
 public:
  void Add(std::string event);
  std::vector<std::string> events() const;
  // Index of the first event equal to `event`, or -1.
  int IndexOf(const std::string& event) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> events_;
};

struct FakeScript {
  Status prepare = Status::Ok();          // the vote
  Status commit = Status::Ok();           // phase 2 on the branch
  Status recovery_commit = Status::Ok();  // Resource::CommitPrepared
  Status one_phase = Status::Ok();
  // What LookupOutcome says of a branch this fake did not commit itself
  // (a commit through the fake shows as kCommitted unless applies_commits
  // is false: a database answering OK without applying the commit).
  BranchOutcome outcome = BranchOutcome::kUnknown;
  bool applies_commits = true;
  Status lookup = Status::Ok();   // LookupOutcome fails with this when not OK
  Status list = Status::Ok();     // ListPrepared fails with this when not OK
  Status query = Status::Ok();    // QueryLocal fails with this when not OK
  std::function<void()> on_list;  // runs inside ListPrepared
  // Runs once, inside the next LookupOutcome, after its answer is read.
  std::function<void()> on_lookup;
  std::optional<int64_t> db_age_ms;  // what ListPrepared reports
  bool read_only = false;            // branches vote read-only
};

class FakeResource : public Resource {
 public:
  FakeResource(std::string name, Journal* journal);

  FakeScript& script() { return script_; }
  // Branches currently prepared in this "database".
  std::vector<std::string> prepared() const;
  // Makes a prepared branch appear, as left by a crashed process.
  void AddPrepared(const Xid& xid);
  // The last deadline given to a branch of this resource, if any.
  std::optional<std::chrono::steady_clock::time_point> last_deadline() const;

  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  Result<std::unique_ptr<Branch>> Begin(const Xid& xid) override;
  Result<std::vector<PreparedBranch>> ListPrepared() override;
  Status CommitPrepared(const Xid& xid) override;
  Status RollbackPrepared(const Xid& xid) override;
  Result<BranchOutcome> LookupOutcome(const Xid& xid) override;
  Result<std::vector<Row>> QueryLocal(
      const std::string& sql, const std::vector<std::string>& params) override;
  Status ExecuteLocal(const std::string& sql,
                      const std::vector<std::string>& params) override;

 private:
  friend class FakeBranch;
  void Record(const std::string& what, const Xid& xid);
  // REQUIRES: mu_ held.
  void NoteCommitted(const Xid& xid);

  std::string name_;
  std::string type_ = "fake";
  Journal* journal_;
  FakeScript script_;
  mutable std::mutex mu_;
  std::map<std::string, Xid> prepared_;  // gtrid -> xid
  std::set<std::string> committed_;      // gtrids committed here
  std::optional<std::chrono::steady_clock::time_point> last_deadline_;
};

class FakeDecisionLog : public DecisionLog {
 public:
  explicit FakeDecisionLog(Journal* journal) : journal_(journal) {}

  void FailAppends(Status failure) { failure_ = std::move(failure); }
  // Acts as a store in a database: the decision rides on `resource`'s
  // branch (CommitCarrying commits it one phase and records the decision
  // if that works) and recovery claims abort with `claim`.
  void ActAsStore(std::string resource) { carrier_ = std::move(resource); }
  void ScriptClaim(Result<bool> claim) { claim_ = std::move(claim); }
  // Runs once, inside the next ClaimAbort, before it answers.
  void OnClaim(std::function<void()> hook) { on_claim_ = std::move(hook); }

  Status LogCommit(const std::string& gtrid,
                   const std::vector<std::string>& resources,
                   int64_t time_ms) override;
  Status LogEnd(const std::string& gtrid, int64_t time_ms,
                EndOrigin origin = EndOrigin::kCoordinator) override;
  Status LogHeuristic(const std::string& gtrid,
                      const std::vector<std::string>& resources,
                      const std::string& detail, int64_t time_ms) override;
  std::vector<DecisionRecord> OpenCommits() const override;
  std::optional<DecisionRecord> FindOpenCommit(
      const std::string& gtrid) const override;
  // Any record of the gtrid (this log forgets nothing).
  bool HasCommitHistory(const std::string& gtrid) const override;
  Status health() const override;
  const std::string& carrier() const override { return carrier_; }
  Status CommitCarrying(Branch& branch, const std::string& gtrid,
                        const std::vector<std::string>& resources,
                        int64_t time_ms) override;
  Result<bool> ClaimAbort(const std::string& gtrid) override;
  Status WithdrawAbort(const std::string& gtrid,
                       const std::vector<std::string>& resources,
                       int64_t time_ms) override;
  bool shared() const override { return !carrier_.empty(); }

  std::vector<DecisionRecord> all_records() const;

 private:
  Journal* journal_;
  mutable std::mutex mu_;
  Status failure_;
  std::vector<DecisionRecord> records_;
  std::string carrier_;
  Result<bool> claim_ = true;
  std::function<void()> on_claim_;
};

}  // namespace xatm::testing
