// What Commit() promises: exit-code-worthy outcomes that never overstate what
// is known (scripted fake resources).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/unit/coordinator_fixture.h"
#include "xatm/transaction.h"

namespace xatm {
namespace {

class CommitOutcomeTest : public testing::CoordinatorFixture {
 protected:
  std::unique_ptr<Transaction> Begin(std::initializer_list<const char*> names) {
    auto txn = tm_->Begin();
    EXPECT_TRUE(txn.ok());
    for (const char* n : names) EXPECT_TRUE((*txn)->Enlist(n).ok());
    return std::move(txn).value();
  }
};

// Item 2: phase 2's retry from another session is checked against the
// ledger, as recovery's commit is: an OK that was not applied is no commit.
TEST_F(CommitOutcomeTest, ARetriedCommitIsCheckedAgainstTheLedger) {
  b_->script().commit = Status::Unavailable("connection lost");
  b_->script().outcome = BranchOutcome::kNotCommitted;  // OK, but not applied
  b_->script().applies_commits = false;
  auto txn = Begin({"a", "b"});
  Status s = txn->Commit();
  EXPECT_EQ(s.code(), StatusCode::kInDoubt) << s.ToString();
  EXPECT_EQ(journal_.IndexOf("log-end"), -1);
  EXPECT_EQ(log_->OpenCommits().size(), 1u);
}

// Item 10: a lost one-phase answer is settled from the ledger...
TEST_F(CommitOutcomeTest, ALostOnePhaseAnswerIsSettledFromTheLedger) {
  a_->script().one_phase = Status::Unavailable("connection lost");
  a_->script().outcome = BranchOutcome::kCommitted;
  auto txn = Begin({"a"});
  Status s = txn->Commit();
  EXPECT_TRUE(s.ok()) << s.ToString();
}

// ...and, where the ledger cannot prove it, is "unknown", not "in doubt".
TEST_F(CommitOutcomeTest, AnUnprovableOnePhaseAnswerIsUnknownOutcome) {
  a_->script().one_phase = Status::Unavailable("connection lost");
  a_->script().outcome = BranchOutcome::kNotCommitted;
  auto txn = Begin({"a"});
  EXPECT_EQ(txn->Commit().code(), StatusCode::kUnknownOutcome);
}

TEST_F(CommitOutcomeTest, AFailedDecisionAppendIsUnknownOutcome) {
  auto txn = Begin({"a", "b"});
  log_->FailAppends(Status::FailedPrecondition("fdatasync failed"));
  EXPECT_EQ(txn->Commit().code(), StatusCode::kUnknownOutcome);
  EXPECT_EQ(a_->prepared().size(), 1u);  // recovery decides
}

// Item 8: a read-only branch takes no part in the decision or phase 2.
TEST_F(CommitOutcomeTest, AReadOnlyBranchIsLeftOutOfTheDecision) {
  a_->script().read_only = true;
  auto txn = Begin({"a", "b"});
  ASSERT_TRUE(txn->Commit().ok());
  for (const auto& r : log_->all_records()) {
    if (r.type == RecordType::kCommit) {
      EXPECT_EQ(r.resources, std::vector<std::string>{"b"});
    }
  }
  EXPECT_EQ(journal_.IndexOf("commit:a"), -1);
  EXPECT_GE(journal_.IndexOf("commit:b"), 0);
}

TEST_F(CommitOutcomeTest, AllReadOnlyNeedsNoDecision) {
  a_->script().read_only = true;
  b_->script().read_only = true;
  auto txn = Begin({"a", "b"});
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_EQ(journal_.IndexOf("log-commit"), -1);
}

// Item 14: the library's per-transaction deadline reaches every branch and
// an expired one before the decision is a rollback.
TEST_F(CommitOutcomeTest, TheTransactionDeadlineReachesEveryBranch) {
  auto txn = tm_->Begin(std::chrono::milliseconds(5'000));
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->Enlist("a").ok());
  ASSERT_TRUE((*txn)->Enlist("b").ok());
  ASSERT_TRUE(a_->last_deadline().has_value());
  ASSERT_TRUE(b_->last_deadline().has_value());
  auto left = *a_->last_deadline() - std::chrono::steady_clock::now();
  EXPECT_GT(left, std::chrono::milliseconds(4'000));
  EXPECT_LE(left, std::chrono::milliseconds(5'000));
}

TEST_F(CommitOutcomeTest, AnExpiredTransactionDeadlineRollsBack) {
  auto txn = tm_->Begin(std::chrono::milliseconds(1));
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->Enlist("a").ok());
  ASSERT_TRUE((*txn)->Enlist("b").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ((*txn)->Commit().code(), StatusCode::kAborted);
  EXPECT_EQ(journal_.IndexOf("log-commit"), -1);
  EXPECT_TRUE(a_->prepared().empty());
}

// A prepare that went unanswered (a frozen server) must not hold the
// caller for another full request timeout while rolling back.
TEST_F(CommitOutcomeTest, AnUnansweredPrepareGetsAShortRollback) {
  b_->script().prepare = Status::Unavailable("timed out after 2000 ms");
  auto txn = Begin({"a", "b"});
  EXPECT_EQ(txn->Commit().code(), StatusCode::kAborted);
  ASSERT_TRUE(b_->last_deadline().has_value());
  EXPECT_LE(*b_->last_deadline() - std::chrono::steady_clock::now(),
            std::chrono::milliseconds(1'000));
  EXPECT_FALSE(a_->last_deadline().has_value());
}

// Item 13: the decision deadline is not fooled by a wall clock stepping
// backwards while votes are collected.
TEST_F(CommitOutcomeTest, TheDecisionDeadlineHoldsWhenTheClockStepsBack) {
  TransactionManagerOptions options = tm_->options();
  options.decision_deadline_ms = 50;
  auto tm = TransactionManager::Create(
      options, {a_, b_}, std::make_unique<testing::FakeDecisionLog>(&journal_));
  ASSERT_TRUE(tm.ok());
  auto txn = (*tm)->Begin();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->Enlist("a").ok());
  ASSERT_TRUE((*txn)->Enlist("b").ok());
  clock_.now_ms -= 3'600'000;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ((*txn)->Commit().code(), StatusCode::kAborted);
  EXPECT_EQ(journal_.IndexOf("log-commit"), -1);
}

}  // namespace
}  // namespace xatm
