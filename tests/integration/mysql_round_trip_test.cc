// The MariaDB adapter's round-trip savings against the real test server:
// statements batched into one multi-statement query (XA END + XA PREPARE),
// local transactions, and the lock wait limit set once per session.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/mysql/my_branch.h"
#include "adapters/mysql/my_connection.h"
#include "adapters/mysql/my_resource.h"
#include "tests/integration/bank_cleanup.h"
#include "tests/integration/resource_checks.h"
#include "tests/integration/test_env.h"
#include "xatm/xid.h"

namespace xatm {
namespace {

using testing::IsOk;

constexpr char kCredit[] =
    "UPDATE xatm_accounts SET balance = balance + CAST(? AS DECIMAL(20,2)) "
    "WHERE id = ?";

class MysqlRoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::MysqlTestConfig("my");
    resource_ = std::make_unique<MyResource>(config_);
    std::ifstream in(std::string(XATM_SQL_DIR) + "/mysql.sql");
    std::stringstream schema;
    schema << in.rdbuf();
    ASSERT_TRUE(IsOk(resource_->ExecuteLocal(schema.str(), {})));
    account_ = "myrt-" + std::to_string(getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name();
    account_ = account_.substr(0, 60);
    ASSERT_TRUE(IsOk(resource_->ExecuteLocal(
        "INSERT INTO xatm_accounts (id, balance) VALUES (?, '10.00')",
        {account_})));
  }

  void TearDown() override {
    testing::DeleteLedgerRows(*resource_, gen_.node());
    testing::DeleteAccount(*resource_, account_);
  }

  Xid NewXid() {
    return gen_.Next(std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  }

  std::string Balance() {
    return testing::CommittedBalance(*resource_, account_);
  }
  bool Listed(const Xid& xid) {
    return testing::ListedPrepared(*resource_, xid);
  }

  std::unique_ptr<MyConnection> Raw() {
    Result<std::unique_ptr<MyConnection>> conn = MyConnection::Open(config_);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    return conn.ok() ? std::move(conn).value() : nullptr;
  }

  // The value of a session expression on `conn`, "NULL" for NULL.
  static std::string Select(MyConnection& conn, const std::string& expr) {
    std::vector<Row> rows;
    MyStatus s = conn.RunQuery("SELECT " + expr, &rows);
    EXPECT_TRUE(s.ok()) << s.Describe();
    if (!s.ok() || rows.size() != 1) return "<error>";
    return rows[0][0].value_or("NULL");
  }

  ResourceConfig config_;
  std::unique_ptr<MyResource> resource_;
  XidGenerator gen_{"myrt" + std::to_string(getpid() % 100000)};
  std::string account_;
};

TEST_F(MysqlRoundTripTest, BatchRunsEveryStatementInOneQuery) {
  std::unique_ptr<MyConnection> conn = Raw();
  ASSERT_NE(conn, nullptr);
  size_t done = 99;
  MyStatus s =
      conn->RunBatch({"SET @xatm_a = 1", "DO 2", "SET @xatm_b = 3"}, &done);
  ASSERT_TRUE(s.ok()) << s.Describe();
  EXPECT_EQ(done, 3u);
  EXPECT_EQ(Select(*conn, "@xatm_a + @xatm_b"), "4");
}

TEST_F(MysqlRoundTripTest, BatchStopsAtTheFirstFailingStatement) {
  std::unique_ptr<MyConnection> conn = Raw();
  ASSERT_NE(conn, nullptr);
  size_t done = 99;
  // The second statement fails: the first ran, the third never did.
  MyStatus s =
      conn->RunBatch({"SET @xatm_a = 1", "SELECT * FROM xatm_no_such_table",
                      "SET @xatm_b = 1"},
                     &done);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), my_errc::kNoSuchTable) << s.Describe();
  EXPECT_EQ(done, 1u);
  EXPECT_FALSE(conn->broken());
  EXPECT_EQ(Select(*conn, "@xatm_a"), "1");
  EXPECT_EQ(Select(*conn, "@xatm_b"), "NULL");
  // The first fails: nothing after it ran, and the session is in step.
  s = conn->RunBatch({"SELECT * FROM xatm_no_such_table", "SET @xatm_c = 1"},
                     &done);
  EXPECT_EQ(s.code(), my_errc::kNoSuchTable) << s.Describe();
  EXPECT_EQ(done, 0u);
  EXPECT_EQ(Select(*conn, "@xatm_c"), "NULL");
}

