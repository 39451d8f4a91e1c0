// `xatm transfer` as a saga through the real binary and test servers:
// --protocol saga in text and --json, its "no"s (insufficient funds,
// unknown account), --key; a resource configured xa = off and a PostgreSQL
// started with max_prepared_transactions = 0 (a server of the test's own)
// choosing the saga by themselves, and --protocol 2pc refused for them; and
// the walk-through of a compensation that cannot happen: the transfer in
// doubt, `xatm in-doubt`, `xatm recover`, `xatm resolve ID --retry` once
// the obstacle is gone, and `--mark-compensated --reason` for a second one.
// The walk-through prints every command's output to the test log.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/bank_cleanup.h"
#include "tests/integration/test_env.h"
#include "tests/unit/run_process.h"
#include "xatm/resource_factory.h"

#ifndef XATM_BINARY
#error "XATM_BINARY must name the xatm executable"
#endif
#ifndef XATM_DB_SCRIPT
#error "XATM_DB_SCRIPT must name scripts/db.sh"
#endif

namespace xatm {
namespace {

// Compensations that keep failing give up after three quick tries.
std::string SagaSettings() {
  return "saga_compensation_attempts = 3\nsaga_backoff = 0.01\n"
         "saga_backoff_max = 0.1\n";
}

using ::xatm::testing::ProcessResult;
using ::xatm::testing::RandomHex;
using ::xatm::testing::RequireEnv;
using Json = nlohmann::json;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class SagaCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    suffix_ = RandomHex(10);
    node_ = "sc" + suffix_;
    alice_id_ = "alice-" + suffix_;
    alice_ = "pg:" + alice_id_;
    bob_ = "my:bob-" + suffix_;
    nobody_ = "my:nobody-" + suffix_;
    config_ = dir_.path() + "/xatm.ini";
    // A compensation that keeps failing gives up after three quick tries.
    testing::WriteFile(config_,
                       SagaSettings() + testing::TestConfigText(node_));
    auto pg = MakeResource(testing::PostgresTestConfig("pg"));
    auto my = MakeResource(testing::MysqlTestConfig("my"));
    ASSERT_TRUE(pg.ok() && my.ok());
    pg_ = *pg;
    my_ = *my;
    ProcessResult init = Xatm({"init"});
    ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
    ASSERT_EQ(Xatm({"create-account", alice_, "--balance", "100.00"}).exit_code,
              0);
    ASSERT_EQ(Xatm({"create-account", bob_, "--balance", "50.00"}).exit_code,
              0);
  }

