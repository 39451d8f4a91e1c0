// The database decision store against the real servers, for each dialect:
// the fence waits for a coordinator's uncommitted COMMIT row and then
// obeys it; an abort row makes the COMMIT row fail; a coordinator past its
// bound cannot decide by the database's clock; the durability check; ENDs
// and pruning.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/integration/test_env.h"
#include "tests/unit/run_process.h"
#include "tm/store/decision_sql.h"
#include "tm/store/row_values.h"
#include "xatm/clock.h"
#include "xatm/database_decision_log.h"
#include "xatm/node_registry.h"
#include "xatm/resource_factory.h"

namespace xatm {
namespace {

using std::chrono::milliseconds;

class DecisionStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ResourceConfig config = GetParam() == "pg"
                                ? testing::PostgresTestConfig("pg")
                                : testing::MysqlTestConfig("my");
    config.lock_timeout_ms = 3000;
    resource_ = Open(config);
    ASSERT_TRUE(DatabaseDecisionLog::CreateTable(*resource_).ok());
    sql_ = *DecisionSqlFor(resource_->type());
    auto store = DatabaseDecisionLog::Open(resource_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  static std::shared_ptr<Resource> Open(const ResourceConfig& config) {
    Result<std::shared_ptr<Resource>> r = MakeResource(config);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : nullptr;
  }

  // Rows of this run never outlive it: a later `recover --all-nodes` on
  // the same servers would take their open COMMIT rows for real ones.
  void TearDown() override {
    if (resource_ != nullptr) {
      Status s = resource_->ExecuteLocal(
          "DELETE FROM xatm_decisions WHERE node = ?", {Node()});
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
  }

  static const std::string& Node() {
    static const std::string node = "st" + testing::RandomHex(6);
    return node;
  }

  // A fresh gtrid begun `age_ms` ago by this host's clock.
  static std::string NewGtrid(int64_t age_ms = 0) {
    static XidGenerator ids(Node());
    return ids.Next(Clock::System()->NowMs() - age_ms).Gtrid();
  }

  std::string OutcomeOf(const std::string& gtrid) {
    auto rows = resource_->QueryLocal(sql_.select_outcome, {gtrid});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok() || rows->empty()) return "";
    return rows->front()[0].value_or("NULL");
  }

  // The coordinator's side up to its commit point: a local transaction
  // holding its inserted, uncommitted COMMIT row.
  std::unique_ptr<Branch> InsertUncommitted(const std::string& gtrid) {
    auto branch = resource_->BeginLocal();
    EXPECT_TRUE(branch.ok());
    Result<Xid> xid = Xid::ParseGtrid(gtrid);
    auto inserted = (*branch)->Execute(
        sql_.insert_commit,
        {gtrid, std::to_string(xid->begin_ms), "60000", "pg,my", xid->node});
    EXPECT_TRUE(inserted.ok()) << inserted.status().ToString();
    return std::move(branch).value();
  }

  std::shared_ptr<Resource> resource_;
  DecisionSql sql_;
  std::unique_ptr<DatabaseDecisionLog> store_;
};

TEST_P(DecisionStoreTest, TheFenceWaitsForAnInsertedCommitAndObeysIt) {
  const std::string gtrid = NewGtrid();
  std::unique_ptr<Branch> coordinator = InsertUncommitted(gtrid);
  auto fence =
      std::async(std::launch::async, [&] { return store_->ClaimAbort(gtrid); });
  EXPECT_EQ(fence.wait_for(milliseconds(500)), std::future_status::timeout)
      << "the fence did not wait for the uncommitted COMMIT row";
  ASSERT_TRUE(coordinator->CommitOnePhase().ok());
  Result<bool> aborted = fence.get();
  ASSERT_TRUE(aborted.ok()) << aborted.status().ToString();
  EXPECT_FALSE(*aborted) << "abort claimed over a committed decision";
  EXPECT_EQ(OutcomeOf(gtrid), "commit");
}

TEST_P(DecisionStoreTest, TheFenceRecordsAbortWhenTheInsertRollsBack) {
  const std::string gtrid = NewGtrid();
  std::unique_ptr<Branch> coordinator = InsertUncommitted(gtrid);
  auto fence =
      std::async(std::launch::async, [&] { return store_->ClaimAbort(gtrid); });
  EXPECT_EQ(fence.wait_for(milliseconds(300)), std::future_status::timeout);
  ASSERT_TRUE(coordinator->Rollback().ok());
  Result<bool> aborted = fence.get();
  ASSERT_TRUE(aborted.ok()) << aborted.status().ToString();
  EXPECT_TRUE(*aborted);
  EXPECT_EQ(OutcomeOf(gtrid), "abort");
}

TEST_P(DecisionStoreTest, AHungCoordinatorMakesTheFenceGiveUpNotGuess) {
  const std::string gtrid = NewGtrid();
  std::unique_ptr<Branch> coordinator = InsertUncommitted(gtrid);
  Result<bool> aborted = store_->ClaimAbort(gtrid);  // lock_timeout 3 s
  EXPECT_FALSE(aborted.ok()) << "the fence decided past a held COMMIT row";
  ASSERT_TRUE(coordinator->CommitOnePhase().ok());
  Result<bool> again = store_->ClaimAbort(gtrid);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(*again);
}

// A coordinator frozen (or cut off) between its COMMIT row and its commit
// blocks the fence only until the server ends its idle session.
TEST_P(DecisionStoreTest, AFrozenCoordinatorsRowIsReleasedByTheIdleTimeout) {
  ResourceConfig config = GetParam() == "pg" ? testing::PostgresTestConfig("pg")
                                             : testing::MysqlTestConfig("my");
  config.idle_session_timeout_s = 1;
  std::shared_ptr<Resource> frozen_side = Open(config);
  const std::string gtrid = NewGtrid();
  auto coordinator = frozen_side->BeginLocal();
  ASSERT_TRUE(coordinator.ok());
  Result<Xid> xid = Xid::ParseGtrid(gtrid);
  ASSERT_TRUE(
      (*coordinator)
          ->Execute(sql_.insert_commit, {gtrid, std::to_string(xid->begin_ms),
                                         "60000", "pg,my", xid->node})
          .ok());
  std::this_thread::sleep_for(milliseconds(2500));  // idle in its transaction
  Result<bool> aborted = store_->ClaimAbort(gtrid);
  ASSERT_TRUE(aborted.ok()) << aborted.status().ToString();
  EXPECT_TRUE(*aborted);
  EXPECT_EQ(OutcomeOf(gtrid), "abort");
  // The coordinator wakes up: its decision cannot land any more.
  EXPECT_NE((*coordinator)->CommitOnePhase().code(), StatusCode::kOk);
  EXPECT_EQ(OutcomeOf(gtrid), "abort");
}

TEST_P(DecisionStoreTest, AnAbortRowMakesTheCommitDecisionFail) {
  const std::string gtrid = NewGtrid();
  Result<bool> aborted = store_->ClaimAbort(gtrid);
  ASSERT_TRUE(aborted.ok() && *aborted);
  Status s = store_->LogCommit(gtrid, {"pg", "my"}, 0);
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  EXPECT_EQ(OutcomeOf(gtrid), "abort");
  EXPECT_FALSE(store_->FindOpenCommit(gtrid).has_value());
}

// An operator committed by hand while the coordinator still lived: its own
// row then loses to the key, but it must not roll back its branches.
TEST_P(DecisionStoreTest, ACommitMadeByHandFirstIsNoAbortForTheCoordinator) {
  const std::string gtrid = NewGtrid();
  ASSERT_TRUE(store_->LogCommitAfterTheFact(gtrid, {"pg", "my"}, 0).ok());
  Status own = store_->LogCommit(gtrid, {"pg", "my"}, 0);
  EXPECT_TRUE(own.ok()) << own.ToString();
  auto carrier = resource_->BeginLocal();
  ASSERT_TRUE(carrier.ok());
  Status carried = store_->CommitCarrying(**carrier, gtrid, {"pg", "my"}, 0);
  EXPECT_EQ(carried.code(), StatusCode::kUnknownOutcome) << carried.ToString();
}

TEST_P(DecisionStoreTest, ATransactionPastItsBoundCannotDecide) {
  DatabaseDecisionLogOptions options;
  options.decide_within_ms = 5000;
  auto store = DatabaseDecisionLog::Open(resource_, options);
  ASSERT_TRUE(store.ok());
  const std::string late = NewGtrid(/*age_ms=*/60'000);
  Status s = (*store)->LogCommit(late, {"pg", "my"}, 0);
  EXPECT_EQ(s.code(), StatusCode::kAborted) << s.ToString();
  EXPECT_EQ(OutcomeOf(late), "");
  const std::string young = NewGtrid();
  EXPECT_TRUE((*store)->LogCommit(young, {"pg", "my"}, 0).ok());
  EXPECT_EQ(OutcomeOf(young), "commit");
}

TEST_P(DecisionStoreTest, TheDecisionRidesOnTheCarriersOwnCommit) {
  const std::string gtrid = NewGtrid();
  auto branch = resource_->BeginLocal();
  ASSERT_TRUE(branch.ok());
  ASSERT_TRUE(
      store_->CommitCarrying(**branch, gtrid, {"my", GetParam()}, 0).ok());
  auto open = store_->FindOpenCommit(gtrid);
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->resources, (std::vector<std::string>{"my", GetParam()}));
  EXPECT_TRUE(store_->HasCommitHistory(gtrid));
  // The coordinator's END: closed at once, deleted with its batch.
  ASSERT_TRUE(store_->LogEnd(gtrid, 0).ok());
  EXPECT_FALSE(store_->FindOpenCommit(gtrid).has_value());
  store_.reset();  // flushes the batch
  EXPECT_EQ(OutcomeOf(gtrid), "");
}

// A transaction committed, ENDed and deleted by its coordinator just before
// recovery's fence: the fence claims abort; recovery, finding the commit in
// a ledger afterwards, withdraws that abort for an open COMMIT decision.
TEST_P(DecisionStoreTest, AnAbortClaimedAfterAnEndedCommitIsWithdrawn) {
  const std::string gtrid = NewGtrid();
  const std::vector<std::string> resources = {"my", GetParam()};
  auto branch = resource_->BeginLocal();
  ASSERT_TRUE(branch.ok());
  ASSERT_TRUE(store_->CommitCarrying(**branch, gtrid, resources, 0).ok());
  ASSERT_TRUE(store_->LogEnd(gtrid, 0).ok());
  store_.reset();  // flushes the batch: the row is deleted
  auto reopened = DatabaseDecisionLog::Open(resource_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(reopened).value();
  Result<bool> aborted = store_->ClaimAbort(gtrid);
  ASSERT_TRUE(aborted.ok() && *aborted);
  ASSERT_EQ(OutcomeOf(gtrid), "abort");

  Status withdrawn = store_->WithdrawAbort(gtrid, resources, 0);
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.ToString();
  EXPECT_EQ(OutcomeOf(gtrid), "commit");
  std::optional<DecisionRecord> open = store_->FindOpenCommit(gtrid);
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->resources, resources);
  EXPECT_TRUE(store_->HasCommitHistory(gtrid));
  // Another node withdrawing the same abort, or fencing now, agrees.
  EXPECT_TRUE(store_->WithdrawAbort(gtrid, resources, 0).ok());
  Result<bool> fenced = store_->ClaimAbort(gtrid);
  ASSERT_TRUE(fenced.ok()) << fenced.status().ToString();
  EXPECT_FALSE(*fenced);
  // Recovery ENDs it like any decision it finishes, and keeps the row.
  ASSERT_TRUE(store_->LogEnd(gtrid, 0, EndOrigin::kRecovery).ok());
  EXPECT_FALSE(store_->FindOpenCommit(gtrid).has_value());
  EXPECT_EQ(OutcomeOf(gtrid), "commit");
}

TEST_P(DecisionStoreTest, WithdrawingAnAbortNeedsItsRow) {
  const std::string gtrid = NewGtrid();
  Status withdrawn = store_->WithdrawAbort(gtrid, {"my", GetParam()}, 0);
  EXPECT_EQ(withdrawn.code(), StatusCode::kFailedPrecondition)
      << withdrawn.ToString();
  EXPECT_EQ(OutcomeOf(gtrid), "");
}

TEST_P(DecisionStoreTest, RecoveryEndsAreKeptUntilPruned) {
  const std::string gtrid = NewGtrid();
  ASSERT_TRUE(store_->LogCommit(gtrid, {"pg", "my"}, 0).ok());
  ASSERT_TRUE(store_->LogEnd(gtrid, 0, EndOrigin::kRecovery).ok());
  EXPECT_FALSE(store_->FindOpenCommit(gtrid).has_value());
  EXPECT_TRUE(store_->HasCommitHistory(gtrid));  // evidence kept
  ASSERT_TRUE(store_->Prune().ok());             // a week's retention
  EXPECT_EQ(OutcomeOf(gtrid), "commit");
  DatabaseDecisionLogOptions options;
  options.retention_s = 0;
  auto pruning = DatabaseDecisionLog::Open(resource_, options);
  ASSERT_TRUE(pruning.ok());
  ASSERT_TRUE((*pruning)->Prune().ok());
  EXPECT_EQ(OutcomeOf(gtrid), "");
}

// A resource that passes everything through and holds the first DELETE of
// finished decisions until released, noting every DELETE's gtrids.
class HoldingResource : public Resource {
 public:
  explicit HoldingResource(std::shared_ptr<Resource> real)
      : real_(std::move(real)) {}
  const std::string& name() const override { return real_->name(); }
  const std::string& type() const override { return real_->type(); }
  Result<std::unique_ptr<Branch>> Begin(const Xid& xid) override {
    return real_->Begin(xid);
  }
  Result<std::unique_ptr<Branch>> BeginLocal() override {
    return real_->BeginLocal();
  }
  Result<std::vector<PreparedBranch>> ListPrepared() override {
    return real_->ListPrepared();
  }
  Status CommitPrepared(const Xid& xid) override {
    return real_->CommitPrepared(xid);
  }
  Status RollbackPrepared(const Xid& xid) override {
    return real_->RollbackPrepared(xid);
  }
  Result<BranchOutcome> LookupOutcome(const Xid& xid) override {
    return real_->LookupOutcome(xid);
  }
  Result<std::vector<Row>> QueryLocal(
      const std::string& sql, const std::vector<std::string>& params) override {
    return real_->QueryLocal(sql, params);
  }
  Status ExecuteLocal(const std::string& sql,
                      const std::vector<std::string>& params) override {
    if (sql.rfind("DELETE FROM xatm_decisions WHERE outcome = 'commit'", 0) ==
        0) {
      std::unique_lock<std::mutex> lock(mu_);
      deletes_.push_back(params);
      if (deletes_.size() == 1) {
        held_.notify_all();
        released_.wait(lock, [this] { return released; });
      }
    }
    return real_->ExecuteLocal(sql, params);
  }

