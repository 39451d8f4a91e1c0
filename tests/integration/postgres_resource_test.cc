// The PostgreSQL resource against a real server (scripts/db.sh). Each test
// works on its own accounts (named after the test plus a random part) and
// leaves no rows and no prepared transactions behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/postgres/pg_resource.h"
#include "tests/integration/test_env.h"
#include "tests/unit/library_log_level.h"
#include "xatm/clock.h"
#include "xatm/xid.h"

namespace xatm {
namespace {

using ::xatm::testing::PostgresTestConfig;
using ::xatm::testing::RandomHex;

#define ASSERT_OK(expr)                                                  \
  do {                                                                   \
    const ::xatm::Status assert_ok_status_ = (expr);                     \
    ASSERT_TRUE(assert_ok_status_.ok()) << assert_ok_status_.ToString(); \
  } while (0)

#define EXPECT_OK(expr)                                                  \
  do {                                                                   \
    const ::xatm::Status expect_ok_status_ = (expr);                     \
    EXPECT_TRUE(expect_ok_status_.ok()) << expect_ok_status_.ToString(); \
  } while (0)

constexpr char kResourceName[] = "pg";
constexpr char kDebit[] =
    "UPDATE xatm_accounts SET balance = balance - ? WHERE id = ?";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

XidGenerator& Generator() {
  static XidGenerator* generator = new XidGenerator("pgtest");
  return *generator;
}

class PostgresResourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    testing::SetLibraryLogLevel(spdlog::level::warn);
    std::unique_ptr<Resource> setup =
        MakePostgresResource(PostgresTestConfig(kResourceName));
    const std::string schema = ReadFile(XATM_SQL_DIR "/postgresql.sql");
    ASSERT_FALSE(schema.empty()) << "cannot read " XATM_SQL_DIR;
    ASSERT_OK(setup->ExecuteLocal(schema, {}));
  }

  void SetUp() override {
    resource_ = MakePostgresResource(PostgresTestConfig(kResourceName));
    // A separate resource, so a separate pool: "another connection".
    observer_ = MakePostgresResource(PostgresTestConfig(kResourceName));
    std::string test_name =
        ::testing::UnitTest::GetInstance()->current_test_info()->name();
    prefix_ = test_name.substr(0, 40) + "-" + RandomHex(8) + "-";
  }

  void TearDown() override {
    // Most of these gids are long gone; their NotFound lines are noise.
    const spdlog::level::level_enum level = Logger()->level();
    if (level < spdlog::level::warn) Logger()->set_level(spdlog::level::warn);
    for (const Xid& xid : xids_) (void)observer_->RollbackPrepared(xid);
    Logger()->set_level(level);
    EXPECT_OK(observer_->ExecuteLocal(
        "DELETE FROM xatm_accounts WHERE id LIKE ?", {prefix_ + "%"}));
    EXPECT_OK(observer_->ExecuteLocal(
        "DELETE FROM xatm_ledger WHERE account LIKE ?", {prefix_ + "%"}));
  }

  std::string CreateAccount(const std::string& suffix,
                            const std::string& balance = "100.00") {
    std::string id = prefix_ + suffix;
    EXPECT_OK(observer_->ExecuteLocal(
        "INSERT INTO xatm_accounts (id, balance) VALUES (?, ?)",
        {id, balance}));
    return id;
  }

  // The committed balance, as another connection sees it; "" if no row.
  std::string Balance(const std::string& id) {
    Result<std::vector<Row>> rows = observer_->QueryLocal(
        "SELECT balance FROM xatm_accounts WHERE id = ?", {id});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok() || rows->empty()) return "";
    return (*rows)[0][0].value_or("NULL");
  }

  Xid NewXid() {
    Xid xid = Generator().Next(Clock::System()->NowMs());
    xids_.push_back(xid);
    return xid;
  }

  std::string Gid(const Xid& xid) { return xid.PostgresGid(kResourceName); }

  std::string PreparedCount(const Xid& xid) {
    Result<std::vector<Row>> rows = observer_->QueryLocal(
        "SELECT count(*) FROM pg_prepared_xacts WHERE gid = ?", {Gid(xid)});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok()) return "?";
    return (*rows)[0][0].value_or("NULL");
  }

  std::unique_ptr<Branch> MustBegin(Resource& resource, const Xid& xid) {
    Result<std::unique_ptr<Branch>> branch = resource.Begin(xid);
    EXPECT_TRUE(branch.ok()) << branch.status().ToString();
    if (!branch.ok()) return nullptr;
    return std::move(branch).value();
  }

  std::string BackendPid(Branch& branch) {
    Result<std::vector<Row>> rows = branch.Query("SELECT pg_backend_pid()", {});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok()) return "";
    return (*rows)[0][0].value_or("");
  }

  // Ends the server session `pid`; with `wait`, until the backend is gone.
  void TerminateBackend(const std::string& pid, bool wait = true) {
    Result<std::vector<Row>> killed =
        observer_->QueryLocal("SELECT pg_terminate_backend(?::int)", {pid});
    ASSERT_TRUE(killed.ok()) << killed.status().ToString();
    ASSERT_EQ((*killed)[0][0].value_or(""), "t");
    if (!wait) return;
    for (int i = 0; i < 200; ++i) {
      Result<std::vector<Row>> rows = observer_->QueryLocal(
          "SELECT count(*) FROM pg_stat_activity WHERE pid = ?::int", {pid});
      ASSERT_TRUE(rows.ok()) << rows.status().ToString();
      if ((*rows)[0][0].value_or("") == "0") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    FAIL() << "backend " << pid << " did not end";
  }

  // The statements the server keeps prepared for the session of `branch`,
  // sorted (the query itself has no parameters: never prepared).
  std::vector<std::string> PreparedStatements(Branch& branch) {
    Result<std::vector<Row>> rows = branch.Query(
        "SELECT statement FROM pg_prepared_statements ORDER BY statement", {});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> texts;
    if (!rows.ok()) return texts;
    for (const Row& row : *rows) texts.push_back(row[0].value_or("NULL"));
    return texts;
  }

  std::unique_ptr<Resource> resource_;
  std::unique_ptr<Resource> observer_;
  std::string prefix_;
  std::vector<Xid> xids_;
};

