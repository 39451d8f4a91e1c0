// `--json` of the xatm binary against the real test servers: after known
// work, the whole stdout of each command parses as one JSON document with
// the documented keys and exact values (money as strings with two
// decimals); failures give an "error" document and the usual exit code;
// diagnostics stay on stderr.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
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

namespace xatm {
namespace {

using ::nlohmann::json;
using ::xatm::testing::ProcessResult;
using ::xatm::testing::RandomHex;

constexpr int kKilled = 128 + 9;  // SIGKILL, as XATM_CRASH_AT ends a process

// The whole of `out` as one JSON document on one line; a failed assertion
// (and null) when it is not exactly that.
json ParseOne(const ProcessResult& r) {
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1)
      << "not one line: " << r.out << r.err;
  json doc = json::parse(r.out, /*cb=*/nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(doc.is_discarded()) << "not one JSON document: " << r.out;
  return doc.is_discarded() ? json() : doc;
}

// The parameter: "file" (the decision log) or "pg" (decision_store = pg).
class JsonCliTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    store_ = GetParam();
    suffix_ = RandomHex(10);
    node_ = "js" + suffix_;
    alice_ = "pg:alice-" + suffix_;
    bob_ = "my:bob-" + suffix_;
    config_ = dir_.path() + "/xatm.ini";
    const std::string store_line =
        store_ == "file" ? "" : "decision_store = " + store_ + "\n";
    testing::WriteFile(config_, store_line + testing::TestConfigText(node_));
    ProcessResult init = Xatm({"init"});
    ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
    ASSERT_EQ(Xatm({"create-account", alice_, "--balance", "100.00"}).exit_code,
              0);
    ASSERT_EQ(Xatm({"create-account", bob_, "--balance", "50.00"}).exit_code,
              0);
  }

