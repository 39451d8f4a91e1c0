// A coordinator and another node's `recover --all-nodes --grace 0` racing
// over one transfer whose decision lives in xatm_decisions (on pg, then on
// my). The row's primary key settles every order of arrival:
//  - recover arrives while the coordinator holds its uncommitted COMMIT row:
//    the fence waits for it, then sees commit; the transfer commits once;
//  - recover's abort row lands first: the coordinator's COMMIT row hits the
//    key and it rolls everything back (also with the abort row put there by
//    plain SQL, no recovery at all).
// Never a contradiction: both ledgers hold the transfer or neither does.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
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

using Clock = std::chrono::steady_clock;

// Well under lock_timeout_ms (5000), which bounds the fence's wait, and
// under the decision deadline (grace 10 s / 2).
constexpr int kHoldMs = 1500;
// Long enough for another node's sweep to finish inside it.
constexpr int kHoldBeforeDecisionMs = 3000;

const std::vector<std::string> kRecoverAllNodes = {"recover", "--all-nodes",
                                                   "--grace", "0"};

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                               start)
      .count();
}

// "exit N" and the sweep's action lines: what it did, for the record.
std::string Summary(const ChildExit& sweep) {
  std::string s = "exit " + std::to_string(sweep.code);
  std::vector<std::string> lines = ActionLines(sweep.out);
  if (lines.empty()) return s + ", no action";
  for (const std::string& line : lines) s += "; " + line;
  return s;
}

class StoreRaceTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { InitSchemaOnce(); }

  StoreRaceTest() {
    settings_.decision_store = GetParam();
    coordinator_ = std::make_unique<TestNode>(NewNodeId("rc"), settings_);
    recoverer_ = std::make_unique<TestNode>(NewNodeId("rr"), settings_);
  }

  const std::string& store() const { return settings_.decision_store; }

  // A pg -> my transfer held at `point` for `hold_ms`, started in the
  // background; fails the test unless it reaches the point.
  std::unique_ptr<Child> StartHeldTransfer(const std::string& point,
                                           int hold_ms) {
    Result<TransferCase> made =
        NewTransferCase(bank_, coordinator_->id(), "t", "pg", "my");
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (made.ok()) tc_ = *made;
    std::unique_ptr<Child> transfer = Child::Start(
        coordinator_->XatmCommand(tc_.CliArgs()),
        {{"XATM_PAUSE_AT", point + ":" + std::to_string(hold_ms)}});
    bool paused = transfer->WaitForStderr("xatm: paused at " + point, 30000);
    EXPECT_TRUE(paused) << "transfer never paused at " << point;
    return transfer;
  }

  // The one gtrid of the transfer, from its output and the databases.
  std::string GtridOf(const ChildExit& run) {
    std::set<std::string> gtrids = GtridsSeen(
        coordinator_->id(), run.out + run.err, LogView{}, bank_, tc_);
    EXPECT_EQ(gtrids.size(), 1u) << run.Describe();
    return gtrids.empty() ? "" : *gtrids.begin();
  }

  // The branch prepared while the transfer is held: the gtrid.
  std::string PreparedGtrid() {
    Result<std::vector<PreparedEntry>> prepared =
        bank_.Prepared(coordinator_->id());
    EXPECT_TRUE(prepared.ok()) << prepared.status().ToString();
    if (!prepared.ok() || prepared->size() != 1) {
      ADD_FAILURE() << "one prepared branch expected while held";
      return "";
    }
    return prepared->front().gtrid;
  }

  std::optional<DecisionRow> Row(const std::string& gtrid) {
    Result<std::optional<DecisionRow>> row =
        ReadDecisionRow(bank_, store(), gtrid);
    EXPECT_TRUE(row.ok()) << row.status().ToString();
    return row.ok() ? *row : std::nullopt;
  }

  // The coordinator saw the abort row at its INSERT and rolled back: exit 1,
  // "aborted", the key violation named, nothing left anywhere.
  void ExpectAbortedByTheAbortRow(const ChildExit& run,
                                  const std::string& gtrid) {
    EXPECT_TRUE(run.ExitedWith(1)) << run.Describe();
    EXPECT_NE(run.out.find(gtrid + " aborted"), std::string::npos)
        << run.Describe();
    const std::string all = run.out + run.err;
    EXPECT_TRUE(all.find("uplicate") != std::string::npos)
        << "not refused by the unique key: " << run.Describe();
    EXPECT_EQ(Describe(Row(gtrid)), "abort");
    ExpectRolledBack(bank_, tc_);
    ExpectNothingPrepared(bank_, coordinator_->id());
  }

  NodeSettings settings_;
  std::unique_ptr<TestNode> coordinator_;
  std::unique_ptr<TestNode> recoverer_;
  BankView bank_;
  TransferCase tc_;
};

