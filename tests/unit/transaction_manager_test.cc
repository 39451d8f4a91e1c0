// Coordinator logic against scripted fake resources (no database here).
#include "xatm/transaction_manager.h"

#include <gtest/gtest.h>

#include "tests/unit/coordinator_fixture.h"
#include "xatm/transaction.h"

namespace xatm {
namespace {

using testing::FakeDecisionLog;
using testing::FakeResource;
using testing::Journal;

class TransactionManagerTest : public testing::CoordinatorFixture {
 protected:
  std::unique_ptr<Transaction> BeginOnBoth() {
    auto txn = tm_->Begin();
    EXPECT_TRUE(txn.ok());
    EXPECT_TRUE((*txn)->Enlist("a").ok());
    EXPECT_TRUE((*txn)->Enlist("b").ok());
    return std::move(txn).value();
  }
};

TEST_F(TransactionManagerTest,
       AllYesVotesMakeTheDecisionDurableBeforeAnyCommit) {
  auto txn = BeginOnBoth();
  ASSERT_TRUE(txn->Commit().ok());
  int decision = journal_.IndexOf("log-commit");
  ASSERT_GE(decision, 0);
  EXPECT_LT(journal_.IndexOf("prepare:a"), decision);
  EXPECT_LT(journal_.IndexOf("prepare:b"), decision);
  EXPECT_GT(journal_.IndexOf("commit:a"), decision);
  EXPECT_GT(journal_.IndexOf("commit:b"), decision);
  EXPECT_GT(journal_.IndexOf("log-end"), journal_.IndexOf("commit:a"));
  EXPECT_GT(journal_.IndexOf("log-end"), journal_.IndexOf("commit:b"));
  EXPECT_TRUE(log_->OpenCommits().empty());
  EXPECT_EQ(txn->state(), Transaction::State::kCommitted);
  EXPECT_FALSE(tm_->IsInFlight(txn->gtrid()));
}

TEST_F(TransactionManagerTest, CommitRecordNamesEveryResource) {
  auto txn = BeginOnBoth();
  ASSERT_TRUE(txn->Commit().ok());
  auto records = log_->all_records();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records[0].gtrid, txn->gtrid());
  EXPECT_EQ(records[0].resources, (std::vector<std::string>{"a", "b"}));
}

TEST_F(TransactionManagerTest, OneNoVoteRollsBackEverythingAndLogsNothing) {
  b_->script().prepare = Status::Aborted("tag ROLLBACK");
  auto txn = BeginOnBoth();
  Status s = txn->Commit();
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  EXPECT_NE(s.message().find("b voted no"), std::string::npos) << s.message();
  EXPECT_EQ(journal_.IndexOf("log-commit"), -1);
  EXPECT_GE(journal_.IndexOf("rollback:a"), 0);
  EXPECT_GE(journal_.IndexOf("rollback:b"), 0);
  EXPECT_EQ(journal_.IndexOf("commit:a"), -1);
  EXPECT_TRUE(a_->prepared().empty());
  EXPECT_TRUE(log_->all_records().empty());
}

TEST_F(TransactionManagerTest, PrepareErrorIsTreatedAsNoVote) {
  a_->script().prepare = Status::Unavailable("connection lost");
  auto txn = BeginOnBoth();
  EXPECT_EQ(txn->Commit().code(), StatusCode::kAborted);
  EXPECT_EQ(journal_.IndexOf("log-commit"), -1);
  EXPECT_GE(journal_.IndexOf("rollback:b"), 0);
  EXPECT_TRUE(b_->prepared().empty());
}

TEST_F(TransactionManagerTest, SingleResourceCommitsInOnePhaseWithoutLogging) {
  auto txn = tm_->Begin();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->Enlist("a").ok());
  ASSERT_TRUE((*txn)->Commit().ok());
  EXPECT_GE(journal_.IndexOf("commit-one-phase:a"), 0);
  EXPECT_EQ(journal_.IndexOf("prepare:a"), -1);
  EXPECT_TRUE(log_->all_records().empty());
}

