// Transfers through the library against the real PostgreSQL and MariaDB
// test servers: both directions, one database, every abort path, a failed
// statement that must not count as a yes vote, and concurrent transfers that
// must conserve money to the cent. Each test has its own node id (so its
// prepared branches are told apart from other tests'), its own decision log
// and its own accounts, and removes them afterwards.
#include "cli/bank/transfer.h"

#include <cppconn/connection.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <mysql_driver.h>
#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "cli/bank/accounts.h"
#include "cli/bank/schema.h"
#include "tests/integration/bank_cleanup.h"
#include "tests/integration/bank_manager_fixture.h"
#include "tests/integration/test_env.h"
#include "tests/unit/run_process.h"
#include "xatm/decision_log.h"
#include "xatm/resource_factory.h"
#include "xatm/transaction.h"

namespace xatm {
namespace {

using ::xatm::testing::MysqlTestConfig;
using ::xatm::testing::PostgresTestConfig;
using ::xatm::testing::RandomHex;
using ::xatm::testing::RequireEnv;

Amount Money(const char* text) { return *Amount::ParseStored(text); }

// Prepared transactions of `node` straight from PostgreSQL, not through the
// adapter under test.
std::vector<std::string> RawPostgresPrepared(const std::string& node) {
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(
      PQconnectdb(RequireEnv("XATM_TEST_PG_CONNINFO").c_str()), PQfinish);
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  std::string pattern = "xatm:" + node + ":%";
  const char* params[] = {pattern.c_str()};
  std::unique_ptr<PGresult, void (*)(PGresult*)> res(
      PQexecParams(conn.get(),
                   "SELECT gid FROM pg_prepared_xacts WHERE gid LIKE $1", 1,
                   nullptr, params, nullptr, nullptr, 0),
      PQclear);
  EXPECT_EQ(PQresultStatus(res.get()), PGRES_TUPLES_OK)
      << PQerrorMessage(conn.get());
  std::vector<std::string> gids;
  for (int i = 0; i < PQntuples(res.get()); ++i) {
    gids.push_back(PQgetvalue(res.get(), i, 0));
  }
  return gids;
}

// XA RECOVER straight from MariaDB, entries of `node` only.
std::vector<std::string> RawMariaDbPrepared(const std::string& node) {
  sql::mysql::MySQL_Driver* driver = sql::mysql::get_mysql_driver_instance();
  std::unique_ptr<sql::Connection> conn(driver->connect(
      "tcp://" + RequireEnv("XATM_TEST_MY_HOST") + ":" +
          RequireEnv("XATM_TEST_MY_PORT"),
      RequireEnv("XATM_TEST_MY_USER"), RequireEnv("XATM_MY_PASSWORD")));
  std::unique_ptr<sql::Statement> st(conn->createStatement());
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery("XA RECOVER"));
  std::vector<std::string> xids;
  while (rs->next()) {
    std::string data = rs->getString("data").asStdString();
    if (data.find("xatm:" + node + ":") != std::string::npos) {
      xids.push_back(data);
    }
  }
  return xids;
}

class TransferTest : public testing::BankManagerFixture {
 protected:
  void SetUp() override { OpenManager("tt"); }

  void TearDown() override {
    ExpectNothingPrepared();
    tm_.reset();
    for (const AccountRef& a : accounts_) {
      testing::DeleteAccount(Res(a.resource), a.id);
    }
    for (Resource* r : {pg_.get(), my_.get()}) {
      testing::DeleteLedgerRows(*r, node_);
    }
  }

  static Resource& Res(const std::string& name) {
    return name == "pg" ? *pg_ : *my_;
  }

  AccountRef NewAccount(const std::string& resource, const std::string& label,
                        const char* balance) {
    AccountRef a{resource, label + "-" + node_};
    Status s = CreateAccount(Res(resource), a.id, Money(balance));
    EXPECT_TRUE(s.ok()) << s.ToString();
    accounts_.push_back(a);
    return a;
  }

  Amount Balance(const AccountRef& a) {
    Result<Amount> b = ReadBalance(Res(a.resource), a.id);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? *b : Amount();
  }

