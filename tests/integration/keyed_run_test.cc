// The idempotency-key seam (tm/keys/) against the real servers: RunKeyed
// runs a request once per key however many threads race it, refuses a key
// of another request before running anything, and a run racing a claim
// that is prepared but not finished waits for it: it sees the commit and
// reports it, or the rollback and runs once, or the lock wait limit and
// answers InDoubt with nothing changed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "tests/integration/test_env.h"
#include "tests/unit/library_log_level.h"
#include "tests/unit/run_process.h"
#include "xatm/key_table.h"
#include "xatm/resource_factory.h"
#include "xatm/run_keyed.h"
#include "xatm/sweeper.h"

namespace xatm {
namespace {

using ::xatm::testing::MysqlTestConfig;
using ::xatm::testing::PostgresTestConfig;
using ::xatm::testing::RandomHex;

constexpr char kCreateCounters[] =
    "CREATE TABLE IF NOT EXISTS xatm_key_test_counters ("
    "id VARCHAR(64) PRIMARY KEY, hits INTEGER NOT NULL)";

class KeyedRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    testing::SetLibraryLogLevel(spdlog::level::warn);
  }

  void SetUp() override {
    node_ = "kr" + RandomHex(10);
    // A short lock wait limit: a held key is given up on within a second.
    for (ResourceConfig config :
         {PostgresTestConfig("pg"), MysqlTestConfig("my")}) {
      config.lock_timeout_ms = 1000;
      auto r = MakeResource(config);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      Status table = CreateKeyTable(**r);
      ASSERT_TRUE(table.ok()) << table.ToString();
      ASSERT_TRUE((*r)->ExecuteLocal(kCreateCounters, {}).ok());
      ASSERT_TRUE((*r)->ExecuteLocal("INSERT INTO xatm_key_test_counters "
                                     "(id, hits) VALUES (?, 0)",
                                     {node_})
                      .ok());
      resources_.push_back(*r);
    }
    TransactionManagerOptions options;
    options.node_id = node_;
    options.log_dir = dir_.path() + "/log";
    options.log_options.create_if_missing = true;
    auto tm = TransactionManager::Open(options, resources_);
    ASSERT_TRUE(tm.ok()) << tm.status().ToString();
    tm_ = std::move(tm).value();
    key_ = IdempotencyKey{"kr-" + node_, "count " + node_ + " +1"};
  }

  void TearDown() override {
    tm_.reset();
    for (auto& r : resources_) {
      (void)r->ExecuteLocal("DELETE FROM xatm_key_test_counters WHERE id = ?",
                            {node_});
    }
  }

  Resource& Res(const std::string& name) {
    return *(name == "pg" ? resources_[0] : resources_[1]);
  }

  int Hits(const std::string& resource) {
    auto rows = Res(resource).QueryLocal(
        "SELECT hits FROM xatm_key_test_counters WHERE id = ?", {node_});
    EXPECT_TRUE(rows.ok() && rows->size() == 1);
    if (!rows.ok() || rows->size() != 1) return -1;
    return std::stoi((*rows)[0][0].value_or("-1"));
  }

  // Work: one more hit in both databases, then `hold` before the commit.
  KeyedWork CountInBoth(std::atomic<int>* runs = nullptr,
                        std::chrono::milliseconds hold = {}) {
    return [this, runs, hold](KeyedTransaction& txn) -> Status {
      if (runs != nullptr) ++*runs;
      for (const char* name : {"my", "pg"}) {
        Result<Branch*> b = txn.Enlist(name);
        if (!b.ok()) return b.status();
        Result<int64_t> n = (*b)->Execute(
            "UPDATE xatm_key_test_counters SET hits = hits + 1 WHERE id = ?",
            {node_});
        if (!n.ok()) return n.status();
      }
      std::this_thread::sleep_for(hold);
      return Status::Ok();
    };
  }

  // A claim of the key made outside the manager and prepared in `name`,
  // as a coordinator that died after preparing would leave it.
  std::unique_ptr<Branch> PreparedClaim(const std::string& name) {
    XidGenerator ids(node_);
    Xid xid = ids.Next(std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count());
    auto branch = Res(name).Begin(xid);
    EXPECT_TRUE(branch.ok()) << branch.status().ToString();
    if (!branch.ok()) return nullptr;
    holder_gtrid_ = xid.Gtrid();
    Result<bool> claimed =
        ClaimKeyInBranch(**branch, Res(name).type(), key_, xid.Gtrid());
    EXPECT_TRUE(claimed.ok() && *claimed) << claimed.status().ToString();
    Status prepared = (*branch)->Prepare();
    EXPECT_TRUE(prepared.ok()) << prepared.ToString();
    return std::move(*branch);
  }

