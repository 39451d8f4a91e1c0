// `xatm transfer --key KEY` against the real test servers: a key moves the
// money once however many processes retry it at the same time, a key used
// for another request is refused before anything is attempted, and a
// malformed key is a usage error.
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>
#include <set>
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

namespace xatm {
namespace {

using ::xatm::testing::ProcessResult;
using ::xatm::testing::RandomHex;

// Where the COMMIT decisions live: the node's file log (concurrent xatm
// processes take turns on it) or PostgreSQL's table (they run at once).
class CliKeyTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    suffix_ = RandomHex(10);
    node_ = "key" + suffix_;
    alice_ = "pg:alice-" + suffix_;
    bob_ = "my:bob-" + suffix_;
    key_ = "order-" + suffix_ + ":1";
    config_ = dir_.path() + "/xatm.ini";
    testing::WriteFile(config_, "decision_store = " + GetParam() + "\n" +
                                    testing::TestConfigText(node_));
    ProcessResult init = Xatm({"init"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    ASSERT_EQ(Xatm({"create-account", alice_, "--balance", "100.00"}).exit_code,
              0);
    ASSERT_EQ(Xatm({"create-account", bob_, "--balance", "100.00"}).exit_code,
              0);
    pg_ = *MakeResource(testing::PostgresTestConfig("pg"));
    my_ = *MakeResource(testing::MysqlTestConfig("my"));
  }

  void TearDown() override {
    for (Resource* r : {pg_.get(), my_.get()}) {
      if (r == nullptr) continue;
      for (const char* who : {"alice-", "bob-"}) {
        testing::DeleteAccount(*r, who + suffix_);
      }
      testing::DeleteLedgerRows(*r, node_);
    }
  }

  ProcessResult Xatm(std::vector<std::string> args,
                     const testing::ProcessOptions& options = {}) {
    args.insert(args.begin(), {XATM_BINARY, "--config", config_});
    return testing::RunProcess(args, options);
  }

  ProcessResult KeyedTransfer(const std::string& key, const std::string& amount,
                              const testing::ProcessOptions& options = {}) {
    return Xatm({"transfer", "--from", alice_, "--to", bob_, "--amount", amount,
                 "--key", key},
                options);
  }

  void ExpectBalances(const std::string& alice, const std::string& bob) {
    ProcessResult r = Xatm({"balance", alice_, bob_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, alice_ + " " + alice + "\n" + bob_ + " " + bob +
                         "\ntotal 200.00\n");
  }

  // The gtrids of the ledger rows of `account_id` in `resource`.
  std::vector<std::string> LedgerGtrids(Resource& resource,
                                        const std::string& account_id) {
    auto rows = resource.QueryLocal(
        "SELECT gtrid FROM xatm_ledger WHERE account = ?", {account_id});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> gtrids;
    if (rows.ok()) {
      for (const Row& row : *rows) gtrids.push_back(row[0].value_or(""));
    }
    return gtrids;
  }

  // Prepared branches of this test's node in either database.
  size_t PreparedCount() {
    size_t count = 0;
    for (Resource* r : {pg_.get(), my_.get()}) {
      auto prepared = r->ListPrepared();
      EXPECT_TRUE(prepared.ok()) << prepared.status().ToString();
      if (!prepared.ok()) continue;
      for (const PreparedBranch& b : *prepared) {
        if (b.id.xid.Gtrid().rfind("xatm:" + node_ + ":", 0) == 0) ++count;
      }
    }
    return count;
  }

  std::string GtridPattern() const {
    return "xatm:" + node_ + ":[0-9]+:[0-9a-f]{16}(?::[a-z0-9]{1,9})?";
  }

  testing::TempDir dir_;
  std::string suffix_, node_, alice_, bob_, key_, config_;
  std::shared_ptr<Resource> pg_, my_;
};

TEST_P(CliKeyTest, TenConcurrentRetriesMoveTheMoneyOnce) {
  // The winner holds its claims uncommitted for 300 ms after its work, so
  // the others get past their first read of the key and meet the claim
  // itself (with the file log they also queue for the log, one at a time).
  testing::ProcessOptions hold;
  hold.env["XATM_PAUSE_AT"] = "before-prepare:300";
  std::vector<ProcessResult> results(10);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([this, i, &results, &hold] {
      results[i] = KeyedTransfer(key_, "7.25", hold);
    });
  }
  for (std::thread& t : threads) t.join();

  const std::regex committed("(" + GtridPattern() + ") committed(.*)\n");
  std::set<std::string> reported;
  int fresh = 0;
  for (const ProcessResult& r : results) {
    std::smatch m;
    if (r.exit_code == 0 && std::regex_match(r.out, m, committed)) {
      reported.insert(m[1]);
      if (m[2].str().empty()) ++fresh;
      continue;
    }
    // Still being committed by the winner: in doubt, never a second move.
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_NE(r.out.find(" in doubt: "), std::string::npos) << r.out;
  }
  int in_doubt = 0;
  for (const ProcessResult& r : results) in_doubt += r.exit_code == 3 ? 1 : 0;
  std::printf("%d moved, %zu answered 0 (already done), %d answered 3\n", fresh,
              results.size() - fresh - in_doubt, in_doubt);
  EXPECT_EQ(fresh, 1) << "exactly one process moved the money";
  EXPECT_EQ(reported.size(), 1u) << "all report the same transaction";
  ExpectBalances("92.75", "107.25");
  std::vector<std::string> debits = LedgerGtrids(*pg_, "alice-" + suffix_);
  std::vector<std::string> credits = LedgerGtrids(*my_, "bob-" + suffix_);
  ASSERT_EQ(debits.size(), 1u);
  ASSERT_EQ(credits.size(), 1u);
  EXPECT_EQ(debits[0], credits[0]);
  if (!reported.empty()) {
    EXPECT_EQ(*reported.begin(), debits[0]);
  }
  EXPECT_EQ(PreparedCount(), 0u);
}

TEST_P(CliKeyTest, RetryAfterCommitReportsTheOriginal) {
  ProcessResult first = KeyedTransfer(key_, "7.25");
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_match(
      first.out, m, std::regex("(" + GtridPattern() + ") committed\n")))
      << first.out;
  const std::string gtrid = m[1];