// (a) The COMMIT row is inserted, not committed; recover from another node
// arrives: its fence waits for the row, sees commit and commits (or finds
// the branch already committed). The transfer commits exactly once.
TEST_P(StoreRaceTest, RecoverDuringTheHeldCommitRowWaitsAndSeesCommit) {
  Scenario scenario("recover while the COMMIT row is uncommitted, store " +
                    store());
  std::unique_ptr<Child> transfer =
      StartHeldTransfer("decision-inserted", kHoldMs);
  ASSERT_FALSE(HasFailure());
  const auto held_since = Clock::now();
  ChildExit sweep = recoverer_->Xatm(kRecoverAllNodes);
  const int64_t sweep_ms = MsSince(held_since);
  ChildExit run = transfer->Wait(60000);
  std::printf("store %s: sweep took %lld ms against a %d ms hold: %s\n",
              store().c_str(), static_cast<long long>(sweep_ms), kHoldMs,
              Summary(sweep).c_str());

  EXPECT_TRUE(run.ExitedWith(0)) << run.Describe();
  // 4: the branch was still attached to the coordinator's session
  // (MariaDB), left for later; the coordinator commits it itself.
  EXPECT_TRUE(sweep.ExitedWith(0) || sweep.ExitedWith(4))
      << "sweep: " << sweep.Describe();
  for (const std::string& line : ActionLines(sweep.out)) {
    EXPECT_EQ(line.find("roll"), std::string::npos)
        << "sweep rolled back a branch of a committing transfer: " << line;
  }
  // The fence waited for the uncommitted row instead of reading past it.
  EXPECT_GE(sweep_ms, kHoldMs - 300) << "sweep: " << sweep.Describe();

  const std::string gtrid = GtridOf(run);
  ASSERT_FALSE(gtrid.empty());
  ExpectCommitted(bank_, tc_, gtrid);
  ExpectNothingPrepared(bank_, coordinator_->id());
  std::optional<DecisionRow> row = Row(gtrid);
  // The coordinator deletes its row at END (in batches: at exit here),
  // unless the sweep ended it first.
  EXPECT_TRUE(!row.has_value() || row->outcome == "commit")
      << "decision row: " << Describe(row);

  ChildExit again = recoverer_->Xatm(kRecoverAllNodes);
  EXPECT_TRUE(again.ExitedWith(0)) << again.Describe();
  ExpectCommitted(bank_, tc_, gtrid);
}

// (b) Recover's abort row lands while the coordinator is held before its
// INSERT; resumed, the coordinator's INSERT hits the key: all rolled back.
TEST_P(StoreRaceTest, AbortRowFromRecoverFirstMakesTheCoordinatorRollBack) {
  Scenario scenario("recover's abort row before the COMMIT row, store " +
                    store());
  std::unique_ptr<Child> transfer =
      StartHeldTransfer("after-prepare-all", kHoldBeforeDecisionMs);
  ASSERT_FALSE(HasFailure());
  const auto held_since = Clock::now();
  ChildExit sweep = recoverer_->Xatm(kRecoverAllNodes);
  const int64_t sweep_ms = MsSince(held_since);
  std::printf("store %s: sweep took %lld ms inside a %d ms hold: %s\n",
              store().c_str(), static_cast<long long>(sweep_ms),
              kHoldBeforeDecisionMs, Summary(sweep).c_str());
  ASSERT_LT(sweep_ms, kHoldBeforeDecisionMs - 300)
      << "the sweep did not finish while the coordinator was held; "
      << sweep.Describe();
  // 4: MariaDB keeps a branch whose preparing session is connected; the
  // coordinator rolls it back itself.
  EXPECT_TRUE(sweep.ExitedWith(0) || sweep.ExitedWith(4))
      << "sweep: " << sweep.Describe();
  ChildExit run = transfer->Wait(60000);

  const std::string gtrid = GtridOf(run);
  ASSERT_FALSE(gtrid.empty());
  ExpectAbortedByTheAbortRow(run, gtrid);
}

// The same key violation without recovery: the abort row is put there by
// plain SQL while the coordinator is held after preparing.
TEST_P(StoreRaceTest, AbortRowInsertedBeforeTheDecisionMakesItRollBack) {
  Scenario scenario("abort row by SQL before the COMMIT row, store " + store());
  std::unique_ptr<Child> transfer =
      StartHeldTransfer("after-prepare-all", kHoldMs);
  ASSERT_FALSE(HasFailure());
  const std::string gtrid = PreparedGtrid();
  ASSERT_FALSE(gtrid.empty());
  Status inserted = InsertAbortRow(bank_, store(), gtrid, coordinator_->id());
  ASSERT_TRUE(inserted.ok()) << inserted.ToString();
  ChildExit run = transfer->Wait(60000);
  ExpectAbortedByTheAbortRow(run, gtrid);
  EXPECT_EQ(GtridOf(run), gtrid);
}

INSTANTIATE_TEST_SUITE_P(BothStores, StoreRaceTest,
                         ::testing::Values("pg", "my"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return "store_" + info.param;
                         });

}  // namespace
}  // namespace xatm::crash