  testing::TempDir dir_;
  std::string node_;
  std::vector<std::shared_ptr<Resource>> resources_;
  std::unique_ptr<TransactionManager> tm_;
  IdempotencyKey key_;
  std::string holder_gtrid_;
};

TEST_F(KeyedRunTest, EightThreadsWithOneKeyRunItOnce) {
  // The winner holds its claims 300 ms before committing: the others are
  // past their first read of the key by then and meet the claim itself.
  std::atomic<int> ran{0};
  std::vector<std::future<Result<KeyedOutcome>>> runs;
  for (int i = 0; i < 8; ++i) {
    runs.push_back(std::async(std::launch::async, [this, &ran] {
      return RunKeyed(*tm_, key_,
                      CountInBoth(&ran, std::chrono::milliseconds(300)));
    }));
  }
  int fresh = 0;
  std::set<std::string> gtrids;
  for (auto& run : runs) {
    Result<KeyedOutcome> r = run.get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (r->status.ok()) {
      gtrids.insert(r->gtrid);
      if (!r->replayed) ++fresh;
    } else {
      EXPECT_EQ(r->status.code(), StatusCode::kInDoubt) << r->status.ToString();
    }
  }
  EXPECT_EQ(fresh, 1);
  EXPECT_GT(ran.load(), 1) << "the claims did not race";
  EXPECT_EQ(gtrids.size(), 1u);
  EXPECT_EQ(Hits("pg"), 1);
  EXPECT_EQ(Hits("my"), 1);
}

TEST_F(KeyedRunTest, AnotherRequestWithTheKeyIsRefusedBeforeAnythingRuns) {
  Result<KeyedOutcome> first = RunKeyed(*tm_, key_, CountInBoth());
  ASSERT_TRUE(first.ok() && first->status.ok()) << first.status().ToString();
  EXPECT_FALSE(first->replayed);

  std::atomic<int> runs{0};
  IdempotencyKey other{key_.key, key_.fingerprint + " again"};
  Result<KeyedOutcome> refused = RunKeyed(*tm_, other, CountInBoth(&runs));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      refused.status().message(),
      "key " + key_.key + " was used for another request: " + key_.fingerprint);
  EXPECT_EQ(runs.load(), 0);

  Result<KeyedOutcome> again = RunKeyed(*tm_, key_, CountInBoth(&runs));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->replayed);
  EXPECT_TRUE(again->status.ok()) << again->status.ToString();
  EXPECT_EQ(again->gtrid, first->gtrid);
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(Hits("pg"), 1);
  EXPECT_EQ(Hits("my"), 1);
}

TEST_F(KeyedRunTest, KeysPastTheRetentionArePrunedAndARetryIsANewRequest) {
  const IdempotencyKey young{"kr-young-" + node_, "count " + node_ + " +1"};
  for (const IdempotencyKey& key : {key_, young}) {
    Result<KeyedOutcome> r = RunKeyed(*tm_, key, CountInBoth());
    ASSERT_TRUE(r.ok() && r->status.ok()) << r.status().ToString();
  }
  // key_ was claimed two hours ago, by each database's clock.
  ASSERT_TRUE(Res("pg")
                  .ExecuteLocal("UPDATE xatm_idempotency_keys SET created_at "
                                "= clock_timestamp() - interval '2 hours' "
                                "WHERE idem_key = ?",
                                {key_.key})
                  .ok());
  ASSERT_TRUE(Res("my")
                  .ExecuteLocal("UPDATE xatm_idempotency_keys SET created_at "
                                "= UTC_TIMESTAMP(3) - INTERVAL 2 HOUR "
                                "WHERE idem_key = ?",
                                {key_.key})
                  .ok());
  SweeperOptions options;
  options.key_retention_s = 3600;
  Sweeper(tm_.get(), options).SweepOnce();
  for (const char* name : {"pg", "my"}) {
    auto old_key = ReadStoredKey(Res(name), key_.key);
    ASSERT_TRUE(old_key.ok()) << old_key.status().ToString();
    EXPECT_FALSE(old_key->has_value()) << name << ": kept past retention";
    auto young_key = ReadStoredKey(Res(name), young.key);
    ASSERT_TRUE(young_key.ok()) << young_key.status().ToString();
    EXPECT_TRUE(young_key->has_value()) << name << ": pruned too young";
  }
  // The pruned key's retry runs again.
  Result<KeyedOutcome> retry = RunKeyed(*tm_, key_, CountInBoth());
  ASSERT_TRUE(retry.ok() && retry->status.ok());
  EXPECT_FALSE(retry->replayed);
  EXPECT_EQ(Hits("pg"), 3);
  EXPECT_EQ(Hits("my"), 3);
  EXPECT_EQ(PruneKeys(Res("pg"), 0).code(), StatusCode::kInvalidArgument);
  (void)Res("pg").ExecuteLocal(
      "DELETE FROM xatm_idempotency_keys WHERE idem_key = ?", {young.key});
  (void)Res("my").ExecuteLocal(
      "DELETE FROM xatm_idempotency_keys WHERE idem_key = ?", {young.key});
}