TEST_F(MysqlRoundTripTest, BatchedEndAndPrepareGiveAYesVote) {
  const Xid xid = NewXid();
  auto branch = resource_->Begin(xid);
  ASSERT_TRUE(IsOk(branch));
  ASSERT_TRUE(IsOk((*branch)->Execute(kCredit, {"1.00", account_})));
  ASSERT_TRUE(IsOk((*branch)->Prepare()));
  EXPECT_TRUE(Listed(xid));
  ASSERT_TRUE(IsOk((*branch)->CommitPrepared()));
  EXPECT_EQ(Balance(), "11.00");
  EXPECT_FALSE(Listed(xid));
}

TEST_F(MysqlRoundTripTest, LostSessionDuringBatchedPrepareIsNoYesVote) {
  const Xid xid = NewXid();
  auto branch = resource_->Begin(xid);
  ASSERT_TRUE(IsOk(branch));
  ASSERT_TRUE(IsOk((*branch)->Execute(kCredit, {"1.00", account_})));
  auto* my = dynamic_cast<MyBranch*>(branch->get());
  ASSERT_NE(my, nullptr);
  std::unique_ptr<MyConnection> killer = Raw();
  ASSERT_NE(killer, nullptr);
  ASSERT_TRUE(killer->Run("KILL " + std::to_string(my->session_id())).ok());

  // XA END + XA PREPARE meet a dead session: whether the server prepared
  // is unknown to the branch, so it is no yes vote, and rolling back
  // settles it.
  Status vote = (*branch)->Prepare();
  EXPECT_FALSE(vote.ok());
  EXPECT_EQ(vote.code(), StatusCode::kUnavailable) << vote.ToString();
  EXPECT_TRUE(IsOk((*branch)->Rollback()));
  EXPECT_FALSE(Listed(xid));
  EXPECT_EQ(Balance(), "10.00");
}

TEST_F(MysqlRoundTripTest, LocalTransactionCommitsAndRefusesToPrepare) {
  auto local = resource_->BeginLocal();
  ASSERT_TRUE(IsOk(local));
  ASSERT_TRUE(IsOk((*local)->Execute(kCredit, {"2.50", account_})));
  EXPECT_EQ(Balance(), "10.00");  // not committed yet
  ASSERT_TRUE(IsOk((*local)->CommitOnePhase()));
  EXPECT_EQ(Balance(), "12.50");

  auto refused = resource_->BeginLocal();
  ASSERT_TRUE(IsOk(refused));
  ASSERT_TRUE(IsOk((*refused)->Execute(kCredit, {"1.00", account_})));
  EXPECT_EQ((*refused)->Prepare().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(IsOk((*refused)->Rollback()));
  EXPECT_EQ(Balance(), "12.50");
  // The session went back to the pool outside any transaction.
  auto again = resource_->BeginLocal();
  ASSERT_TRUE(IsOk(again));
  EXPECT_TRUE(IsOk((*again)->CommitOnePhase()));
}

TEST_F(MysqlRoundTripTest, EverySessionGetsTheConfiguredLockWaitLimit) {
  // InnoDB counts whole seconds: rounded up.
  for (const auto& [ms, seconds] :
       std::vector<std::pair<int, std::string>>{{1500, "2"}, {5000, "5"}}) {
    ResourceConfig config = config_;
    config.lock_timeout_ms = ms;
    MyResource resource(config);
    auto rows =
        resource.QueryLocal("SELECT @@SESSION.innodb_lock_wait_timeout", {});
    ASSERT_TRUE(IsOk(rows));
    EXPECT_EQ((*rows)[0][0].value_or(""), seconds) << ms;
  }
}

}  // namespace
}  // namespace xatm
