// Recovery never presumes abort against evidence, and manual resolution
// never commits what it cannot see (scripted fake resources; the same rules
// are checked against real servers in tests/crash).
#include <gtest/gtest.h>

#include "tests/unit/coordinator_fixture.h"
#include "xatm/resolver.h"
#include "xatm/sweeper.h"

namespace xatm {
namespace {

class RecoveryEvidenceTest : public testing::CoordinatorFixture {
 protected:
  Xid OldXid(int64_t age_ms = 60'000, uint64_t unique = 1) {
    return Xid{"n1", clock_.now_ms - age_ms, unique, tm_->log().home()};
  }
  SweepResult Sweep() {
    SweeperOptions options;
    options.grace_period_ms = 10'000;
    return Sweeper(tm_.get(), options).SweepOnce();
  }
  int Count(RecordType type, const std::string& gtrid) const {
    int n = 0;
    for (const auto& r : log_->all_records()) {
      n += r.type == type && r.gtrid == gtrid;
    }
    return n;
  }
};

// Item 1: the log lost the decision (a damaged last record, a replaced log
// directory), but a sibling branch is known committed.
TEST_F(RecoveryEvidenceTest, ASiblingCommittedBranchIsEvidenceOfCommit) {
  Xid xid = OldXid();
  b_->AddPrepared(xid);
  a_->script().outcome = BranchOutcome::kCommitted;     // a's ledger row
  b_->script().outcome = BranchOutcome::kNotCommitted;  // still prepared
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 0) << r.Summary();
  EXPECT_EQ(journal_.IndexOf("recovery-rollback:b"), -1);
  EXPECT_GE(journal_.IndexOf("recovery-commit:b"), 0);
  EXPECT_TRUE(b_->prepared().empty());
  // A fresh COMMIT record, naming every branch, before the commit.
  ASSERT_EQ(Count(RecordType::kCommit, xid.Gtrid()), 1);
  for (const auto& rec : log_->all_records()) {
    if (rec.type != RecordType::kCommit) continue;
    EXPECT_EQ(rec.resources, (std::vector<std::string>{"a", "b"}));
  }
  EXPECT_LT(journal_.IndexOf("log-commit"),
            journal_.IndexOf("recovery-commit:b"));
  // The next pass confirms both and ends it.
  SweepResult second = Sweep();
  EXPECT_EQ(second.ended, 1) << second.Summary();
  EXPECT_TRUE(second.clean()) << second.Summary();
}

TEST_F(RecoveryEvidenceTest, AnUnreadableSiblingDefersPresumedAbort) {
  Xid xid = OldXid();
  b_->AddPrepared(xid);
  a_->script().lookup = Status::Unavailable("server frozen");
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 0) << r.Summary();
  EXPECT_EQ(b_->prepared().size(), 1u);
  EXPECT_GE(r.remaining, 1);
}

TEST_F(RecoveryEvidenceTest, ADownSiblingDefersPresumedAbort) {
  Xid xid = OldXid();
  b_->AddPrepared(xid);
  a_->script().list = Status::Unavailable("connection refused");
  a_->script().lookup = Status::Unavailable("connection refused");
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 0) << r.Summary();
  EXPECT_EQ(b_->prepared().size(), 1u);
}

TEST_F(RecoveryEvidenceTest, NoEvidenceAnywhereStillPresumesAbort) {
  Xid xid = OldXid();
  a_->AddPrepared(xid);
  b_->AddPrepared(xid);
  a_->script().outcome = BranchOutcome::kNotCommitted;
  b_->script().outcome = BranchOutcome::kNotCommitted;
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 2) << r.Summary();
  EXPECT_EQ(Count(RecordType::kCommit, xid.Gtrid()), 0);
}

// After the ledger, the barrier table (a saga's XA group leaves its row
// there): one that does not exist proves nothing more, abort is presumed.
TEST_F(RecoveryEvidenceTest, NoBarrierTableStillPresumesAbort) {
  Xid xid = OldXid();
  b_->AddPrepared(xid);
  a_->script().outcome = BranchOutcome::kNotCommitted;
  a_->script().query =
      Status::InvalidArgument("relation \"xatm_saga_barrier\" does not exist");
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 1) << r.Summary();
  EXPECT_TRUE(b_->prepared().empty());
}