  void TearDown() override {
    Unblock();
    for (Resource* r : {pg_.get(), my_.get()}) {
      testing::DeleteAccount(*r, alice_id_);
      testing::DeleteAccount(*r, "bob-" + suffix_);
      testing::DeleteLedgerRows(*r, node_);
      for (const char* sql :
           {"DELETE FROM xatm_saga_barrier WHERE saga_id LIKE ?",
            "DELETE FROM xatm_idempotency_keys WHERE gtrid LIKE ?"}) {
        Status s = r->ExecuteLocal(sql, {"xatm:" + node_ + ":%"});
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
    }
  }

  ProcessResult Xatm(std::vector<std::string> args,
                     const testing::ProcessOptions& options = {}) {
    args.insert(args.begin(), {XATM_BINARY, "--config", config_});
    return testing::RunProcess(args, options);
  }

  ProcessResult Transfer(const std::string& from, const std::string& to,
                         const std::string& amount,
                         std::vector<std::string> more = {"--protocol", "saga"},
                         const testing::ProcessOptions& options = {}) {
    std::vector<std::string> args = {"transfer", "--from",   from,  "--to",
                                     to,         "--amount", amount};
    args.insert(args.end(), more.begin(), more.end());
    return Xatm(args, options);
  }

  void ExpectBalances(const std::string& alice, const std::string& bob,
                      const std::string& total) {
    ProcessResult r = Xatm({"balance", alice_, bob_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, alice_ + " " + alice + "\n" + bob_ + " " + bob +
                         "\ntotal " + total + "\n");
  }

  std::string IdPattern() const {
    return "xatm:" + node_ + ":[0-9]+:[0-9a-f]{16}:f";
  }

  // A trigger that makes every UPDATE raising alice's balance fail: the
  // credit back of her debit (the debit's compensation) cannot happen.
  void BlockCreditBack() {
    blocker_ = "xatm_test_block_" + suffix_;
    Status s = pg_->ExecuteLocal(
        "CREATE OR REPLACE FUNCTION " + blocker_ +
            "() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION "
            "'credit back blocked by the test'; END $f$",
        {});
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = pg_->ExecuteLocal("CREATE TRIGGER " + blocker_ +
                              " BEFORE UPDATE ON xatm_accounts FOR EACH ROW "
                              "WHEN (OLD.id = '" +
                              alice_id_ +
                              "' AND NEW.balance > OLD.balance) "
                              "EXECUTE FUNCTION " +
                              blocker_ + "()",
                          {});
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Unblock() {
    if (blocker_.empty()) return;
    Status s = pg_->ExecuteLocal(
        "DROP TRIGGER IF EXISTS " + blocker_ + " ON xatm_accounts", {});
    EXPECT_TRUE(s.ok()) << s.ToString();
    s = pg_->ExecuteLocal("DROP FUNCTION IF EXISTS " + blocker_ + "()", {});
    EXPECT_TRUE(s.ok()) << s.ToString();
    blocker_.clear();
  }

  std::string AliceBalance() {
    Result<std::vector<Row>> rows = pg_->QueryLocal(
        "SELECT balance FROM xatm_accounts WHERE id = ?", {alice_id_});
    if (!rows.ok() || rows->empty()) return "missing";
    return rows->front()[0].value_or("null");
  }

  // Prints a command and its output to the test log.
  static void Show(const std::string& command, const ProcessResult& r) {
    std::cout << "$ " << command << "\n"
              << r.out << r.err << "[exit " << r.exit_code << "]\n";
  }

  testing::TempDir dir_;
  std::string suffix_, node_, alice_id_, alice_, bob_, nobody_, config_;
  std::string blocker_;
  std::shared_ptr<Resource> pg_, my_;
};

TEST_F(SagaCliTest, ASagaTransferCommitsAndSaysWhyItDidNot) {
  ProcessResult there = Transfer(alice_, bob_, "30.00");
  EXPECT_EQ(there.exit_code, 0) << there.out << there.err;
  EXPECT_TRUE(
      std::regex_match(there.out, std::regex(IdPattern() + " committed\n")))
      << there.out;
  ExpectBalances("70.00", "80.00", "150.00");

  ProcessResult json =
      Transfer(bob_, alice_, "10.00", {"--protocol", "saga", "--json"});
  EXPECT_EQ(json.exit_code, 0) << json.out << json.err;
  Json doc = Json::parse(json.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << json.out;
  EXPECT_EQ(doc.value("protocol", ""), "saga") << json.out;
  EXPECT_EQ(doc.value("outcome", ""), "committed") << json.out;
  EXPECT_TRUE(std::regex_match(doc.value("gtrid", ""), std::regex(IdPattern())))
      << json.out;
  ExpectBalances("80.00", "70.00", "150.00");

  ProcessResult poor = Transfer(alice_, bob_, "1000.00");
  EXPECT_EQ(poor.exit_code, 1) << poor.out << poor.err;
  EXPECT_TRUE(Contains(poor.out, " aborted: insufficient funds in " + alice_))
      << poor.out;
  ProcessResult lost = Transfer(alice_, nobody_, "5.00");
  EXPECT_EQ(lost.exit_code, 1) << lost.out << lost.err;
  EXPECT_TRUE(Contains(lost.out, " aborted: unknown account " + nobody_))
      << lost.out;
  ProcessResult poor_json =
      Transfer(alice_, bob_, "1000.00", {"--protocol", "saga", "--json"});
  EXPECT_EQ(poor_json.exit_code, 1);
  doc = Json::parse(poor_json.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << poor_json.out;
  EXPECT_EQ(doc.value("protocol", ""), "saga");
  EXPECT_EQ(doc.value("outcome", ""), "aborted");
  EXPECT_EQ(doc.value("exit_code", 0), 1);
  EXPECT_TRUE(
      Contains(doc.value("error", ""), "insufficient funds in " + alice_))
      << poor_json.out;
  // Compensated: nothing moved, nothing left.
  ExpectBalances("80.00", "70.00", "150.00");
  ProcessResult in_doubt = Xatm({"in-doubt"});
  EXPECT_EQ(in_doubt.exit_code, 0) << in_doubt.out << in_doubt.err;
}

TEST_F(SagaCliTest, AKeyedSagaTransferMovesTheMoneyOnce) {
  const std::string key = "saga-key-" + suffix_;
  ProcessResult first =
      Transfer(alice_, bob_, "12.50", {"--protocol", "saga", "--key", key});
  EXPECT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_TRUE(
      std::regex_match(first.out, std::regex(IdPattern() + " committed\n")))
      << first.out;
  const std::string id = first.out.substr(0, first.out.find(' '));
  ExpectBalances("87.50", "62.50", "150.00");

  ProcessResult again =
      Transfer(alice_, bob_, "12.50", {"--protocol", "saga", "--key", key});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(again.out, id + " committed (already done with key " + key +
                           ": nothing moved now)\n");
  ExpectBalances("87.50", "62.50", "150.00");

  ProcessResult other =
      Transfer(alice_, bob_, "13.00", {"--protocol", "saga", "--key", key});
  EXPECT_EQ(other.exit_code, 2) << other.out << other.err;
  EXPECT_TRUE(Contains(other.err, "was used for another request")) << other.err;
  EXPECT_TRUE(Contains(other.err, "nothing moved")) << other.err;
  ExpectBalances("87.50", "62.50", "150.00");
}

TEST_F(SagaCliTest, AResourceConfiguredXaOffTurnsTheTransferIntoASaga) {
  testing::WriteFile(
      config_, SagaSettings() + testing::TestConfigText(node_) + "xa = off\n");
  ProcessResult there = Transfer(alice_, bob_, "20.00", {});
  EXPECT_EQ(there.exit_code, 0) << there.out << there.err;
  EXPECT_TRUE(std::regex_match(
      there.out,
      std::regex(IdPattern() +
                 " committed \\(as a saga: resource 'my' is configured xa = "
                 "off\\)\n")))
      << there.out;
  ExpectBalances("80.00", "70.00", "150.00");

  ProcessResult json = Transfer(bob_, alice_, "5.00", {"--json"});
  EXPECT_EQ(json.exit_code, 0) << json.out << json.err;
  Json doc = Json::parse(json.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << json.out;
  EXPECT_EQ(doc.value("protocol", ""), "saga");
  EXPECT_EQ(doc.value("protocol_reason", ""),
            "resource 'my' is configured xa = off");
  ExpectBalances("85.00", "65.00", "150.00");

  ProcessResult two_phase =
      Transfer(alice_, bob_, "1.00", {"--protocol", "2pc"});
  EXPECT_EQ(two_phase.exit_code, 2) << two_phase.out << two_phase.err;
  EXPECT_TRUE(Contains(two_phase.err, "resource 'my' is configured xa = off"))
      << two_phase.err;
  EXPECT_TRUE(Contains(two_phase.err, "two-phase commit is not possible"))
      << two_phase.err;
  ExpectBalances("85.00", "65.00", "150.00");
}

TEST(SagaCliNoPrepareTest, APostgresWithoutPreparedTransactionsGetsASaga) {
  testing::TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);  // initdb runs as postgres
  const std::string db = dir.path() + "/db";
  testing::ProcessOptions no_prepare;
  no_prepare.env["XATM_PG_MAX_PREPARED"] = "0";
  // Away from the shared test servers' ports (db.sh moves on from a port in
  // use).
  no_prepare.env["XATM_PG_PORT"] =
      std::to_string(std::atoi(RequireEnv("XATM_PG_PORT").c_str()) + 100);
  no_prepare.env["XATM_MY_PORT"] =
      std::to_string(std::atoi(RequireEnv("XATM_MY_PORT").c_str()) + 100);
  ProcessResult start = testing::RunProcess(
      {"/bin/bash", XATM_DB_SCRIPT, "start", db}, no_prepare);
  ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
  struct Stop {
    std::string db;
    ~Stop() { testing::RunProcess({"/bin/bash", XATM_DB_SCRIPT, "stop", db}); }
  } stop{db};
  std::map<std::string, std::string> env = testing::ReadEnvFile(db + "/env.sh");
  ASSERT_TRUE(env.count("XATM_TEST_PG_CONNINFO"));

  // Its PostgreSQL as "pg", the shared MariaDB as "my".
  const std::string suffix = RandomHex(10);
  const std::string node = "sn" + suffix;
  std::string text = testing::TestConfigText(node);
  const std::string shared_pg = RequireEnv("XATM_TEST_PG_CONNINFO");
  text.replace(text.find(shared_pg), shared_pg.size(),
               env.at("XATM_TEST_PG_CONNINFO"));
  const std::string config = dir.path() + "/xatm.ini";
  testing::WriteFile(config, text);
  auto xatm = [&config](std::vector<std::string> args) {
    args.insert(args.begin(), {XATM_BINARY, "--config", config});
    return testing::RunProcess(args);
  };
  const std::string alice = "pg:alice-" + suffix, bob = "my:bob-" + suffix;
  ProcessResult init = xatm({"init"});
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  ASSERT_EQ(xatm({"create-account", alice, "--balance", "100.00"}).exit_code,
            0);
  ASSERT_EQ(xatm({"create-account", bob, "--balance", "50.00"}).exit_code, 0);
  struct Cleanup {
    std::string bob_id, node;
    ~Cleanup() {
      auto my = MakeResource(testing::MysqlTestConfig("my"));
      if (!my.ok()) return;
      testing::DeleteAccount(**my, bob_id);
      testing::DeleteLedgerRows(**my, node);
      (void)(*my)->ExecuteLocal(
          "DELETE FROM xatm_saga_barrier WHERE saga_id LIKE ?",
          {"xatm:" + node + ":%"});
    }
  } cleanup{"bob-" + suffix, node};

  ProcessResult there =
      xatm({"transfer", "--from", alice, "--to", bob, "--amount", "40.00"});
  std::cout << there.out << there.err;
  EXPECT_EQ(there.exit_code, 0) << there.out << there.err;
  EXPECT_TRUE(std::regex_match(
      there.out,
      std::regex("xatm:" + node +
                 ":[0-9]+:[0-9a-f]{16}:f committed \\(as a saga: resource 'pg' "
                 "cannot prepare: PostgreSQL reports max_prepared_transactions "
                 "= 0\\)\n")))
      << there.out;
  ProcessResult balance = xatm({"balance", alice, bob});
  EXPECT_EQ(balance.out, alice + " 60.00\n" + bob + " 90.00\ntotal 150.00\n");

  ProcessResult two_phase = xatm({"transfer", "--from", alice, "--to", bob,
                                  "--amount", "1.00", "--protocol", "2pc"});
  EXPECT_EQ(two_phase.exit_code, 2) << two_phase.out << two_phase.err;
  EXPECT_TRUE(Contains(two_phase.err, "resource 'pg'")) << two_phase.err;
  EXPECT_TRUE(Contains(two_phase.err, "max_prepared_transactions = 0"))
      << two_phase.err;
  balance = xatm({"balance", alice, bob});
  EXPECT_EQ(balance.out, alice + " 60.00\n" + bob + " 90.00\ntotal 150.00\n");
}

TEST_F(SagaCliTest, AStuckCompensationIsListedLeftByRecoveryAndResolved) {
  std::cout << "--- a compensation blocked during the transfer\n";
  // The credit goes to an account that does not exist, so the debit must
  // be undone; while the transfer pauses after the debit, a trigger makes
  // the credit back fail.
  testing::ProcessOptions pause;
  pause.env["XATM_PAUSE_AT"] = "saga-after-action:3000";
  std::future<ProcessResult> running = std::async(std::launch::async, [&] {
    return Transfer(alice_, nobody_, "30.00", {"--protocol", "saga"}, pause);
  });
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (AliceBalance() != "70.00" &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(AliceBalance(), "70.00") << "the debit never committed";
  BlockCreditBack();
  ProcessResult stuck = running.get();
  Show("xatm transfer --from " + alice_ + " --to " + nobody_ +
           " --amount 30.00 --protocol saga   # "
           "XATM_PAUSE_AT=saga-after-action:3000",
       stuck);
  EXPECT_TRUE(Contains(stuck.err, "xatm: paused at saga-after-action"))
      << stuck.err;
  EXPECT_EQ(stuck.exit_code, 3) << stuck.out << stuck.err;
  EXPECT_TRUE(std::regex_search(stuck.out,
                                std::regex("^" + IdPattern() + " in doubt: ")))
      << stuck.out;
  EXPECT_TRUE(Contains(stuck.out, "failed to compensate")) << stuck.out;
  const std::string id = stuck.out.substr(0, stuck.out.find(' '));
  EXPECT_EQ(AliceBalance(), "70.00");

  ProcessResult listed = Xatm({"in-doubt"});
  Show("xatm in-doubt", listed);
  EXPECT_EQ(listed.exit_code, 4) << listed.err;
  EXPECT_TRUE(Contains(listed.out, "saga " + id +
                                       " transfer phase=failed-to-compensate "
                                       "steps=debit=compensation-failed"))
      << listed.out;

  ProcessResult recovered = Xatm({"recover"});
  Show("xatm recover", recovered);
  EXPECT_EQ(recovered.exit_code, 4) << recovered.err;
  EXPECT_TRUE(Contains(recovered.out, id)) << recovered.out;
  EXPECT_TRUE(Contains(recovered.out, "saga-failed-to-compensate"))
      << recovered.out;
  EXPECT_EQ(AliceBalance(), "70.00");

  std::cout << "--- the trigger dropped\n";
  Unblock();
  ProcessResult retried = Xatm({"resolve", id, "--retry"});
  Show("xatm resolve " + id + " --retry", retried);
  EXPECT_EQ(retried.exit_code, 0) << retried.err;
  EXPECT_EQ(retried.out, id + " compensated\n");
  ExpectBalances("100.00", "50.00", "150.00");
  ProcessResult clear = Xatm({"in-doubt"});
  Show("xatm in-doubt", clear);
  EXPECT_EQ(clear.exit_code, 0) << clear.out << clear.err;

  std::cout << "--- a second one, closed by hand\n";
  BlockCreditBack();
  const std::string key = "stuck-" + alice_;
  ProcessResult second =
      Transfer(alice_, nobody_, "30.00", {"--protocol", "saga", "--key", key});
  Show("xatm transfer --from " + alice_ + " --to " + nobody_ +
           " --amount 30.00 --protocol saga",
       second);
  EXPECT_EQ(second.exit_code, 3) << second.out << second.err;
  const std::string second_id = second.out.substr(0, second.out.find(' '));
  EXPECT_TRUE(std::regex_match(second_id, std::regex(IdPattern())))
      << second.out;
  ProcessResult no_reason = Xatm({"resolve", second_id, "--mark-compensated"});
  Show("xatm resolve " + second_id + " --mark-compensated", no_reason);
  EXPECT_EQ(no_reason.exit_code, 2);
  EXPECT_TRUE(Contains(no_reason.err, "--reason")) << no_reason.err;
  ProcessResult marked = Xatm({"resolve", second_id, "--mark-compensated",
                               "--reason", "refunded by hand"});
  Show("xatm resolve " + second_id +
           " --mark-compensated --reason \"refunded by hand\"",
       marked);
  EXPECT_EQ(marked.exit_code, 0) << marked.err;
  EXPECT_EQ(marked.out, second_id +
                            " compensated (marked by an operator: refunded by "
                            "hand)\n");
  // Nothing ran: the refund is the operator's.
  EXPECT_EQ(AliceBalance(), "70.00");
  // A retry with the key is answered by the original: not committed.
  ProcessResult replayed =
      Transfer(alice_, nobody_, "30.00", {"--protocol", "saga", "--key", key});
  Show("xatm transfer ... --key " + key, replayed);
  EXPECT_EQ(replayed.exit_code, 1) << replayed.out << replayed.err;
  EXPECT_TRUE(Contains(replayed.out, second_id + " aborted")) << replayed.out;
  EXPECT_TRUE(Contains(replayed.out, "nothing moved now")) << replayed.out;
  EXPECT_EQ(AliceBalance(), "70.00");
  Unblock();
  ProcessResult last = Xatm({"in-doubt"});
  Show("xatm in-doubt", last);
  EXPECT_EQ(last.exit_code, 0) << last.out << last.err;
}

}  // namespace
}  // namespace xatm
