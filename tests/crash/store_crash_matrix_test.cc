// The crash matrix with the decision store in a database: every coordinator
// crash point x both directions x decision table on pg and on my x the
// commit path and the no-vote path x recovery by the same node and by
// another node (`recover --all-nodes`). The transfer dies (SIGKILL) at the
// point; one sweep finishes it; afterwards it is all or nothing across both
// databases, exactly as the row in xatm_decisions says.
//
// The decision resource's branch is never prepared (last-resource commit):
// only the other branch prepares, so a no vote can only come from that one,
// and it stops the transaction before every point of the matrix.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "tests/crash/bank_view.h"
#include "tests/crash/checks.h"
#include "tests/crash/decision_rows.h"
#include "tests/crash/scenario_tally.h"
#include "tests/crash/test_node.h"

namespace xatm::crash {
namespace {

struct StoreCase {
  std::string point;
  std::string from;   // resource debited
  std::string to;     // resource credited
  std::string store;  // the decision resource
  bool no_vote;       // the branch outside the decision resource votes no
  bool other_node;    // recovered by another node id with --all-nodes
};

bool DecisionPrecedes(const std::string& point) {
  return point == "after-decision" || point == "after-commit-first" ||
         point == "after-commit-all";
}

std::string OtherResource(const std::string& name) {
  return name == "pg" ? "my" : "pg";
}

std::string CaseName(const StoreCase& c) {
  std::string name = c.point + "_" + c.from + "_to_" + c.to + "_store_" +
                     c.store + (c.no_vote ? "_no_vote" : "_commit") +
                     (c.other_node ? "_other_node" : "_same_node");
  for (char& ch : name) {
    if (ch == '-') ch = '_';
  }
  return name;
}

// gtest prints a failing case's parameter with this.
void PrintTo(const StoreCase& c, std::ostream* os) { *os << CaseName(c); }

std::vector<StoreCase> AllCases() {
  std::vector<StoreCase> cases;
  for (const char* point :
       {"after-prepare-all", "decision-inserted", "after-decision",
        "after-commit-first", "after-commit-all"}) {
    for (auto [from, to] : {std::pair{"pg", "my"}, std::pair{"my", "pg"}}) {
      for (const char* store : {"pg", "my"}) {
        for (bool no_vote : {false, true}) {
          for (bool other_node : {false, true}) {
            cases.push_back(
                StoreCase{point, from, to, store, no_vote, other_node});
          }
        }
      }
    }
  }
  return cases;
}

// The recovery the case asks for: this node's own sweep, or another node's
// sweep over every node's branches.
std::vector<std::string> RecoverArgs(bool other_node) {
  if (other_node) return {"recover", "--all-nodes", "--grace", "0"};
  return {"recover", "--grace", "0"};
}

class StoreCrashMatrixTest : public ::testing::TestWithParam<StoreCase> {
 protected:
  static void SetUpTestSuite() { InitSchemaOnce(); }
};

TEST_P(StoreCrashMatrixTest, TransferEndsAllOrNothingAsTheDecisionRowSays) {
  const StoreCase& c = GetParam();
  Scenario scenario(CaseName(c));
  NodeSettings settings;
  settings.decision_store = c.store;
  TestNode node(NewNodeId("sm"), settings);
  BankView bank;
  Result<TransferCase> tc = NewTransferCase(bank, node.id(), "t", c.from, c.to);
  ASSERT_TRUE(tc.ok()) << tc.status().ToString();

  const std::map<std::string, std::string> crash = {{"XATM_CRASH_AT", c.point}};
  ChildExit run =
      c.no_vote
          ? RunChild(NoVoteCommand(node, *tc, OtherResource(c.store)), crash)
          : node.Xatm(tc->CliArgs(), crash);
  if (c.no_vote) {
    EXPECT_TRUE(run.ExitedWith(1)) << "no vote must abort: " << run.Describe();
  } else {
    EXPECT_TRUE(run.KilledBySigkill()) << run.Describe();
  }
  WaitForServersToSettle(bank, node.id());

  std::set<std::string> gtrids =
      GtridsSeen(node.id(), run.out + run.err, LogView{}, bank, *tc);
  ASSERT_EQ(gtrids.size(), 1u)
      << "one transaction expected; " << run.Describe();
  const std::string gtrid = *gtrids.begin();
  const bool committed = !c.no_vote && DecisionPrecedes(c.point);

  // Before recovery: a COMMIT row exactly when the carrier committed; the
  // row of a coordinator killed between INSERT and COMMIT died with it.
  Result<std::optional<DecisionRow>> before =
      ReadDecisionRow(bank, c.store, gtrid);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(Describe(*before), committed ? "commit" : "no row")
      << "decision row of " << gtrid << " before recovery";

  std::unique_ptr<TestNode> other;
  if (c.other_node)
    other = std::make_unique<TestNode>(NewNodeId("so"), settings);
  const TestNode& recoverer = c.other_node ? *other : node;
  ChildExit sweep = recoverer.Xatm(RecoverArgs(c.other_node));
  EXPECT_TRUE(sweep.ExitedWith(0)) << "sweep: " << sweep.Describe();

  // After: commit rows ended by recovery; a prepared branch without one was
  // fenced with an abort row; a no vote left nothing to fence.
  Result<std::optional<DecisionRow>> after =
      ReadDecisionRow(bank, c.store, gtrid);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  const char* expected_row =
      committed ? "commit (ended)" : (c.no_vote ? "no row" : "abort");
  EXPECT_EQ(Describe(*after), expected_row)
      << "decision row of " << gtrid << " after recovery";
  // The row decides: commit => both ledgers hold the transfer, otherwise
  // neither does; balances and the sum follow.
  const bool row_says_commit =
      after->has_value() && (*after)->outcome == "commit";
  ExpectOutcome(bank, *tc, gtrid, row_says_commit);
  ExpectNothingPrepared(bank, node.id());

  ExpectQuietSweep(recoverer, RecoverArgs(c.other_node));
}

INSTANTIATE_TEST_SUITE_P(EveryCrashPoint, StoreCrashMatrixTest,
                         ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<StoreCase>& info) {
                           return CaseName(info.param);
                         });

}  // namespace
}  // namespace xatm::crash
