// Recovery never presumes abort for a transaction whose decision lives in a
// store it does not read. Node A decides COMMIT and is killed before any
// branch commits; node B, whose decisions live elsewhere, recovers every
// node's branches and resolves A's by hand: both leave them prepared and
// say so. A's own recovery then commits them, and the money moves once.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/crash/bank_view.h"
#include "tests/crash/checks.h"
#include "tests/crash/scenario_tally.h"
#include "tests/crash/test_node.h"

namespace xatm::crash {
namespace {

struct Homes {
  const char* name;
  std::string a_store;  // "file", "pg" or "my"
  std::string b_store;  // a database store, not A's
  // Where A's branches stay prepared: a store's own branch carries the
  // decision and commits with it.
  std::multiset<std::string> prepared;
};

class DecisionHomeTest : public ::testing::TestWithParam<Homes> {};

TEST_P(DecisionHomeTest, AnotherStoresDecidedBranchesAreLeftAlone) {
  const Homes& homes = GetParam();
  Scenario scenario(std::string("decision home: ") + homes.name);
  InitSchemaOnce();
  NodeSettings a_settings;
  a_settings.decision_store = homes.a_store;
  NodeSettings b_settings;
  b_settings.decision_store = homes.b_store;
  TestNode a(NewNodeId("h"), a_settings);
  TestNode b(NewNodeId("h"), b_settings);
  BankView bank;
  Result<TransferCase> tc = NewTransferCase(bank, a.id(), "t", "pg", "my");
  ASSERT_TRUE(tc.ok()) << tc.status().ToString();

  ChildExit run = a.Xatm(tc->CliArgs(), {{"XATM_CRASH_AT", "after-decision"}});
  ASSERT_TRUE(run.KilledBySigkill()) << run.Describe();
  WaitForServersToSettle(bank, a.id());
  std::set<std::string> gtrids =
      GtridsSeen(a.id(), run.out + run.err, ReadLog(a.log_dir()), bank, *tc);
  ASSERT_EQ(gtrids.size(), 1u) << run.Describe();
  const std::string gtrid = *gtrids.begin();
  ASSERT_EQ(PreparedIn(bank, a.id()), homes.prepared);

  ChildExit sweep_b = b.Xatm({"recover", "--all-nodes", "--grace", "0"});
  EXPECT_TRUE(sweep_b.ExitedWith(4)) << sweep_b.Describe();
  EXPECT_NE(sweep_b.out.find(gtrid), std::string::npos) << sweep_b.Describe();
  EXPECT_NE(sweep_b.out.find("left-alone"), std::string::npos)
      << sweep_b.Describe();
  EXPECT_EQ(PreparedIn(bank, a.id()), homes.prepared)
      << "B presumed abort for a transaction whose COMMIT it cannot read: "
      << sweep_b.Describe();

  ChildExit resolve_b = b.Xatm({"resolve", gtrid, "--rollback"});
  EXPECT_TRUE(resolve_b.ExitedWith(1)) << resolve_b.Describe();
  EXPECT_NE(resolve_b.err.find("does not read"), std::string::npos)
      << resolve_b.Describe();
  EXPECT_EQ(PreparedIn(bank, a.id()), homes.prepared);

  ChildExit sweep_a = a.Recover();
  EXPECT_TRUE(sweep_a.ExitedWith(0)) << sweep_a.Describe();
  ExpectCommitted(bank, *tc, gtrid);
  ExpectNothingPrepared(bank, a.id());
  ExpectQuietSweep(a);
}

INSTANTIATE_TEST_SUITE_P(
    Homes, DecisionHomeTest,
    ::testing::Values(
        Homes{"FileLogThenPostgresStore", "file", "pg", {"my", "pg"}},
        Homes{"MariadbStoreThenPostgresStore", "my", "pg", {"pg"}}),
    [](const ::testing::TestParamInfo<Homes>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace xatm::crash