  // "account delta" lines of the ledger rows of `gtrid` in `resource`.
  std::vector<std::string> Ledger(const std::string& resource,
                                  const std::string& gtrid) {
    auto rows = Res(resource).QueryLocal(
        "SELECT account, delta, branch FROM xatm_ledger WHERE gtrid = ? "
        "ORDER BY account",
        {gtrid});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> lines;
    if (!rows.ok()) return lines;
    for (const Row& row : *rows) {
      EXPECT_EQ(row[2].value_or(""), resource);
      lines.push_back(row[0].value_or("NULL") + " " + row[1].value_or("NULL"));
    }
    return lines;
  }

  // Decision-log records naming `gtrid`.
  std::vector<RecordType> LogRecords(const std::string& gtrid) {
    auto scan = ScanDecisionLog(log_dir_.path() + "/log");
    EXPECT_TRUE(scan.ok()) << scan.status().ToString();
    std::vector<RecordType> types;
    if (!scan.ok()) return types;
    for (const ScannedRecord& r : scan->records) {
      if (r.record.gtrid == gtrid) types.push_back(r.record.type);
    }
    return types;
  }

  void ExpectNothingPrepared() {
    for (Resource* r : {pg_.get(), my_.get()}) {
      auto listed = r->ListPrepared();
      ASSERT_TRUE(listed.ok()) << listed.status().ToString();
      for (const PreparedBranch& b : *listed) {
        EXPECT_NE(b.id.xid.node, node_) << r->name() << " " << b.raw;
      }
    }
    EXPECT_EQ(RawPostgresPrepared(node_), std::vector<std::string>{});
    EXPECT_EQ(RawMariaDbPrepared(node_), std::vector<std::string>{});
  }

  TransferResult MustTransfer(const AccountRef& from, const AccountRef& to,
                              const char* amount) {
    Result<TransferResult> r = Transfer(*tm_, from, to, Money(amount));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : TransferResult{"", r.status()};
  }

  std::vector<AccountRef> accounts_;
};

TEST_F(TransferTest, PostgresToMariaDbCommitsInBoth) {
  AccountRef a = NewAccount("pg", "alice", "100.00");
  AccountRef b = NewAccount("my", "bob", "50.00");
  TransferResult r = MustTransfer(a, b, "25.50");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.gtrid.rfind("xatm:" + node_ + ":", 0), 0u);
  EXPECT_EQ(Balance(a), Money("74.50"));
  EXPECT_EQ(Balance(b), Money("75.50"));
  EXPECT_EQ(Ledger("pg", r.gtrid), std::vector<std::string>{a.id + " -25.50"});
  EXPECT_EQ(Ledger("my", r.gtrid), std::vector<std::string>{b.id + " 25.50"});
  // Two branches: decided in the log, then ended (the END goes to the file
  // with the next commit, or at the close).
  EXPECT_TRUE(tm_->log().OpenCommits().empty());
  tm_.reset();
  EXPECT_EQ(LogRecords(r.gtrid),
            (std::vector<RecordType>{RecordType::kCommit, RecordType::kEnd}));
  Result<Xid> xid = Xid::ParseGtrid(r.gtrid);
  ASSERT_TRUE(xid.ok());
  for (Resource* res : {pg_.get(), my_.get()}) {
    Result<BranchOutcome> outcome = res->LookupOutcome(*xid);
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    EXPECT_EQ(*outcome, BranchOutcome::kCommitted) << res->name();
  }
}

TEST_F(TransferTest, MariaDbToPostgresCommitsInBoth) {
  AccountRef a = NewAccount("pg", "alice", "100.00");
  AccountRef b = NewAccount("my", "bob", "50.00");
  TransferResult r = MustTransfer(b, a, "10.25");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(Balance(a), Money("110.25"));
  EXPECT_EQ(Balance(b), Money("39.75"));
  EXPECT_EQ(Ledger("pg", r.gtrid), std::vector<std::string>{a.id + " 10.25"});
  EXPECT_EQ(Ledger("my", r.gtrid), std::vector<std::string>{b.id + " -10.25"});
}

