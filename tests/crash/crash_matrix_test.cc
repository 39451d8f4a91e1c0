// Every coordinator crash point x both directions x the commit path and the
// no-vote path: the transfer dies (SIGKILL) at the point, `xatm recover`
// finishes it from the decision log, and afterwards it is all or nothing,
// exactly as the log decided. Then the sweeper's own crash points.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/crash/bank_view.h"
#include "tests/crash/checks.h"
#include "tests/crash/scenario_tally.h"
#include "tests/crash/test_node.h"

namespace xatm::crash {
namespace {

struct MatrixCase {
  std::string point;
  std::string from;  // resource debited
  std::string to;    // resource credited
  bool no_vote;      // the debited database votes no
};

bool DecisionPrecedes(const std::string& point) {
  return point == "after-decision" || point == "after-commit-first" ||
         point == "after-commit-all";
}

std::string CaseName(const MatrixCase& c) {
  std::string name = c.point + "_" + c.from + "_to_" + c.to +
                     (c.no_vote ? "_no_vote" : "_commit");
  for (char& ch : name) {
    if (ch == '-') ch = '_';
  }
  return name;
}

std::vector<MatrixCase> AllCases() {
  std::vector<MatrixCase> cases;
  for (const char* point :
       {"after-prepare-first", "after-prepare-all", "after-decision",
        "after-commit-first", "after-commit-all"}) {
    for (auto [from, to] : {std::pair{"pg", "my"}, std::pair{"my", "pg"}}) {
      for (bool no_vote : {false, true}) {
        cases.push_back(MatrixCase{point, from, to, no_vote});
      }
    }
  }
  return cases;
}

class CrashMatrixTest : public ::testing::TestWithParam<MatrixCase> {
 protected:
  static void SetUpTestSuite() { InitSchemaOnce(); }
};

TEST_P(CrashMatrixTest, TransferEndsAllOrNothingAsTheLogDecided) {
  const MatrixCase& c = GetParam();
  Scenario scenario(CaseName(c));
  TestNode node(NewNodeId("m"));
  BankView bank;
  Result<TransferCase> tc = NewTransferCase(bank, node.id(), "t", c.from, c.to);
  ASSERT_TRUE(tc.ok()) << tc.status().ToString();

  const std::map<std::string, std::string> crash = {{"XATM_CRASH_AT", c.point}};
  ChildExit run = c.no_vote ? RunChild(NoVoteCommand(node, *tc, c.from), crash)
                            : node.Xatm(tc->CliArgs(), crash);
  // A no vote ends the transaction before all are prepared; the branch that
  // voted yes still prepares, so the first crash point is reached.
  bool reached = !c.no_vote || c.point == "after-prepare-first";
  if (reached) {
    EXPECT_TRUE(run.KilledBySigkill()) << run.Describe();
  } else {
    EXPECT_TRUE(run.ExitedWith(1)) << "no vote must abort: " << run.Describe();
  }
  WaitForServersToSettle(bank, node.id());

  LogView log = ReadLog(node.log_dir());
  ASSERT_TRUE(log.status.ok()) << log.status.ToString();
  std::set<std::string> gtrids =
      GtridsSeen(node.id(), run.out + run.err, log, bank, *tc);
  ASSERT_EQ(gtrids.size(), 1u)
      << "one transaction expected; " << run.Describe();
  const std::string gtrid = *gtrids.begin();
  const bool durable = log.HasCommit(gtrid);
  EXPECT_EQ(durable, !c.no_vote && DecisionPrecedes(c.point))
      << "COMMIT record of " << gtrid;

  ChildExit sweep = node.Recover();
  EXPECT_TRUE(sweep.ExitedWith(0)) << "sweep: " << sweep.Describe();

  ExpectOutcome(bank, *tc, gtrid, durable);
  ExpectNothingPrepared(bank, node.id());
  LogView after = ReadLog(node.log_dir());
  EXPECT_FALSE(after.IsOpen(gtrid)) << "decision not ENDed: " << gtrid;
  EXPECT_TRUE(after.heuristics.empty()) << "heuristic outcome recorded";
  ExpectQuietSweep(node);
}

INSTANTIATE_TEST_SUITE_P(EveryCrashPoint, CrashMatrixTest,
                         ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<MatrixCase>& info) {
                           return CaseName(info.param);
                         });

// The sweeper's own crash points: a sweep killed half-way leaves nothing
// the next sweep cannot finish.
class SweeperCrashTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { InitSchemaOnce(); }

  // Crashes a pg -> my transfer at `transfer_point`, then a sweep at
  // `sweep_point`, then sweeps cleanly; returns the transfer's gtrid.
  void CrashTransferThenSweep(const std::string& transfer_point,
                              const std::string& sweep_point) {
    Result<TransferCase> made =
        NewTransferCase(bank_, node_.id(), "t", "pg", "my");
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    tc_ = *made;

    ChildExit run =
        node_.Xatm(tc_.CliArgs(), {{"XATM_CRASH_AT", transfer_point}});
    ASSERT_TRUE(run.KilledBySigkill()) << run.Describe();
    WaitForServersToSettle(bank_, node_.id());
    LogView log = ReadLog(node_.log_dir());
    std::set<std::string> gtrids =
        GtridsSeen(node_.id(), run.out + run.err, log, bank_, tc_);
    ASSERT_EQ(gtrids.size(), 1u) << run.Describe();
    gtrid_ = *gtrids.begin();

    ChildExit crashed = node_.Recover({{"XATM_CRASH_AT", sweep_point}});
    ASSERT_TRUE(crashed.KilledBySigkill()) << crashed.Describe();
    WaitForServersToSettle(bank_, node_.id());
    // Killed after its first branch: the other one is still prepared.
    Result<std::vector<PreparedEntry>> left = bank_.Prepared(node_.id());
    ASSERT_TRUE(left.ok()) << left.status().ToString();
    EXPECT_EQ(left->size(), 1u) << "branches left by the killed sweep";

    ChildExit sweep = node_.Recover();
    EXPECT_TRUE(sweep.ExitedWith(0)) << sweep.Describe();
  }

  TestNode node_{NewNodeId("s")};
  BankView bank_;
  TransferCase tc_;
  std::string gtrid_;
};

TEST_F(SweeperCrashTest, SweepKilledAfterItsFirstCommitIsFinishedByTheNext) {
  Scenario scenario("recover-after-commit-first");
  CrashTransferThenSweep("after-decision", "recover-after-commit-first");
  ASSERT_FALSE(HasFatalFailure());
  ExpectCommitted(bank_, tc_, gtrid_);
  ExpectNothingPrepared(bank_, node_.id());
  LogView log = ReadLog(node_.log_dir());
  EXPECT_TRUE(log.ends.count(gtrid_) != 0) << "no END for " << gtrid_;
  EXPECT_FALSE(log.IsOpen(gtrid_));
  ExpectQuietSweep(node_);
}

TEST_F(SweeperCrashTest, SweepKilledAfterItsFirstRollbackIsFinishedByTheNext) {
  Scenario scenario("recover-after-rollback-first");
  CrashTransferThenSweep("after-prepare-all", "recover-after-rollback-first");
  ASSERT_FALSE(HasFatalFailure());
  ExpectRolledBack(bank_, tc_);
  ExpectNothingPrepared(bank_, node_.id());
  EXPECT_FALSE(ReadLog(node_.log_dir()).HasCommit(gtrid_));
  ExpectQuietSweep(node_);
}

}  // namespace
}  // namespace xatm::crash