TEST_F(TransactionManagerTest, OnePhaseRollbackIsReportedAsAborted) {
  a_->script().one_phase = Status::Aborted("CHECK violated");
  auto txn = tm_->Begin();
  ASSERT_TRUE((*txn)->Enlist("a").ok());
  EXPECT_EQ((*txn)->Commit().code(), StatusCode::kAborted);
}

TEST_F(TransactionManagerTest, DestroyedTransactionRollsBack) {
  std::string gtrid;
  {
    auto txn = BeginOnBoth();
    gtrid = txn->gtrid();
    EXPECT_TRUE(tm_->IsInFlight(gtrid));
  }
  EXPECT_GE(journal_.IndexOf("rollback:a"), 0);
  EXPECT_GE(journal_.IndexOf("rollback:b"), 0);
  EXPECT_FALSE(tm_->IsInFlight(gtrid));
}

TEST_F(TransactionManagerTest, UnfinishedPhaseTwoLeavesTheDecisionOpen) {
  b_->script().commit = Status::Unavailable("connection lost");
  b_->script().recovery_commit = Status::Unavailable("server down");
  auto txn = BeginOnBoth();
  Status s = txn->Commit();
  EXPECT_EQ(s.code(), StatusCode::kInDoubt) << s.ToString();
  EXPECT_NE(s.message().find("not yet committed on b"), std::string::npos);
  EXPECT_EQ(journal_.IndexOf("log-end"), -1);
  ASSERT_EQ(log_->OpenCommits().size(), 1u);
  EXPECT_EQ(b_->prepared().size(), 1u);
  EXPECT_FALSE(tm_->IsInFlight(txn->gtrid()));  // the sweeper may take it
}

TEST_F(TransactionManagerTest, PhaseTwoRetriesFromAFreshConnection) {
  b_->script().commit = Status::Unavailable("connection lost");
  auto txn = BeginOnBoth();
  EXPECT_TRUE(txn->Commit().ok());
  EXPECT_GE(journal_.IndexOf("recovery-commit:b"), 0);
  EXPECT_TRUE(log_->OpenCommits().empty());
}

TEST_F(TransactionManagerTest,
       DecisionLogFailureLeavesBranchesPreparedInDoubt) {
  auto txn = BeginOnBoth();
  log_->FailAppends(Status::FailedPrecondition("fdatasync failed"));
  Status s = txn->Commit();
  EXPECT_EQ(s.code(), StatusCode::kUnknownOutcome) << s.ToString();
  // Neither committed nor rolled back: the record may be on disk.
  EXPECT_EQ(journal_.IndexOf("commit:a"), -1);
  EXPECT_EQ(journal_.IndexOf("rollback:a"), -1);
  EXPECT_EQ(a_->prepared().size(), 1u);
  EXPECT_EQ(tm_->Begin().status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(TransactionManagerTest, VotesArrivingPastTheDeadlineAbort) {
  auto txn = BeginOnBoth();
  clock_.now_ms += tm_->options().decision_deadline_ms + 1;
  EXPECT_EQ(txn->Commit().code(), StatusCode::kAborted);
  EXPECT_EQ(journal_.IndexOf("log-commit"), -1);
  EXPECT_TRUE(a_->prepared().empty());
}

TEST_F(TransactionManagerTest, UnknownResourceIsNotFound) {
  auto txn = tm_->Begin();
  EXPECT_EQ((*txn)->Enlist("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(TransactionManagerTest, CommitTwiceIsRefused) {
  auto txn = BeginOnBoth();
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(txn->Commit().code(), StatusCode::kFailedPrecondition);
}

TEST(TransactionManagerCreateTest, DuplicateResourceNamesAreRefused) {
  Journal journal;
  auto a = std::make_shared<FakeResource>("a", &journal);
  auto a2 = std::make_shared<FakeResource>("a", &journal);
  TransactionManagerOptions options;
  options.node_id = "n1";
  auto tm = TransactionManager::Create(
      options, {a, a2}, std::make_unique<FakeDecisionLog>(&journal));
  EXPECT_EQ(tm.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace xatm