// A barrier table that cannot be read now is no evidence either way.
TEST_F(RecoveryEvidenceTest, AnUnreadableBarrierTableDefersPresumedAbort) {
  Xid xid = OldXid();
  b_->AddPrepared(xid);
  a_->script().outcome = BranchOutcome::kNotCommitted;
  a_->script().query = Status::Unavailable("server frozen");
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 0) << r.Summary();
  EXPECT_EQ(b_->prepared().size(), 1u);
  EXPECT_GE(r.remaining, 1);
}

// Item 2: a decision closed as heuristic (or ENDed by recovery) whose branch
// reappears prepared, e.g. after a server restart.
TEST_F(RecoveryEvidenceTest, AReappearingBranchOfAHeuristicIsCommitted) {
  Xid xid = OldXid();
  ASSERT_TRUE(log_->LogCommit(xid.Gtrid(), {"a", "b"}, 0).ok());
  ASSERT_TRUE(log_->LogHeuristic(xid.Gtrid(), {"b"}, "rolled back", 0).ok());
  ASSERT_TRUE(log_->LogEnd(xid.Gtrid(), 0, EndOrigin::kRecovery).ok());
  b_->AddPrepared(xid);
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 0) << r.Summary();
  EXPECT_GE(journal_.IndexOf("recovery-commit:b"), 0);
  EXPECT_TRUE(b_->prepared().empty());
}

TEST_F(RecoveryEvidenceTest, RecoveryEndsAreMarkedAsRecoveryEnds) {
  Xid xid = OldXid();
  a_->AddPrepared(xid);
  b_->AddPrepared(xid);
  ASSERT_TRUE(log_->LogCommit(xid.Gtrid(), {"a", "b"}, 0).ok());
  SweepResult r = Sweep();
  ASSERT_EQ(r.ended, 1) << r.Summary();
  bool found = false;
  for (const auto& rec : log_->all_records()) {
    if (rec.type == RecordType::kEnd && rec.gtrid == xid.Gtrid()) {
      EXPECT_EQ(rec.detail, "recovery");  // kept as a tombstone
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

// Item 8: a read-only branch left prepared (by an older version) that the
// database forgets when another session commits it is no heuristic.
TEST_F(RecoveryEvidenceTest, NothingToCommitIsNoHeuristic) {
  Xid xid = OldXid();
  a_->AddPrepared(xid);
  b_->AddPrepared(xid);
  ASSERT_TRUE(log_->LogCommit(xid.Gtrid(), {"a", "b"}, 0).ok());
  b_->script().recovery_commit =
      Status::Aborted("1402 XA_RBROLLBACK: nothing to commit");
  b_->script().outcome = BranchOutcome::kNotCommitted;  // no ledger row
  SweepResult r = Sweep();
  EXPECT_EQ(r.heuristics, 0) << r.Summary();
  EXPECT_EQ(r.ended, 1) << r.Summary();
  EXPECT_TRUE(r.clean()) << r.Summary();
}

// Item 4: a COMMIT append that fails during the pass (after the pass read
// the log's health) must stop presumed abort.
TEST_F(RecoveryEvidenceTest, ALogFailingDuringThePassStopsPresumedAbort) {
  Xid xid = OldXid();
  a_->AddPrepared(xid);
  b_->script().on_list = [this] {
    log_->FailAppends(Status::FailedPrecondition("fdatasync failed"));
  };
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 0) << r.Summary();
  EXPECT_EQ(a_->prepared().size(), 1u);
}

// Item 13: the database's own prepare time beats the gtrid's wall clock.
TEST_F(RecoveryEvidenceTest, TheDatabasesAgeBeatsAClockStepForwards) {
  Xid xid = OldXid(3'600'000);  // the wall clock jumped an hour ahead
  a_->AddPrepared(xid);
  a_->script().db_age_ms = 1'000;  // prepared a second ago
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 0) << r.Summary();
  EXPECT_EQ(a_->prepared().size(), 1u);
  EXPECT_EQ(r.deferred, 1);
}

TEST_F(RecoveryEvidenceTest, ABranchFromTheFutureIsYoung) {
  Xid xid{"n1", clock_.now_ms + 3'600'000, 1,
          tm_->log().home()};  // the clock stepped back
  a_->AddPrepared(xid);
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 0) << r.Summary();
  EXPECT_EQ(r.deferred, 1);
}

