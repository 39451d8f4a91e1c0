// The xatm binary against the real test servers: init, create-account,
// transfers both ways, balances, and the exit codes scripts rely on.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
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

namespace xatm {
namespace {

using ::xatm::testing::ProcessResult;
using ::xatm::testing::RandomHex;
using ::xatm::testing::RequireEnv;

class CliTransferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    suffix_ = RandomHex(10);
    node_ = "cli" + suffix_;
    alice_ = "pg:alice-" + suffix_;
    bob_ = "my:bob-" + suffix_;
    config_ = dir_.path() + "/xatm.ini";
    testing::WriteFile(config_, testing::TestConfigText(node_));
  }

  void TearDown() override {
    auto pg = MakeResource(testing::PostgresTestConfig("pg"));
    auto my = MakeResource(testing::MysqlTestConfig("my"));
    ASSERT_TRUE(pg.ok() && my.ok());
    for (Resource* r : {pg->get(), my->get()}) {
      for (const char* who : {"alice-", "bob-"}) {
        testing::DeleteAccount(*r, who + suffix_);
      }
      testing::DeleteLedgerRows(*r, node_);
    }
  }

  // Runs xatm with --config from the root directory: the schema is in the
  // binary and the log_dir is found from the config file, not the cwd.
  ProcessResult Xatm(std::vector<std::string> args) {
    args.insert(args.begin(), {XATM_BINARY, "--config", config_});
    testing::ProcessOptions options;
    options.cwd = "/";
    return testing::RunProcess(args, options);
  }

  ProcessResult Transfer(const std::string& from, const std::string& to,
                         const std::string& amount) {
    return Xatm({"transfer", "--from", from, "--to", to, "--amount", amount});
  }