TEST_F(PostgresResourceTest, PreparedBranchCommitMakesUpdateVisibleElsewhere) {
  const std::string account = CreateAccount("a");
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = MustBegin(*resource_, xid);
  ASSERT_NE(branch, nullptr);
  EXPECT_EQ(branch->resource_name(), kResourceName);

  Result<int64_t> rows = branch->Execute(kDebit, {"30.00", account});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, 1);
  ASSERT_OK(branch->Prepare());
  EXPECT_EQ(PreparedCount(xid), "1");
  EXPECT_EQ(Balance(account), "100.00") << "visible before commit";

  ASSERT_OK(branch->CommitPrepared());
  EXPECT_EQ(Balance(account), "70.00");
  EXPECT_EQ(PreparedCount(xid), "0");
}

TEST_F(PostgresResourceTest, PreparedBranchRollbackLeavesDataUnchanged) {
  const std::string account = CreateAccount("a");
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = MustBegin(*resource_, xid);
  ASSERT_NE(branch, nullptr);
  ASSERT_TRUE(branch->Execute(kDebit, {"30.00", account}).ok());
  ASSERT_OK(branch->Prepare());
  ASSERT_EQ(PreparedCount(xid), "1");

  ASSERT_OK(branch->Rollback());
  EXPECT_EQ(Balance(account), "100.00");
  EXPECT_EQ(PreparedCount(xid), "0");
  // A second rollback has nothing to undo.
  ASSERT_OK(branch->Rollback());
}

TEST_F(PostgresResourceTest,
       PrepareAfterCheckViolationVotesNoAndPreparesNothing) {
  const std::string account = CreateAccount("a");
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = MustBegin(*resource_, xid);
  ASSERT_NE(branch, nullptr);

  Result<int64_t> overdraft = branch->Execute(kDebit, {"1000.00", account});
  ASSERT_FALSE(overdraft.ok());
  // A CHECK violation: fix the state first (as from MariaDB, 4025).
  EXPECT_EQ(overdraft.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(overdraft.status().message(), "23514"))
      << overdraft.status().message();

  // The branch remembers the failure: its vote is no without asking.
  Status vote = branch->Prepare();
  EXPECT_EQ(vote.code(), StatusCode::kAborted) << vote.ToString();
  EXPECT_TRUE(Contains(vote.message(), "rolled back")) << vote.message();
  EXPECT_TRUE(Contains(vote.message(), "23514")) << vote.message();
  EXPECT_EQ(PreparedCount(xid), "0");
  EXPECT_EQ(Balance(account), "100.00");
  EXPECT_OK(branch->Rollback());
}

TEST_F(PostgresResourceTest, PrepareAfterBadSqlVotesNo) {
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = MustBegin(*resource_, xid);
  ASSERT_NE(branch, nullptr);

  Result<int64_t> bad =
      branch->Execute("UPDATE xatm_no_such_table SET x = ?", {"1"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(bad.status().message(), "42P01"))
      << bad.status().message();

  EXPECT_EQ(branch->Prepare().code(), StatusCode::kAborted);
  EXPECT_EQ(PreparedCount(xid), "0");
}

TEST_F(PostgresResourceTest, StatementAfterFailedStatementIsAborted) {
  const std::string account = CreateAccount("a");
  std::unique_ptr<Branch> branch = MustBegin(*resource_, NewXid());
  ASSERT_NE(branch, nullptr);
  ASSERT_FALSE(branch->Execute(kDebit, {"1000.00", account}).ok());

  Result<int64_t> next = branch->Execute(kDebit, {"1.00", account});
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), StatusCode::kAborted);
  EXPECT_TRUE(Contains(next.status().message(), "25P02"))
      << next.status().message();
}

TEST_F(PostgresResourceTest, ListPreparedShowsBranchAndRecoveryCommitsIt) {
  const std::string account = CreateAccount("a");
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = MustBegin(*resource_, xid);
  ASSERT_NE(branch, nullptr);
  ASSERT_TRUE(branch->Execute(kDebit, {"10.00", account}).ok());
  ASSERT_OK(branch->Prepare());

  Result<std::vector<PreparedBranch>> listed = observer_->ListPrepared();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  auto found =
      std::find_if(listed->begin(), listed->end(),
                   [&](const PreparedBranch& b) { return b.raw == Gid(xid); });
  ASSERT_NE(found, listed->end()) << "gid " << Gid(xid) << " not listed";
  EXPECT_TRUE(found->id.xid == xid);
  EXPECT_EQ(found->id.resource, kResourceName);

  // Recovery commits from another connection while the branch still exists.
  ASSERT_OK(observer_->CommitPrepared(xid));
  EXPECT_EQ(Balance(account), "90.00");
  EXPECT_EQ(PreparedCount(xid), "0");

  Status again = observer_->CommitPrepared(xid);
  EXPECT_EQ(again.code(), StatusCode::kNotFound) << again.ToString();

  listed = observer_->ListPrepared();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_TRUE(
      std::none_of(listed->begin(), listed->end(),
                   [&](const PreparedBranch& b) { return b.raw == Gid(xid); }));
}

TEST_F(PostgresResourceTest, RecoveryRollbackUndoesPreparedBranch) {
  const std::string account = CreateAccount("a");
  const Xid xid = NewXid();
  {
    std::unique_ptr<Branch> branch = MustBegin(*resource_, xid);
    ASSERT_NE(branch, nullptr);
    ASSERT_TRUE(branch->Execute(kDebit, {"10.00", account}).ok());
    ASSERT_OK(branch->Prepare());
  }
  // Dropping a prepared branch leaves it for recovery: a commit decision may
  // already be durable.
  ASSERT_EQ(PreparedCount(xid), "1");

  ASSERT_OK(observer_->RollbackPrepared(xid));
  EXPECT_EQ(PreparedCount(xid), "0");
  EXPECT_EQ(Balance(account), "100.00");
}

TEST_F(PostgresResourceTest, RollbackPreparedOfUnknownGidIsNotFound) {
  const Xid xid = NewXid();
  Status status = observer_->RollbackPrepared(xid);
  EXPECT_EQ(status.code(), StatusCode::kNotFound) << status.ToString();
  EXPECT_TRUE(Contains(status.message(), "42704")) << status.message();
}

