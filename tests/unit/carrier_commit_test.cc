// The coordinator and the sweeper with a decision store that rides on one
// resource's branch (last-resource commit) and fences recovery's abort
// (scripted fakes: the store itself is tested against real servers in
// tests/integration/decision_store_test.cc).
#include <gtest/gtest.h>

#include "tests/unit/coordinator_fixture.h"
#include "xatm/sweeper.h"
#include "xatm/transaction.h"

namespace xatm {
namespace {

class CarrierCommitTest : public testing::CoordinatorFixture {
 protected:
  void SetUp() override {
    CoordinatorFixture::SetUp();
    log_->ActAsStore("a");
  }
  std::unique_ptr<Transaction> Begin(std::initializer_list<const char*> names) {
    auto txn = tm_->Begin();
    EXPECT_TRUE(txn.ok());
    for (const char* n : names) EXPECT_TRUE((*txn)->Enlist(n).ok());
    return std::move(txn).value();
  }
  SweepResult Sweep(bool all_nodes = false) {
    SweeperOptions options;
    options.grace_period_ms = 10'000;
    options.all_nodes = all_nodes;
    return Sweeper(tm_.get(), options).SweepOnce();
  }
  Xid OldXid(const std::string& node = "n1") {
    return Xid{node, clock_.now_ms - 60'000, 7, tm_->log().home()};
  }
};

TEST_F(CarrierCommitTest, TheCarrierIsNeverPreparedAndCommitsAfterTheVotes) {
  auto txn = Begin({"a", "b"});
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(journal_.IndexOf("prepare:a"), -1);
  const int voted = journal_.IndexOf("prepare:b");
  const int decided = journal_.IndexOf("commit-one-phase:a");
  ASSERT_GE(voted, 0);
  EXPECT_LT(voted, journal_.IndexOf("carry-decision"));
  EXPECT_LT(journal_.IndexOf("carry-decision"), decided);
  EXPECT_LT(decided, journal_.IndexOf("commit:b"));
  EXPECT_EQ(journal_.IndexOf("log-commit"), -1);  // no record of its own
  ASSERT_EQ(log_->all_records().size(), 2u);      // COMMIT, END
  EXPECT_EQ(log_->all_records()[0].resources,
            (std::vector<std::string>{"b", "a"}));
}

TEST_F(CarrierCommitTest, ANoVoteRollsBackTheCarrierWithoutDeciding) {
  b_->script().prepare = Status::Aborted("no");
  auto txn = Begin({"a", "b"});
  EXPECT_EQ(txn->Commit().code(), StatusCode::kAborted);
  EXPECT_EQ(journal_.IndexOf("carry-decision"), -1);
  EXPECT_GE(journal_.IndexOf("rollback:a"), 0);
  EXPECT_TRUE(log_->all_records().empty());
}

// A unique violation (recovery's abort row), the too-late check, any
// failure of the carrier's commit: nothing was decided, all roll back.
TEST_F(CarrierCommitTest, ARefusedDecisionRollsBackThePreparedBranches) {
  a_->script().one_phase = Status::Aborted("duplicate key: abort row");
  auto txn = Begin({"a", "b"});
  Status s = txn->Commit();
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  EXPECT_GE(journal_.IndexOf("rollback:b"), 0);
  EXPECT_EQ(journal_.IndexOf("commit:b"), -1);
  EXPECT_TRUE(b_->prepared().empty());
}

TEST_F(CarrierCommitTest, AnUnsettledDecisionLeavesTheOthersPrepared) {
  a_->script().one_phase = Status::UnknownOutcome("answer lost");
  auto txn = Begin({"a", "b"});
  EXPECT_EQ(txn->Commit().code(), StatusCode::kUnknownOutcome);
  EXPECT_EQ(journal_.IndexOf("rollback:b"), -1);
  EXPECT_EQ(b_->prepared().size(), 1u);  // recovery decides from the row
}

TEST_F(CarrierCommitTest, WithoutTheCarrierTheDecisionIsARecordOfItsOwn) {
  auto txn = Begin({"b"});  // one branch: one phase, nothing decided
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(journal_.IndexOf("carry-decision"), -1);
  EXPECT_EQ(journal_.IndexOf("log-commit"), -1);
}

TEST_F(CarrierCommitTest, EveryOtherBranchReadOnlyCommitsTheCarrierAlone) {
  b_->script().read_only = true;
  auto txn = Begin({"a", "b"});
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(journal_.IndexOf("carry-decision"), -1);
  EXPECT_GE(journal_.IndexOf("commit-one-phase:a"), 0);
  EXPECT_TRUE(log_->all_records().empty());
}

TEST_F(CarrierCommitTest, TheSweeperRollsBackOnlyWhenTheFenceHolds) {
  Xid xid = OldXid();
  b_->AddPrepared(xid);
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 1) << r.Summary();
  EXPECT_LT(journal_.IndexOf("claim-abort"),
            journal_.IndexOf("recovery-rollback:b"));
}

TEST_F(CarrierCommitTest, ACommitThatBeatTheFenceIsCommitted) {
  Xid xid = OldXid();
  b_->AddPrepared(xid);
  log_->ScriptClaim(false);  // the coordinator's COMMIT row won
  SweepResult r = Sweep();
  EXPECT_EQ(r.committed, 1) << r.Summary();
  EXPECT_EQ(journal_.IndexOf("recovery-rollback:b"), -1);
}

TEST_F(CarrierCommitTest, AnUnansweredFenceDefers) {
  Xid xid = OldXid();
  b_->AddPrepared(xid);
  log_->ScriptClaim(Status::Unavailable("lock wait timeout"));
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back + r.committed, 0) << r.Summary();
  EXPECT_EQ(r.remaining, 1) << r.Summary();
  EXPECT_EQ(b_->prepared().size(), 1u);
}

// The carrier committed with the row: recovery needs no ledger to know it.
TEST_F(CarrierCommitTest, RecoveryFinishesADecisionWithoutAskingTheCarrier) {
  a_->script().outcome = BranchOutcome::kNotCommitted;  // no ledger row
  Xid xid = OldXid();
  b_->AddPrepared(xid);
  ASSERT_TRUE(log_->LogCommit(xid.Gtrid(), {"b", "a"}, 0).ok());
  SweepResult r = Sweep();
  EXPECT_EQ(r.committed, 1) << r.Summary();
  EXPECT_EQ(r.ended, 1) << r.Summary();
  EXPECT_EQ(r.heuristics, 0) << r.Summary();
  EXPECT_EQ(journal_.IndexOf("lookup:a"), -1);
}

TEST_F(CarrierCommitTest, AllNodesReachesOtherNodesBranches) {
  b_->AddPrepared(OldXid("n2"));
  EXPECT_EQ(Sweep().rolled_back, 0);  // another node's: not ours
  EXPECT_EQ(b_->prepared().size(), 1u);
  EXPECT_EQ(Sweep(/*all_nodes=*/true).rolled_back, 1);
  EXPECT_TRUE(b_->prepared().empty());
}

TEST_F(CarrierCommitTest, AllNodesIsRefusedForALogOfOneNode) {
  log_->ActAsStore("");  // a file log: shared() is false
  b_->AddPrepared(OldXid("n2"));
  EXPECT_EQ(Sweep(/*all_nodes=*/true).rolled_back, 0);
  EXPECT_EQ(b_->prepared().size(), 1u);
}

}  // namespace
}  // namespace xatm
