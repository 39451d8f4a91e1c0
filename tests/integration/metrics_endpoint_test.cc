// Metrics served over HTTP and read with curl, against the real servers:
// the library's counts after known work, and `xatm --metrics-listen` while
// `xatm bench` runs.
#include "cli/metrics_endpoint.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "cli/bank/schema.h"
#include "tests/integration/bank_cleanup.h"
#include "tests/integration/metrics_scrape.h"
#include "tests/integration/test_env.h"
#include "tests/unit/library_log_level.h"
#include "tests/unit/run_process.h"
#include "xatm/resource_factory.h"
#include "xatm/transaction.h"
#include "xatm/transaction_manager.h"

#ifndef XATM_BINARY
#error "XATM_BINARY must name the xatm executable"
#endif

namespace xatm {
namespace {

using ::xatm::testing::FreeLoopbackAddress;
using ::xatm::testing::MetricSamples;
using ::xatm::testing::RandomHex;
using ::xatm::testing::ScrapeMetrics;

double Value(const MetricSamples& m, const std::string& name,
             const testing::MetricLabels& labels = {}) {
  return m.Get(name, labels).value_or(-1);
}

class MetricsEndpointTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    testing::SetLibraryLogLevel(spdlog::level::warn);
  }

  void SetUp() override {
    node_ = "me" + RandomHex(10);
    auto pg = MakeResource(testing::PostgresTestConfig("pg"));
    auto my = MakeResource(testing::MysqlTestConfig("my"));
    ASSERT_TRUE(pg.ok() && my.ok());
    pg_ = std::move(pg).value();
    my_ = std::move(my).value();
    for (Resource* r : {pg_.get(), my_.get()}) {
      Status s = InitSchema(*r);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }

  void TearDown() override {
    for (Resource* r : {pg_.get(), my_.get()}) {
      testing::DeleteLedgerRows(*r, node_);
    }
  }

  // One transaction writing a ledger row in each of `resources`.
  Status WriteLedgerRows(TransactionManager& tm,
                         const std::vector<std::string>& resources) {
    auto txn = tm.Begin();
    if (!txn.ok()) return txn.status();
    for (const std::string& name : resources) {
      Result<Branch*> branch = (*txn)->Enlist(name);
      if (!branch.ok()) return branch.status();
      Result<int64_t> rows = (*branch)->Execute(
          "INSERT INTO xatm_ledger (gtrid, branch, account, delta) "
          "VALUES (?, ?, ?, ?)",
          {(*txn)->gtrid(), name, "metrics", "0.00"});
      if (!rows.ok()) return rows.status();
    }
    return (*txn)->Commit();
  }

  testing::TempDir dir_;
  std::string node_;
  std::shared_ptr<Resource> pg_, my_;
};

TEST_F(MetricsEndpointTest, LibraryCountsAfterKnownWorkAreServed) {
  const std::string address = FreeLoopbackAddress();
  auto endpoint = MetricsEndpoint::Start(address);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status().ToString();
  TransactionManagerOptions options;
  options.node_id = node_;
  options.log_dir = dir_.path() + "/log";
  options.log_options.create_if_missing = true;
  options.metrics_registry = (*endpoint)->registry();
  auto tm = TransactionManager::Open(options, {pg_, my_});
  ASSERT_TRUE(tm.ok()) << tm.status().ToString();

  constexpr int kTwoPhase = 10;
  for (int i = 0; i < kTwoPhase; ++i) {
    Status s = WriteLedgerRows(**tm, {"pg", "my"});
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  Status one = WriteLedgerRows(**tm, {"pg"});
  ASSERT_TRUE(one.ok()) << one.ToString();

  Result<MetricSamples> m = ScrapeMetrics(address);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Value(*m, "xatm_transactions_total", {{"outcome", "committed"}}),
            kTwoPhase);
  EXPECT_EQ(Value(*m, "xatm_transactions_total", {{"outcome", "one_phase"}}),
            1);
  EXPECT_EQ(Value(*m, "xatm_transactions_total", {{"outcome", "aborted"}}), 0);
  EXPECT_EQ(Value(*m, "xatm_commit_seconds_count"), kTwoPhase + 1);
  EXPECT_EQ(Value(*m, "xatm_prepare_seconds_count"), kTwoPhase);
  EXPECT_EQ(Value(*m, "xatm_decision_seconds_count"), kTwoPhase);
  EXPECT_EQ(Value(*m, "xatm_commit_phase_seconds_count"), kTwoPhase);
  // One after another: every COMMIT record has a sync of its own at most.
  EXPECT_GE(Value(*m, "xatm_log_syncs_total"), 1);
  EXPECT_LE(Value(*m, "xatm_log_syncs_total"), kTwoPhase);
  EXPECT_EQ(Value(*m, "xatm_log_failed"), 0);
  for (const char* r : {"pg", "my"}) {
    SCOPED_TRACE(r);
    const double open =
        Value(*m, "xatm_resource_open_connections", {{"resource", r}});
    const double idle =
        Value(*m, "xatm_resource_idle_connections", {{"resource", r}});
    EXPECT_GE(idle, 1);  // every branch gave its connection back
    EXPECT_EQ(open, idle);
    EXPECT_EQ(
        Value(*m, "xatm_resource_connection_failures_total", {{"resource", r}}),
        0);
    EXPECT_EQ(Value(*m, "xatm_resource_errors_total",
                    {{"resource", r}, {"code", "UNAVAILABLE"}}),
              0);
  }
}

TEST_F(MetricsEndpointTest, BenchServesItsMetricsWhileItRuns) {
  const std::string config = dir_.path() + "/xatm.ini";
  testing::WriteFile(config, testing::TestConfigText(node_));
  auto xatm = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {XATM_BINARY, "--config", config});
    return testing::RunProcess(args);
  };
  testing::ProcessResult init = xatm({"init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;

  const std::string address = FreeLoopbackAddress();
  testing::ProcessResult bench;
  std::thread runner([&] {
    bench = xatm({"--metrics-listen", address, "bench", "--clients", "2",
                  "--seconds", "4", "--accounts", "4", "--json"});
  });
  // Scrape until the bench ends; keep the last scrape that saw commits.
  std::optional<MetricSamples> last;
  int scrapes = 0;
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (std::chrono::steady_clock::now() < give_up) {
    Result<MetricSamples> m = ScrapeMetrics(address);
    if (m.ok()) {
      ++scrapes;
      if (Value(*m, "xatm_transactions_total", {{"outcome", "committed"}}) >
          0) {
        last = std::move(m).value();
      }
    } else if (last.has_value()) {
      break;  // served before, not any more: the bench has ended
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  runner.join();
  ASSERT_EQ(bench.exit_code, 0) << bench.out << bench.err;
  ASSERT_TRUE(last.has_value()) << scrapes << " scrapes, none saw a commit";

  std::smatch transfers;
  ASSERT_TRUE(std::regex_search(bench.out, transfers,
                                std::regex("\"transfers\":([0-9]+)")))
      << bench.out;
  const double committed =
      Value(*last, "xatm_transactions_total", {{"outcome", "committed"}});
  EXPECT_GE(committed, 1);
  EXPECT_LE(committed, std::stod(transfers[1])) << bench.out;
  EXPECT_GT(Value(*last, "xatm_log_syncs_total"), 0);
  EXPECT_GT(Value(*last, "xatm_log_records_per_sync_count"), 0);
  EXPECT_GT(Value(*last, "xatm_decision_seconds_count"), 0);
  for (const char* r : {"pg", "my"}) {
    SCOPED_TRACE(r);
    EXPECT_GE(Value(*last, "xatm_resource_open_connections", {{"resource", r}}),
              1);
    EXPECT_GE(Value(*last, "xatm_resource_idle_connections", {{"resource", r}}),
              0);
  }
  // Served for the command's lifetime only.
  EXPECT_FALSE(ScrapeMetrics(address).ok());
}

}  // namespace
}  // namespace xatm
