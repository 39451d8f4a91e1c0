// The xatm binary refuses bad input with exit code 2 and one clear line,
// before it connects anywhere or opens the decision log. The config points
// at closed ports: any attempt to connect would fail differently (exit 1).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/unit/run_process.h"

#ifndef XATM_BINARY
#error "XATM_BINARY must name the xatm executable"
#endif

namespace xatm {
namespace {

using testing::ProcessResult;

class CliUsageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.path() + "/xatm.ini";
    log_dir_ = dir_.path() + "/log";
    // Port 1 on loopback: nothing listens there.
    testing::WriteFile(config_,
                       "node = usage\n"
                       "log_dir = " +
                           log_dir_ +
                           "\n"
                           "[resource.pg]\n"
                           "type = postgresql\n"
                           "conninfo = host=127.0.0.1 port=1 dbname=bank "
                           "user=xatm connect_timeout=1\n"
                           "[resource.my]\n"
                           "type = mysql\n"
                           "host = 127.0.0.1\n"
                           "port = 1\n"
                           "user = xatm\n"
                           "database = bank\n"
                           "password_env = XATM_USAGE_TEST_PASSWORD\n"
                           "connect_timeout = 1\n");
  }

  ProcessResult Xatm(std::vector<std::string> args) {
    args.insert(args.begin(), XATM_BINARY);
    testing::ProcessOptions options;
    options.env["XATM_USAGE_TEST_PASSWORD"] = "usage-secret-7f";
    return testing::RunProcess(args, options);
  }

  ProcessResult Transfer(const std::string& from, const std::string& to,
                         const std::string& amount) {
    return Xatm({"transfer", "--config", config_, "--from", from, "--to", to,
                 "--amount", amount});
  }

  // Exit 2, nothing on stdout, exactly one line on stderr containing each
  // of `expected`, and no decision log directory.
  void ExpectUsageError(const ProcessResult& r,
                        const std::vector<std::string>& expected) {
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.out, "");
    std::vector<std::string> lines = r.ErrLines();
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_EQ(lines[0].rfind("xatm", 0), 0u) << lines[0];
    for (const std::string& e : expected) {
      EXPECT_NE(lines[0].find(e), std::string::npos)
          << "'" << e << "' not in: " << lines[0];
    }
    EXPECT_EQ(r.err.find("usage-secret-7f"), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(log_dir_))
        << "the decision log was opened";
  }

  testing::TempDir dir_;
  std::string config_;
  std::string log_dir_;
};

TEST_F(CliUsageTest, NegativeAmount) {
  ExpectUsageError(Transfer("pg:alice", "my:bob", "-5"), {"'-5'", "negative"});
}

TEST_F(CliUsageTest, ZeroAmount) {
  ExpectUsageError(Transfer("pg:alice", "my:bob", "0"),
                   {"'0'", "greater than zero"});
  ExpectUsageError(Transfer("pg:alice", "my:bob", "0.00"),
                   {"'0.00'", "greater than zero"});
}

TEST_F(CliUsageTest, NonNumericAmount) {
  ExpectUsageError(Transfer("pg:alice", "my:bob", "abc"),
                   {"'abc'", "not a number"});
}

TEST_F(CliUsageTest, OverPreciseAmount) {
  ExpectUsageError(Transfer("pg:alice", "my:bob", "1.001"),
                   {"'1.001'", "more than 2 decimals"});
}

TEST_F(CliUsageTest, ExponentAmount) {
  ExpectUsageError(Transfer("pg:alice", "my:bob", "1e5"),
                   {"'1e5'", "exponent"});
}

TEST_F(CliUsageTest, TooManyDigits) {
  ExpectUsageError(Transfer("pg:alice", "my:bob", "1234567890123456789"),
                   {"'1234567890123456789'", "18 digits"});
}

TEST_F(CliUsageTest, MalformedAccount) {
  ExpectUsageError(Transfer("alice", "my:bob", "1"), {"'alice'", "RES:ID"});
  ExpectUsageError(Transfer("pg:alice", "my:", "1"),
                   {"'my:'", "no account id"});
  ExpectUsageError(Transfer("pg:alice", "my:b b", "1"), {"'my:b b'"});
}

