// Sweeper and manual resolution logic against scripted fake resources.
#include "xatm/sweeper.h"

#include <gtest/gtest.h>

#include "tests/unit/coordinator_fixture.h"
#include "xatm/in_doubt.h"
#include "xatm/resolver.h"
#include "xatm/transaction.h"

namespace xatm {
namespace {

class SweeperTest : public testing::CoordinatorFixture {
 protected:
  void SetUp() override {
    CoordinatorFixture::SetUp();
    sweeper_options_.grace_period_ms = 10'000;
  }

  // A transaction of this node that began `age_ms` ago.
  Xid OldXid(int64_t age_ms, uint64_t unique = 1) {
    return Xid{"n1", clock_.now_ms - age_ms, unique, tm_->log().home()};
  }

  SweepResult Sweep() {
    return Sweeper(tm_.get(), sweeper_options_).SweepOnce();
  }

  SweeperOptions sweeper_options_;
};

TEST_F(SweeperTest, CommitsBranchesOfALoggedDecisionAndEndsIt) {
  Xid xid = OldXid(60'000);
  a_->AddPrepared(xid);
  b_->AddPrepared(xid);
  ASSERT_TRUE(log_->LogCommit(xid.Gtrid(), {"a", "b"}, 0).ok());
  SweepResult r = Sweep();
  EXPECT_EQ(r.committed, 2);
  EXPECT_EQ(r.ended, 1);
  EXPECT_TRUE(r.clean()) << r.Summary();
  EXPECT_TRUE(a_->prepared().empty());
  EXPECT_TRUE(b_->prepared().empty());
  EXPECT_TRUE(log_->OpenCommits().empty());
}

TEST_F(SweeperTest, EndsADecisionWhoseBranchesCommittedBeforeTheCrash) {
  Xid xid = OldXid(60'000);
  a_->script().outcome = BranchOutcome::kCommitted;
  b_->script().outcome = BranchOutcome::kCommitted;
  ASSERT_TRUE(log_->LogCommit(xid.Gtrid(), {"a", "b"}, 0).ok());
  SweepResult r = Sweep();
  EXPECT_EQ(r.ended, 1);
  EXPECT_EQ(r.heuristics, 0);
  EXPECT_TRUE(log_->OpenCommits().empty());
}

TEST_F(SweeperTest, ACommitAnsweredButNotAppliedKeepsTheDecisionOpen) {
  Xid xid = OldXid(60'000);
  a_->AddPrepared(xid);
  ASSERT_TRUE(log_->LogCommit(xid.Gtrid(), {"a"}, 0).ok());
  // The database says OK, yet the ledger row never becomes visible.
  a_->script().outcome = BranchOutcome::kNotCommitted;
  a_->script().applies_commits = false;
  SweepResult r = Sweep();
  EXPECT_EQ(r.committed, 0);
  EXPECT_EQ(r.ended, 0);
  EXPECT_EQ(r.remaining, 1);
  EXPECT_EQ(log_->OpenCommits().size(), 1u);
}

TEST_F(SweeperTest, ABranchWhoseDecisionLivesInAnotherStoreIsLeftAlone) {
  // This node's own transaction, decided while its decisions were kept in a
  // database store: this log cannot say it did not commit.
  Xid xid = OldXid(60'000);
  xid.home = "d0badcafe";
  a_->AddPrepared(xid);
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 0) << r.Summary();
  EXPECT_EQ(r.remaining, 1);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].action, SweepAction::kLeftAlone);
  EXPECT_NE(r.events[0].detail.find("decision store d0badcafe"),
            std::string::npos)
      << r.events[0].detail;
  EXPECT_EQ(a_->prepared().size(), 1u);

  Result<ResolveResult> by_hand = ResolveManually(
      *tm_, xid.Gtrid(), ResolveOptions{ManualDecision::kRollback});
  ASSERT_FALSE(by_hand.ok());
  EXPECT_EQ(by_hand.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(a_->prepared().size(), 1u);
}

TEST_F(SweeperTest, RollsBackAnOldBranchWithoutDecision) {
  Xid xid = OldXid(60'000);
  a_->AddPrepared(xid);
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 1);
  EXPECT_TRUE(r.clean());
  EXPECT_TRUE(a_->prepared().empty());
  EXPECT_EQ(journal_.IndexOf("log-commit"), -1);
}

// A store-decided transaction whose coordinator resumes between the
// sweeper's evidence read and its fence: its COMMIT row rides on b's commit,
// it commits a and deletes the row as ended. The fence then finds no row
// and claims abort; read again after it, the ledger shows the commit: the
// abort is withdrawn for the COMMIT decision, nothing is rolled back.
TEST_F(SweeperTest, ACommitEndedBeforeTheFenceWithdrawsTheAbortJustClaimed) {
  log_->ActAsStore("b");
  Xid xid = OldXid(60'000);
  a_->AddPrepared(xid);
  b_->script().outcome = BranchOutcome::kNotCommitted;
  b_->script().on_lookup = [&] {
    b_->script().outcome = BranchOutcome::kCommitted;  // the carrier's commit
    EXPECT_TRUE(a_->CommitPrepared(xid).ok());         // the XA COMMIT on a
  };
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 0) << r.Summary();
  EXPECT_EQ(r.remaining, 0) << r.Summary();
  EXPECT_EQ(journal_.IndexOf("recovery-rollback:a"), -1)
      << "rolled back on an abort claimed after the commit";
  ASSERT_GE(journal_.IndexOf("claim-abort"), 0);
  EXPECT_LT(journal_.IndexOf("claim-abort"),
            journal_.IndexOf("withdraw-abort"));
  std::optional<DecisionRecord> decision = log_->FindOpenCommit(xid.Gtrid());
  ASSERT_TRUE(decision.has_value()) << "the abort claimed stands";
  EXPECT_EQ(decision->resources, (std::vector<std::string>{"a", "b"}));
  // The next pass confirms every branch committed and ends the decision.
  SweepResult next = Sweep();
  EXPECT_EQ(next.ended, 1) << next.Summary();
  EXPECT_EQ(next.heuristics, 0) << next.Summary();
  EXPECT_TRUE(log_->OpenCommits().empty());
}

// Read again after the claim, nothing says commit: the branch is rolled
// back as before, and the abort stands.
TEST_F(SweeperTest, AnAbortClaimedWithoutACommitBeforeItStands) {
  log_->ActAsStore("b");
  Xid xid = OldXid(60'000);
  a_->AddPrepared(xid);
  b_->script().outcome = BranchOutcome::kNotCommitted;
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 1) << r.Summary();
  EXPECT_EQ(journal_.IndexOf("withdraw-abort"), -1);
  EXPECT_FALSE(log_->HasCommitHistory(xid.Gtrid()));
}

// A ledger that cannot be read after the claim: never guessed, left for
// the next pass with the branch still prepared.
TEST_F(SweeperTest, AnUnreadableLedgerAfterTheClaimDefersTheBranch) {
  log_->ActAsStore("b");
  Xid xid = OldXid(60'000);
  a_->AddPrepared(xid);
  b_->script().outcome = BranchOutcome::kNotCommitted;
  b_->script().on_lookup = [&] {
    b_->script().lookup = Status::Unavailable("connection reset");
  };
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 0) << r.Summary();
  EXPECT_EQ(r.remaining, 1) << r.Summary();
  EXPECT_EQ(a_->prepared().size(), 1u);
  b_->script().lookup = Status::Ok();
  EXPECT_EQ(Sweep().rolled_back, 1);
}

TEST_F(SweeperTest, LeavesAYoungBranchWithoutDecisionForLater) {
  Xid xid = OldXid(1'000);
  a_->AddPrepared(xid);
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 0);
  EXPECT_EQ(r.deferred, 1);
  EXPECT_EQ(a_->prepared().size(), 1u);
  clock_.now_ms += 20'000;
  EXPECT_EQ(Sweep().rolled_back, 1);
}

TEST_F(SweeperTest, NeverTouchesABranchOfATransactionInFlight) {
  auto txn = tm_->Begin();
  ASSERT_TRUE(txn.ok());
  Branch* branch = (*txn)->Enlist("a").value();
  ASSERT_TRUE(branch->Prepare().ok());
  clock_.now_ms += 60'000;  // old, and no decision yet
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 0);
  EXPECT_EQ(a_->prepared().size(), 1u);
  EXPECT_EQ(r.events.at(0).action, SweepAction::kSkippedInFlight);
}

TEST_F(SweeperTest, AParallelPassResolvesEachTransactionAndKeepsListingOrder) {
  // 100 transactions with a branch in a and in b, every other one decided.
  for (uint64_t i = 1; i <= 100; ++i) {
    Xid xid = OldXid(60'000, i);
    a_->AddPrepared(xid);
    b_->AddPrepared(xid);
    if (i % 2 == 0) {
      ASSERT_TRUE(log_->LogCommit(xid.Gtrid(), {"a", "b"}, 0).ok());
    }
  }
  std::vector<std::pair<std::string, std::string>> listed;  // gtrid, resource
  for (testing::FakeResource* r : {a_.get(), b_.get()}) {
    Result<std::vector<PreparedBranch>> branches = r->ListPrepared();
    ASSERT_TRUE(branches.ok());
    for (const PreparedBranch& b : *branches) {
      listed.emplace_back(b.id.xid.Gtrid(), r->name());
    }
  }
  std::vector<size_t> progress;
  sweeper_options_.workers = 8;
  sweeper_options_.on_progress = [&](size_t done, size_t total) {
    EXPECT_EQ(total, 200u);
    progress.push_back(done);
  };
  SweepResult r = Sweep();
  EXPECT_EQ(r.committed, 100);
  EXPECT_EQ(r.rolled_back, 100);
  EXPECT_EQ(r.ended, 50);
  EXPECT_TRUE(r.clean()) << r.Summary();
  EXPECT_TRUE(a_->prepared().empty());
  EXPECT_TRUE(b_->prepared().empty());
  EXPECT_TRUE(log_->OpenCommits().empty());
  // One event per branch in listing order, whatever worker resolved it,
  // each with the action its transaction's decision calls for; then ENDs.
  ASSERT_EQ(r.events.size(), 250u);
  for (size_t i = 0; i < listed.size(); ++i) {
    const SweepEvent& e = r.events[i];
    EXPECT_EQ(std::make_pair(e.gtrid, e.resource), listed[i]) << i;
    Xid xid = Xid::ParseGtrid(e.gtrid).value();
    EXPECT_EQ(e.action, xid.unique % 2 == 0 ? SweepAction::kCommitted
                                            : SweepAction::kRolledBack)
        << e.gtrid;
  }
  std::vector<size_t> expected(200);
  for (size_t i = 0; i < expected.size(); ++i) expected[i] = i + 1;
  EXPECT_EQ(progress, expected);
}

TEST_F(SweeperTest, LeavesOtherNodesBranchesAlone) {
  Xid foreign{"n2", clock_.now_ms - 60'000, 9, tm_->log().home()};
  a_->AddPrepared(foreign);
  SweepResult r = Sweep();
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(a_->prepared().size(), 1u);
}

TEST_F(SweeperTest, HeuristicOutcomeIsRecordedAndDoesNotBlockOthers) {
  Xid lost = OldXid(60'000, 1);
  Xid fine = OldXid(60'000, 2);
  // `lost` decided commit, but its branch on a was rolled back by hand.
  a_->script().outcome = BranchOutcome::kNotCommitted;
  b_->AddPrepared(lost);
  ASSERT_TRUE(log_->LogCommit(lost.Gtrid(), {"a", "b"}, 0).ok());
  b_->AddPrepared(fine);
  ASSERT_TRUE(log_->LogCommit(fine.Gtrid(), {"b"}, 0).ok());
  SweepResult r = Sweep();
  EXPECT_EQ(r.heuristics, 1);
  EXPECT_EQ(r.ended, 2);
  EXPECT_FALSE(r.clean());
  EXPECT_TRUE(b_->prepared().empty());
  EXPECT_GE(journal_.IndexOf("log-heuristic"), 0);
  EXPECT_TRUE(log_->OpenCommits().empty());
  // The heuristic is reported once, not again on the next pass.
  EXPECT_EQ(Sweep().heuristics, 0);
}

TEST_F(SweeperTest, ADownResourceIsSkippedAndTheOthersAreSwept) {
  Xid xid = OldXid(60'000);
  a_->script().list = Status::Unavailable("connection refused");
  a_->AddPrepared(xid);
  b_->AddPrepared(xid);
  ASSERT_TRUE(log_->LogCommit(xid.Gtrid(), {"a", "b"}, 0).ok());
  SweepResult r = Sweep();
  EXPECT_EQ(r.committed, 1);
  EXPECT_EQ(r.ended, 0);
  EXPECT_GE(r.remaining, 1);
  EXPECT_TRUE(b_->prepared().empty());
  ASSERT_EQ(log_->OpenCommits().size(), 1u);
  a_->script().list = Status::Ok();
  SweepResult again = Sweep();
  EXPECT_EQ(again.committed, 1);
  EXPECT_EQ(again.ended, 1);
  EXPECT_TRUE(again.clean());
}

TEST_F(SweeperTest, ADownResourceIsRetriedWithBackoff) {
  a_->script().list = Status::Unavailable("connection refused");
  sweeper_options_.initial_backoff_ms = 1'000;
  Sweeper sweeper(tm_.get(), sweeper_options_);
  (void)sweeper.SweepOnce();
  a_->script().list = Status::Ok();
  SweepResult backing_off = sweeper.SweepOnce();
  ASSERT_FALSE(backing_off.events.empty());
  EXPECT_EQ(backing_off.events[0].detail, "backing off");
  clock_.now_ms += 1'001;
  EXPECT_TRUE(sweeper.SweepOnce().clean());
}

TEST_F(SweeperTest, ASecondSweepDoesNothing) {
  Xid decided = OldXid(60'000, 1), orphan = OldXid(60'000, 2);
  a_->AddPrepared(decided);
  b_->AddPrepared(decided);
  a_->AddPrepared(orphan);
  ASSERT_TRUE(log_->LogCommit(decided.Gtrid(), {"a", "b"}, 0).ok());
  EXPECT_EQ(Sweep().events.size(), 4u);  // 2 commits, 1 rollback, 1 end
  EXPECT_TRUE(Sweep().events.empty());
}

TEST_F(SweeperTest, DryRunChangesNothing) {
  Xid decided = OldXid(60'000, 1), orphan = OldXid(60'000, 2);
  a_->AddPrepared(decided);
  a_->AddPrepared(orphan);
  ASSERT_TRUE(log_->LogCommit(decided.Gtrid(), {"a"}, 0).ok());
  sweeper_options_.dry_run = true;
  SweepResult r = Sweep();
  EXPECT_EQ(a_->prepared().size(), 2u);
  EXPECT_EQ(log_->OpenCommits().size(), 1u);
  int would = 0;
  for (const auto& e : r.events) {
    would += e.action == SweepAction::kWouldCommit ||
             e.action == SweepAction::kWouldRollBack;
  }
  EXPECT_EQ(would, 2);
}

TEST_F(SweeperTest, AFailedLogNeverPresumesAbort) {
  a_->AddPrepared(OldXid(60'000));
  log_->FailAppends(Status::FailedPrecondition("fdatasync failed"));
  SweepResult r = Sweep();
  EXPECT_EQ(r.rolled_back, 0);
  EXPECT_EQ(a_->prepared().size(), 1u);
  EXPECT_EQ(r.remaining, 1);
}

TEST_F(SweeperTest, InDoubtReportShowsAgeAndDecision) {
  Xid decided = OldXid(30'000, 1), orphan = OldXid(5'000, 2);
  a_->AddPrepared(decided);
  b_->AddPrepared(orphan);
  ASSERT_TRUE(log_->LogCommit(decided.Gtrid(), {"a"}, 0).ok());
  InDoubtReport report = ListInDoubt(*tm_);
  ASSERT_EQ(report.branches.size(), 2u);
  for (const auto& b : report.branches) {
    if (b.gtrid == decided.Gtrid()) {
      EXPECT_TRUE(b.decided_commit);
      EXPECT_EQ(b.age_ms, 30'000);
    } else {
      EXPECT_FALSE(b.decided_commit);
      EXPECT_EQ(b.age_ms, 5'000);
    }
  }
  EXPECT_EQ(report.open_decisions.size(), 1u);
}

TEST_F(SweeperTest, ManualRollbackRefusesToContradictADecision) {
  Xid xid = OldXid(1'000);
  a_->AddPrepared(xid);
  ASSERT_TRUE(log_->LogCommit(xid.Gtrid(), {"a"}, 0).ok());
  auto refused =
      ResolveManually(*tm_, xid.Gtrid(), {ManualDecision::kRollback, false});
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(a_->prepared().size(), 1u);

  auto forced =
      ResolveManually(*tm_, xid.Gtrid(), {ManualDecision::kRollback, true});
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_EQ(forced->heuristics, 1);
  EXPECT_TRUE(a_->prepared().empty());
  EXPECT_LT(journal_.IndexOf("log-heuristic"),
            journal_.IndexOf("recovery-rollback:a"));
  EXPECT_TRUE(log_->OpenCommits().empty());
}

TEST_F(SweeperTest, ManualCommitLogsTheDecisionBeforeCommitting) {
  Xid xid = OldXid(1'000);
  a_->AddPrepared(xid);
  b_->AddPrepared(xid);
  auto r = ResolveManually(*tm_, xid.Gtrid(), {ManualDecision::kCommit, false});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->remaining, 0);
  EXPECT_LT(journal_.IndexOf("log-commit"),
            journal_.IndexOf("recovery-commit:a"));
  EXPECT_LT(journal_.IndexOf("log-commit"),
            journal_.IndexOf("recovery-commit:b"));
  EXPECT_TRUE(a_->prepared().empty());
  EXPECT_TRUE(log_->OpenCommits().empty());
}

TEST_F(SweeperTest, ManualResolutionRefusesAnotherNodesTransaction) {
  Xid foreign{"n2", clock_.now_ms, 3, tm_->log().home()};
  auto r =
      ResolveManually(*tm_, foreign.Gtrid(), {ManualDecision::kCommit, false});
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  auto bad = ResolveManually(*tm_, "garbage", {ManualDecision::kCommit, false});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  auto none = ResolveManually(*tm_, OldXid(1).Gtrid(),
                              {ManualDecision::kCommit, false});
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
}

// Issue: a process whose node id was taken while it was stopped resumes
// mid-pass: it must not fence, commit or roll back once it learns that.
TEST_F(SweeperTest, StopsActingTheMomentTheNodeIdIsNoLongerHeld) {
  Xid first = OldXid(60'000, 1), second = OldXid(60'000, 2);
  a_->AddPrepared(first);
  a_->AddPrepared(second);
  sweeper_options_.workers = 1;
  // Lost as soon as one branch was rolled back.
  sweeper_options_.node_health = [this] {
    return a_->prepared().size() == 2
               ? Status::Ok()
               : Status::FailedPrecondition("node id 'n1' was taken");
  };
  Sweeper sweeper(tm_.get(), sweeper_options_);
  SweepResult r = sweeper.SweepOnce();
  EXPECT_EQ(r.rolled_back, 1) << r.Summary();
  EXPECT_EQ(r.remaining, 1) << r.Summary();
  EXPECT_EQ(a_->prepared().size(), 1u);
  EXPECT_NE(r.halted.find("was taken"), std::string::npos);
  EXPECT_EQ(sweeper.health().code(), StatusCode::kFailedPrecondition);

  // For good: a later pass does nothing even if asked with a healthy id.
  SweepResult later = sweeper.SweepOnce();
  EXPECT_EQ(later.rolled_back, 0);
  EXPECT_EQ(a_->prepared().size(), 1u);
  EXPECT_NE(later.halted.find("was taken"), std::string::npos);
}

// A late heartbeat (unconfirmed) holds the pass; the next one goes on.
TEST_F(SweeperTest, AnUnconfirmedNodeIdDefersThePass) {
  a_->AddPrepared(OldXid(60'000));
  bool confirmed = false;
  sweeper_options_.node_health = [&confirmed] {
    return confirmed ? Status::Ok() : Status::Unavailable("heartbeat late");
  };
  Sweeper sweeper(tm_.get(), sweeper_options_);
  SweepResult held = sweeper.SweepOnce();
  EXPECT_EQ(held.rolled_back, 0);
  EXPECT_FALSE(held.halted.empty());
  EXPECT_EQ(a_->prepared().size(), 1u);
  EXPECT_TRUE(sweeper.health().ok());
  confirmed = true;
  SweepResult swept = sweeper.SweepOnce();
  EXPECT_EQ(swept.rolled_back, 1) << swept.Summary();
  EXPECT_TRUE(swept.halted.empty());
}

}  // namespace
}  // namespace xatm
