// A two-phase commit over PostgreSQL and MariaDB keeps both databases busy
// at once without handing a branch to another thread: the PostgreSQL
// branch's PREPARE TRANSACTION (and then COMMIT PREPARED) goes out first,
// the MariaDB branch runs on the caller's thread meanwhile, and the
// PostgreSQL answer is read after it. On a machine with few cores a thread
// hand-off per phase costs more than the overlap saves.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "tests/integration/bank_cleanup.h"
#include "tests/integration/bank_manager_fixture.h"
#include "tests/unit/thread_switches.h"
#include "xatm/memory_decision_log.h"
#include "xatm/transaction.h"
#include "xatm/transaction_manager.h"

namespace xatm {
namespace {

class PhaseOverlapTest : public testing::BankManagerFixture {
 protected:
  void SetUp() override {
    node_ = "po" + testing::RandomHex(10);
    TransactionManagerOptions options;
    options.node_id = node_;
    options.worker_threads = 4;
    // An in-memory log: no log thread wakes per decision.
    auto tm = TransactionManager::Create(options, {pg_, my_},
                                         std::make_unique<MemoryDecisionLog>());
    ASSERT_TRUE(tm.ok()) << tm.status().ToString();
    tm_ = std::move(tm).value();
    pg_account_ = "pg-" + node_;
    my_account_ = "my-" + node_;
    for (auto [r, id] : {std::pair{pg_.get(), pg_account_},
                         std::pair{my_.get(), my_account_}}) {
      Status s = r->ExecuteLocal(
          "INSERT INTO xatm_accounts (id, balance) VALUES (?, '1000.00')",
          {id});
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }

  void TearDown() override {
    tm_.reset();
    testing::DeleteAccount(*pg_, pg_account_);
    testing::DeleteAccount(*my_, my_account_);
  }

  // Moves 1.00 from the PostgreSQL account to the MariaDB one.
  Status MoveOne() {
    auto txn = tm_->Begin();
    if (!txn.ok()) return txn.status();
    auto pg = (*txn)->Enlist("pg");
    auto my = (*txn)->Enlist("my");
    if (!pg.ok() || !my.ok()) return Status::Internal("enlist failed");
    const char* kAdd =
        "UPDATE xatm_accounts SET balance = balance + ? WHERE id = ?";
    auto debited = (*pg)->Execute(kAdd, {"-1.00", pg_account_});
    auto credited = (*my)->Execute(kAdd, {"1.00", my_account_});
    if (!debited.ok()) return debited.status();
    if (!credited.ok()) return credited.status();
    return (*txn)->Commit();
  }

  std::string Balance(Resource& r, const std::string& id) {
    auto rows =
        r.QueryLocal("SELECT balance FROM xatm_accounts WHERE id = ?", {id});
    if (!rows.ok() || rows->size() != 1) return "?";
    return (*rows)[0][0].value_or("NULL");
  }

  std::string pg_account_;
  std::string my_account_;
};

TEST_F(PhaseOverlapTest, BothPhasesRunOnTheCallersThreadAlone) {
  ASSERT_TRUE(MoveOne().ok());  // connections opened, threads started
  const long before = testing::OtherThreadsSwitches();
  constexpr int kTransfers = 50;
  for (int i = 0; i < kTransfers; ++i) {
    Status s = MoveOne();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  const long woken = testing::OtherThreadsSwitches() - before;
  // Before: a pool thread woke for one branch in each phase, 2 per commit.
  EXPECT_LT(woken, kTransfers / 5)
      << "other threads woke " << woken << " times for " << kTransfers
      << " two-phase commits";
  EXPECT_EQ(Balance(*pg_, pg_account_), "949.00");
  EXPECT_EQ(Balance(*my_, my_account_), "1051.00");
  for (Resource* r : {pg_.get(), my_.get()}) {
    auto listed = r->ListPrepared();
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    for (const PreparedBranch& b : *listed) {
      EXPECT_NE(b.id.xid.node, node_) << "left prepared: " << b.raw;
    }
  }
}

}  // namespace
}  // namespace xatm