  void ExpectBalances(const std::string& alice, const std::string& bob,
                      const std::string& total) {
    ProcessResult r = Xatm({"balance", alice_, bob_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, alice_ + " " + alice + "\n" + bob_ + " " + bob +
                         "\ntotal " + total + "\n");
  }

  std::string GtridPattern() const {
    return "xatm:" + node_ + ":[0-9]+:[0-9a-f]{16}(?::[a-z0-9]{1,9})?";
  }

  testing::TempDir dir_;
  std::string suffix_, node_, alice_, bob_, config_;
};

TEST_F(CliTransferTest, InitCreateTransferBothWaysAndBalance) {
  ProcessResult init = Xatm({"init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_EQ(init.out, "decision log " + dir_.path() + "/log: ready (node " +
                          node_ +
                          ")\npg: schema ready (postgresql)\n"
                          "my: schema ready (mysql)\n");
  // Idempotent.
  EXPECT_EQ(Xatm({"init"}).exit_code, 0);

  ProcessResult created =
      Xatm({"create-account", alice_, "--balance", "100.00"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(created.out, "created " + alice_ + " 100.00\n");
  ASSERT_EQ(Xatm({"create-account", bob_, "--balance", "50"}).exit_code, 0);
  ProcessResult again = Xatm({"create-account", alice_, "--balance", "1"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err,
            "xatm create-account: account " + alice_ + " already exists\n");
  ExpectBalances("100.00", "50.00", "150.00");

  ProcessResult there = Transfer(alice_, bob_, "25.50");
  EXPECT_EQ(there.exit_code, 0) << there.out << there.err;
  EXPECT_TRUE(
      std::regex_match(there.out, std::regex(GtridPattern() + " committed\n")))
      << there.out;
  ExpectBalances("74.50", "75.50", "150.00");

  ProcessResult back = Transfer(bob_, alice_, "10.25");
  EXPECT_EQ(back.exit_code, 0) << back.out << back.err;
  EXPECT_TRUE(
      std::regex_match(back.out, std::regex(GtridPattern() + " committed\n")))
      << back.out;
  ExpectBalances("84.75", "65.25", "150.00");

  // The decision log lives next to the config file, whatever the cwd.
  EXPECT_TRUE(std::filesystem::is_directory(dir_.path() + "/log"));

  // Every account of every resource: ours among them, then the total.
  ProcessResult all = Xatm({"balance"});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find(alice_ + " 84.75\n"), std::string::npos);
  EXPECT_NE(all.out.find(bob_ + " 65.25\n"), std::string::npos);
  EXPECT_TRUE(
      std::regex_search(all.out, std::regex("\ntotal [0-9]+\\.[0-9]{2}\n$")))
      << all.out;
}

TEST_F(CliTransferTest, AbortedTransfersExitOneAndChangeNothing) {
  ASSERT_EQ(Xatm({"init"}).exit_code, 0);
  ASSERT_EQ(Xatm({"create-account", alice_, "--balance", "100.00"}).exit_code,
            0);
  ASSERT_EQ(Xatm({"create-account", bob_, "--balance", "50.00"}).exit_code, 0);

  ProcessResult poor = Transfer(alice_, bob_, "100.01");
  EXPECT_EQ(poor.exit_code, 1) << poor.out << poor.err;
  EXPECT_TRUE(std::regex_match(
      poor.out, std::regex(GtridPattern() + " aborted: insufficient funds in " +
                           alice_ + "\n")))
      << poor.out;

  const std::string ghost = "my:ghost-" + suffix_;
  ProcessResult unknown = Transfer(alice_, ghost, "1");
  EXPECT_EQ(unknown.exit_code, 1) << unknown.out << unknown.err;
  EXPECT_NE(unknown.out.find(" aborted: unknown account " + ghost + "\n"),
            std::string::npos)
      << unknown.out;

  ExpectBalances("100.00", "50.00", "150.00");
  ProcessResult missing = Xatm({"balance", ghost});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err,
            "xatm balance: account " + ghost + " does not exist\n");
}

TEST_F(CliTransferTest, SameDatabaseTransfer) {
  const std::string carol = "pg:bob-" + suffix_;
  ASSERT_EQ(Xatm({"init"}).exit_code, 0);
  ASSERT_EQ(Xatm({"create-account", alice_, "--balance", "1.00"}).exit_code, 0);
  ASSERT_EQ(Xatm({"create-account", carol}).exit_code, 0);
  ProcessResult r = Transfer(alice_, carol, "0.99");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  ProcessResult b = Xatm({"balance", alice_, carol});
  EXPECT_EQ(b.out, alice_ + " 0.01\n" + carol + " 0.99\ntotal 1.00\n");
}

TEST_F(CliTransferTest, ConcurrentCommandsTakeTurnsOnTheDecisionLog) {
  ASSERT_EQ(Xatm({"init"}).exit_code, 0);
  ASSERT_EQ(Xatm({"create-account", alice_, "--balance", "100.00"}).exit_code,
            0);
  ASSERT_EQ(Xatm({"create-account", bob_, "--balance", "100.00"}).exit_code, 0);
  // Four xatm processes at once share one log directory: each waits for
  // the others instead of failing.
  std::vector<ProcessResult> results(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([this, i, &results] {
      results[i] = i % 2 == 0 ? Transfer(alice_, bob_, "1.01")
                              : Transfer(bob_, alice_, "2.00");
    });
    if (threads.size() == 4) {
      for (std::thread& t : threads) t.join();
      threads.clear();
    }
  }
  for (const ProcessResult& r : results) {
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  ExpectBalances("103.96", "96.04", "200.00");
}

TEST_F(CliTransferTest, InDoubtWithNothingInDoubtSaysSoInOneLine) {
  ASSERT_EQ(Xatm({"init"}).exit_code, 0);
  ProcessResult r = Xatm({"in-doubt"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "nothing in doubt\n");
  EXPECT_EQ(r.err, "");
}

// The decision log tells which transactions exist and when: only its owner
// reads it. Files 0600 and the directory 0700 whatever the umask, so a
// permissive umask of the shell that ran `xatm init` leaks nothing.
TEST_F(CliTransferTest, DecisionLogIsPrivateWhateverTheUmask) {
  for (mode_t mask : {mode_t{022}, mode_t{0}}) {
    SCOPED_TRACE(mask == 0 ? "umask 000" : "umask 022");
    testing::TempDir dir;
    config_ = dir.path() + "/xatm.ini";
    testing::WriteFile(config_, testing::TestConfigText(node_));
    const mode_t old = ::umask(mask);  // inherited by the xatm processes
    ProcessResult init = Xatm({"init"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    if (mask == 022) {  // the first round makes the accounts
      ASSERT_EQ(Xatm({"create-account", alice_, "--balance", "10"}).exit_code,
                0);
      ASSERT_EQ(Xatm({"create-account", bob_, "--balance", "10"}).exit_code, 0);
    }
    ProcessResult t = Transfer(alice_, bob_, "1.00");
    ::umask(old);
    ASSERT_EQ(t.exit_code, 0) << t.out << t.err;

    const std::string log = dir.path() + "/log";
    EXPECT_EQ(testing::OctalMode(log), "0700") << log;
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(log)) {
      EXPECT_EQ(testing::OctalMode(entry.path()), "0600") << entry.path();
      ++files;
    }
    EXPECT_GE(files, 3) << "segments, the id file and the lock";
  }
}

}  // namespace
}  // namespace xatm