  void TearDown() override {
    // Whatever a failed test left prepared.
    ProcessResult swept = Xatm({"recover", "--grace", "0"});
    EXPECT_EQ(swept.exit_code, 0) << swept.out << swept.err;
    auto pg = MakeResource(testing::PostgresTestConfig("pg"));
    auto my = MakeResource(testing::MysqlTestConfig("my"));
    ASSERT_TRUE(pg.ok() && my.ok());
    for (Resource* r : {pg->get(), my->get()}) {
      for (const char* who : {"alice-", "bob-"}) {
        testing::DeleteAccount(*r, who + suffix_);
      }
      testing::DeleteLedgerRows(*r, node_);
    }
    if (store_ != "file") {
      Status s =
          (*pg)->ExecuteLocal("DELETE FROM xatm_decisions WHERE gtrid LIKE ?",
                              {"xatm:" + node_ + ":%"});
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
  }

  ProcessResult Xatm(std::vector<std::string> args,
                     const std::string& crash_at = "") {
    args.insert(args.begin(), {XATM_BINARY, "--config", config_});
    testing::ProcessOptions options;
    options.cwd = "/";
    if (!crash_at.empty()) options.env["XATM_CRASH_AT"] = crash_at;
    return testing::RunProcess(args, options);
  }

  ProcessResult Transfer(const std::string& amount,
                         const std::string& crash_at = "") {
    return Xatm({"transfer", "--json", "--from", alice_, "--to", bob_,
                 "--amount", amount},
                crash_at);
  }

  // The resources holding a prepared branch after a crash between the
  // prepare and the commit: with the decision in PostgreSQL its branch
  // carries the decision and is never prepared.
  std::vector<std::string> PreparedAfterPrepare() const {
    return store_ == "file" ? std::vector<std::string>{"my", "pg"}
                            : std::vector<std::string>{"my"};
  }

  // A transfer of 25.00 killed at `crash_at`, leaving branches prepared on
  // `prepared` and (`decided`) an open COMMIT decision; its gtrid, from
  // in-doubt --json, whose document is checked on the way.
  std::string CrashedTransfer(const std::string& crash_at,
                              const std::vector<std::string>& prepared,
                              bool decided) {
    ProcessResult run = Transfer("25.00", crash_at);
    EXPECT_EQ(run.exit_code, kKilled) << run.out << run.err;
    EXPECT_EQ(run.out, "");
    // The servers notice the dead client's sockets (MariaDB answers
    // XAER_NOTA to another session while the preparing one is attached).
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ProcessResult listed = Xatm({"in-doubt", "--json"});
    EXPECT_EQ(listed.exit_code, 4) << listed.out << listed.err;
    json doc = ParseOne(listed);
    if (!doc.is_object() || doc["branches"].size() != prepared.size() ||
        doc["decisions"].size() != (decided ? 1u : 0u)) {
      ADD_FAILURE() << "unexpected in-doubt: " << listed.out;
      return "";
    }
    const std::string gtrid =
        decided ? doc["decisions"][0]["gtrid"] : doc["branches"][0]["gtrid"];
    EXPECT_TRUE(std::regex_match(gtrid, std::regex(GtridPattern())));
    std::vector<std::string> resources;
    for (const json& b : doc["branches"]) {
      EXPECT_EQ(b["gtrid"], gtrid);
      resources.push_back(b["resource"]);
      EXPECT_EQ(b["decision"], decided ? "commit" : "none");
      EXPECT_TRUE(b["age_ms"].is_number_integer());
      EXPECT_TRUE(std::regex_match(b["age"].get<std::string>(),
                                   std::regex("-?[0-9]+\\.[0-9]s")));
    }
    std::sort(resources.begin(), resources.end());
    EXPECT_EQ(resources, prepared) << listed.out;
    if (decided) {
      std::vector<std::string> named = doc["decisions"][0]["resources"];
      std::sort(named.begin(), named.end());
      EXPECT_EQ(named, (std::vector<std::string>{"my", "pg"}));
      EXPECT_TRUE(doc["decisions"][0]["age_ms"].is_number_integer());
    }
    EXPECT_EQ(doc["unreachable"], json::array());
    EXPECT_EQ(doc["settled"], false);
    return gtrid;
  }

  std::string GtridPattern() const {
    return "xatm:" + node_ + ":[0-9]+:[0-9a-f]{16}(?::[a-z0-9]{1,9})?";
  }

  testing::TempDir dir_;
  std::string store_, suffix_, node_, alice_, bob_, config_;
};

TEST_P(JsonCliTest, TransferAndBalance) {
  ProcessResult moved = Transfer("25.5");
  EXPECT_EQ(moved.exit_code, 0) << moved.out << moved.err;
  json t = ParseOne(moved);
  EXPECT_TRUE(
      std::regex_match(t.value("gtrid", ""), std::regex(GtridPattern())))
      << moved.out;
  EXPECT_EQ(t["outcome"], "committed");
  EXPECT_EQ(t["from"], alice_);
  EXPECT_EQ(t["to"], bob_);
  EXPECT_EQ(t["amount"], "25.50");
  EXPECT_FALSE(t.contains("error")) << moved.out;

  ProcessResult balance = Xatm({"balance", "--json", alice_, bob_});
  EXPECT_EQ(balance.exit_code, 0) << balance.err;
  EXPECT_EQ(ParseOne(balance),
            json::parse(R"({"accounts":[{"account":")" + alice_ +
                        R"(","balance":"74.50"},{"account":")" + bob_ +
                        R"(","balance":"75.50"}],"total":"150.00"})"));

  // Every account: ours among them, the total a string of cents.
  json all = ParseOne(Xatm({"balance", "--json"}));
  bool found = false;
  for (const json& a : all["accounts"]) {
    found |= a["account"] == alice_ && a["balance"] == "74.50";
  }
  EXPECT_TRUE(found) << all.dump();
  EXPECT_TRUE(std::regex_match(all["total"].get<std::string>(),
                               std::regex("[0-9]+\\.[0-9]{2}")));
}

TEST_P(JsonCliTest, FailuresGiveAnErrorDocumentAndTheExitCode) {
  ProcessResult poor = Transfer("100.01");
  EXPECT_EQ(poor.exit_code, 1) << poor.out << poor.err;
  json t = ParseOne(poor);
  EXPECT_TRUE(
      std::regex_match(t.value("gtrid", ""), std::regex(GtridPattern())));
  EXPECT_EQ(t["outcome"], "aborted");
  EXPECT_EQ(t["amount"], "100.01");
  EXPECT_EQ(t["error"], "insufficient funds in " + alice_);
  EXPECT_EQ(t["exit_code"], 1);

  const std::string ghost = "my:ghost-" + suffix_;
  ProcessResult missing = Xatm({"balance", "--json", ghost});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(ParseOne(missing),
            json({{"error", "account " + ghost + " does not exist"},
                  {"exit_code", 1}}));
  // The text line on stderr as without --json.
  EXPECT_EQ(missing.err,
            "xatm balance: account " + ghost + " does not exist\n");

  // Usage errors, caught before and after the options parse: exit 2.
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"transfer", "--json", "--from", alice_, "--to", bob_, "--amount",
            "1.001"},
           {"transfer", "--json", "--amount"},
           {"resolve", "--json", "--commit"},
           {"log", "--json", "check"},
           {"recover", "--json", "--grace", "-1"}}) {
    ProcessResult bad = Xatm(args);
    EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
    json doc = ParseOne(bad);
    EXPECT_EQ(doc["exit_code"], 2) << bad.out;
    EXPECT_TRUE(doc["error"].is_string()) << bad.out;
    EXPECT_EQ(bad.ErrLines().size(), 1u) << bad.err;
  }
  // Nothing changed.
  json balance = ParseOne(Xatm({"balance", "--json", alice_, bob_}));
  EXPECT_EQ(balance["total"], "150.00");
}

