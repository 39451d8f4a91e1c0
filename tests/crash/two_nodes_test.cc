// Two nodes on the same databases: a sweep resolves only the branches its
// own node made. Node B's id starts with node A's, so a prefix match that
// forgets the ':' after the node id would wrongly take B's branches for A's.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/crash/bank_view.h"
#include "tests/crash/checks.h"
#include "tests/crash/scenario_tally.h"
#include "tests/crash/test_node.h"

namespace xatm::crash {
namespace {

// Crashes the transfer of `tc` at after-prepare-all; returns its gtrid.
std::string LeaveOrphans(const TestNode& node, BankView& bank,
                         const TransferCase& tc) {
  ChildExit run =
      node.Xatm(tc.CliArgs(), {{"XATM_CRASH_AT", "after-prepare-all"}});
  EXPECT_TRUE(run.KilledBySigkill()) << run.Describe();
  WaitForServersToSettle(bank, node.id());
  std::set<std::string> gtrids = GtridsSeen(node.id(), run.out + run.err,
                                            ReadLog(node.log_dir()), bank, tc);
  EXPECT_EQ(gtrids.size(), 1u) << run.Describe();
  return gtrids.empty() ? "" : *gtrids.begin();
}

TEST(TwoNodesTest, EachSweepResolvesOnlyItsOwnNodesBranches) {
  Scenario scenario("two nodes, orphans of both, sweeps one at a time");
  InitSchemaOnce();
  const std::string a_id = NewNodeId("n");
  TestNode a(a_id);
  TestNode b(a_id + "x");
  BankView bank;
  Result<TransferCase> tc_a = NewTransferCase(bank, a.id(), "t", "pg", "my");
  Result<TransferCase> tc_b = NewTransferCase(bank, b.id(), "t", "my", "pg");
  ASSERT_TRUE(tc_a.ok() && tc_b.ok());
  const std::string gtrid_a = LeaveOrphans(a, bank, *tc_a);
  const std::string gtrid_b = LeaveOrphans(b, bank, *tc_b);
  ASSERT_FALSE(HasFailure());
  const std::multiset<std::string> both = {"my", "pg"};
  ASSERT_EQ(PreparedIn(bank, a.id()), both);
  ASSERT_EQ(PreparedIn(bank, b.id()), both);

  ChildExit sweep_a = a.Recover();
  EXPECT_TRUE(sweep_a.ExitedWith(0)) << sweep_a.Describe();
  EXPECT_EQ(sweep_a.out.find(gtrid_b), std::string::npos)
      << "node A's sweep named B's transaction: " << sweep_a.Describe();
  EXPECT_TRUE(PreparedIn(bank, a.id()).empty());
  EXPECT_EQ(PreparedIn(bank, b.id()), both) << "A's sweep touched B's branches";
  ExpectRolledBack(bank, *tc_a);

  ChildExit sweep_b = b.Recover();
  EXPECT_TRUE(sweep_b.ExitedWith(0)) << sweep_b.Describe();
  EXPECT_NE(sweep_b.out.find(gtrid_b), std::string::npos) << sweep_b.Describe();
  EXPECT_TRUE(PreparedIn(bank, b.id()).empty());
  ExpectRolledBack(bank, *tc_b);
  ExpectQuietSweep(a);
  ExpectQuietSweep(b);
}

}  // namespace
}  // namespace xatm::crash
