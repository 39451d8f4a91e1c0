// A database server killed (kill -9) in the middle of a transfer, then
// restarted: the sweep finishes the transfer as the decision log says.
//   killed after the decision  -> the transfer exits 3 (decision durable,
//                                 phase 2 unfinished); committed on both
//                                 sides after restart and sweep
//   killed before the decision -> the transfer is past its decision deadline
//                                 when it resumes, rolls back (exit 1); the
//                                 branch prepared in the killed server is
//                                 rolled back by the sweep after restart
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "tests/crash/bank_view.h"
#include "tests/crash/checks.h"
#include "tests/crash/scenario_tally.h"
#include "tests/crash/test_node.h"
#include "tests/integration/test_env.h"

namespace xatm::crash {
namespace {

// Long enough to kill a server while the transfer waits; longer than the
// decision deadline of a node with a 2 s grace period (1 s).
constexpr char kPauseMs[] = "3000";

class DatabaseCrashTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { InitSchemaOnce(); }

  // Whatever happened, both servers run again for the next test.
  void TearDown() override {
    for (const char* which : {"pg", "my"}) {
      ChildExit up = Db("up", which);
      EXPECT_TRUE(up.ExitedWith(0))
          << "db.sh up " << which << ": " << up.Describe();
    }
  }

  static ChildExit Db(const std::string& verb, const std::string& which) {
    return RunChild({"/bin/bash", DbScript(), verb, which,
                     xatm::testing::RequireEnv("XATM_DB_DIR")},
                    {}, 120000);
  }

  // Runs the transfer of `tc` on `node`, kills `victim` while the transfer
  // is paused at `point`, waits for the transfer to end and restarts
  // `victim`. Returns how the transfer ended, with its gtrid in `gtrid`.
  ChildExit TransferAcrossServerCrash(const TestNode& node,
                                      const TransferCase& tc,
                                      const std::string& point,
                                      const std::string& victim,
                                      std::string* gtrid) {
    std::unique_ptr<Child> transfer =
        Child::Start(node.XatmCommand(tc.CliArgs()),
                     {{"XATM_PAUSE_AT", point + ":" + kPauseMs}});
    bool paused = transfer->WaitForStderr("xatm: paused at " + point, 30000);
    ChildExit killed = Db("kill", victim);
    ChildExit run = transfer->Wait(60000);
    EXPECT_TRUE(paused) << "never paused: " << run.Describe();
    EXPECT_TRUE(killed.ExitedWith(0)) << "db.sh kill: " << killed.Describe();
    ChildExit up = Db("up", victim);
    EXPECT_TRUE(up.ExitedWith(0)) << "db.sh up: " << up.Describe();

    // Pooled connections of the old view died with the server.
    bank_ = std::make_unique<BankView>();
    WaitForServersToSettle(*bank_, node.id());
    LogView log = ReadLog(node.log_dir());
    std::set<std::string> gtrids =
        GtridsSeen(node.id(), run.out + run.err, log, *bank_, tc);
    EXPECT_EQ(gtrids.size(), 1u) << run.Describe();
    if (!gtrids.empty()) *gtrid = *gtrids.begin();
    return run;
  }

  // Sweep, then the outcome both sides must agree on.
  void SweepAndExpect(const TestNode& node, const TransferCase& tc,
                      const std::string& gtrid, bool committed) {
    ChildExit sweep = node.Recover();
    EXPECT_TRUE(sweep.ExitedWith(0)) << "sweep: " << sweep.Describe();
    ExpectOutcome(*bank_, tc, gtrid, committed);
    ExpectNothingPrepared(*bank_, node.id());
    LogView log = ReadLog(node.log_dir());
    EXPECT_FALSE(log.IsOpen(gtrid)) << "decision not ENDed";
    EXPECT_TRUE(log.heuristics.empty()) << "heuristic outcome recorded";
    ExpectQuietSweep(node);
  }

  // After the decision: exit 3, then committed everywhere.
  void KillAfterDecision(const std::string& victim) {
    TestNode node(NewNodeId("d"));
    bank_ = std::make_unique<BankView>();
    Result<TransferCase> tc =
        NewTransferCase(*bank_, node.id(), "t", "pg", "my");
    ASSERT_TRUE(tc.ok()) << tc.status().ToString();
    std::string gtrid;
    ChildExit run =
        TransferAcrossServerCrash(node, *tc, "after-decision", victim, &gtrid);
    ASSERT_FALSE(HasFailure());
    EXPECT_TRUE(run.ExitedWith(3))
        << "decision durable, phase 2 unfinished: " << run.Describe();
    EXPECT_TRUE(ReadLog(node.log_dir()).IsOpen(gtrid));
    SweepAndExpect(node, *tc, gtrid, /*committed=*/true);
  }

  // Before the decision, past the deadline: exit 1, then rolled back.
  void KillBeforeDecision(const std::string& victim) {
    TestNode node(NewNodeId("d"), /*grace_period_s=*/2);
    bank_ = std::make_unique<BankView>();
    Result<TransferCase> tc =
        NewTransferCase(*bank_, node.id(), "t", "my", "pg");
    ASSERT_TRUE(tc.ok()) << tc.status().ToString();
    std::string gtrid;
    ChildExit run = TransferAcrossServerCrash(node, *tc, "after-prepare-all",
                                              victim, &gtrid);
    ASSERT_FALSE(HasFailure());
    EXPECT_TRUE(run.ExitedWith(1)) << "must abort: " << run.Describe();
    EXPECT_FALSE(ReadLog(node.log_dir()).HasCommit(gtrid));
    // The killed server kept its branch prepared through the restart.
    Result<std::vector<PreparedEntry>> prepared = bank_->Prepared(node.id());
    ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
    ASSERT_EQ(prepared->size(), 1u);
    EXPECT_EQ((*prepared)[0].database, victim);
    SweepAndExpect(node, *tc, gtrid, /*committed=*/false);
  }

  std::unique_ptr<BankView> bank_;
};

TEST_F(DatabaseCrashTest, PostgresKilledAfterTheDecisionIsCommittedOnRestart) {
  Scenario scenario("kill pg at after-decision");
  KillAfterDecision("pg");
}

TEST_F(DatabaseCrashTest, MariadbKilledAfterTheDecisionIsCommittedOnRestart) {
  Scenario scenario("kill my at after-decision");
  KillAfterDecision("my");
}

TEST_F(DatabaseCrashTest, PostgresKilledBeforeTheDecisionIsRolledBack) {
  Scenario scenario("kill pg at after-prepare-all");
  KillBeforeDecision("pg");
}

TEST_F(DatabaseCrashTest, MariadbKilledBeforeTheDecisionIsRolledBack) {
  Scenario scenario("kill my at after-prepare-all");
  KillBeforeDecision("my");
}

}  // namespace
}  // namespace xatm::crash