TEST_F(PostgresResourceTest,
       CommitPreparedErrorKeepsContextSqlStateAndMessage) {
  const Xid xid = NewXid();
  Status status = observer_->CommitPrepared(xid);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message().rfind(
                "postgresql resource 'pg': COMMIT PREPARED: 42704 prepared "
                "transaction with identifier \"" +
                    Gid(xid) + "\"",
                0),
            0u)
      << status.message();
}

TEST_F(PostgresResourceTest, DuplicateGidIsRefusedAndLeavesFirstPrepared) {
  const std::string first_account = CreateAccount("a");
  const std::string second_account = CreateAccount("b");
  const Xid xid = NewXid();
  std::unique_ptr<Branch> first = MustBegin(*resource_, xid);
  std::unique_ptr<Branch> second = MustBegin(*resource_, xid);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(first->Execute(kDebit, {"1.00", first_account}).ok());
  ASSERT_TRUE(second->Execute(kDebit, {"2.00", second_account}).ok());
  ASSERT_OK(first->Prepare());

  Status duplicate = second->Prepare();
  EXPECT_EQ(duplicate.code(), StatusCode::kAlreadyExists)
      << duplicate.ToString();
  EXPECT_TRUE(Contains(duplicate.message(), "42710")) << duplicate.message();

  EXPECT_EQ(PreparedCount(xid), "1");
  ASSERT_OK(first->CommitPrepared());
  EXPECT_EQ(Balance(first_account), "99.00");
  EXPECT_EQ(Balance(second_account), "100.00");
}

TEST_F(PostgresResourceTest, LookupOutcomeIsCommittedWhenLedgerRowExists) {
  const std::string account = CreateAccount("a");
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = MustBegin(*resource_, xid);
  ASSERT_NE(branch, nullptr);
  ASSERT_TRUE(branch
                  ->Execute("INSERT INTO xatm_ledger (gtrid, branch, account, "
                            "delta) VALUES (?, ?, ?, ?)",
                            {xid.Gtrid(), kResourceName, account, "-5.00"})
                  .ok());
  ASSERT_OK(branch->Prepare());

  Result<BranchOutcome> before = observer_->LookupOutcome(xid);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(*before, BranchOutcome::kNotCommitted)
      << "prepared is not committed";

  ASSERT_OK(branch->CommitPrepared());
  Result<BranchOutcome> after = observer_->LookupOutcome(xid);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(*after, BranchOutcome::kCommitted);
}

TEST_F(PostgresResourceTest, LookupOutcomeNeedsTheLedgerRowOfItsOwnBranch) {
  // Two resources on the same database, as two branches of one global
  // transaction can be: one branch's ledger row proves nothing of the other.
  std::unique_ptr<Resource> pg_a =
      MakePostgresResource(PostgresTestConfig("pgA"));
  std::unique_ptr<Resource> pg_b =
      MakePostgresResource(PostgresTestConfig("pgB"));
  const std::string account = CreateAccount("a");
  const Xid xid = NewXid();
  ASSERT_OK(observer_->ExecuteLocal(
      "INSERT INTO xatm_ledger (gtrid, branch, account, delta) "
      "VALUES (?, ?, ?, ?)",
      {xid.Gtrid(), "pgA", account, "-1.00"}));

  Result<BranchOutcome> a = pg_a->LookupOutcome(xid);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, BranchOutcome::kCommitted);
  Result<BranchOutcome> b = pg_b->LookupOutcome(xid);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(*b, BranchOutcome::kNotCommitted)
      << "pgA's ledger row taken as proof that pgB's branch committed";
}

TEST_F(PostgresResourceTest, ListedBranchAgeComesFromTheDatabaseAndGrows) {
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = MustBegin(*resource_, xid);
  ASSERT_NE(branch, nullptr);
  ASSERT_TRUE(branch->Query("SELECT 1", {}).ok());
  ASSERT_OK(branch->Prepare());

  auto listed_age = [&]() -> std::optional<int64_t> {
    Result<std::vector<PreparedBranch>> listed = observer_->ListPrepared();
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    if (!listed.ok()) return std::nullopt;
    for (const PreparedBranch& b : *listed) {
      if (b.raw == Gid(xid)) return b.db_age_ms;
    }
    ADD_FAILURE() << "gid " << Gid(xid) << " not listed";
    return std::nullopt;
  };
  const std::optional<int64_t> first = listed_age();
  ASSERT_TRUE(first.has_value()) << "no database age listed";
  EXPECT_GE(*first, 0);
  EXPECT_LT(*first, 5000) << "prepared just now";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::optional<int64_t> second = listed_age();
  ASSERT_TRUE(second.has_value());
  EXPECT_GE(*second, *first + 250);
  ASSERT_OK(branch->Rollback());
}

TEST_F(PostgresResourceTest, LookupOutcomeIsNotCommittedWithoutLedgerRow) {
  const Xid xid = NewXid();
  Result<BranchOutcome> outcome = observer_->LookupOutcome(xid);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(*outcome, BranchOutcome::kNotCommitted);
}

TEST_F(PostgresResourceTest, LookupOutcomeIsUnknownWithoutLedgerTable) {
  ResourceConfig config = PostgresTestConfig(kResourceName);
  config.conninfo += " options='-c search_path=xatm_no_such_schema'";
  std::unique_ptr<Resource> no_ledger = MakePostgresResource(config);
  Result<BranchOutcome> outcome = no_ledger->LookupOutcome(NewXid());
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(*outcome, BranchOutcome::kUnknown);
}

TEST_F(PostgresResourceTest, DroppedActiveBranchRollsBackAndReleasesLocks) {
  const std::string account = CreateAccount("a");
  {
    std::unique_ptr<Branch> branch = MustBegin(*resource_, NewXid());
    ASSERT_NE(branch, nullptr);
    ASSERT_TRUE(branch->Execute(kDebit, {"30.00", account}).ok());
  }
  EXPECT_EQ(Balance(account), "100.00");

  // Were the first transaction still open, its row lock would time out this.
  std::unique_ptr<Branch> next = MustBegin(*observer_, NewXid());
  ASSERT_NE(next, nullptr);
  ASSERT_TRUE(next->Execute("SET LOCAL lock_timeout = '2s'", {}).ok());
  Result<int64_t> rows = next->Execute(kDebit, {"1.00", account});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_OK(next->CommitOnePhase());
  EXPECT_EQ(Balance(account), "99.00");
}