// Every command that exits non-zero with --json writes one document with
// "error" and "exit_code" (the exit code), whatever else it reports: here
// with MariaDB unreachable (a port nobody listens on).
TEST_P(JsonCliTest, EveryFailingCommandGivesErrorAndExitCode) {
  std::string text = testing::TestConfigText(node_);
  const std::string port =
      "\nport = " + testing::RequireEnv("XATM_TEST_MY_PORT");
  ASSERT_NE(text.find(port), std::string::npos);
  text.replace(text.find(port), port.size(), "\nport = 1");
  const std::string store_line =
      store_ == "file" ? "" : "decision_store = " + store_ + "\n";
  const std::string good_config = config_;
  config_ = dir_.path() + "/unreachable.ini";  // the same log directory
  testing::WriteFile(config_, store_line + text);
  std::vector<std::vector<std::string>> failing = {
      {"in-doubt", "--json"},
      {"recover", "--json", "--grace", "0"},
      {"balance", "--json", bob_},
      {"transfer", "--json", "--from", alice_, "--to", bob_, "--amount", "1"},
      {"resolve", "--json", "--rollback",
       "xatm:" + node_ + ":1:0123456789abcdef:f"},
      {"bench", "--json", "--seconds", "1", "--clients", "1"}};
  if (store_ != "file") failing.push_back({"nodes", "--json"});
  for (const std::vector<std::string>& args : failing) {
    ProcessResult r = Xatm(args);
    EXPECT_NE(r.exit_code, 0) << args[0] << ": " << r.out << r.err;
    json doc = ParseOne(r);
    EXPECT_TRUE(doc.is_object() && doc.contains("error") &&
                doc["error"].is_string())
        << args[0] << " exit " << r.exit_code << ": " << r.out;
    EXPECT_EQ(doc.value("exit_code", -1), r.exit_code)
        << args[0] << ": " << r.out;
  }
  config_ = good_config;
}

TEST_P(JsonCliTest, DiagnosticsStayOnStderr) {
  ProcessResult moved =
      Xatm({"--log-level", "debug", "transfer", "--json", "--from", bob_,
            "--to", alice_, "--amount", "0.25"});
  EXPECT_EQ(moved.exit_code, 0) << moved.out << moved.err;
  EXPECT_NE(moved.err.find("xid="), std::string::npos)
      << "debug lines expected on stderr: " << moved.err;
  EXPECT_EQ(ParseOne(moved)["outcome"], "committed");
}

TEST_P(JsonCliTest, RecoverAfterACrashAtTheCommitPoint) {
  // The decision is durable; the branches are prepared (with the decision
  // in PostgreSQL its branch committed with the decision row).
  const std::vector<std::string> prepared = PreparedAfterPrepare();
  const std::string gtrid =
      CrashedTransfer("after-decision", prepared, /*decided=*/true);
  ASSERT_FALSE(gtrid.empty());

  ProcessResult dry = Xatm({"recover", "--json", "--grace", "0", "--dry-run"});
  json d = ParseOne(dry);
  EXPECT_EQ(d["dry_run"], true);
  std::vector<std::string> would_commit;
  for (const json& e : d["events"]) {
    EXPECT_EQ(e["gtrid"], gtrid) << dry.out;
    if (e["action"] == "would-commit") would_commit.push_back(e["resource"]);
  }
  std::sort(would_commit.begin(), would_commit.end());
  EXPECT_EQ(would_commit, prepared) << dry.out;

  ProcessResult swept = Xatm({"recover", "--json", "--grace", "0"});
  EXPECT_EQ(swept.exit_code, 0) << swept.out << swept.err;
  json r = ParseOne(swept);
  std::vector<std::string> committed;
  bool ended = false;
  for (const json& e : r["events"]) {
    ASSERT_EQ(e["gtrid"], gtrid) << swept.out;
    ASSERT_TRUE(e["detail"].is_string());
    if (e["action"] == "committed") committed.push_back(e["resource"]);
    ended |= e["action"] == "ended";
  }
  std::sort(committed.begin(), committed.end());
  EXPECT_EQ(committed, prepared) << swept.out;
  EXPECT_TRUE(ended) << swept.out;
  EXPECT_EQ(r["summary"]["committed"], prepared.size());
  EXPECT_EQ(r["summary"]["ended"], 1);
  for (const char* zero :
       {"rolled_back", "heuristic", "remaining", "deferred"}) {
    EXPECT_EQ(r["summary"][zero], 0) << zero;
  }
  EXPECT_EQ(r["dry_run"], false);
  EXPECT_EQ(r["settled"], true);

  ProcessResult clear = Xatm({"in-doubt", "--json"});
  EXPECT_EQ(clear.exit_code, 0) << clear.out << clear.err;
  EXPECT_EQ(ParseOne(clear),
            json::parse(R"({"branches":[],"decisions":[],"unreachable":[],)"
                        R"("sagas":[],"settled":true})"));
  json balance = ParseOne(Xatm({"balance", "--json", alice_, bob_}));
  EXPECT_EQ(balance["accounts"][0]["balance"], "75.00");
  EXPECT_EQ(balance["accounts"][1]["balance"], "75.00");
}