TEST_F(CliUsageTest, UnknownResource) {
  ExpectUsageError(Transfer("pg:alice", "oracle:bob", "1"),
                   {"unknown resource 'oracle'", "configured: pg, my"});
}

TEST_F(CliUsageTest, SameAccountOnBothSides) {
  ExpectUsageError(Transfer("pg:alice", "pg:alice", "1"),
                   {"same account pg:alice"});
}

TEST_F(CliUsageTest, MissingConfigFile) {
  ExpectUsageError(
      Xatm({"transfer", "--config", dir_.path() + "/nope.ini", "--from",
            "pg:alice", "--to", "my:bob", "--amount", "1"}),
      {"nope.ini", "cannot open"});
}

TEST_F(CliUsageTest, MissingConfigOption) {
  ExpectUsageError(Xatm({"transfer", "--from", "pg:alice", "--to", "my:bob",
                         "--amount", "1"}),
                   {"missing --config"});
}

TEST_F(CliUsageTest, BadConfigFile) {
  testing::WriteFile(config_, "node = n1\nlog_dir = " + log_dir_ +
                                  "\n[resource.my]\ntype = mysql\n"
                                  "password = usage-secret-7f\n");
  ExpectUsageError(Transfer("pg:alice", "my:bob", "1"),
                   {"config " + config_, "password may not be written"});
}

TEST_F(CliUsageTest, MissingOption) {
  ExpectUsageError(Xatm({"transfer", "--config", config_, "--from", "pg:alice",
                         "--to", "my:bob"}),
                   {"missing --amount"});
}

TEST_F(CliUsageTest, UnknownOption) {
  ExpectUsageError(
      Xatm({"transfer", "--config", config_, "--form", "pg:alice"}),
      {"--form"});
  // No guessing: --am is not --amount.
  ExpectUsageError(Xatm({"transfer", "--config", config_, "--from", "pg:alice",
                         "--to", "my:bob", "--am", "1"}),
                   {"--am"});
}

TEST_F(CliUsageTest, UnknownCommand) {
  ExpectUsageError(Xatm({"--config", config_, "transfre"}),
                   {"unknown command 'transfre'"});
}

TEST_F(CliUsageTest, NoCommand) { ExpectUsageError(Xatm({}), {"no command"}); }

TEST_F(CliUsageTest, BadLogLevel) {
  ExpectUsageError(
      Xatm({"balance", "--config", config_, "--log-level", "loud"}),
      {"'loud'", "trace|debug|info|warn|error|off"});
}

TEST_F(CliUsageTest, CreateAccountChecksItsArguments) {
  ExpectUsageError(Xatm({"create-account", "--config", config_, "pg:alice",
                         "--balance", "-1"}),
                   {"balance '-1'", "negative"});
  ExpectUsageError(
      Xatm({"create-account", "--config", config_, "alice", "--balance", "1"}),
      {"'alice'"});
  ExpectUsageError(Xatm({"create-account", "--config", config_}),
                   {"missing RES:ID"});
}

TEST_F(CliUsageTest, BalanceChecksEveryAccountFirst) {
  ExpectUsageError(Xatm({"balance", "--config", config_, "pg:alice", "bob"}),
                   {"'bob'"});
}

TEST_F(CliUsageTest, GlobalOptionsMayPrecedeTheCommand) {
  ExpectUsageError(Xatm({"--config", config_, "transfer", "--from", "pg:alice",
                         "--to", "my:bob", "--amount", "abc"}),
                   {"'abc'"});
}