TEST_F(PostgresResourceTest, OnePhaseCommitCommits) {
  const std::string account = CreateAccount("a");
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = MustBegin(*resource_, xid);
  ASSERT_NE(branch, nullptr);
  ASSERT_TRUE(branch->Execute(kDebit, {"0.01", account}).ok());
  ASSERT_OK(branch->CommitOnePhase());
  EXPECT_EQ(Balance(account), "99.99");
  EXPECT_EQ(PreparedCount(xid), "0");
  EXPECT_EQ(branch->Rollback().code(), StatusCode::kFailedPrecondition);
}

TEST_F(PostgresResourceTest, OnePhaseCommitOfFailedTransactionIsAborted) {
  const std::string account = CreateAccount("a");
  std::unique_ptr<Branch> branch = MustBegin(*resource_, NewXid());
  ASSERT_NE(branch, nullptr);
  ASSERT_TRUE(branch->Execute(kDebit, {"1.00", account}).ok());
  ASSERT_FALSE(branch->Execute(kDebit, {"1000.00", account}).ok());

  Status commit = branch->CommitOnePhase();
  EXPECT_EQ(commit.code(), StatusCode::kAborted) << commit.ToString();
  EXPECT_TRUE(Contains(commit.message(), "rolled back")) << commit.message();
  EXPECT_EQ(Balance(account), "100.00");
}

TEST_F(PostgresResourceTest, QueryReturnsTextValuesAndNullAsNullopt) {
  std::unique_ptr<Branch> branch = MustBegin(*resource_, NewXid());
  ASSERT_NE(branch, nullptr);
  Result<std::vector<Row>> rows =
      branch->Query("SELECT ?::numeric(20, 2), NULL::text, '?' WHERE ? = 'yes'",
                    {"1.5", "yes"});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  ASSERT_EQ((*rows)[0].size(), 3u);
  EXPECT_EQ((*rows)[0][0], std::optional<std::string>("1.50"));
  EXPECT_EQ((*rows)[0][1], std::nullopt);
  EXPECT_EQ((*rows)[0][2], std::optional<std::string>("?"));
  ASSERT_OK(branch->Rollback());
}

TEST_F(PostgresResourceTest, ExecuteReportsAffectedRows) {
  const std::string a = CreateAccount("a");
  const std::string b = CreateAccount("b");
  std::unique_ptr<Branch> branch = MustBegin(*resource_, NewXid());
  ASSERT_NE(branch, nullptr);
  Result<int64_t> two = branch->Execute(
      "UPDATE xatm_accounts SET balance = balance + 1 WHERE id IN (?, ?)",
      {a, b});
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_EQ(*two, 2);
  Result<int64_t> none = branch->Execute(kDebit, {"1.00", prefix_ + "none"});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, 0);
  ASSERT_OK(branch->Rollback());
}

TEST_F(PostgresResourceTest, PlaceholderCountMismatchIsRefusedBeforeSending) {
  const std::string account = CreateAccount("a");
  std::unique_ptr<Branch> branch = MustBegin(*resource_, NewXid());
  ASSERT_NE(branch, nullptr);
  Result<int64_t> wrong = branch->Execute(kDebit, {"1.00"});
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);

  // Nothing reached the server, yet the branch lost a statement its caller
  // meant to run: it commits nothing.
  ASSERT_TRUE(branch->Execute(kDebit, {"1.00", account}).ok());
  EXPECT_EQ(branch->CommitOnePhase().code(), StatusCode::kAborted);
  EXPECT_EQ(Balance(account), "100.00");
}

TEST_F(PostgresResourceTest, ExecuteLocalRunsMultiStatementScript) {
  const std::string a = CreateAccount("a");
  const std::string b = CreateAccount("b");
  // Test ids hold only letters, digits and '-': safe to paste here.
  ASSERT_OK(resource_->ExecuteLocal(
      "UPDATE xatm_accounts SET balance = 1 WHERE id = '" + a +
          "';\nUPDATE xatm_accounts SET balance = 2 WHERE id = '" + b + "';",
      {}));
  EXPECT_EQ(Balance(a), "1.00");
  EXPECT_EQ(Balance(b), "2.00");
}

TEST_F(PostgresResourceTest, KilledIdleConnectionIsNotHandedOutAgain) {
  ResourceConfig config = PostgresTestConfig(kResourceName);
  config.pool_size = 1;
  std::unique_ptr<Resource> resource = MakePostgresResource(config);
  std::string old_pid;
  {
    std::unique_ptr<Branch> branch = MustBegin(*resource, NewXid());
    ASSERT_NE(branch, nullptr);
    old_pid = BackendPid(*branch);
    ASSERT_OK(branch->Rollback());  // the connection goes back to the pool
  }
  TerminateBackend(old_pid);

  // QueryLocal never retries: only the pool's own check can avoid the dead
  // connection here.
  Result<std::vector<Row>> pid =
      resource->QueryLocal("SELECT pg_backend_pid()", {});
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  EXPECT_NE((*pid)[0][0].value_or(""), old_pid);

  const std::string account = CreateAccount("a");
  std::unique_ptr<Branch> branch = MustBegin(*resource, NewXid());
  ASSERT_NE(branch, nullptr);
  EXPECT_NE(BackendPid(*branch), old_pid);
  ASSERT_TRUE(branch->Execute(kDebit, {"1.00", account}).ok());
  ASSERT_OK(branch->CommitOnePhase());
  EXPECT_EQ(Balance(account), "99.00");
}

