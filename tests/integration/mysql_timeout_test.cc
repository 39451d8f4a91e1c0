// Every round trip of the MariaDB adapter is bounded by the resource's
// request timeout and, for a branch, by its deadline: against the test's own
// server frozen with SIGSTOP, each call returns a failure within the bound
// plus a second, and the server works again once thawed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "adapters/mysql/my_resource.h"
#include "tests/integration/bank_cleanup.h"
#include "tests/integration/resource_checks.h"
#include "tests/integration/test_env.h"
#include "tests/integration/test_server_processes.h"
#include "xatm/xid.h"

namespace xatm {
namespace {

using Clock = std::chrono::steady_clock;
using testing::FrozenServer;
using testing::IsOk;

constexpr int kRequestTimeoutMs = 1000;
// The bound each call must keep: the timeout plus a second.
constexpr int64_t kBoundMs = kRequestTimeoutMs + 1000;
// Without timeouts a call would wait until the server thaws: after this.
constexpr int kThawAfterMs = 6000;

constexpr char kCredit[] =
    "UPDATE xatm_accounts SET balance = balance + CAST(? AS DECIMAL(20,2)) "
    "WHERE id = ?";
constexpr char kLedger[] =
    "INSERT INTO xatm_ledger (gtrid, branch, account, delta) "
    "VALUES (?, ?, ?, '1.00')";

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                               start)
      .count();
}

class MysqlTimeoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::MysqlTestConfig("my");
    config_.request_timeout_ms = kRequestTimeoutMs;
    resource_ = std::make_unique<MyResource>(config_);
    std::ifstream in(std::string(XATM_SQL_DIR) + "/mysql.sql");
    std::stringstream schema;
    schema << in.rdbuf();
    ASSERT_TRUE(IsOk(resource_->ExecuteLocal(schema.str(), {})));
    account_ = "myto-" + std::to_string(getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name();
    account_ = account_.substr(0, 60);
    ASSERT_TRUE(IsOk(resource_->ExecuteLocal(
        "INSERT INTO xatm_accounts (id, balance) VALUES (?, '10.00')",
        {account_})));
  }

  void TearDown() override {
    // Whatever a failed test left prepared is rolled back: it would hold
    // row locks for the tests after it.
    MyResource cleaner(testing::MysqlTestConfig("my"));
    for (int i = 0; i < 50; ++i) {
      auto prepared = cleaner.ListPrepared();
      bool left = false;
      if (prepared.ok()) {
        for (const PreparedBranch& b : *prepared) {
          if (b.id.xid.node != gen_.node()) continue;
          left = true;
          (void)cleaner.RollbackPrepared(b.id.xid);
        }
      }
      if (!left) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    testing::DeleteLedgerRows(cleaner, gen_.node());
    testing::DeleteAccount(cleaner, account_);
  }

  Xid NewXid() {
    return gen_.Next(std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  }

  // A branch of `xid` that credited the account and wrote its ledger row.
  std::unique_ptr<Branch> WritingBranch(const Xid& xid) {
    auto branch = resource_->Begin(xid);
    EXPECT_TRUE(IsOk(branch));
    if (!branch.ok()) return nullptr;
    EXPECT_TRUE(IsOk((*branch)->Execute(kCredit, {"1.00", account_})));
    EXPECT_TRUE(
        IsOk((*branch)->Execute(kLedger, {xid.Gtrid(), "my", account_})));
    return std::move(branch).value();
  }

  std::string Balance() {
    return testing::CommittedBalance(*resource_, account_);
  }

  // Waits (up to 5 s) until `xid` is no longer listed as prepared.
  bool NotListedSoon(const Xid& xid) {
    for (int i = 0; i < 50; ++i) {
      if (!testing::ListedPrepared(*resource_, xid)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  ResourceConfig config_;
  std::unique_ptr<MyResource> resource_;
  XidGenerator gen_{"myto" + std::to_string(getpid() % 100000)};
  std::string account_;
};

TEST_F(MysqlTimeoutTest, ExecuteOnAFrozenServerFailsWithinTheTimeout) {
  const Xid xid = NewXid();
  auto branch = resource_->Begin(xid);
  ASSERT_TRUE(IsOk(branch));
  Status s;
  int64_t took = 0;
  {
    FrozenServer freeze("my", std::chrono::milliseconds(kThawAfterMs));
    ASSERT_TRUE(freeze.frozen());
    const auto start = Clock::now();
    Result<int64_t> rows = (*branch)->Execute(kCredit, {"1.00", account_});
    took = MsSince(start);
    s = rows.ok() ? Status::Ok() : rows.status();
  }
  EXPECT_LE(took, kBoundMs);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("timed out after"), std::string::npos)
      << s.message();
  // Thawed: the branch is finished, the resource works, nothing changed.
  EXPECT_FALSE((*branch)->Prepare().ok());
  EXPECT_TRUE(IsOk((*branch)->Rollback()));
  EXPECT_EQ(Balance(), "10.00");
  EXPECT_TRUE(NotListedSoon(xid));
}

TEST_F(MysqlTimeoutTest, PrepareOnAFrozenServerIsNoYesVote) {
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = WritingBranch(xid);
  ASSERT_NE(branch, nullptr);
  Status vote;
  int64_t took = 0;
  {
    FrozenServer freeze("my", std::chrono::milliseconds(kThawAfterMs));
    const auto start = Clock::now();
    vote = branch->Prepare();
    took = MsSince(start);
  }
  EXPECT_LE(took, kBoundMs);
  EXPECT_FALSE(vote.ok());
  // Not a no vote either: the server may still prepare what it received.
  EXPECT_NE(vote.code(), StatusCode::kAborted) << vote.ToString();
  EXPECT_NE(vote.message().find("timed out after"), std::string::npos)
      << vote.message();
  // The coordinator rolls back; nothing stays prepared.
  EXPECT_TRUE(IsOk(branch->Rollback()));
  EXPECT_TRUE(NotListedSoon(xid));
  EXPECT_EQ(Balance(), "10.00");
}

TEST_F(MysqlTimeoutTest, OwnSessionCommitOnAFrozenServerIsInDoubt) {
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = WritingBranch(xid);
  ASSERT_NE(branch, nullptr);
  ASSERT_TRUE(IsOk(branch->Prepare()));
  Status commit;
  int64_t took = 0;
  {
    FrozenServer freeze("my", std::chrono::milliseconds(kThawAfterMs));
    const auto start = Clock::now();
    commit = branch->CommitPrepared();
    took = MsSince(start);
  }
  EXPECT_LE(took, kBoundMs);
  EXPECT_FALSE(commit.ok());
  EXPECT_NE(commit.code(), StatusCode::kNotFound) << commit.ToString();
  EXPECT_NE(commit.message().find("timed out after"), std::string::npos)
      << commit.message();
  // Thawed: committing again finishes it (or finds it already committed).
  Status again = branch->CommitPrepared();
  EXPECT_TRUE(again.ok() || again.code() == StatusCode::kNotFound)
      << again.ToString();
  EXPECT_TRUE(NotListedSoon(xid));
  EXPECT_EQ(Balance(), "11.00");
}

TEST_F(MysqlTimeoutTest, RecoveryCallsOnAFrozenServerAreUnavailable) {
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = WritingBranch(xid);
  ASSERT_NE(branch, nullptr);
  ASSERT_TRUE(IsOk(branch->Prepare()));
  branch.reset();  // detaches the prepared branch for recovery
  ASSERT_TRUE(testing::ListedPrepared(*resource_, xid));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // hand-over
  {
    FrozenServer freeze("my", std::chrono::milliseconds(kThawAfterMs));
    auto start = Clock::now();
    auto listed = resource_->ListPrepared();
    EXPECT_LE(MsSince(start), kBoundMs);
    ASSERT_FALSE(listed.ok());
    EXPECT_EQ(listed.status().code(), StatusCode::kUnavailable)
        << listed.status().ToString();

    start = Clock::now();
    Status commit = resource_->CommitPrepared(xid);
    EXPECT_LE(MsSince(start), kBoundMs);
    EXPECT_EQ(commit.code(), StatusCode::kUnavailable) << commit.ToString();

    start = Clock::now();
    auto outcome = resource_->LookupOutcome(xid);
    EXPECT_LE(MsSince(start), kBoundMs);
    EXPECT_FALSE(outcome.ok());
  }
  // Thawed: recovery finishes the branch.
  Status commit;
  for (int i = 0; i < 50; ++i) {
    commit = resource_->CommitPrepared(xid);
    if (commit.code() != StatusCode::kUnavailable) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(IsOk(commit));
  EXPECT_EQ(Balance(), "11.00");
  EXPECT_TRUE(NotListedSoon(xid));
}

TEST_F(MysqlTimeoutTest, ConnectingToAFrozenServerFailsWithinTheTimeout) {
  MyResource fresh(config_);  // an empty pool: the call must connect
  Status s;
  int64_t took = 0;
  {
    FrozenServer freeze("my", std::chrono::milliseconds(kThawAfterMs));
    const auto start = Clock::now();
    auto rows = fresh.QueryLocal("SELECT 1", {});
    took = MsSince(start);
    s = rows.ok() ? Status::Ok() : rows.status();
  }
  EXPECT_LE(took, kBoundMs);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_TRUE(IsOk(fresh.QueryLocal("SELECT 1", {})));
}

TEST_F(MysqlTimeoutTest, AnEarlierBranchDeadlineWins) {
  ResourceConfig slow = config_;
  slow.request_timeout_ms = 8000;
  MyResource resource(slow);
  const Xid xid = NewXid();
  auto branch = resource.Begin(xid);
  ASSERT_TRUE(IsOk(branch));
  (*branch)->SetDeadline(Clock::now() + std::chrono::milliseconds(300));
  Status s;
  int64_t took = 0;
  {
    FrozenServer freeze("my", std::chrono::milliseconds(kThawAfterMs));
    const auto start = Clock::now();
    Result<int64_t> rows = (*branch)->Execute(kCredit, {"1.00", account_});
    took = MsSince(start);
    s = rows.ok() ? Status::Ok() : rows.status();
  }
  EXPECT_LE(took, 300 + 1000);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_TRUE(IsOk((*branch)->Rollback()));
  EXPECT_TRUE(IsOk(resource.QueryLocal("SELECT 1", {})));
  EXPECT_EQ(Balance(), "10.00");
}

}  // namespace
}  // namespace xatm