  void WaitUntilHeld() {
    std::unique_lock<std::mutex> lock(mu_);
    held_.wait(lock, [this] { return !deletes_.empty(); });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released = true;
    released_.notify_all();
  }
  std::vector<std::vector<std::string>> deletes() {
    std::lock_guard<std::mutex> lock(mu_);
    return deletes_;
  }

 private:
  const std::shared_ptr<Resource> real_;
  std::mutex mu_;
  std::condition_variable held_;
  std::condition_variable released_;
  bool released = false;
  std::vector<std::vector<std::string>> deletes_;
};

TEST_P(DecisionStoreTest, EndsGoInOneDeletePerBatchWhileOneIsUnderWay) {
  auto holding = std::make_shared<HoldingResource>(resource_);
  DatabaseDecisionLogOptions options;
  options.delete_batch = 4;
  auto opened = DatabaseDecisionLog::Open(holding, options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<DatabaseDecisionLog> store = std::move(opened).value();
  std::vector<std::string> ended;
  for (int i = 0; i < 7; ++i) {
    ended.push_back(NewGtrid());
    ASSERT_TRUE(store->LogCommit(ended.back(), {"pg", "my"}, 0).ok());
  }
  // The fourth END fills the batch: its DELETE is held under way.
  auto first = std::async(std::launch::async, [&] {
    for (int i = 0; i < 4; ++i) {
      Status s = store->LogEnd(ended[i], 0);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  });
  holding->WaitUntilHeld();
  // Three more coordinators end meanwhile: fewer than a batch is waiting.
  for (int i = 4; i < 7; ++i) ASSERT_TRUE(store->LogEnd(ended[i], 0).ok());
  holding->Release();
  ASSERT_TRUE(first.get().ok());
  std::vector<std::vector<std::string>> deletes = holding->deletes();
  ASSERT_FALSE(deletes.empty());
  EXPECT_EQ(deletes.size(), 1u) << "a DELETE ran again for rows already "
                                   "being deleted";
  EXPECT_EQ(deletes[0].size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(OutcomeOf(ended[i]), "") << i;
  // The rest are closed for readers, and deleted with a later batch.
  for (int i = 4; i < 7; ++i) {
    EXPECT_FALSE(store->FindOpenCommit(ended[i]).has_value()) << i;
  }
  store.reset();  // flushes what is queued
  for (int i = 4; i < 7; ++i) EXPECT_EQ(OutcomeOf(ended[i]), "") << i;
}

INSTANTIATE_TEST_SUITE_P(Dialects, DecisionStoreTest,
                         ::testing::Values("pg", "my"));

TEST(DecisionStoreDurabilityTest, SynchronousCommitOffIsRefused) {
  ResourceConfig config = testing::PostgresTestConfig("pg");
  config.conninfo += " options='-c synchronous_commit=off'";
  Result<std::shared_ptr<Resource>> r = MakeResource(config);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(DatabaseDecisionLog::CreateTable(**r).ok());
  auto store = DatabaseDecisionLog::Open(*r);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("synchronous_commit = off"),
            std::string::npos)
      << store.status().ToString();
}

// A MariaDB of its own with the binary log on: an acknowledged commit is
// durable only if the binary log is synced at every commit as well.
TEST(DecisionStoreDurabilityTest, ABinaryLogNotSyncedAtEachCommitIsRefused) {
  testing::TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);  // initdb runs as postgres
  const std::string db = dir.path() + "/db";
  testing::ProcessOptions with_binlog;
  with_binlog.env["XATM_MY_OPTIONS"] = "--log-bin --sync-binlog=0";
  testing::ProcessResult start = testing::RunProcess(
      {"/bin/bash", XATM_DB_SCRIPT, "start", db}, with_binlog);
  ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
  struct Stop {
    std::string db;
    ~Stop() { testing::RunProcess({"/bin/bash", XATM_DB_SCRIPT, "stop", db}); }
  } stop{db};
  std::map<std::string, std::string> env = testing::ReadEnvFile(db + "/env.sh");
  ResourceConfig config = testing::MysqlTestConfig("my");
  config.port = std::atoi(env.at("XATM_MY_PORT").c_str());
  config.password = env.at("XATM_MY_PASSWORD");
  Result<std::shared_ptr<Resource>> r = MakeResource(config);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(DatabaseDecisionLog::CreateTable(**r).ok());

  auto store = DatabaseDecisionLog::Open(*r);
  ASSERT_FALSE(store.ok()) << "a binary log synced now and then was accepted";
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("sync_binlog = 0"), std::string::npos)
      << store.status().ToString();

  testing::ProcessResult synced =
      testing::RunProcess({"/usr/bin/mariadb", "--no-defaults",
                           "--socket=" + db + "/my/mysqld.sock", "-uroot", "-e",
                           "SET GLOBAL sync_binlog = 1"});
  ASSERT_EQ(synced.exit_code, 0) << synced.err;
  store = DatabaseDecisionLog::Open(*r);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
}

TEST(DecisionStoreDurabilityTest, AMissingTableSaysRunInit) {
  ResourceConfig config = testing::PostgresTestConfig("pg");
  config.conninfo += " options='-c search_path=xatm_no_such_schema'";
  Result<std::shared_ptr<Resource>> r = MakeResource(config);
  ASSERT_TRUE(r.ok());
  auto store = DatabaseDecisionLog::Open(*r);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("xatm init"), std::string::npos)
      << store.status().ToString();
}

// db.sh starts MariaDB with TZ=America/New_York: its sessions' zone has
// daylight saving. 2026-11-01 01:30 happens twice there, at 05:30 UTC
// (EDT) and at 06:30 UTC (EST); the too-late bound must see UTC either way.
TEST(DecisionStoreTimeZoneTest, TheTooLateBoundHoldsInTheRepeatedHour) {
  Result<std::shared_ptr<Resource>> r =
      MakeResource(testing::MysqlTestConfig("my"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(DatabaseDecisionLog::CreateTable(**r).ok());
  const DecisionSql sql = *DecisionSqlFor("mysql");
  XidGenerator ids("tz" + testing::RandomHex(6));
  for (int64_t now_s : {1793511000LL, 1793514600LL}) {
    for (int64_t age_min : {10, 40}) {
      auto branch = (*r)->BeginLocal();
      ASSERT_TRUE(branch.ok()) << branch.status().ToString();
      ASSERT_TRUE((*branch)
                      ->Execute("SET timestamp = " + std::to_string(now_s), {})
                      .ok());
      const int64_t begin_ms = now_s * 1000 - age_min * 60'000;
      Xid xid = ids.Next(begin_ms);
      auto inserted = (*branch)->Execute(
          sql.insert_commit,
          {xid.Gtrid(), std::to_string(begin_ms), "1800000", "my", xid.node});
      EXPECT_EQ(inserted.ok(), age_min < 30)
          << "at " << now_s << " UTC, begun " << age_min
          << " min before, bound 30 min: "
          << (inserted.ok() ? "accepted" : inserted.status().ToString());
      ASSERT_TRUE((*branch)->Execute("SET timestamp = DEFAULT", {}).ok());
      ASSERT_TRUE((*branch)->Rollback().ok());
    }
  }
}

TEST(DecisionStoreTimeZoneTest,
     AHeartbeatAcrossADaylightSavingChangeKeepsItsAge) {
  Result<std::shared_ptr<Resource>> r =
      MakeResource(testing::MysqlTestConfig("my"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Resource& my = **r;
  ASSERT_TRUE(DatabaseDecisionLog::CreateTable(my).ok());
  ASSERT_TRUE(NodeRegistry::CreateTable(my).ok());
  // A past second whose zone offset differs from now's.
  const int64_t now_s = Clock::System()->NowMs() / 1000;
  int64_t then_s = 0;
  for (int days = 30; days <= 390 && then_s == 0; days += 30) {
    const std::string x = std::to_string(now_s - days * 86400LL);
    auto shift = my.QueryLocal("SELECT (UNIX_TIMESTAMP() - " + x +
                                   ") - TIMESTAMPDIFF(SECOND, FROM_UNIXTIME(" +
                                   x + "), NOW())",
                               {});
    ASSERT_TRUE(shift.ok()) << shift.status().ToString();
    if (internal::RowInt((*shift)[0][0]) != 0) then_s = now_s - days * 86400LL;
  }
  ASSERT_NE(then_s, 0) << "MariaDB's time zone has no daylight saving: "
                          "start it with scripts/db.sh (TZ=America/New_York)";
  auto registry = NodeRegistry::Open(my);
  ASSERT_TRUE(registry.ok());
  const std::string node = "tz" + testing::RandomHex(6);
  ASSERT_TRUE((*registry)->InsertIfAbsent({node, "i1", "h", 1, 0}).ok());
  Status set = my.ExecuteLocal(
      "SET STATEMENT time_zone = '+00:00' FOR UPDATE xatm_nodes SET "
      "last_seen = FROM_UNIXTIME(" +
          std::to_string(then_s) + ") WHERE node = ?",
      {node});
  ASSERT_TRUE(set.ok()) << set.ToString();
  auto found = (*registry)->Find(node);
  ASSERT_TRUE(found.ok() && found->has_value());
  const int64_t expected_ms = Clock::System()->NowMs() - then_s * 1000;
  EXPECT_NEAR(static_cast<double>((*found)->age_ms),
              static_cast<double>(expected_ms), 60'000.0)
      << "an hour off: the age went through the session's time zone";
  EXPECT_TRUE(
      my.ExecuteLocal("DELETE FROM xatm_nodes WHERE node = ?", {node}).ok());
}

TEST(DecisionStoreDurabilityTest, UnenforcedCheckConstraintsAreRefused) {
  ResourceConfig config = testing::MysqlTestConfig("my");
  config.pool_size = 1;  // the session setting below is the store's
  Result<std::shared_ptr<Resource>> r = MakeResource(config);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(DatabaseDecisionLog::CreateTable(**r).ok());
  ASSERT_TRUE(
      (*r)->ExecuteLocal("SET SESSION check_constraint_checks = 0", {}).ok());
  auto store = DatabaseDecisionLog::Open(*r);
  ASSERT_FALSE(store.ok()) << "a store whose CHECK is off was accepted";
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("check_constraint_checks = 0"),
            std::string::npos)
      << store.status().ToString();
}

TEST(DecisionStoreDurabilityTest, AMissingCheckConstraintIsRefused) {
  const std::string schema = "xatm_nocheck_" + testing::RandomHex(6);
  ResourceConfig config = testing::PostgresTestConfig("pg");
  Result<std::shared_ptr<Resource>> admin = MakeResource(config);
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE((*admin)->ExecuteLocal("CREATE SCHEMA " + schema, {}).ok());
  config.conninfo += " options='-c search_path=" + schema + "'";
  Result<std::shared_ptr<Resource>> r = MakeResource(config);
  ASSERT_TRUE(r.ok());
  Status created = DatabaseDecisionLog::CreateTable(**r);
  ASSERT_TRUE(created.ok()) << created.ToString();
  auto fresh = DatabaseDecisionLog::Open(*r);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  fresh->reset();
  ASSERT_TRUE((*r)->ExecuteLocal("ALTER TABLE xatm_decisions DROP CONSTRAINT "
                                 "xatm_decisions_outcome_known",
                                 {})
                  .ok());
  auto store = DatabaseDecisionLog::Open(*r);
  EXPECT_FALSE(store.ok()) << "a store without its CHECK was accepted";
  EXPECT_NE(store.status().message().find("xatm_decisions_outcome_known"),
            std::string::npos)
      << store.status().ToString();
  r->reset();
  EXPECT_TRUE(
      (*admin)->ExecuteLocal("DROP SCHEMA " + schema + " CASCADE", {}).ok());
}

}  // namespace
}  // namespace xatm