TEST_F(PostgresResourceTest, BeginRightAfterIdleConnectionIsKilledWorks) {
  ResourceConfig config = PostgresTestConfig(kResourceName);
  config.pool_size = 1;
  std::unique_ptr<Resource> resource = MakePostgresResource(config);
  std::string old_pid;
  {
    std::unique_ptr<Branch> branch = MustBegin(*resource, NewXid());
    ASSERT_NE(branch, nullptr);
    old_pid = BackendPid(*branch);
    ASSERT_OK(branch->Rollback());
  }
  // No waiting: the pooled connection may still look alive, then BEGIN
  // fails on it and is retried on a new one.
  TerminateBackend(old_pid, /*wait=*/false);
  std::unique_ptr<Branch> branch = MustBegin(*resource, NewXid());
  ASSERT_NE(branch, nullptr);
  EXPECT_NE(BackendPid(*branch), old_pid);
}

TEST_F(PostgresResourceTest, ConnectionKilledMidBranchIsUnavailableThenNoVote) {
  const std::string account = CreateAccount("a");
  std::unique_ptr<Branch> branch = MustBegin(*resource_, NewXid());
  ASSERT_NE(branch, nullptr);
  ASSERT_TRUE(branch->Execute(kDebit, {"1.00", account}).ok());
  TerminateBackend(BackendPid(*branch));

  Result<int64_t> lost = branch->Execute(kDebit, {"1.00", account});
  EXPECT_EQ(lost.status().code(), StatusCode::kUnavailable)
      << lost.status().ToString();
  EXPECT_EQ(branch->Prepare().code(), StatusCode::kAborted);
  ASSERT_OK(branch->Rollback());
  EXPECT_EQ(Balance(account), "100.00");

  std::unique_ptr<Branch> next = MustBegin(*resource_, NewXid());
  ASSERT_NE(next, nullptr);
  ASSERT_TRUE(next->Execute(kDebit, {"1.00", account}).ok());
  ASSERT_OK(next->CommitOnePhase());
  EXPECT_EQ(Balance(account), "99.00");
}

TEST_F(PostgresResourceTest, ConnectionKilledBeforePrepareIsUnavailable) {
  const std::string account = CreateAccount("a");
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = MustBegin(*resource_, xid);
  ASSERT_NE(branch, nullptr);
  ASSERT_TRUE(branch->Execute(kDebit, {"1.00", account}).ok());
  TerminateBackend(BackendPid(*branch));

  Status vote = branch->Prepare();
  EXPECT_EQ(vote.code(), StatusCode::kUnavailable) << vote.ToString();
  // Outcome unknown to the adapter: rolling back by gid finds nothing.
  ASSERT_OK(branch->Rollback());
  EXPECT_EQ(PreparedCount(xid), "0");
  EXPECT_EQ(Balance(account), "100.00");
}

TEST_F(PostgresResourceTest, UnreachableServerIsUnavailable) {
  ResourceConfig config = PostgresTestConfig(kResourceName);
  // Port 1 on loopback: refused at once.
  config.conninfo = "host=127.0.0.1 port=1 dbname=x user=x";
  config.connect_timeout_s = 2;
  std::unique_ptr<Resource> down = MakePostgresResource(config);
  Result<std::unique_ptr<Branch>> branch = down->Begin(NewXid());
  ASSERT_FALSE(branch.ok());
  EXPECT_EQ(branch.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(branch.status().message(), "postgresql resource 'pg'"))
      << branch.status().message();
  EXPECT_EQ(down->ListPrepared().status().code(), StatusCode::kUnavailable);
}

TEST_F(PostgresResourceTest, ConnectErrorsNeverQuoteTheConninfo) {
  // Secrets typed in the wrong place: libpq's own parse and option errors
  // quote such tokens ('missing "=" after "..."', 'invalid port number:
  // "..."'), so they must not reach a Status (log lines repeat Status
  // messages).
  const std::string secret = "Hunter2Secret" + RandomHex(6);
  for (const std::string& conninfo :
       {"host=127.0.0.1 port=1 dbname=x user=x " + secret,
        "host=127.0.0.1 port=" + secret + " dbname=x user=x",
        "host=127.0.0.1 port=1 dbname=x user=x sslmode=" + secret,
        "postgresql://x:" + secret + "@127.0.0.1:1/x?bad%zz=1"}) {
    ResourceConfig config = PostgresTestConfig(kResourceName);
    config.conninfo = conninfo;
    std::unique_ptr<Resource> bad = MakePostgresResource(config);
    Result<std::vector<Row>> rows = bad->QueryLocal("SELECT 1", {});
    ASSERT_FALSE(rows.ok());
    EXPECT_FALSE(Contains(rows.status().message(), secret))
        << rows.status().message();
    Result<std::unique_ptr<Branch>> branch = bad->Begin(NewXid());
    ASSERT_FALSE(branch.ok());
    EXPECT_FALSE(Contains(branch.status().message(), secret))
        << branch.status().message();
  }
  // A plain refusal keeps its useful message.
  ResourceConfig config = PostgresTestConfig(kResourceName);
  config.conninfo = "host=127.0.0.1 port=1 dbname=x user=x";
  Status refused = MakePostgresResource(config)->ExecuteLocal("SELECT 1", {});
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(refused.message(), "127.0.0.1")) << refused.message();
}

TEST_F(PostgresResourceTest,
       FailedDeferredStatementVotesNoAndLeavesTheConnectionClean) {
  ResourceConfig config = PostgresTestConfig(kResourceName);
  config.pool_size = 1;
  std::unique_ptr<Resource> resource = MakePostgresResource(config);
  const std::string account = CreateAccount("a");
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = MustBegin(*resource, xid);
  ASSERT_NE(branch, nullptr);
  const std::string pid = BackendPid(*branch);
  ASSERT_TRUE(branch->Execute(kDebit, {"1.00", account}).ok());
  // Accepted unsent; the CHECK violation (23514) comes back in the round
  // trip that carries PREPARE TRANSACTION, which the server then skips.
  ASSERT_OK(branch->ExecuteDeferred(kDebit, {"1000.00", account}));
  ASSERT_OK(branch->ExecuteDeferred(kDebit, {"2.00", account}));

  Status vote = branch->Prepare();
  EXPECT_EQ(vote.code(), StatusCode::kAborted) << vote.ToString();
  EXPECT_TRUE(Contains(vote.message(), "23514")) << vote.message();
  EXPECT_EQ(PreparedCount(xid), "0");
  EXPECT_EQ(Balance(account), "100.00");
  EXPECT_OK(branch->Rollback());
  branch.reset();

  // The same session went back to the pool, out of pipeline mode and out
  // of the failed transaction.
  std::unique_ptr<Branch> next = MustBegin(*resource, NewXid());
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(BackendPid(*next), pid);
  ASSERT_TRUE(next->Execute(kDebit, {"1.00", account}).ok());
  ASSERT_OK(next->CommitOnePhase());
  EXPECT_EQ(Balance(account), "99.00");
}

