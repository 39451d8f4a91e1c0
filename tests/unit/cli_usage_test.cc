// The xatm binary refuses bad input with exit code 2 and one clear line,
// before it connects anywhere or opens the decision log. The config points
// at closed ports: any attempt to connect would fail differently (exit 1).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
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
       {"init", "create-account", "balance", "transfer", "serve"}) {
    EXPECT_NE(r.out.find(std::string("  ") + command + " "), std::string::npos)
        << command << " not in:\n"
        << r.out;
  }
  EXPECT_NE(r.out.find("--config"), std::string::npos);
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos);
}

TEST_F(CliUsageTest, ServeTakesNoArguments) {
  ExpectUsageError(Xatm({"serve", "--config", config_, "now"}),
                   {"too many positional"});
  EXPECT_FALSE(std::filesystem::exists(log_dir_));
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
        {"serve"},
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
  EXPECT_NE(foreign.err.find("(node 'other'): its decision lives in"),
            std::string::npos)
      << foreign.err;
  EXPECT_NE(foreign.err.find("resolve it with that node's configuration"),
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

TEST_F(CliUsageTest, MetricsListenWantsAnAddressAndAPort) {
  for (const char* bad :
       {"localhost:9100", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536",
        "127.0.0.1:91x", ":9100", "::1:9100"}) {
    SCOPED_TRACE(bad);
    ExpectUsageError(
        Xatm({"--metrics-listen", bad, "balance", "--config", config_}),
        {"--metrics-listen", std::string("'") + bad + "'"});
  }
}

TEST_F(CliUsageTest, MetricsListenOnAPortInUseFailsBeforeTheCommand) {
  // A listening socket of this test holds the port.
  int holder = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof address),
            0);
  ASSERT_EQ(listen(holder, 1), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(holder, reinterpret_cast<sockaddr*>(&address), &length),
            0);
  const std::string listen_on =
      "127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  ProcessResult r =
      Xatm({"--metrics-listen", listen_on, "balance", "--config", config_});
  close(holder);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "");
  std::vector<std::string> lines = r.ErrLines();
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.back().find("cannot serve metrics on " + listen_on),
            std::string::npos)
      << r.err;
  // The command never ran: it would have refused the missing log.
  EXPECT_EQ(r.err.find("log"), std::string::npos) << r.err;
}

// With --json, stdout holds exactly one JSON document on one line, also
// on failure; a failed assertion (and null) when it does not.
nlohmann::json OneJsonDocument(const ProcessResult& r) {
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "not one line: " << r.out;
  nlohmann::json doc = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << "not JSON: " << r.out;
  return doc.is_discarded() ? nlohmann::json() : doc;
}

TEST_F(CliUsageTest, JsonUsageErrorsAreOneErrorDocument) {
  for (const char* command : {"balance", "transfer", "recover", "in-doubt",
                              "resolve", "log", "bench"}) {
    // Refused by the option parser, by the missing config, by the command.
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{command, "--json", "--config", config_,
                                   "--no-such-option"},
          {command, "--json", "--config", dir_.path() + "/missing.ini"},
          {command, "--json"}}) {
      ProcessResult r = Xatm(args);
      EXPECT_EQ(r.exit_code, 2) << command << ": " << r.out << r.err;
      nlohmann::json doc = OneJsonDocument(r);
      EXPECT_EQ(doc["exit_code"], 2) << command << ": " << r.out;
      ASSERT_TRUE(doc["error"].is_string()) << command << ": " << r.out;
      // The same message as the line on stderr, which stays.
      std::vector<std::string> lines = r.ErrLines();
      ASSERT_EQ(lines.size(), 1u) << r.err;
      EXPECT_EQ(lines[0], "xatm " + std::string(command) + ": " +
                              doc["error"].get<std::string>());
    }
  }
  nlohmann::json amount = OneJsonDocument(
      Xatm({"transfer", "--json", "--config", config_, "--from", "pg:alice",
            "--to", "my:bob", "--amount", "1.001"}));
  EXPECT_EQ(amount,
            nlohmann::json::parse(R"({"error":"amount '1.001' has more than 2 )"
                                  R"(decimals","exit_code":2})"));
  EXPECT_FALSE(std::filesystem::exists(log_dir_));
}

TEST_F(CliUsageTest, JsonReportsWhatIsKnownWithNoDatabaseUp) {
  // No log yet: log verify fails (exit 1) and says which directory.
  ProcessResult none = Xatm({"log", "verify", "--json", "--config", config_});
  EXPECT_EQ(none.exit_code, 1) << none.out << none.err;
  nlohmann::json missing = OneJsonDocument(none);
  EXPECT_EQ(missing["ok"], false);
  EXPECT_EQ(missing["store"], "file");
  EXPECT_EQ(missing["log_dir"], log_dir_);
  EXPECT_EQ(missing["exit_code"], 1);
  EXPECT_NE(missing["error"].get<std::string>().find(log_dir_),
            std::string::npos)
      << none.out;

  ASSERT_EQ(Xatm({"init", "--config", config_}).exit_code, 1);
  // Both databases down: the transfer aborts before any decision.
  ProcessResult t = Xatm({"transfer", "--json", "--config", config_, "--from",
                          "pg:alice", "--to", "my:bob", "--amount", "7"});
  EXPECT_EQ(t.exit_code, 1) << t.out << t.err;
  nlohmann::json transfer = OneJsonDocument(t);
  EXPECT_EQ(transfer["outcome"], "aborted") << t.out;
  EXPECT_EQ(transfer["from"], "pg:alice");
  EXPECT_EQ(transfer["to"], "my:bob");
  EXPECT_EQ(transfer["amount"], "7.00");
  EXPECT_EQ(transfer["exit_code"], 1);
  EXPECT_TRUE(transfer["error"].is_string());
  EXPECT_EQ(transfer["gtrid"].get<std::string>().rfind("xatm:usage:", 0), 0u)
      << t.out;
  EXPECT_EQ(t.out.find("usage-secret-7f"), std::string::npos);

  // A sweep that reaches no database: two resource-level events (no
  // gtrid), still in doubt (exit 4).
  ProcessResult r = Xatm({"recover", "--json", "--config", config_});
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  nlohmann::json sweep = OneJsonDocument(r);
  ASSERT_EQ(sweep["events"].size(), 2u) << r.out;
  for (const nlohmann::json& e : sweep["events"]) {
    EXPECT_TRUE(e["gtrid"].is_null()) << r.out;
    EXPECT_EQ(e["action"], "resource-down") << r.out;
    EXPECT_TRUE(e["detail"].is_string());
  }
  EXPECT_EQ(sweep["summary"]["remaining"], 2) << r.out;
  EXPECT_EQ(sweep["dry_run"], false);
  EXPECT_EQ(sweep["settled"], false);

  ProcessResult listed = Xatm({"in-doubt", "--json", "--config", config_});
  EXPECT_EQ(listed.exit_code, 4) << listed.out << listed.err;
  nlohmann::json in_doubt = OneJsonDocument(listed);
  EXPECT_EQ(in_doubt["branches"], nlohmann::json::array());
  ASSERT_EQ(in_doubt["unreachable"].size(), 2u) << listed.out;
  EXPECT_EQ(in_doubt["settled"], false);

  // The log is empty but sound.
  ProcessResult verified =
      Xatm({"log", "verify", "--json", "--config", config_});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  nlohmann::json log = OneJsonDocument(verified);
  EXPECT_EQ(log["ok"], true);
  EXPECT_EQ(log["identity"]["node"], "usage");
  EXPECT_EQ(log["summary"]["records"], 0);
}

}  // namespace
}  // namespace xatm