  ProcessResult again = KeyedTransfer(key_, "7.25");
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(again.out, gtrid + " committed (already done with key " + key_ +
                           ": nothing moved now)\n");
  ExpectBalances("92.75", "107.25");
}

TEST_P(CliKeyTest, SameKeyForAnotherRequestIsRefused) {
  ProcessResult first = KeyedTransfer(key_, "7.25");
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;

  ProcessResult other_amount = KeyedTransfer(key_, "7.26");
  EXPECT_EQ(other_amount.exit_code, 2) << other_amount.out << other_amount.err;
  EXPECT_EQ(other_amount.out, "");
  EXPECT_NE(
      other_amount.err.find("key " + key_ + " was used for another request"),
      std::string::npos)
      << other_amount.err;
  ProcessResult other_way = Xatm({"transfer", "--from", bob_, "--to", alice_,
                                  "--amount", "7.25", "--key", key_});
  EXPECT_EQ(other_way.exit_code, 2) << other_way.out << other_way.err;

  ExpectBalances("92.75", "107.25");
  EXPECT_EQ(LedgerGtrids(*pg_, "alice-" + suffix_).size(), 1u);
  EXPECT_EQ(PreparedCount(), 0u);
}

TEST_P(CliKeyTest, MalformedKeysAreUsageErrors) {
  const std::string rule = "1-64 characters [A-Za-z0-9._:-]";
  for (const std::string& bad :
       {std::string(), std::string("a b"), std::string(65, 'k'),
        std::string("k\xc3\xa9"), std::string("k/1"), std::string("k'1")}) {
    ProcessResult r = KeyedTransfer(bad, "1.00");
    EXPECT_EQ(r.exit_code, 2) << "key '" << bad << "': " << r.out << r.err;
    EXPECT_NE(r.err.find(rule), std::string::npos) << r.err;
  }
  // 64 characters of every allowed kind are fine.
  const std::string longest = "A-z.0:" + suffix_ + std::string(48, '9');
  ASSERT_EQ(longest.size(), 64u);
  ProcessResult ok = KeyedTransfer(longest, "1.00");
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  ExpectBalances("99.00", "101.00");
}

INSTANTIATE_TEST_SUITE_P(DecisionStores, CliKeyTest,
                         ::testing::Values("file", "pg"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return p.param == "file" ? std::string("FileLog")
                                                    : std::string("InPostgres");
                         });

}  // namespace
}  // namespace xatm