TEST_F(PostgresResourceTest,
       ConnectionKilledBeforePipelinedPrepareIsUnavailableAndReplaced) {
  ResourceConfig config = PostgresTestConfig(kResourceName);
  config.pool_size = 1;
  std::unique_ptr<Resource> resource = MakePostgresResource(config);
  const std::string account = CreateAccount("a");
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = MustBegin(*resource, xid);
  ASSERT_NE(branch, nullptr);
  const std::string pid = BackendPid(*branch);
  ASSERT_TRUE(branch->Execute(kDebit, {"1.00", account}).ok());
  ASSERT_OK(branch->ExecuteDeferred(kDebit, {"1.00", account}));
  TerminateBackend(pid);

  // The deferred statement and PREPARE TRANSACTION meet a dead session.
  Status vote = branch->Prepare();
  EXPECT_EQ(vote.code(), StatusCode::kUnavailable) << vote.ToString();
  ASSERT_OK(branch->Rollback());
  EXPECT_EQ(PreparedCount(xid), "0");
  EXPECT_EQ(Balance(account), "100.00");
  branch.reset();

  // The broken connection never went back to the pool.
  std::unique_ptr<Branch> next = MustBegin(*resource, NewXid());
  ASSERT_NE(next, nullptr);
  EXPECT_NE(BackendPid(*next), pid);
  ASSERT_TRUE(next->Execute(kDebit, {"1.00", account}).ok());
  ASSERT_OK(next->CommitOnePhase());
  EXPECT_EQ(Balance(account), "99.00");
}

TEST_F(PostgresResourceTest, DeferredStatementsCommitWithTheBranch) {
  const std::string account = CreateAccount("a");
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = MustBegin(*resource_, xid);
  ASSERT_NE(branch, nullptr);
  ASSERT_OK(branch->ExecuteDeferred(kDebit, {"10.00", account}));
  ASSERT_OK(branch->ExecuteDeferred(
      "INSERT INTO xatm_ledger (gtrid, branch, account, delta) "
      "VALUES (?, ?, ?, ?)",
      {xid.Gtrid(), kResourceName, account, "-10.00"}));
  // BEGIN, both statements and PREPARE TRANSACTION in one round trip.
  ASSERT_OK(branch->Prepare());
  EXPECT_EQ(PreparedCount(xid), "1");
  EXPECT_EQ(Balance(account), "100.00");
  ASSERT_OK(branch->CommitPrepared());
  EXPECT_EQ(Balance(account), "90.00");
  Result<BranchOutcome> outcome = observer_->LookupOutcome(xid);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(*outcome, BranchOutcome::kCommitted);
}

TEST_F(PostgresResourceTest, FailedDeferredStatementShowsAtTheNextStatement) {
  const std::string account = CreateAccount("a");
  std::unique_ptr<Branch> branch = MustBegin(*resource_, NewXid());
  ASSERT_NE(branch, nullptr);
  // A placeholder mistake is the caller's and is refused at once.
  EXPECT_EQ(branch->ExecuteDeferred(kDebit, {"1.00"}).code(),
            StatusCode::kInvalidArgument);
  // A server error can only come with the next round trip.
  ASSERT_OK(
      branch->ExecuteDeferred("UPDATE xatm_no_such_table SET x = ?", {"1"}));
  Result<int64_t> next = branch->Execute(kDebit, {"1.00", account});
  ASSERT_FALSE(next.ok());
  EXPECT_TRUE(Contains(next.status().message(), "deferred statement: 42P01"))
      << next.status().message();
  EXPECT_EQ(branch->Prepare().code(), StatusCode::kAborted);
  EXPECT_EQ(Balance(account), "100.00");
}

