// `xatm bench` against the real test servers, once per mode: it moves
// money, keeps the total to the cent and leaves nothing prepared. Checks the
// report, not the speed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "tests/integration/bank_cleanup.h"
#include "tests/integration/test_env.h"
#include "tests/unit/run_process.h"
#include "xatm/resource_factory.h"

#ifndef XATM_BINARY
#error "XATM_BINARY must name the xatm executable"
#endif

namespace xatm {
namespace {

using ::xatm::testing::ProcessResult;
using ::xatm::testing::RandomHex;
using ::xatm::testing::RequireEnv;

constexpr int kAccounts = 4;

// The raw text of `"key":VALUE` in a flat JSON object, "" when missing.
std::string JsonValue(const std::string& json, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(json, m,
                         std::regex("\"" + key + "\":(\"[^\"]*\"|[^,}]*)"))) {
    return "";
  }
  return m[1];
}

class BenchCliTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    node_ = "bn" + RandomHex(10);
    config_ = dir_.path() + "/xatm.ini";
    testing::WriteFile(config_, testing::TestConfigText(node_));
    // The decision log (and schema) every command but init requires.
    ProcessResult init = Xatm({"init"});
    ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  }

  void TearDown() override {
    auto pg = MakeResource(testing::PostgresTestConfig("pg"));
    auto my = MakeResource(testing::MysqlTestConfig("my"));
    ASSERT_TRUE(pg.ok() && my.ok());
    for (Resource* r : {pg->get(), my->get()}) {
      testing::DeleteLedgerRows(*r, node_);
      // The barrier rows of the saga mode.
      Status s =
          r->ExecuteLocal("DELETE FROM xatm_saga_barrier WHERE saga_id LIKE ?",
                          {"xatm:" + node_ + ":%"});
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
  }

  ProcessResult Xatm(std::vector<std::string> args) {
    args.insert(args.begin(), {XATM_BINARY, "--config", config_});
    return testing::RunProcess(args);
  }

  testing::TempDir dir_;
  std::string node_, config_;
};

TEST_P(BenchCliTest, RunsConservesMoneyAndLeavesNothingPrepared) {
  const std::string mode = GetParam();
  ProcessResult r =
      Xatm({"bench", "--clients", "2", "--seconds", "2", "--accounts",
            std::to_string(kAccounts), "--mode", mode, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // Not a terminal: no progress line, and nothing else on stderr.
  EXPECT_EQ(r.err, "");
  ASSERT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line: " << r.out;
  EXPECT_EQ(JsonValue(r.out, "mode"), "\"" + mode + "\"") << r.out;
  const char* store = mode == "2pc" || mode == "saga" ? "\"file\""
                      : mode == "raw"                 ? "\"memory\""
                                                      : "\"none\"";
  EXPECT_EQ(JsonValue(r.out, "decision_store"), store) << r.out;
  EXPECT_EQ(JsonValue(r.out, "clients"), "2");
  EXPECT_EQ(JsonValue(r.out, "seconds"), "2");
  EXPECT_GT(std::stoll(JsonValue(r.out, "transfers")), 0) << r.out;
  EXPECT_EQ(JsonValue(r.out, "failed"), "0") << r.out;
  EXPECT_GT(std::stod(JsonValue(r.out, "tps")), 0.0) << r.out;
  for (const char* key : {"aborted", "p50_ms", "p95_ms", "p99_ms"}) {
    EXPECT_FALSE(JsonValue(r.out, key).empty()) << key << " in " << r.out;
  }
  EXPECT_LE(std::stod(JsonValue(r.out, "p50_ms")),
            std::stod(JsonValue(r.out, "p99_ms")));
  EXPECT_EQ(JsonValue(r.out, "conserved"), "true") << r.out;
  EXPECT_EQ(JsonValue(r.out, "prepared_left"), "0") << r.out;
  // One JSON object with these keys, in this order.
  nlohmann::ordered_json doc =
      nlohmann::ordered_json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.out;
  std::vector<std::string> keys;
  for (const auto& item : doc.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "mode", "decision_store", "clients", "seconds",
                      "accounts", "elapsed_s", "transfers", "aborted", "failed",
                      "tps", "aborted_per_s", "p50_ms", "p95_ms", "p99_ms",
                      "conserved", "prepared_left"}));
}

INSTANTIATE_TEST_SUITE_P(Modes, BenchCliTest,
                         ::testing::Values("2pc", "raw", "local", "saga"));