TEST_F(KeyedRunTest, MalformedKeysAreRefused) {
  std::atomic<int> runs{0};
  for (const std::string& bad : {std::string(), std::string(65, 'a'),
                                 std::string("a b"), std::string("a;b")}) {
    Result<KeyedOutcome> r =
        RunKeyed(*tm_, IdempotencyKey{bad, "x"}, CountInBoth(&runs));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(),
              "an idempotency key is 1-64 characters [A-Za-z0-9._:-]");
  }
  EXPECT_EQ(runs.load(), 0);
}

class KeyedRunRaceTest : public KeyedRunTest,
                         public ::testing::WithParamInterface<std::string> {};

TEST_P(KeyedRunRaceTest, HeldByAPreparedClaimIsInDoubtAndChangesNothing) {
  std::unique_ptr<Branch> holder = PreparedClaim(GetParam());
  ASSERT_NE(holder, nullptr);
  Result<KeyedOutcome> r = RunKeyed(*tm_, key_, CountInBoth());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status.code(), StatusCode::kInDoubt) << r->status.ToString();
  EXPECT_NE(r->status.message().find("held by another transaction"),
            std::string::npos)
      << r->status.ToString();
  EXPECT_EQ(Hits("pg"), 0);
  EXPECT_EQ(Hits("my"), 0);
  EXPECT_TRUE(holder->Rollback().ok());
}

TEST_P(KeyedRunRaceTest, WaitsForAPreparedClaimAndReportsItsCommit) {
  std::unique_ptr<Branch> holder = PreparedClaim(GetParam());
  ASSERT_NE(holder, nullptr);
  auto run = std::async(std::launch::async,
                        [this] { return RunKeyed(*tm_, key_, CountInBoth()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(holder->CommitPrepared().ok());
  Result<KeyedOutcome> r = run.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->replayed);
  EXPECT_TRUE(r->status.ok()) << r->status.ToString();
  EXPECT_EQ(r->gtrid, holder_gtrid_);
  EXPECT_EQ(Hits("pg"), 0);
  EXPECT_EQ(Hits("my"), 0);
  for (auto& res : resources_) {
    (void)res->ExecuteLocal(
        "DELETE FROM xatm_idempotency_keys WHERE idem_key = ?", {key_.key});
  }
}

TEST_P(KeyedRunRaceTest, WaitsForAPreparedClaimAndRunsOnceAfterItsRollback) {
  std::unique_ptr<Branch> holder = PreparedClaim(GetParam());
  ASSERT_NE(holder, nullptr);
  auto run = std::async(std::launch::async,
                        [this] { return RunKeyed(*tm_, key_, CountInBoth()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(holder->Rollback().ok());
  Result<KeyedOutcome> r = run.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->replayed);
  EXPECT_TRUE(r->status.ok()) << r->status.ToString();
  EXPECT_NE(r->gtrid, holder_gtrid_);
  EXPECT_EQ(Hits("pg"), 1);
  EXPECT_EQ(Hits("my"), 1);
}

INSTANTIATE_TEST_SUITE_P(HolderIn, KeyedRunRaceTest,
                         ::testing::Values("pg", "my"));

}  // namespace
}  // namespace xatm
