// Recovery at scale against the real servers: a backlog of 300 in-doubt
// transactions (a PostgreSQL and a MariaDB branch prepared each, every
// other one with a COMMIT record) is resolved by ONE sweep on the parallel
// path, with the exact outcome per transaction. The 10,000-pair run is the
// benchmark (bench/recovery_bench, scripts/recovery-bench.sh).
#include "bench/backlog/recovery_backlog.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "cli/bank/schema.h"
#include "tests/integration/test_env.h"
#include "tests/unit/library_log_level.h"
#include "tests/unit/run_process.h"
#include "xatm/resource_factory.h"
#include "xatm/sweeper.h"
#include "xatm/transaction_manager.h"

namespace xatm {
namespace {

constexpr int kPairs = 300;

TEST(RecoveryBacklogTest, OneParallelSweepResolvesEveryPairExactly) {
  testing::SetLibraryLogLevel(spdlog::level::warn);
  std::shared_ptr<Resource> pg =
      MakeResource(testing::PostgresTestConfig("pg")).value();
  std::shared_ptr<Resource> my =
      MakeResource(testing::MysqlTestConfig("my")).value();
  ASSERT_TRUE(InitSchema(*pg).ok());
  ASSERT_TRUE(InitSchema(*my).ok());

  testing::TempDir dir;
  TransactionManagerOptions options;
  options.node_id = "bk" + testing::RandomHex(8);
  options.log_dir = dir.path() + "/log";
  options.log_options.create_if_missing = true;
  auto tm = TransactionManager::Open(options, {pg, my});
  ASSERT_TRUE(tm.ok()) << tm.status().ToString();

  XidGenerator xids(options.node_id);
  backlog::BacklogOptions backlog_options;
  backlog_options.pairs = kPairs;
  backlog_options.threads = 8;
  backlog_options.account_prefix = options.node_id + "-";
  Result<backlog::Backlog> backlog =
      backlog::BuildBacklog(*pg, *my, (*tm)->log(), xids, backlog_options);
  if (!backlog.ok()) {
    // Leave nothing prepared for the tests that follow on these servers
    // (e.g. max_prepared_transactions too low: see scripts/db.sh).
    SweeperOptions cleanup;
    cleanup.grace_period_ms = 0;
    Sweeper(tm->get(), cleanup).SweepOnce();
    FAIL() << backlog.status().ToString();
  }
  ASSERT_EQ(backlog->committed_count(), kPairs / 2);

  SweeperOptions sweep;
  sweep.grace_period_ms = 0;
  sweep.workers = 8;
  size_t last_done = 0;
  sweep.on_progress = [&](size_t done, size_t total) {
    EXPECT_EQ(total, 2u * kPairs);
    last_done = done;
  };
  SweepResult result = Sweeper(tm->get(), sweep).SweepOnce();

  EXPECT_EQ(result.committed, kPairs);  // both branches of each decided pair
  EXPECT_EQ(result.rolled_back, kPairs);
  EXPECT_EQ(result.ended, kPairs / 2);
  EXPECT_EQ(result.deferred, 0);
  EXPECT_TRUE(result.clean()) << result.Summary();
  EXPECT_EQ(last_done, 2u * kPairs);
  EXPECT_TRUE((*tm)->log().OpenCommits().empty());

  // Per transaction: both branches committed, or both rolled back.
  std::map<std::string, bool> decided;
  for (const backlog::BacklogPair& p : backlog->pairs) {
    decided[p.gtrid] = p.decided_commit;
  }
  std::map<std::string, std::map<std::string, SweepAction>> actions;
  for (const SweepEvent& e : result.events) {
    if (e.action != SweepAction::kEnded)
      actions[e.gtrid][e.resource] = e.action;
  }
  ASSERT_EQ(actions.size(), decided.size());
  for (const auto& [gtrid, commit] : decided) {
    const SweepAction want =
        commit ? SweepAction::kCommitted : SweepAction::kRolledBack;
    for (const char* resource : {"pg", "my"}) {
      auto action = actions[gtrid].find(resource);
      ASSERT_NE(action, actions[gtrid].end()) << gtrid << " " << resource;
      EXPECT_EQ(action->second, want) << gtrid << " " << resource;
    }
  }

  // The databases: nothing prepared, ledgers of exactly the decided half,
  // every balance and both sums exact.
  Result<std::vector<std::string>> problems =
      backlog::CheckBacklog(*pg, *my, *backlog);
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  EXPECT_TRUE(problems->empty()) << ::testing::PrintToString(*problems);
}

}  // namespace
}  // namespace xatm
