// Recovery never presumes abort against evidence, on real servers: a COMMIT
// record damaged at the log's tail or a log directory replaced after one
// branch committed, and a manual commit while a resource is down.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/crash/bank_view.h"
#include "tests/crash/checks.h"
#include "tests/crash/scenario_tally.h"
#include "tests/crash/test_node.h"
#include "tests/integration/test_env.h"
#include "xatm/resource_factory.h"

namespace xatm::crash {
namespace {

namespace fs = std::filesystem;

// The newest segment file of the log in `dir`.
std::string NewestSegment(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("xatm-", 0) == 0 && name.size() > 4 &&
        name.compare(name.size() - 4, 4, ".log") == 0) {
      names.push_back(entry.path().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names.empty() ? "" : names.back();
}

// Flips one bit inside the last record naming `gtrid` (an acknowledged
// COMMIT, the last thing the transfer wrote).
bool FlipBitInLastRecordOf(const std::string& dir, const std::string& gtrid) {
  std::string path = NewestSegment(dir);
  if (path.empty()) return false;
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in),
                 std::istreambuf_iterator<char>());
  }
  size_t at = bytes.rfind(gtrid);
  if (at == std::string::npos) return false;
  bytes[at + gtrid.size() / 2] ^= 0x04;
  std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

class LostDecisionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { InitSchemaOnce(); }

  void TearDown() override {
    // Whatever happened, both servers run again for the next test.
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

  // A pg -> my transfer killed once its COMMIT record is durable; then the
  // PostgreSQL branch is committed from another session, as a sweeper that
  // died after its first commit leaves it. Sets tc_ and gtrid_.
  void CommitOneBranchThenCrash() {
    Result<TransferCase> made =
        NewTransferCase(bank_, node_.id(), "t", "pg", "my");
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    tc_ = *made;
    ChildExit run =
        node_.Xatm(tc_.CliArgs(), {{"XATM_CRASH_AT", "after-decision"}});
    ASSERT_TRUE(run.KilledBySigkill()) << run.Describe();
    WaitForServersToSettle(bank_, node_.id());
    LogView log = ReadLog(node_.log_dir());
    std::set<std::string> gtrids =
        GtridsSeen(node_.id(), run.out + run.err, log, bank_, tc_);
    ASSERT_EQ(gtrids.size(), 1u) << run.Describe();
    gtrid_ = *gtrids.begin();
    ASSERT_TRUE(log.IsOpen(gtrid_));

    Result<Config> config = node_.LoadedConfig();
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    Result<std::shared_ptr<Resource>> pg =
        MakeResource(*config->FindResource("pg"));
    ASSERT_TRUE(pg.ok()) << pg.status().ToString();
    Result<Xid> xid = Xid::ParseGtrid(gtrid_);
    ASSERT_TRUE(xid.ok());
    ASSERT_TRUE((*pg)->CommitPrepared(*xid).ok());
    Result<std::vector<PreparedEntry>> left = bank_.Prepared(node_.id());
    ASSERT_TRUE(left.ok()) << left.status().ToString();
    ASSERT_EQ(left->size(), 1u);
    EXPECT_EQ(left->front().database, "my");
  }

  // Two sweeps (the first commits the rest and logs the decision again, the
  // second ends it), then: committed in both databases, nothing prepared,
  // and a third sweep finds nothing to do.
  void ExpectRecoveryCommitsTheRest() {
    ChildExit first = node_.Recover();
    EXPECT_TRUE(first.ExitedWith(0)) << first.Describe();
    EXPECT_NE(first.err.find("lost a COMMIT decision"), std::string::npos)
        << "no warning that the log lost a decision: " << first.Describe();
    ChildExit second = node_.Recover();
    EXPECT_TRUE(second.ExitedWith(0)) << second.Describe();
    ExpectCommitted(bank_, tc_, gtrid_);
    ExpectNothingPrepared(bank_, node_.id());
    ExpectQuietSweep(node_);
  }

  TestNode node_{NewNodeId("l"), /*grace_period_s=*/1};
  BankView bank_;
  TransferCase tc_;
  std::string gtrid_;
};

TEST_F(LostDecisionTest, ADamagedLastCommitRecordIsRecoveredFromTheLedger) {
  Scenario scenario("damaged last COMMIT record after one commit");
  CommitOneBranchThenCrash();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(FlipBitInLastRecordOf(node_.log_dir(), gtrid_));
  // The damaged tail reads as torn: the log no longer shows the decision.
  EXPECT_FALSE(ReadLog(node_.log_dir()).HasCommit(gtrid_));
  ExpectRecoveryCommitsTheRest();
}

TEST_F(LostDecisionTest, AReplacedLogDirectoryIsRecoveredFromTheLedger) {
  Scenario scenario("log directory replaced after one commit");
  CommitOneBranchThenCrash();
  ASSERT_FALSE(HasFatalFailure());
  fs::remove_all(node_.log_dir());
  ChildExit init = node_.Xatm({"init"});
  ASSERT_TRUE(init.ExitedWith(0)) << init.Describe();
  ExpectRecoveryCommitsTheRest();
}

TEST_F(LostDecisionTest, ManualCommitRefusesWhileAResourceIsDown) {
  Scenario scenario("resolve --commit with MariaDB down");
  Result<TransferCase> made =
      NewTransferCase(bank_, node_.id(), "r", "pg", "my");
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  tc_ = *made;
  ChildExit run =
      node_.Xatm(tc_.CliArgs(), {{"XATM_CRASH_AT", "after-prepare-all"}});
  ASSERT_TRUE(run.KilledBySigkill()) << run.Describe();
  WaitForServersToSettle(bank_, node_.id());
  std::set<std::string> gtrids = GtridsSeen(
      node_.id(), run.out + run.err, ReadLog(node_.log_dir()), bank_, tc_);
  ASSERT_EQ(gtrids.size(), 1u) << run.Describe();
  gtrid_ = *gtrids.begin();

  ASSERT_TRUE(Db("kill", "my").ExitedWith(0));
  ChildExit resolve = node_.Xatm({"resolve", gtrid_, "--commit"});
  EXPECT_TRUE(resolve.ExitedWith(4)) << resolve.Describe();
  EXPECT_NE(resolve.err.find("my"), std::string::npos) << resolve.Describe();
  EXPECT_FALSE(ReadLog(node_.log_dir()).HasCommit(gtrid_))
      << "a COMMIT was logged without every resource answering";
  ASSERT_TRUE(Db("up", "my").ExitedWith(0));

  // Nothing was decided: the sweep presumes abort for both branches.
  bank_ = BankView();
  WaitForServersToSettle(bank_, node_.id());
  ChildExit sweep = node_.Recover();
  EXPECT_TRUE(sweep.ExitedWith(0)) << sweep.Describe();
  ExpectRolledBack(bank_, tc_);
  ExpectNothingPrepared(bank_, node_.id());
}

}  // namespace
}  // namespace xatm::crash