TEST_F(BenchCliTest, TextReportAndBadUsage) {
  ProcessResult r = Xatm({"bench", "--clients", "1", "--seconds", "1",
                          "--accounts", std::to_string(kAccounts)});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(std::regex_search(
      r.out,
      std::regex(
          "^mode 2pc \\(decisions: file\\), clients 1, [0-9.]+ s, 4 accounts")))
      << r.out;
  EXPECT_NE(r.out.find("\nmoney          conserved ("), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\nprepared left  0\n"), std::string::npos) << r.out;

  ProcessResult bad = Xatm({"bench", "--mode", "fast"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "xatm bench: --mode fast is not 2pc, raw, local or saga\n");
  EXPECT_EQ(Xatm({"bench", "--clients", "0"}).exit_code, 2);
  ProcessResult prefix = Xatm({"bench", "--account-prefix", "Bench_"});
  EXPECT_EQ(prefix.exit_code, 2);
  EXPECT_EQ(prefix.err,
            "xatm bench: --account-prefix must be 1 to 16 of [a-z0-9-]\n");
}

// The saga mode runs real sagas (SagaManager over the decision log, the
// transfer saga of `xatm transfer --protocol saga`): they commit, their
// barrier rows are there, none is left unfinished, and the accounts hold
// what they held, counted here rather than by the bench.
TEST_F(BenchCliTest, SagaModeCommitsRealSagasAndKeepsTheSum) {
  const std::string prefix = "bs" + RandomHex(6) + "-";
  constexpr int kSagaAccounts = 3;
  ProcessResult r =
      Xatm({"bench", "--mode", "saga", "--clients", "2", "--seconds", "2",
            "--accounts", std::to_string(kSagaAccounts), "--account-prefix",
            prefix});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex("^mode saga \\(decisions: file\\), clients 2, ")))
      << r.out;
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(r.out, m, std::regex("\ntransfers +([0-9]+) \\(")))
      << r.out;
  EXPECT_GT(std::stoll(m[1]), 0) << r.out;
  EXPECT_EQ(r.out.find("\nfailed "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nmoney          conserved ("), std::string::npos)
      << r.out;

  ProcessResult in_doubt = Xatm({"in-doubt"});
  EXPECT_EQ(in_doubt.exit_code, 0) << in_doubt.out << in_doubt.err;
  EXPECT_EQ(in_doubt.out, "nothing in doubt\n");

  auto pg = MakeResource(testing::PostgresTestConfig("pg"));
  auto my = MakeResource(testing::MysqlTestConfig("my"));
  ASSERT_TRUE(pg.ok() && my.ok());
  int64_t cents = 0;
  for (Resource* db : {pg->get(), my->get()}) {
    auto rows = db->QueryLocal(
        "SELECT count(*), CAST(SUM(balance) * 100 AS DECIMAL(20, 0)) "
        "FROM xatm_accounts WHERE id LIKE ?",
        {prefix + "%"});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(rows->front()[0].value_or(""), std::to_string(kSagaAccounts));
    cents += std::stoll(rows->front()[1].value_or("0"));
    // Each committed saga left the action rows of its two steps.
    auto barriers = db->QueryLocal(
        "SELECT count(*) FROM xatm_saga_barrier WHERE saga_id LIKE ? AND "
        "op = 'action'",
        {"xatm:" + node_ + ":%"});
    ASSERT_TRUE(barriers.ok()) << barriers.status().ToString();
    EXPECT_NE(barriers->front()[0].value_or("0"), "0") << db->name();
    EXPECT_TRUE(db->ExecuteLocal("DELETE FROM xatm_accounts WHERE id LIKE ?",
                                 {prefix + "%"})
                    .ok());
  }
  EXPECT_EQ(cents, int64_t{2} * kSagaAccounts * 1000000 * 100);
}

// Benches of several nodes at once, each on accounts of its own: its sum
// check sees only its own transfers.
TEST_F(BenchCliTest, AnAccountPrefixGivesABenchAccountsOfItsOwn) {
  const std::string prefix = "bp" + RandomHex(6) + "-";
  ProcessResult r =
      Xatm({"bench", "--clients", "1", "--seconds", "1", "--accounts", "3",
            "--account-prefix", prefix, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(JsonValue(r.out, "conserved"), "true") << r.out;
  ProcessResult balance =
      Xatm({"balance", "pg:" + prefix + "000000", "my:" + prefix + "000002"});
  EXPECT_EQ(balance.exit_code, 0) << balance.out << balance.err;
  auto pg = MakeResource(testing::PostgresTestConfig("pg"));
  auto my = MakeResource(testing::MysqlTestConfig("my"));
  ASSERT_TRUE(pg.ok() && my.ok());
  for (Resource* db : {pg->get(), my->get()}) {
    auto rows = db->QueryLocal(
        "SELECT count(*) FROM xatm_accounts WHERE id LIKE ?", {prefix + "%"});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(rows->front()[0].value_or(""), "3") << db->name();
    EXPECT_TRUE(db->ExecuteLocal("DELETE FROM xatm_accounts WHERE id LIKE ?",
                                 {prefix + "%"})
                    .ok());
  }
}

}  // namespace
}  // namespace xatm
