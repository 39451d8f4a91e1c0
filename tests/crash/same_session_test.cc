// MariaDB refuses XA COMMIT from another session while the session that
// prepared the branch is still connected (1397 XAER_NOTA, although XA
// RECOVER lists it). A sweep meeting such a branch must retry it later: not
// take it for finished (END) nor for rolled back (heuristic). Once the
// session is gone, the next sweep commits it.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "adapters/mysql/my_connection.h"
#include "tests/crash/bank_view.h"
#include "tests/crash/checks.h"
#include "tests/crash/scenario_tally.h"
#include "tests/crash/test_node.h"
#include "tests/integration/test_env.h"
#include "xatm/sweeper.h"
#include "xatm/xid.h"

namespace xatm::crash {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Runs `sql` on `session`, failing the test on error.
void RunOn(MyConnection& session, const std::string& sql) {
  MyStatus s = session.Run(sql);
  ASSERT_TRUE(s.ok()) << sql << ": " << s.Describe();
}

// Events of `result` about `gtrid`, as "resource action" strings.
std::vector<std::string> EventsOf(const SweepResult& result,
                                  const std::string& gtrid) {
  std::vector<std::string> events;
  for (const SweepEvent& e : result.events) {
    if (e.gtrid == gtrid) {
      events.push_back(e.resource + " " + SweepActionName(e.action));
    }
  }
  return events;
}

// Waits until the server no longer lists session `id`.
void WaitForSessionToEnd(int64_t id) {
  Result<std::unique_ptr<MyConnection>> opened =
      MyConnection::Open(xatm::testing::MysqlTestConfig("my"));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<MyConnection> probe = std::move(opened).value();
  for (int i = 0; i < 250; ++i) {
    std::vector<Row> rows;
    MyStatus s = probe->RunQuery(
        "SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = " +
            std::to_string(id),
        &rows);
    ASSERT_TRUE(s.ok()) << s.Describe();
    if (rows.empty()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL() << "session " << id << " outlived its client";
}

TEST(MariadbSameSessionTest, BranchStillAttachedToItsSessionIsRetriedLater) {
  Scenario scenario("MariaDB branch attached to a live session");
  InitSchemaOnce();
  TestNode node(NewNodeId("a"));
  BankView bank;
  const Amount opening = Amount::FromCents(10000);
  Result<AccountRef> a = bank.CreateAccount("my", node.id() + "-a", opening);
  Result<AccountRef> b = bank.CreateAccount("my", node.id() + "-b", opening);
  ASSERT_TRUE(a.ok() && b.ok());

  // Another process's session prepares a branch of this node's and stays
  // connected. Every value pasted below is a known-safe literal.
  Xid xid{node.id(), NowMs(), std::random_device{}(), "f"};  // its own log
  const std::string gtrid = xid.Gtrid();
  const std::string x =
      "'" + gtrid + "','my'," + std::to_string(kMysqlFormatId);
  Result<std::unique_ptr<MyConnection>> opened =
      MyConnection::Open(xatm::testing::MysqlTestConfig("my"));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<MyConnection> session = std::move(opened).value();
  const int64_t session_id = session->session_id();
  RunOn(*session, "XA START " + x);
  RunOn(*session,
        "UPDATE xatm_accounts SET balance = balance - 5 WHERE id = '" + a->id +
            "'");
  RunOn(*session,
        "UPDATE xatm_accounts SET balance = balance + 5 WHERE id = '" + b->id +
            "'");
  RunOn(*session,
        "INSERT INTO xatm_ledger (gtrid, branch, account, delta) VALUES ('" +
            gtrid + "', 'my', '" + a->id + "', -5.00), ('" + gtrid +
            "', 'my', '" + b->id + "', 5.00)");
  RunOn(*session, "XA END " + x);
  RunOn(*session, "XA PREPARE " + x);
  ASSERT_FALSE(HasFailure());

  // The decision is logged by this node's manager, which does not run the
  // transaction: only the database can tell that it is still attached.
  Result<std::unique_ptr<TransactionManager>> tm = node.OpenManager();
  ASSERT_TRUE(tm.ok()) << tm.status().ToString();
  ASSERT_TRUE((*tm)->log().LogCommit(gtrid, {"my"}, NowMs()).ok());
  ASSERT_FALSE((*tm)->IsInFlight(gtrid));
  SweeperOptions options;
  options.grace_period_ms = 0;
  Sweeper sweeper(tm->get(), options);

  SweepResult attached = sweeper.SweepOnce();
  EXPECT_EQ(EventsOf(attached, gtrid),
            std::vector<std::string>{"my retry-later"})
      << attached.Summary();
  EXPECT_EQ(attached.committed, 0);
  EXPECT_EQ(attached.ended, 0);
  EXPECT_EQ(attached.heuristics, 0);
  EXPECT_GE(attached.remaining, 1);
  Result<std::vector<PreparedEntry>> prepared = bank.Prepared(node.id());
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  ASSERT_EQ(prepared->size(), 1u) << "XA RECOVER must still list it";
  EXPECT_EQ((*prepared)[0].gtrid, gtrid);
  EXPECT_TRUE((*tm)->log().FindOpenCommit(gtrid).has_value());
  Result<Amount> still = bank.Balance(*a);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->ToString(), "100.00");

  // The session ends (as if its process died): the branch detaches.
  session.reset();
  WaitForSessionToEnd(session_id);
  SweepResult detached = sweeper.SweepOnce();
  EXPECT_EQ(EventsOf(detached, gtrid),
            (std::vector<std::string>{"my committed", " ended"}))
      << detached.Summary();
  EXPECT_EQ(detached.heuristics, 0);
  EXPECT_EQ(detached.remaining, 0);
  EXPECT_FALSE((*tm)->log().FindOpenCommit(gtrid).has_value());
  ExpectNothingPrepared(bank, node.id());
  Result<Amount> from = bank.Balance(*a);
  Result<Amount> to = bank.Balance(*b);
  ASSERT_TRUE(from.ok() && to.ok());
  EXPECT_EQ(from->ToString(), "95.00");
  EXPECT_EQ(to->ToString(), "105.00");
  Result<std::vector<LedgerRow>> ledger = bank.Ledger(*a);
  ASSERT_TRUE(ledger.ok());
  ASSERT_EQ(ledger->size(), 1u);
  EXPECT_EQ((*ledger)[0].gtrid, gtrid);
}

}  // namespace
}  // namespace xatm::crash