TEST_P(JsonCliTest, ResolveByHand) {
  const std::string gtrid = CrashedTransfer(
      "after-prepare-all", PreparedAfterPrepare(), /*decided=*/false);
  ASSERT_FALSE(gtrid.empty());
  ProcessResult done = Xatm({"resolve", gtrid, "--rollback", "--json"});
  EXPECT_EQ(done.exit_code, 0) << done.out << done.err;
  json r = ParseOne(done);
  EXPECT_EQ(r["gtrid"], gtrid);
  EXPECT_EQ(r["action"], "rollback");
  EXPECT_EQ(r["force"], false);
  std::vector<std::string> rolled_back;
  for (const json& e : r["events"]) {
    EXPECT_EQ(e["gtrid"], gtrid);
    if (e["action"] == "rolled-back") rolled_back.push_back(e["resource"]);
  }
  std::sort(rolled_back.begin(), rolled_back.end());
  EXPECT_EQ(rolled_back, PreparedAfterPrepare()) << done.out;
  EXPECT_EQ(r["remaining"], 0);
  EXPECT_EQ(r["settled"], true);

  // Nothing left to resolve: exit 1, an error naming what was asked.
  ProcessResult again = Xatm({"resolve", gtrid, "--rollback", "--json"});
  EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
  json a = ParseOne(again);
  EXPECT_EQ(a["gtrid"], gtrid);
  EXPECT_EQ(a["action"], "rollback");
  EXPECT_EQ(a["exit_code"], 1);
  EXPECT_TRUE(a["error"].is_string());
}

// Checks what every --json document of `log verify|dump` holds; the dump's
// records (and, for a store, its malformed rows: none) are returned.
json CheckLog(const ProcessResult& verified, const ProcessResult& dumped) {
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_EQ(dumped.exit_code, 0) << dumped.out << dumped.err;
  json v = ParseOne(verified), d = ParseOne(dumped);
  EXPECT_EQ(v["ok"], true);
  EXPECT_EQ(d["ok"], true);
  EXPECT_FALSE(v.contains("records")) << "verify lists no records";
  EXPECT_EQ(d["summary"], v["summary"]);
  if (!d["records"].is_array()) {
    ADD_FAILURE() << "no records: " << dumped.out;
    return json::array();
  }
  EXPECT_EQ(d["summary"]["records"], d["records"].size());
  return d;
}