TEST_F(CliUsageTest, HelpListsTheCommands) {
  ProcessResult r = Xatm({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  for (const char* command :
       {"init", "create-account", "balance", "transfer"}) {
    EXPECT_NE(r.out.find(std::string("  ") + command + " "), std::string::npos)
        << command << " not in:\n"
        << r.out;
  }
  EXPECT_NE(r.out.find("--config"), std::string::npos);
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
}

TEST_F(CliUsageTest, TransferHelpExplainsItsOptions) {
  ProcessResult r = Xatm({"transfer", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  for (const char* option : {"--from", "--to", "--amount", "--config"}) {
    EXPECT_NE(r.out.find(option), std::string::npos) << option;
  }
  EXPECT_FALSE(std::filesystem::exists(log_dir_));
}

TEST_F(CliUsageTest, MalformedKeyNamesTheRule) {
  for (const std::string& key :
       {std::string(), std::string(65, 'k'), std::string("a b"),
        std::string("k/1"), std::string("k\xc3\xa9")}) {
    ExpectUsageError(
        Xatm({"transfer", "--config", config_, "--from", "pg:alice", "--to",
              "my:bob", "--amount", "1", "--key", key}),
        {"--key", "1-64 characters [A-Za-z0-9._:-]"});
  }
  ProcessResult help = Xatm({"transfer", "--help"});
  EXPECT_NE(help.out.find("--key"), std::string::npos) << help.out;
}

TEST_F(CliUsageTest, ConnectionFailureIsNotAUsageError) {
  // Everything valid: now xatm does try, and the closed port fails the
  // transfer before any decision (exit 1, nothing changed). init makes the
  // log before it fails to reach the databases.
  ProcessResult init = Xatm({"init", "--config", config_});
  EXPECT_EQ(init.exit_code, 1) << init.out << init.err;
  ASSERT_TRUE(std::filesystem::exists(log_dir_ + "/xatm-log.id"));
  ProcessResult r = Transfer("pg:alice", "my:bob", "1");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find(" aborted: "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("usage-secret-7f"), std::string::npos);
  EXPECT_EQ(r.err.find("usage-secret-7f"), std::string::npos);
}

TEST_F(CliUsageTest, CommandsOtherThanInitRefuseAMissingLogAndCreateNone) {
  // An unmounted volume or a typo in log_dir must not read as "no
  // decisions": recover would presume every prepared branch aborted.
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"recover"},
        {"in-doubt"},
        {"transfer", "--from", "pg:alice", "--to", "my:bob", "--amount",
         "1"}}) {
    std::vector<std::string> args = command;
    args.insert(args.end(), {"--config", config_});
    ProcessResult r = Xatm(args);
    EXPECT_NE(r.exit_code, 0) << command[0] << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(log_dir_), std::string::npos)
        << command[0] << ": " << r.err;
    EXPECT_NE(r.err.find("xatm init"), std::string::npos)
        << command[0] << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(log_dir_)) << command[0];
  }
}

TEST_F(CliUsageTest, InDoubtAllNodesNeedsADatabaseStore) {
  // Another node's decisions are in its own log_dir: this one cannot tell.
  ExpectUsageError(Xatm({"in-doubt", "--config", config_, "--all-nodes"}),
                   {"--all-nodes", "decision_store", "log_dir"});
}

TEST_F(CliUsageTest, ResolveWithAFileStoreKeepsItsAnswers) {
  ExpectUsageError(Xatm({"resolve", "--config", config_,
                         "xatm:usage:1700000000000:0123456789abcdef"}),
                   {"exactly one of --commit, --rollback"});
  ASSERT_EQ(Xatm({"init", "--config", config_}).exit_code, 1);
  ASSERT_TRUE(std::filesystem::exists(log_dir_ + "/xatm-log.id"));
  // Another node's transaction: its decisions are in its own log.
  ProcessResult foreign =
      Xatm({"resolve", "--config", config_,
            "xatm:other:1700000000000:0123456789abcdef", "--rollback"});
  EXPECT_EQ(foreign.exit_code, 1) << foreign.out << foreign.err;
  EXPECT_NE(foreign.err.find("belongs to node 'other', not 'usage'"),
            std::string::npos)
      << foreign.err;
  // Its own, with no database answering: nothing found, still in doubt.
  for (const char* decision : {"--rollback", "--commit"}) {
    ProcessResult own =
        Xatm({"resolve", "--config", config_,
              "xatm:usage:1700000000000:0123456789abcdef", decision});
    EXPECT_EQ(own.exit_code, 4) << decision << ": " << own.out << own.err;
    EXPECT_NE(own.err.find("nothing found, and pg is unreachable"),
              std::string::npos)
        << decision << ": " << own.err;
  }
}

}  // namespace
}  // namespace xatm