TEST_F(PostgresResourceTest, DeferredStatementsAreDroppedByRollback) {
  const std::string account = CreateAccount("a");
  std::unique_ptr<Branch> branch = MustBegin(*resource_, NewXid());
  ASSERT_NE(branch, nullptr);
  ASSERT_OK(branch->ExecuteDeferred(kDebit, {"1.00", account}));
  ASSERT_OK(branch->Rollback());
  EXPECT_EQ(Balance(account), "100.00");
  EXPECT_EQ(branch->ExecuteDeferred(kDebit, {"1.00", account}).code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(PostgresResourceTest, FailedDeferredStatementAbortsAOnePhaseCommit) {
  const std::string account = CreateAccount("a");
  std::unique_ptr<Branch> branch = MustBegin(*resource_, NewXid());
  ASSERT_NE(branch, nullptr);
  ASSERT_TRUE(branch->Execute(kDebit, {"1.00", account}).ok());
  ASSERT_OK(branch->ExecuteDeferred(kDebit, {"1000.00", account}));
  Status commit = branch->CommitOnePhase();
  EXPECT_EQ(commit.code(), StatusCode::kAborted) << commit.ToString();
  EXPECT_TRUE(Contains(commit.message(), "23514")) << commit.message();
  EXPECT_EQ(Balance(account), "100.00");
}

TEST_F(PostgresResourceTest, LocalTransactionCommitsAndRefusesToPrepare) {
  const std::string account = CreateAccount("a");
  Result<std::unique_ptr<Branch>> local = resource_->BeginLocal();
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  ASSERT_TRUE((*local)->Execute(kDebit, {"5.00", account}).ok());
  ASSERT_OK((*local)->ExecuteDeferred(kDebit, {"1.00", account}));
  ASSERT_OK((*local)->CommitOnePhase());
  EXPECT_EQ(Balance(account), "94.00");

  Result<std::unique_ptr<Branch>> refused = resource_->BeginLocal();
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  ASSERT_TRUE((*refused)->Execute(kDebit, {"5.00", account}).ok());
  EXPECT_EQ((*refused)->Prepare().code(), StatusCode::kFailedPrecondition);
  ASSERT_OK((*refused)->Rollback());
  EXPECT_EQ(Balance(account), "94.00");
}

TEST_F(PostgresResourceTest, EveryConnectionGetsTheConfiguredLockTimeout) {
  for (const auto& [ms, shown] : std::vector<std::pair<int, std::string>>{
           {1500, "1500ms"}, {5000, "5s"}, {0, "0"}}) {
    ResourceConfig config = PostgresTestConfig(kResourceName);
    config.lock_timeout_ms = ms;
    std::unique_ptr<Resource> resource = MakePostgresResource(config);
    Result<std::vector<Row>> rows =
        resource->QueryLocal("SHOW lock_timeout", {});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ((*rows)[0][0].value_or(""), shown) << ms;
  }
  // The default bounds every wait.
  EXPECT_EQ(PostgresTestConfig().lock_timeout_ms, 5000);
}

constexpr char kDebitSql[] =
    "UPDATE xatm_accounts SET balance = balance - $1 WHERE id = $2";
constexpr char kLedgerInsert[] =
    "INSERT INTO xatm_ledger (gtrid, branch, account, delta) "
    "VALUES (?, ?, ?, ?)";
constexpr char kLedgerInsertSql[] =
    "INSERT INTO xatm_ledger (gtrid, branch, account, delta) "
    "VALUES ($1, $2, $3, $4)";

TEST_F(PostgresResourceTest, ParameterisedStatementIsPreparedOncePerSession) {
  ResourceConfig config = PostgresTestConfig(kResourceName);
  config.pool_size = 1;
  std::unique_ptr<Resource> resource = MakePostgresResource(config);
  const std::string account = CreateAccount("a");
  std::string pid;
  for (int i = 0; i < 4; ++i) {
    std::unique_ptr<Branch> branch = MustBegin(*resource, NewXid());
    ASSERT_NE(branch, nullptr);
    ASSERT_TRUE(branch->Execute(kDebit, {"1.00", account}).ok());
    // Varying literals, no parameters: never kept.
    ASSERT_TRUE(branch
                    ->Execute("UPDATE xatm_accounts SET balance = balance + 0 "
                              "WHERE id = '" +
                                  account + "'",
                              {})
                    .ok());
    if (i == 0) pid = BackendPid(*branch);
    ASSERT_OK(branch->Prepare());
    ASSERT_OK(branch->CommitPrepared());
    // The autocommit path shares the session's statements.
    ASSERT_OK(resource->ExecuteLocal(kDebit, {"1.00", account}));
  }
  EXPECT_EQ(Balance(account), "92.00");
  std::unique_ptr<Branch> branch = MustBegin(*resource, NewXid());
  ASSERT_NE(branch, nullptr);
  EXPECT_EQ(BackendPid(*branch), pid);
  EXPECT_EQ(PreparedStatements(*branch), std::vector<std::string>{kDebitSql});
  EXPECT_OK(branch->Rollback());
}

TEST_F(PostgresResourceTest,
       StatementsAbortedBeforeTheirParseArePreparedAtTheirNextUse) {
  ResourceConfig config = PostgresTestConfig(kResourceName);
  config.pool_size = 1;
  std::unique_ptr<Resource> resource = MakePostgresResource(config);
  const std::string account = CreateAccount("a");
  const Xid xid = NewXid();
  std::unique_ptr<Branch> branch = MustBegin(*resource, xid);
  ASSERT_NE(branch, nullptr);
  // One round trip: BEGIN, the debit (parsed, then fails its CHECK), the
  // ledger insert (skipped before its parse), PREPARE TRANSACTION.
  ASSERT_OK(branch->ExecuteDeferred(kDebit, {"1000.00", account}));
  ASSERT_OK(branch->ExecuteDeferred(
      kLedgerInsert, {xid.Gtrid(), kResourceName, account, "-1000.00"}));
  Status vote = branch->Prepare();
  EXPECT_EQ(vote.code(), StatusCode::kAborted) << vote.ToString();
  EXPECT_TRUE(Contains(vote.message(), "23514")) << vote.message();
  EXPECT_OK(branch->Rollback());
  branch.reset();

  const Xid next_xid = NewXid();
  std::unique_ptr<Branch> next = MustBegin(*resource, next_xid);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(PreparedStatements(*next), std::vector<std::string>{kDebitSql});
  ASSERT_OK(next->ExecuteDeferred(kDebit, {"3.00", account}));
  ASSERT_OK(next->ExecuteDeferred(
      kLedgerInsert, {next_xid.Gtrid(), kResourceName, account, "-3.00"}));
  ASSERT_OK(next->Prepare());
  ASSERT_OK(next->CommitPrepared());
  EXPECT_EQ(Balance(account), "97.00");
  Result<std::vector<Row>> ledger = observer_->QueryLocal(
      "SELECT delta FROM xatm_ledger WHERE account = ?", {account});
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  ASSERT_EQ(ledger->size(), 1u);
  EXPECT_EQ((*ledger)[0][0].value_or(""), "-3.00");

  std::unique_ptr<Branch> last = MustBegin(*resource, NewXid());
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(PreparedStatements(*last),
            (std::vector<std::string>{kLedgerInsertSql, kDebitSql}));
  EXPECT_OK(last->Rollback());
}

TEST_F(PostgresResourceTest, SyntaxErrorInParameterisedStatementIsNotKept) {
  ResourceConfig config = PostgresTestConfig(kResourceName);
  config.pool_size = 1;
  std::unique_ptr<Resource> resource = MakePostgresResource(config);
  const std::string account = CreateAccount("a");
  constexpr char kBad[] = "SELEC balance FROM xatm_accounts WHERE id = ?";
  Result<std::vector<Row>> bad = resource->QueryLocal(kBad, {account});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "postgresql resource 'pg': query: 42601 syntax error at or near "
            "\"SELEC\"");
  std::unique_ptr<Branch> branch = MustBegin(*resource, NewXid());
  ASSERT_NE(branch, nullptr);
  Result<std::vector<Row>> in_branch = branch->Query(kBad, {account});
  ASSERT_FALSE(in_branch.ok());
  EXPECT_EQ(in_branch.status().message(), bad.status().message());
  EXPECT_OK(branch->Rollback());
  branch.reset();

  std::unique_ptr<Branch> next = MustBegin(*resource, NewXid());
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(PreparedStatements(*next), std::vector<std::string>{});
  Result<std::vector<Row>> good =
      next->Query("SELECT balance FROM xatm_accounts WHERE id = ?", {account});
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ((*good)[0][0].value_or(""), "100.00");
  EXPECT_OK(next->Rollback());
}

TEST_F(PostgresResourceTest, DeallocatedStatementFailsOnceThenIsPreparedAgain) {
  ResourceConfig config = PostgresTestConfig(kResourceName);
  config.pool_size = 1;
  std::unique_ptr<Resource> resource = MakePostgresResource(config);
  const std::string account = CreateAccount("a");
  ASSERT_OK(resource->ExecuteLocal(kDebit, {"1.00", account}));
  // What a pooler's or an administrator's DISCARD ALL does to the session.
  ASSERT_OK(resource->ExecuteLocal("DEALLOCATE ALL", {}));
  // Not repeated behind the caller's back: reported as it is.
  Status lost = resource->ExecuteLocal(kDebit, {"1.00", account});
  EXPECT_FALSE(lost.ok());
  EXPECT_TRUE(Contains(lost.message(), "26000")) << lost.message();
  EXPECT_EQ(Balance(account), "99.00");
  ASSERT_OK(resource->ExecuteLocal(kDebit, {"1.00", account}));
  ASSERT_OK(resource->ExecuteLocal(kDebit, {"1.00", account}));
  EXPECT_EQ(Balance(account), "97.00");
  std::unique_ptr<Branch> branch = MustBegin(*resource, NewXid());
  ASSERT_NE(branch, nullptr);
  EXPECT_EQ(PreparedStatements(*branch), std::vector<std::string>{kDebitSql});
  EXPECT_OK(branch->Rollback());
}

TEST_F(PostgresResourceTest, StatementWhoseResultShapeChangedIsPreparedAgain) {
  ResourceConfig config = PostgresTestConfig(kResourceName);
  config.pool_size = 1;
  std::unique_ptr<Resource> resource = MakePostgresResource(config);
  const std::string table = "xatm_shape_" + RandomHex(8);
  const std::string select = "SELECT * FROM " + table + " WHERE id = ?";
  ASSERT_OK(resource->ExecuteLocal("CREATE TABLE " + table +
                                       " (id int); INSERT INTO " + table +
                                       " VALUES (1)",
                                   {}));
  Result<std::vector<Row>> before = resource->QueryLocal(select, {"1"});
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(before->at(0).size(), 1u);
  ASSERT_OK(resource->ExecuteLocal(
      "ALTER TABLE " + table + " ADD COLUMN note text DEFAULT 'x'", {}));
  // The server refuses the kept statement once (0A000 "cached plan must
  // not change result type"); it is then forgotten and parsed anew.
  Result<std::vector<Row>> changed = resource->QueryLocal(select, {"1"});
  ASSERT_FALSE(changed.ok());
  EXPECT_TRUE(Contains(changed.status().message(), "0A000"))
      << changed.status().message();
  Result<std::vector<Row>> after = resource->QueryLocal(select, {"1"});
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  ASSERT_EQ(after->at(0).size(), 2u);
  EXPECT_EQ(after->at(0)[1].value_or(""), "x");
  EXPECT_OK(resource->ExecuteLocal("DROP TABLE " + table, {}));
}

TEST_F(PostgresResourceTest, PreparedStatementsOffKeepsNoneOnTheServer) {
  ResourceConfig config = PostgresTestConfig(kResourceName);
  config.pool_size = 1;
  config.prepared_statements = false;
  std::unique_ptr<Resource> resource = MakePostgresResource(config);
  const std::string account = CreateAccount("a");
  for (int i = 0; i < 3; ++i) {
    const Xid xid = NewXid();
    std::unique_ptr<Branch> branch = MustBegin(*resource, xid);
    ASSERT_NE(branch, nullptr);
    ASSERT_TRUE(branch->Execute(kDebit, {"1.00", account}).ok());
    ASSERT_OK(branch->ExecuteDeferred(
        kLedgerInsert, {xid.Gtrid(), kResourceName, account, "-1.00"}));
    ASSERT_OK(branch->Prepare());
    ASSERT_OK(branch->CommitPrepared());
    ASSERT_OK(resource->ExecuteLocal(kDebit, {"1.00", account}));
  }
  EXPECT_EQ(Balance(account), "94.00");
  std::unique_ptr<Branch> branch = MustBegin(*resource, NewXid());
  ASSERT_NE(branch, nullptr);
  EXPECT_EQ(PreparedStatements(*branch), std::vector<std::string>{});
  // The same mistakes give the same answers either way.
  constexpr char kBad[] = "SELEC balance FROM xatm_accounts WHERE id = ?";
  Result<std::vector<Row>> bad = resource->QueryLocal(kBad, {account});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "postgresql resource 'pg': query: 42601 syntax error at or near "
            "\"SELEC\"");
  EXPECT_OK(branch->Rollback());
}

TEST_F(PostgresResourceTest, ConcurrentTransactionsShareThePoolSafely) {
  const std::string account = CreateAccount("a", "0.00");
  ResourceConfig config = PostgresTestConfig(kResourceName);
  config.pool_size = 2;
  std::unique_ptr<Resource> shared = MakePostgresResource(config);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 15;
  std::atomic<int> failures{0};
  std::vector<Xid> xids;
  for (int i = 0; i < kThreads * kPerThread; ++i) xids.push_back(NewXid());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Result<std::unique_ptr<Branch>> branch =
            shared->Begin(xids[t * kPerThread + i]);
        if (!branch.ok() ||
            !(*branch)
                 ->Execute("UPDATE xatm_accounts SET balance = balance + 1 "
                           "WHERE id = ?",
                           {account})
                 .ok() ||
            !(*branch)->Prepare().ok() || !(*branch)->CommitPrepared().ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Balance(account), std::to_string(kThreads * kPerThread) + ".00");
}

}  // namespace
}  // namespace xatm