TEST_P(JsonCliTest, LogVerifyAndDump) {
  ProcessResult moved = Transfer("1.00");
  ASSERT_EQ(moved.exit_code, 0) << moved.out << moved.err;
  const std::string gtrid = ParseOne(moved)["gtrid"];
  json d = CheckLog(Xatm({"log", "verify", "--json"}),
                    Xatm({"log", "dump", "--json"}));
  if (store_ == "file") {
    EXPECT_EQ(d["store"], "file");
    EXPECT_EQ(d["log_dir"], dir_.path() + "/log");
    EXPECT_EQ(d["identity"]["node"], node_);
    EXPECT_TRUE(d["identity"]["created_ms"].is_number_integer());
    EXPECT_TRUE(d["torn_tail"].is_null());
    std::vector<std::string> types;
    std::map<std::string, size_t> counts;
    for (const json& rec : d["records"]) {
      ++counts[rec["type"].get<std::string>()];
      EXPECT_TRUE(std::regex_match(
          rec["time"].get<std::string>(),
          std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z")));
      EXPECT_TRUE(rec["time_ms"].is_number_integer());
      EXPECT_TRUE(rec["segment"].is_string());
      EXPECT_TRUE(rec["offset"].is_number_unsigned());
      if (rec["gtrid"] != gtrid) continue;
      types.push_back(rec["type"]);
      std::vector<std::string> named = rec["resources"];
      if (rec["type"] == "COMMIT") {
        std::sort(named.begin(), named.end());
        EXPECT_EQ(named, (std::vector<std::string>{"my", "pg"}));
      }
    }
    EXPECT_EQ(types, (std::vector<std::string>{"COMMIT", "END"})) << d.dump();
    EXPECT_EQ(d["summary"]["commit"], counts["COMMIT"]);
    EXPECT_EQ(d["summary"]["end"], counts["END"] + counts["RECOVERY-END"]);
    EXPECT_EQ(d["summary"]["heuristic"], counts["HEURISTIC"]);
    EXPECT_EQ(d["summary"]["segments"], 1) << d.dump();
  } else {
    EXPECT_EQ(d["store"], "database");
    EXPECT_EQ(d["resource"], store_);
    EXPECT_EQ(d["table"], "xatm_decisions");
    EXPECT_EQ(d["malformed"], json::array());
  }

  // A COMMIT whose branches all committed but whose END (row update) is
  // missing: the dump shows it open.
  const std::string open =
      CrashedTransfer("after-commit-all", {}, /*decided=*/true);
  ASSERT_FALSE(open.empty());
  d = CheckLog(Xatm({"log", "verify", "--json"}),
               Xatm({"log", "dump", "--json"}));
  bool listed = false;
  for (const json& rec : d["records"]) {
    if (rec["gtrid"] != open) continue;
    listed = true;
    if (store_ == "file") {
      EXPECT_EQ(rec["type"], "COMMIT") << d.dump();
    } else {
      EXPECT_EQ(rec["outcome"], "commit");
      EXPECT_EQ(rec["node"], node_);
      EXPECT_EQ(rec["ended"], false);
      EXPECT_TRUE(rec["decided_ms"].is_number_integer());
      EXPECT_EQ(rec["detail"], "");
    }
  }
  EXPECT_TRUE(listed) << d.dump();
  if (store_ != "file") {
    EXPECT_GE(d["summary"]["open_commit"], 1);
  }
}

TEST_P(JsonCliTest, MalformedStoreRowExitsOneWithTheDocument) {
  if (store_ == "file") GTEST_SKIP() << "rows of a database store only";
  const std::string gtrid =
      "xatm:" + node_ + ":1700000000000:00000000" + suffix_.substr(0, 8);
  auto pg = MakeResource(testing::PostgresTestConfig("pg"));
  ASSERT_TRUE(pg.ok());
  ASSERT_TRUE((*pg)
                  ->ExecuteLocal("INSERT INTO xatm_decisions (gtrid, "
                                 "outcome, resources, node) VALUES (?, "
                                 "'commit', 'pg,nowhere', ?)",
                                 {gtrid, node_})
                  .ok());
  for (const char* action : {"verify", "dump"}) {
    ProcessResult r = Xatm({"log", action, "--json"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    json doc = ParseOne(r);
    EXPECT_EQ(doc["ok"], false);
    EXPECT_EQ(doc["exit_code"], 1);
    EXPECT_NE(doc["error"].get<std::string>().find("malformed row(s)"),
              std::string::npos)
        << r.out;
    EXPECT_TRUE(doc["malformed"].is_array());
    bool flagged = false;
    for (const json& m : doc["malformed"]) {
      flagged |=
          m["gtrid"] == gtrid && m["problem"] == "unknown resource 'nowhere'";
    }
    EXPECT_TRUE(flagged) << r.out;
    EXPECT_EQ(doc.contains("records"), std::string(action) == "dump");
  }
  // Recovery (in TearDown) cannot finish a decision naming no resource.
  EXPECT_TRUE(
      (*pg)
          ->ExecuteLocal("DELETE FROM xatm_decisions WHERE gtrid = ?", {gtrid})
          .ok());
}

INSTANTIATE_TEST_SUITE_P(Stores, JsonCliTest, ::testing::Values("file", "pg"));

}  // namespace
}  // namespace xatm