TEST_F(TransferTest, SameDatabaseTransferCommitsInOnePhase) {
  for (const char* db : {"pg", "my"}) {
    AccountRef a = NewAccount(db, "a", "10.00");
    AccountRef b = NewAccount(db, "b", "0.00");
    TransferResult r = MustTransfer(a, b, "10.00");
    ASSERT_TRUE(r.status.ok()) << db << ": " << r.status.ToString();
    EXPECT_EQ(Balance(a), Money("0.00"));
    EXPECT_EQ(Balance(b), Money("10.00"));
    EXPECT_EQ(Ledger(db, r.gtrid),
              (std::vector<std::string>{a.id + " -10.00", b.id + " 10.00"}));
    // One branch: no prepare, nothing logged.
    EXPECT_TRUE(LogRecords(r.gtrid).empty());
  }
}

TEST_F(TransferTest, InsufficientFundsAbortsAndChangesNothing) {
  AccountRef a = NewAccount("pg", "alice", "10.00");
  AccountRef b = NewAccount("my", "bob", "5.00");
  // my:... sorts first: the credit on MariaDB has run when the debit on
  // PostgreSQL finds too little; it must be rolled back.
  TransferResult r = MustTransfer(a, b, "10.01");
  EXPECT_EQ(r.status.code(), StatusCode::kAborted) << r.status.ToString();
  EXPECT_EQ(r.status.message(), "insufficient funds in " + a.ToString());
  // And the other way round: the debit runs first.
  TransferResult back = MustTransfer(b, a, "5.01");
  EXPECT_EQ(back.status.code(), StatusCode::kAborted);
  EXPECT_EQ(back.status.message(), "insufficient funds in " + b.ToString());
  EXPECT_EQ(Balance(a), Money("10.00"));
  EXPECT_EQ(Balance(b), Money("5.00"));
  for (const std::string& g : {r.gtrid, back.gtrid}) {
    EXPECT_TRUE(Ledger("pg", g).empty());
    EXPECT_TRUE(Ledger("my", g).empty());
    EXPECT_TRUE(LogRecords(g).empty());
  }
}

TEST_F(TransferTest, ExactBalanceCanBeSpentToZero) {
  AccountRef a = NewAccount("my", "alice", "10.00");
  AccountRef b = NewAccount("pg", "bob", "0.00");
  EXPECT_TRUE(MustTransfer(a, b, "10.00").status.ok());
  EXPECT_EQ(Balance(a), Money("0.00"));
  EXPECT_EQ(MustTransfer(a, b, "0.01").status.code(), StatusCode::kAborted);
  EXPECT_EQ(Balance(b), Money("10.00"));
}

TEST_F(TransferTest, UnknownAccountAbortsAndChangesNothing) {
  AccountRef a = NewAccount("pg", "alice", "10.00");
  AccountRef ghost_my{"my", "ghost-" + node_};
  AccountRef ghost_pg{"pg", "ghost-" + node_};
  TransferResult to_ghost = MustTransfer(a, ghost_my, "1.00");
  EXPECT_EQ(to_ghost.status.code(), StatusCode::kAborted);
  EXPECT_EQ(to_ghost.status.message(),
            "unknown account " + ghost_my.ToString());
  TransferResult from_ghost = MustTransfer(ghost_pg, a, "1.00");
  EXPECT_EQ(from_ghost.status.code(), StatusCode::kAborted);
  EXPECT_EQ(from_ghost.status.message(),
            "unknown account " + ghost_pg.ToString());
  EXPECT_EQ(Balance(a), Money("10.00"));
  EXPECT_TRUE(Ledger("pg", to_ghost.gtrid).empty());
}

