// MariaDB sessions of the adapter end on the server after
// idle_session_timeout_s without a command (wait_timeout): a branch prepared
// by a coordinator that stopped answering (a frozen process whose socket
// stays open, as on a dead or partitioned host) is released for recovery
// within that time instead of after the server's default 8 hours.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "adapters/mysql/my_resource.h"
#include "tests/crash/child_process.h"
#include "tests/integration/bank_cleanup.h"
#include "tests/integration/resource_checks.h"
#include "tests/integration/test_env.h"
#include "xatm/xid.h"

namespace xatm {
namespace {

using Clock = std::chrono::steady_clock;
using testing::IsOk;

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                               start)
      .count();
}

class MysqlIdleSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    resource_ = std::make_unique<MyResource>(testing::MysqlTestConfig("my"));
    std::ifstream in(std::string(XATM_SQL_DIR) + "/mysql.sql");
    std::stringstream schema;
    schema << in.rdbuf();
    ASSERT_TRUE(IsOk(resource_->ExecuteLocal(schema.str(), {})));
    account_ = "myidle-" + std::to_string(getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name();
    account_ = account_.substr(0, 60);
    ASSERT_TRUE(IsOk(resource_->ExecuteLocal(
        "INSERT INTO xatm_accounts (id, balance) VALUES (?, '5.00')",
        {account_})));
  }

  void TearDown() override {
    // A failed test may leave the holder's branch prepared (its process is
    // killed by then): roll it back, it holds row locks.
    for (int i = 0; i < 50; ++i) {
      bool left = false;
      if (auto prepared = resource_->ListPrepared(); prepared.ok()) {
        for (const PreparedBranch& b : *prepared) {
          if (b.id.xid.node != gen_.node()) continue;
          left = true;
          (void)resource_->RollbackPrepared(b.id.xid);
        }
      }
      if (!left) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    testing::DeleteLedgerRows(*resource_, gen_.node());
    testing::DeleteAccount(*resource_, account_);
  }

  // Whether server session `id` still exists.
  bool SessionExists(int64_t id) {
    auto rows = resource_->QueryLocal(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?",
        {std::to_string(id)});
    return !rows.ok() || (*rows)[0][0] != std::optional<std::string>("0");
  }

  std::unique_ptr<MyResource> resource_;
  XidGenerator gen_{"myis" + std::to_string(getpid() % 100000)};
  std::string account_;
};

TEST_F(MysqlIdleSessionTest, EverySessionGetsTheIdleTimeout) {
  for (int seconds : {2, 60}) {
    ResourceConfig config = testing::MysqlTestConfig("my");
    config.idle_session_timeout_s = seconds;
    MyResource resource(config);
    auto rows = resource.QueryLocal("SELECT @@SESSION.wait_timeout", {});
    ASSERT_TRUE(IsOk(rows));
    EXPECT_EQ((*rows)[0][0].value_or(""), std::to_string(seconds));
  }
  // 0 keeps the server's own default.
  ResourceConfig config = testing::MysqlTestConfig("my");
  config.idle_session_timeout_s = 0;
  MyResource resource(config);
  auto rows = resource.QueryLocal(
      "SELECT @@SESSION.wait_timeout = @@GLOBAL.wait_timeout", {});
  ASSERT_TRUE(IsOk(rows));
  EXPECT_EQ((*rows)[0][0].value_or(""), "1");
}

TEST_F(MysqlIdleSessionTest, PoolReplacesSessionsTheServerClosedWhileIdle) {
  ResourceConfig config = testing::MysqlTestConfig("my");
  config.idle_session_timeout_s = 1;
  MyResource resource(config);
  auto first = resource.QueryLocal("SELECT CONNECTION_ID()", {});
  ASSERT_TRUE(IsOk(first));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  // The pooled session is gone on the server; a new branch still works.
  const Xid xid =
      gen_.Next(std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count());
  auto branch = resource.Begin(xid);
  ASSERT_TRUE(IsOk(branch));
  ASSERT_TRUE(IsOk((*branch)->Execute(
      "UPDATE xatm_accounts SET balance = balance + 1 WHERE id = ?",
      {account_})));
  ASSERT_TRUE(IsOk((*branch)->CommitOnePhase()));
  EXPECT_EQ(testing::CommittedBalance(resource, account_), "6.00");
  auto second = resource.QueryLocal("SELECT CONNECTION_ID()", {});
  ASSERT_TRUE(IsOk(second));
  EXPECT_NE((*first)[0][0], (*second)[0][0]);
}

TEST_F(MysqlIdleSessionTest, BranchOfAFrozenCoordinatorIsReleasedForRecovery) {
  constexpr int kIdleTimeoutS = 2;
  const Xid xid =
      gen_.Next(std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count());
  const std::string session_file =
      "/tmp/xatm-holder-" + std::to_string(getpid()) + ".session";
  auto holder =
      crash::Child::Start({XATM_BRANCH_HOLDER, xid.Gtrid(), account_,
                           std::to_string(kIdleTimeoutS), session_file});
  ASSERT_TRUE(holder->WaitForStderr("prepared", 20000));
  // Its socket stays open but nothing answers on it any more.
  ASSERT_EQ(::kill(holder->pid(), SIGSTOP), 0);
  const auto frozen = Clock::now();
  int64_t session = 0;
  std::ifstream(session_file) >> session;
  std::remove(session_file.c_str());
  ASSERT_GT(session, 0);

  // Still attached: other sessions cannot finish it yet.
  Status first = resource_->CommitPrepared(xid);
  EXPECT_EQ(first.code(), StatusCode::kUnavailable) << first.ToString();
  EXPECT_TRUE(testing::ListedPrepared(*resource_, xid));

  // The server ends the idle session. Committing while it tears the
  // session down can answer OK without committing (see my_xa_resolve.h), so
  // the test commits once the session has left the process list, as
  // recovery would a moment later.
  int64_t released_after = -1;
  while (MsSince(frozen) < 8000) {
    if (!SessionExists(session)) {
      released_after = MsSince(frozen);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GE(released_after, 0)
      << "session " << session << " still attached after 8 s";
  EXPECT_LE(released_after, kIdleTimeoutS * 1000 + 1500);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(IsOk(resource_->CommitPrepared(xid)));
  auto outcome = resource_->LookupOutcome(xid);
  ASSERT_TRUE(IsOk(outcome));
  EXPECT_EQ(*outcome, BranchOutcome::kCommitted);
  EXPECT_EQ(testing::CommittedBalance(*resource_, account_), "6.00");
  EXPECT_FALSE(testing::ListedPrepared(*resource_, xid));
  holder.reset();  // SIGKILL + reap
}

}  // namespace
}  // namespace xatm
