// A failure inside a transaction is never lost: any statement or enlistment
// that failed, in either adapter, on either side of the wire, dooms the
// global transaction. Each case is written the way the README's library
// example is (results of Execute and Enlist ignored) and checks that
// Commit() does not answer OK, that no branch committed (the balances are
// read back) and that nothing is left prepared.
#include <gtest/gtest.h>
#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/bank/schema.h"
#include "tests/integration/bank_cleanup.h"
#include "tests/integration/bank_manager_fixture.h"
#include "tests/integration/test_env.h"
#include "tests/unit/run_process.h"
#include "xatm/resource_factory.h"
#include "xatm/transaction.h"
#include "xatm/transaction_manager.h"

namespace xatm {
namespace {

constexpr char kDebit[] =
    "UPDATE xatm_accounts SET balance = balance - ? WHERE id = ?";
// Matches no row when the balance is too low.
constexpr char kCheckedDebit[] =
    "UPDATE xatm_accounts SET balance = balance - ? WHERE id = ? AND "
    "balance >= ?";

class TransactionFailureTest : public testing::BankManagerFixture {
 protected:
  void SetUp() override {
    OpenManager("tf");
    if (HasFatalFailure()) return;
    pg_account_ = "pg-" + node_;
    my_account_ = "my-" + node_;
    for (auto [r, id] : {std::pair{pg_.get(), pg_account_},
                         std::pair{my_.get(), my_account_}}) {
      Status s = r->ExecuteLocal(
          "INSERT INTO xatm_accounts (id, balance) VALUES (?, '100.00')", {id});
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }

  void TearDown() override {
    ExpectNothingPrepared();
    tm_.reset();
    testing::DeleteAccount(*pg_, pg_account_);
    testing::DeleteAccount(*my_, my_account_);
  }

  std::unique_ptr<Transaction> Begin() {
    auto txn = tm_->Begin();
    EXPECT_TRUE(txn.ok()) << txn.status().ToString();
    return std::move(txn).value();
  }

  static std::string Balance(Resource& r, const std::string& id) {
    auto rows =
        r.QueryLocal("SELECT balance FROM xatm_accounts WHERE id = ?", {id});
    if (!rows.ok() || rows->size() != 1) return "?";
    return (*rows)[0][0].value_or("NULL");
  }

  // Neither branch committed anything.
  void ExpectUnchanged() {
    EXPECT_EQ(Balance(*pg_, pg_account_), "100.00");
    EXPECT_EQ(Balance(*my_, my_account_), "100.00");
  }

  void ExpectNothingPrepared() {
    for (Resource* r : {pg_.get(), my_.get()}) {
      auto listed = r->ListPrepared();
      ASSERT_TRUE(listed.ok()) << listed.status().ToString();
      for (const PreparedBranch& b : *listed) {
        EXPECT_NE(b.id.xid.node, node_) << "left prepared: " << b.raw;
      }
    }
  }

  // The MariaDB half of the order: stock goes down.
  void TakeStock(Transaction& txn) {
    Branch* my = txn.Enlist("my").value();
    (void)my->Execute(kDebit, {"1.00", my_account_});  // result ignored
  }

  std::string pg_account_;
  std::string my_account_;
};

TEST_F(TransactionFailureTest, PostgresPlaceholderMistakeDoomsTheTransaction) {
  auto txn = Begin();
  Branch* pg = txn->Enlist("pg").value();
  (void)pg->Execute("INSERT INTO xatm_accounts (id, balance) VALUES (?, ?)",
                    {"order-" + node_});  // one parameter short: ignored
  (void)pg->Execute(kDebit, {"1.00", pg_account_});
  TakeStock(*txn);
  Status s = txn->Commit();
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  EXPECT_NE(s.message().find("placeholders"), std::string::npos) << s.message();
  ExpectUnchanged();
}

TEST_F(TransactionFailureTest, PostgresDeferredPlaceholderMistakeDooms) {
  auto txn = Begin();
  Branch* pg = txn->Enlist("pg").value();
  (void)pg->Execute(kDebit, {"1.00", pg_account_});
  (void)pg->ExecuteDeferred(kDebit, {"1.00"});  // ignored
  Status s = txn->Commit();                     // one phase
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  ExpectUnchanged();
}

// An empty statement is refused before anything is sent: the COMMIT behind
// it never runs, so "aborted" is the truth.
TEST_F(TransactionFailureTest, PostgresEmptyStatementIsRefusedOnePhase) {
  for (const char* empty : {"", ";", "-- x", " /* a /* nested */ one */ ;"}) {
    SCOPED_TRACE(std::string("statement '") + empty + "'");
    auto txn = Begin();
    Branch* pg = txn->Enlist("pg").value();
    (void)pg->Execute(kDebit, {"1.00", pg_account_});
    Status deferred = pg->ExecuteDeferred(empty, {});
    EXPECT_EQ(deferred.code(), StatusCode::kInvalidArgument)
        << deferred.ToString();
    Status s = txn->Commit();
    EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
    ExpectUnchanged();
  }
}

TEST_F(TransactionFailureTest, PostgresEmptyStatementIsRefusedTwoPhase) {
  auto txn = Begin();
  Branch* pg = txn->Enlist("pg").value();
  (void)pg->Execute(kDebit, {"1.00", pg_account_});
  (void)pg->ExecuteDeferred(";", {});  // ignored
  TakeStock(*txn);
  Status s = txn->Commit();
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  ExpectUnchanged();
}

TEST_F(TransactionFailureTest, PostgresDeferredCopyIsRefused) {
  auto txn = Begin();
  Branch* pg = txn->Enlist("pg").value();
  (void)pg->Execute(kDebit, {"1.00", pg_account_});
  Status copy = pg->ExecuteDeferred("COPY xatm_accounts TO STDOUT", {});
  EXPECT_EQ(copy.code(), StatusCode::kInvalidArgument) << copy.ToString();
  Status s = txn->Commit();  // one phase
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  ExpectUnchanged();
}

// Transaction control inside a branch would end the global transaction's
// work early: what follows would commit on its own.
TEST_F(TransactionFailureTest, PostgresTransactionControlIsRefused) {
  for (const char* control :
       {"ROLLBACK", "commit", "END", "ABORT", "BEGIN", "START TRANSACTION",
        " /* c */ Rollback;", "PREPARE TRANSACTION 'x'"}) {
    SCOPED_TRACE(control);
    auto txn = Begin();
    Branch* pg = txn->Enlist("pg").value();
    (void)pg->Execute(kDebit, {"1.00", pg_account_});
    Result<int64_t> refused = pg->Execute(control, {});
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument)
        << refused.status().ToString();
    (void)pg->Execute(kDebit, {"1.00", pg_account_});
    TakeStock(*txn);
    Status s = txn->Commit();
    EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
    ExpectUnchanged();
  }
}

TEST_F(TransactionFailureTest, PostgresSavepointsStayAllowed) {
  auto txn = Begin();
  Branch* pg = txn->Enlist("pg").value();
  ASSERT_TRUE(pg->Execute("SAVEPOINT s1", {}).ok());
  ASSERT_TRUE(pg->Execute(kDebit, {"1.00", pg_account_}).ok());
  ASSERT_TRUE(pg->Execute("ROLLBACK TO SAVEPOINT s1", {}).ok());
  ASSERT_TRUE(pg->Execute("RELEASE SAVEPOINT s1", {}).ok());
  ASSERT_TRUE(pg->Execute(kDebit, {"2.00", pg_account_}).ok());
  Status s = txn->Commit();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Balance(*pg_, pg_account_), "98.00");
}

TEST_F(TransactionFailureTest, FailedEnlistDoomsTheTransaction) {
  auto txn = Begin();
  Result<Branch*> typo = txn->Enlist("pgg");  // ignored
  EXPECT_EQ(typo.status().code(), StatusCode::kNotFound);
  TakeStock(*txn);
  Status s = txn->Commit();  // the other branch alone: one phase
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  EXPECT_NE(s.message().find("pgg"), std::string::npos) << s.message();
  ExpectUnchanged();
  EXPECT_EQ(txn->state(), Transaction::State::kRolledBack);
}

TEST_F(TransactionFailureTest, FailedEnlistDoomsATwoPhaseTransaction) {
  auto txn = Begin();
  Branch* pg = txn->Enlist("pg").value();
  (void)pg->Execute(kDebit, {"1.00", pg_account_});
  (void)txn->Enlist("nope");
  TakeStock(*txn);
  Status s = txn->Commit();
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  ExpectUnchanged();
}

// The driver refuses before the statement is sent: Connector/C++ throws on
// a parameter the statement has no place for (setString on index 3). Two
// phases: the MariaDB branch must vote no, so the PostgreSQL debit does not
// commit alone. (The adapter's own failures before the driver is called,
// caught by CatchAll, doom the branch the same way.)
TEST_F(TransactionFailureTest, MysqlDriverRefusalBeforeSendVotesNo) {
  auto txn = Begin();
  Branch* pg = txn->Enlist("pg").value();
  (void)pg->Execute(kDebit, {"1.00", pg_account_});
  Branch* my = txn->Enlist("my").value();
  Result<int64_t> failed =
      my->Execute(kDebit, {"1.00", my_account_, "one too many"});
  EXPECT_FALSE(failed.ok());
  Status s = txn->Commit();
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  ExpectUnchanged();
}

// The same on a branch alone: its one-phase commit refuses.
TEST_F(TransactionFailureTest, MysqlDriverRefusalBeforeSendDoomsTheBranch) {
  auto txn = Begin();
  TakeStock(*txn);
  Branch* my = txn->Enlist("my").value();
  (void)my->Execute(kDebit, {"1.00", my_account_, "one too many"});
  Status s = txn->Commit();  // one phase
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  ExpectUnchanged();
}

// A deferred debit guarded by the balance matches no row: with the count
// stated, the transaction does not commit without it.
TEST_F(TransactionFailureTest, PostgresDeferredRowCountMismatchVotesNo) {
  auto txn = Begin();
  Branch* pg = txn->Enlist("pg").value();
  (void)pg->ExecuteDeferred(kCheckedDebit, {"500.00", pg_account_, "500.00"},
                            /*expected_rows=*/1);
  TakeStock(*txn);
  Status s = txn->Commit();
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  EXPECT_NE(s.message().find("affected 0 rows, expected 1"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("balance >= "), std::string::npos) << s.message();
  ExpectUnchanged();
}

TEST_F(TransactionFailureTest, PostgresDeferredRowCountMismatchOnePhase) {
  auto txn = Begin();
  Branch* pg = txn->Enlist("pg").value();
  (void)pg->Execute(kDebit, {"1.00", pg_account_});
  (void)pg->ExecuteDeferred(kCheckedDebit, {"500.00", pg_account_, "500.00"},
                            /*expected_rows=*/1);
  Status s = txn->Commit();
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  ExpectUnchanged();
}

TEST_F(TransactionFailureTest,
       PostgresDeferredRowCountMismatchAtNextStatement) {
  auto txn = Begin();
  Branch* pg = txn->Enlist("pg").value();
  (void)pg->ExecuteDeferred(kCheckedDebit, {"500.00", pg_account_, "500.00"},
                            /*expected_rows=*/1);
  Result<int64_t> next = pg->Execute(kDebit, {"1.00", pg_account_});
  EXPECT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("expected 1"), std::string::npos)
      << next.status().ToString();
  TakeStock(*txn);
  Status s = txn->Commit();
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  ExpectUnchanged();
}

TEST_F(TransactionFailureTest, MysqlDeferredRowCountMismatchVotesNo) {
  auto txn = Begin();
  Branch* pg = txn->Enlist("pg").value();
  (void)pg->Execute(kDebit, {"1.00", pg_account_});
  Branch* my = txn->Enlist("my").value();
  (void)my->ExecuteDeferred(kCheckedDebit, {"500.00", my_account_, "500.00"},
                            /*expected_rows=*/1);
  Status s = txn->Commit();
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  EXPECT_NE(s.message().find("affected 0 rows, expected 1"), std::string::npos)
      << s.message();
  ExpectUnchanged();
}

TEST_F(TransactionFailureTest, MatchingRowCountsCommit) {
  auto txn = Begin();
  Branch* pg = txn->Enlist("pg").value();
  ASSERT_TRUE(
      pg->ExecuteDeferred(kCheckedDebit, {"5.00", pg_account_, "5.00"}, 1)
          .ok());
  Branch* my = txn->Enlist("my").value();
  ASSERT_TRUE(
      my->ExecuteDeferred(kCheckedDebit, {"7.00", my_account_, "7.00"}, 1)
          .ok());
  Status s = txn->Commit();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Balance(*pg_, pg_account_), "95.00");
  EXPECT_EQ(Balance(*my_, my_account_), "93.00");
}

}  // namespace
}  // namespace xatm