TEST_F(TransferTest, BadArgumentsBeginNothing) {
  AccountRef a{"pg", "a-" + node_};
  AccountRef b{"my", "b-" + node_};
  EXPECT_EQ(Transfer(*tm_, a, a, Money("1.00")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Transfer(*tm_, a, b, Money("0.00")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Transfer(*tm_, a, AccountRef{"oracle", "x"}, Money("1.00"))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST_F(TransferTest, FailedPostgresStatementIsNotAYesVote) {
  AccountRef a = NewAccount("pg", "alice", "100.00");
  AccountRef b = NewAccount("my", "bob", "50.00");
  auto txn = tm_->Begin();
  ASSERT_TRUE(txn.ok());
  Branch* my = *(*txn)->Enlist("my");
  Branch* pg = *(*txn)->Enlist("pg");
  ASSERT_TRUE(my->Execute("UPDATE xatm_accounts SET balance = balance + "
                          "CAST(? AS DECIMAL(20,2)) WHERE id = ?",
                          {"5.00", b.id})
                  .ok());
  ASSERT_TRUE(pg->Execute("UPDATE xatm_accounts SET balance = balance - "
                          "CAST(? AS DECIMAL(20,2)) WHERE id = ?",
                          {"5.00", a.id})
                  .ok());
  // The error is ignored, as careless application code would: PostgreSQL
  // now answers PREPARE TRANSACTION with ROLLBACK, which is a no.
  EXPECT_FALSE(
      pg->Execute("SELECT no_such_column FROM xatm_accounts", {}).ok());
  Status s = (*txn)->Commit();
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  EXPECT_EQ(Balance(a), Money("100.00"));
  EXPECT_EQ(Balance(b), Money("50.00"));
  EXPECT_TRUE(LogRecords((*txn)->gtrid()).empty());
}

TEST_F(TransferTest, ConcurrentCrossDatabaseTransfersConserveMoney) {
  std::vector<AccountRef> accounts;
  for (int i = 0; i < 3; ++i) {
    accounts.push_back(NewAccount("pg", "c" + std::to_string(i), "1000.00"));
    accounts.push_back(NewAccount("my", "c" + std::to_string(i), "1000.00"));
  }
  std::map<std::string, Amount> before;
  Amount total_before;
  for (const AccountRef& a : accounts) {
    before[a.ToString()] = Balance(a);
    total_before = *total_before.Plus(before[a.ToString()]);
  }

  constexpr int kThreads = 4;
  constexpr int kTransfersPerThread = 100;
  std::atomic<int> committed{0}, aborted{0}, other{0};
  std::mutex mu;
  std::map<std::string, int> abort_reasons;
  std::vector<std::string> unexpected;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(std::random_device{}() + t);
      std::uniform_int_distribution<size_t> pick(0, accounts.size() - 1);
      std::uniform_int_distribution<int> cents(1, 5000);
      for (int i = 0; i < kTransfersPerThread; ++i) {
        size_t from = pick(rng), to = pick(rng);
        while (to == from) to = pick(rng);
        Result<TransferResult> r = Transfer(*tm_, accounts[from], accounts[to],
                                            Amount::FromCents(cents(rng)));
        std::lock_guard<std::mutex> lock(mu);
        if (r.ok() && r->status.ok()) {
          ++committed;
        } else if (r.ok() && r->status.code() == StatusCode::kAborted) {
          ++aborted;
          ++abort_reasons[r->status.message().substr(0, 40)];
        } else {
          ++other;
          unexpected.push_back(r.ok() ? r->status.ToString()
                                      : r.status().ToString());
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& [reason, n] : abort_reasons) {
    std::printf("aborted %d x: %s...\n", n, reason.c_str());
  }
  EXPECT_EQ(other.load(), 0) << (unexpected.empty() ? "" : unexpected[0]);
  EXPECT_EQ(committed + aborted + other, kThreads * kTransfersPerThread);
  EXPECT_GT(committed.load(), kThreads * kTransfersPerThread / 2);

  // Money is conserved exactly, and each account moved by exactly the sum
  // of its ledger rows: every committed transfer committed in both places.
  Amount total_after;
  std::map<std::string, Amount> ledger_sum;
  for (Resource* r : {pg_.get(), my_.get()}) {
    auto rows = r->QueryLocal(
        "SELECT account, delta FROM xatm_ledger WHERE gtrid LIKE ?",
        {"xatm:" + node_ + ":%"});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    for (const Row& row : *rows) {
      std::string key = r->name() + ":" + row[0].value();
      ledger_sum[key] = *ledger_sum[key].Plus(Money(row[1]->c_str()));
    }
  }
  for (const AccountRef& a : accounts) {
    Amount after = Balance(a);
    EXPECT_FALSE(after.is_negative()) << a.ToString();
    total_after = *total_after.Plus(after);
    EXPECT_EQ(*before[a.ToString()].Plus(ledger_sum[a.ToString()]), after)
        << a.ToString() << ": before " << before[a.ToString()].ToString()
        << ", ledger " << ledger_sum[a.ToString()].ToString() << ", after "
        << after.ToString();
  }
  EXPECT_EQ(total_after, total_before)
      << total_before.ToString() << " -> " << total_after.ToString();
  std::printf("committed %d, aborted %d\n", committed.load(), aborted.load());
}

}  // namespace
}  // namespace xatm