// Item 3: --commit only when every resource answered, naming every branch.
TEST_F(RecoveryEvidenceTest, ManualCommitRefusesWhileAResourceIsUnreachable) {
  Xid xid = OldXid();
  a_->AddPrepared(xid);
  b_->script().list = Status::Unavailable("connection refused");
  auto r = ResolveManually(*tm_, xid.Gtrid(), {ManualDecision::kCommit, false});
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable)
      << r.status().ToString();
  EXPECT_NE(r.status().message().find("b"), std::string::npos);
  EXPECT_EQ(journal_.IndexOf("log-commit"), -1);
  EXPECT_EQ(a_->prepared().size(), 1u);
}

TEST_F(RecoveryEvidenceTest, ManualCommitRefusesABranchThatWasNeverPrepared) {
  // No decision; b shows neither a prepared branch nor a ledger row: its
  // branch may have been rolled back before it prepared.
  Xid xid = OldXid();
  a_->AddPrepared(xid);
  b_->script().outcome = BranchOutcome::kNotCommitted;
  auto r = ResolveManually(*tm_, xid.Gtrid(), {ManualDecision::kCommit, false});
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition)
      << r.status().ToString();
  EXPECT_EQ(journal_.IndexOf("log-commit"), -1);
  EXPECT_EQ(a_->prepared().size(), 1u);
}

TEST_F(RecoveryEvidenceTest, ManualCommitNamesEveryBranch) {
  Xid xid = OldXid();
  a_->AddPrepared(xid);
  b_->script().outcome = BranchOutcome::kCommitted;  // committed already
  auto r = ResolveManually(*tm_, xid.Gtrid(), {ManualDecision::kCommit, false});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(Count(RecordType::kCommit, xid.Gtrid()), 1);
  for (const auto& rec : log_->all_records()) {
    if (rec.type != RecordType::kCommit) continue;
    EXPECT_EQ(rec.resources, (std::vector<std::string>{"a", "b"}));
  }
  EXPECT_TRUE(a_->prepared().empty());
}

// The coordinator (alive after all: a database store, another node)
// decides COMMIT, commits every branch and ENDs its decision after the
// operator's rollback listed the branches, before its fence. Read again
// after the fence, the ledger shows the commit: the abort is withdrawn and
// the rollback refused as one against a COMMIT decision, not reported done.
TEST_F(RecoveryEvidenceTest,
       ManualRollbackOfACommitEndedBeforeTheFenceIsRefused) {
  log_->ActAsStore("b");
  Xid xid = OldXid();
  a_->AddPrepared(xid);
  b_->script().outcome = BranchOutcome::kNotCommitted;
  log_->OnClaim([&] {
    b_->script().outcome = BranchOutcome::kCommitted;  // the carrier's commit
    EXPECT_TRUE(a_->CommitPrepared(xid).ok());         // the XA COMMIT on a
  });
  auto r =
      ResolveManually(*tm_, xid.Gtrid(), {ManualDecision::kRollback, false});
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition)
      << (r.ok() ? "resolved: " + r->events.front().detail
                 : r.status().ToString());
  EXPECT_EQ(journal_.IndexOf("recovery-rollback:a"), -1);
  ASSERT_GE(journal_.IndexOf("claim-abort"), 0);
  EXPECT_LT(journal_.IndexOf("claim-abort"),
            journal_.IndexOf("withdraw-abort"));
  std::optional<DecisionRecord> decision = log_->FindOpenCommit(xid.Gtrid());
  ASSERT_TRUE(decision.has_value()) << "the abort claimed stands";
  EXPECT_EQ(decision->resources, (std::vector<std::string>{"a", "b"}));
  // Recovery confirms both committed and ends it.
  SweepResult next = Sweep();
  EXPECT_EQ(next.ended, 1) << next.Summary();
  EXPECT_EQ(next.heuristics, 0) << next.Summary();
}

// Read again after the fence, nothing says commit: rolled back as before.
TEST_F(RecoveryEvidenceTest,
       ManualRollbackWithNoCommitBeforeTheFenceRollsBack) {
  log_->ActAsStore("b");
  Xid xid = OldXid();
  a_->AddPrepared(xid);
  b_->script().outcome = BranchOutcome::kNotCommitted;
  auto r =
      ResolveManually(*tm_, xid.Gtrid(), {ManualDecision::kRollback, false});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GE(journal_.IndexOf("recovery-rollback:a"), 0);
  EXPECT_EQ(journal_.IndexOf("withdraw-abort"), -1);
  EXPECT_TRUE(a_->prepared().empty());
}

}  // namespace
}  // namespace xatm
