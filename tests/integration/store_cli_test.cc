// The xatm binary with `decision_store = pg` and `= my` against the real
// test servers: init makes the table xatm_decisions; a committed transfer
// leaves no row; crashes at the commit point and before it leave what
// in-doubt and log dump show; resolve goes through the table (the fence,
// the abort row, another node's transaction); log verify checks every row.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/bank_cleanup.h"
#include "tests/integration/test_env.h"
#include "tests/unit/run_process.h"
#include "xatm/database_decision_log.h"
#include "xatm/resource_factory.h"

#ifndef XATM_BINARY
#error "XATM_BINARY must name the xatm executable"
#endif

namespace xatm {
namespace {

using ::xatm::testing::ProcessResult;
using ::xatm::testing::RandomHex;
using ::xatm::testing::RequireEnv;

constexpr int kKilled = 128 + 9;  // SIGKILL, as XATM_CRASH_AT ends a process

// "[resource.NAME]" on the test database of `type` ("pg" or "my").
std::string ResourceSection(const std::string& name, const std::string& type) {
  if (type == "pg") {
    return "\n[resource." + name + "]\ntype = postgresql\nconninfo = " +
           RequireEnv("XATM_TEST_PG_CONNINFO") + "\n";
  }
  return "\n[resource." + name +
         "]\ntype = mysql\nhost = " + RequireEnv("XATM_TEST_MY_HOST") +
         "\nport = " + RequireEnv("XATM_TEST_MY_PORT") +
         "\nuser = " + RequireEnv("XATM_TEST_MY_USER") +
         "\ndatabase = " + RequireEnv("XATM_TEST_MY_DATABASE") +
         "\npassword_env = XATM_MY_PASSWORD\n";
}

// The parameter: the resource ("pg" or "my") that holds the decisions.
class StoreCliTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    store_ = GetParam();
    other_ = store_ == "pg" ? "my" : "pg";
    suffix_ = RandomHex(10);
    node_ = "sc" + suffix_;
    alice_ = "pg:alice-" + suffix_;
    bob_ = "my:bob-" + suffix_;
    config_ = WriteConfig("xatm.ini", node_, store_);
    Result<std::shared_ptr<Resource>> store =
        MakeResource(store_ == "pg" ? testing::PostgresTestConfig(store_)
                                    : testing::MysqlTestConfig(store_));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_resource_ = std::move(store).value();
  }

  void TearDown() override {
    // Whatever a failed test left prepared: recovery settles it through
    // the table (fence or commit). Every transaction here is node_'s.
    ProcessResult swept = Xatm({"recover", "--grace", "0"}, config_);
    EXPECT_EQ(swept.exit_code, 0) << swept.out << swept.err;
    auto pg = MakeResource(testing::PostgresTestConfig("pg"));
    auto my = MakeResource(testing::MysqlTestConfig("my"));
    ASSERT_TRUE(pg.ok() && my.ok());
    for (Resource* r : {pg->get(), my->get()}) {
      for (const char* who : {"alice-", "bob-"}) {
        testing::DeleteAccount(*r, who + suffix_);
      }
      for (const std::string& node : nodes_) {
        testing::DeleteLedgerRows(*r, node);
      }
    }
    Result<std::vector<StoredDecision>> rows = ReadTable();
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    for (const StoredDecision& row : *rows) {
      if (!Ours(row.gtrid)) continue;
      Status s = store_resource_->ExecuteLocal(
          "DELETE FROM xatm_decisions WHERE gtrid = ?", {row.gtrid});
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
  }

  // Writes a config for `node` whose decisions live in resource `store`;
  // `extra` is appended (more resources).
  std::string WriteConfig(const std::string& file, const std::string& node,
                          const std::string& store, const std::string& top = "",
                          const std::string& extra = "") {
    nodes_.push_back(node);
    std::string path = dir_.path() + "/" + file;
    testing::WriteFile(path, "decision_store = " + store + "\n" + top +
                                 testing::TestConfigText(node) + extra);
    return path;
  }

  ProcessResult Xatm(std::vector<std::string> args, const std::string& config,
                     const std::string& crash_at = "") {
    args.insert(args.begin(), {XATM_BINARY, "--config", config});
    testing::ProcessOptions options;
    options.cwd = "/";
    if (!crash_at.empty()) options.env["XATM_CRASH_AT"] = crash_at;
    return testing::RunProcess(args, options);
  }
  ProcessResult Xatm(std::vector<std::string> args) {
    return Xatm(std::move(args), config_);
  }

  // init, and the two accounts of the transfer.
  void MakeBank(const std::string& config) {
    ProcessResult init = Xatm({"init"}, config);
    ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
    ASSERT_EQ(Xatm({"create-account", alice_, "--balance", "100.00"}, config)
                  .exit_code,
              0);
    ASSERT_EQ(
        Xatm({"create-account", bob_, "--balance", "50.00"}, config).exit_code,
        0);
  }

  // A transfer of 25.00 from alice to bob killed at `crash_at`; returns its
  // gtrid, found by in-doubt (which must show its prepared branch on
  // `prepared_on`).
  std::string CrashedTransfer(const std::string& config,
                              const std::string& crash_at,
                              const std::string& prepared_on) {
    ProcessResult run =
        Xatm({"transfer", "--from", alice_, "--to", bob_, "--amount", "25.00"},
             config, crash_at);
    EXPECT_EQ(run.exit_code, kKilled) << run.out << run.err;
    // The servers notice the dead client's sockets (MariaDB answers XAER_NOTA
    // to another session while the preparing one is attached).
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ProcessResult in_doubt = Xatm({"in-doubt"}, config);
    EXPECT_EQ(in_doubt.exit_code, 4) << in_doubt.out << in_doubt.err;
    std::smatch m;
    std::regex branch(
        "branch (xatm:[A-Za-z0-9_-]+:[0-9]+:[0-9a-f]{16}(?::[a-z0-9]{1,9})?) " +
        prepared_on + " age=");
    if (!std::regex_search(in_doubt.out, m, branch)) {
      ADD_FAILURE() << "no prepared branch on " << prepared_on << ":\n"
                    << in_doubt.out << in_doubt.err;
      return "";
    }
    return m[1];
  }

  Result<std::vector<StoredDecision>> ReadTable() {
    return DatabaseDecisionLog::ReadAll(*store_resource_);
  }

  // The table's row for gtrid, if any.
  std::optional<StoredDecision> RowOf(const std::string& gtrid) {
    Result<std::vector<StoredDecision>> rows = ReadTable();
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok()) return std::nullopt;
    for (const StoredDecision& row : *rows) {
      if (row.gtrid == gtrid) return row;
    }
    return std::nullopt;
  }

  bool Ours(const std::string& gtrid) const {
    for (const std::string& node : nodes_) {
      if (gtrid.rfind("xatm:" + node + ":", 0) == 0) return true;
    }
    return gtrid.find(suffix_) != std::string::npos;
  }

  void ExpectBalances(const std::string& alice, const std::string& bob,
                      const std::string& total = "150.00") {
    ProcessResult r = Xatm({"balance", alice_, bob_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, alice_ + " " + alice + "\n" + bob_ + " " + bob +
                         "\ntotal " + total + "\n");
  }

  // The line of `log dump` for gtrid ("" when there is none).
  std::string DumpLine(const std::string& gtrid) {
    ProcessResult dump = Xatm({"log", "dump"});
    EXPECT_EQ(dump.exit_code, 0) << dump.out << dump.err;
    std::smatch m;
    if (!std::regex_search(dump.out, m,
                           std::regex("(^|\n)(" + gtrid + " [^\n]*)"))) {
      return "";
    }
    return m[2];
  }

  testing::TempDir dir_;
  std::string store_, other_, suffix_, node_, alice_, bob_, config_;
  std::vector<std::string> nodes_;
  std::shared_ptr<Resource> store_resource_;
};

TEST_P(StoreCliTest, InitMakesTheTableAndACommittedTransferLeavesNoRow) {
  MakeBank(config_);
  ProcessResult init = Xatm({"init"});
  EXPECT_EQ(init.exit_code, 0);
  EXPECT_EQ(init.out.rfind("decision store " + store_ +
                               ": tables xatm_decisions and xatm_nodes ready\n",
                           0),
            0u)
      << init.out;
  ASSERT_TRUE(ReadTable().ok()) << ReadTable().status().ToString();

  ProcessResult run =
      Xatm({"transfer", "--from", alice_, "--to", bob_, "--amount", "25.00"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  std::smatch m;
  ASSERT_TRUE(
      std::regex_match(run.out, m,
                       std::regex("(xatm:" + node_ +
                                  ":[0-9]+:[0-9a-f]{16}(?::[a-z0-9]{1,9})?) "
                                  "committed\n")))
      << run.out;
  EXPECT_FALSE(RowOf(m[1]).has_value()) << "the finished decision was kept";
  ExpectBalances("75.00", "75.00");
  ProcessResult in_doubt = Xatm({"in-doubt"});
  EXPECT_EQ(in_doubt.exit_code, 0) << in_doubt.out << in_doubt.err;
}

TEST_P(StoreCliTest, OpenCommitIsShownRefusedARollbackAndFinishedByHand) {
  MakeBank(config_);
  // The store's branch committed with the decision row; the other one is
  // still prepared.
  std::string gtrid = CrashedTransfer(config_, "after-decision", other_);
  ASSERT_FALSE(gtrid.empty());
  ProcessResult in_doubt = Xatm({"in-doubt"});
  EXPECT_NE(in_doubt.out.find("branch " + gtrid + " " + other_ + " age="),
            std::string::npos)
      << in_doubt.out;
  EXPECT_NE(in_doubt.out.find(" decision=commit\n"), std::string::npos)
      << in_doubt.out;
  EXPECT_NE(in_doubt.out.find("decision " + gtrid + " resources="),
            std::string::npos)
      << in_doubt.out;
  std::string line = DumpLine(gtrid);
  EXPECT_TRUE(std::regex_match(
      line, std::regex(gtrid + " commit resources=(my,pg|pg,my) node=" + node_ +
                       " decided=[0-9T:.-]+Z ended=no")))
      << line;

  ProcessResult rollback = Xatm({"resolve", gtrid, "--rollback"});
  EXPECT_EQ(rollback.exit_code, 1) << rollback.out << rollback.err;
  EXPECT_NE(rollback.err.find("COMMIT decision"), std::string::npos)
      << rollback.err;
  EXPECT_EQ(Xatm({"in-doubt"}).exit_code, 4) << "the refusal changed something";

  ProcessResult commit = Xatm({"resolve", gtrid, "--commit"});
  EXPECT_EQ(commit.exit_code, 0) << commit.out << commit.err;
  EXPECT_NE(commit.out.find(gtrid + " " + other_ + " committed\n"),
            std::string::npos)
      << commit.out;
  ExpectBalances("75.00", "75.00");
  in_doubt = Xatm({"in-doubt"});
  EXPECT_EQ(in_doubt.exit_code, 0) << in_doubt.out << in_doubt.err;
  // Recovery's END keeps the row as evidence.
  EXPECT_NE(DumpLine(gtrid).find(" ended=yes"), std::string::npos)
      << DumpLine(gtrid);
}

TEST_P(StoreCliTest, RollbackByHandIsRefusedByTheFenceWhenACommitRowExists) {
  MakeBank(config_);
  std::string gtrid = CrashedTransfer(config_, "after-decision", other_);
  ASSERT_FALSE(gtrid.empty());
  // A closed COMMIT row (recovery's END keeps it) with a branch prepared
  // again: no open decision, but the fence finds the commit.
  Status closed = store_resource_->ExecuteLocal(
      store_ == "pg"
          ? "UPDATE xatm_decisions SET ended_at = now() WHERE gtrid = ?"
          : "UPDATE xatm_decisions SET ended_at = UTC_TIMESTAMP(3) WHERE gtrid "
            "= ?",
      {gtrid});
  ASSERT_TRUE(closed.ok()) << closed.ToString();

  ProcessResult rollback = Xatm({"resolve", gtrid, "--rollback"});
  EXPECT_EQ(rollback.exit_code, 1) << rollback.out << rollback.err;
  EXPECT_NE(rollback.err.find("COMMIT decision"), std::string::npos)
      << rollback.err;
  EXPECT_EQ(RowOf(gtrid).value_or(StoredDecision{}).outcome, "commit");

  // The committed store branch's ledger row vouches for it: no --force.
  ProcessResult commit = Xatm({"resolve", gtrid, "--commit"});
  EXPECT_EQ(commit.exit_code, 0) << commit.out << commit.err;
  ExpectBalances("75.00", "75.00");
}

TEST_P(StoreCliTest, ForcedRollbackAgainstACommitIsRecordedAsHeuristic) {
  MakeBank(config_);
  std::string gtrid = CrashedTransfer(config_, "after-decision", other_);
  ASSERT_FALSE(gtrid.empty());
  ProcessResult rollback = Xatm({"resolve", gtrid, "--rollback", "--force"});
  EXPECT_EQ(rollback.exit_code, 4) << rollback.out << rollback.err;
  EXPECT_NE(rollback.out.find(gtrid + " " + other_ + " rolled-back\n"),
            std::string::npos)
      << rollback.out;
  EXPECT_NE(rollback.out.find(" HEURISTIC: "), std::string::npos)
      << rollback.out;
  std::string line = DumpLine(gtrid);
  EXPECT_NE(line.find(" ended=yes detail=\"operator forced rollback against "
                      "the commit decision; prepared on " +
                      other_ + "\""),
            std::string::npos)
      << line;
  // The store's branch committed with the decision, the other rolled back.
  if (store_ == "pg") {
    ExpectBalances("75.00", "50.00", "125.00");
  } else {
    ExpectBalances("100.00", "75.00", "175.00");
  }
}

TEST_P(StoreCliTest, RollbackByHandRecordsAbortAndRefusesALaterCommit) {
  MakeBank(config_);
  // The store's branch carried no decision yet: it rolled back with the
  // crash; the other one is prepared.
  std::string gtrid = CrashedTransfer(config_, "after-prepare-all", other_);
  ASSERT_FALSE(gtrid.empty());
  EXPECT_FALSE(RowOf(gtrid).has_value());

  ProcessResult rollback = Xatm({"resolve", gtrid, "--rollback"});
  EXPECT_EQ(rollback.exit_code, 0) << rollback.out << rollback.err;
  EXPECT_NE(rollback.out.find(gtrid + " " + other_ + " rolled-back\n"),
            std::string::npos)
      << rollback.out;
  EXPECT_TRUE(std::regex_match(
      DumpLine(gtrid), std::regex(gtrid + " abort resources=- node=" + node_ +
                                  " decided=[0-9T:.-]+Z ended=no")))
      << DumpLine(gtrid);

  for (bool force : {false, true}) {
    std::vector<std::string> args = {"resolve", gtrid, "--commit"};
    if (force) args.push_back("--force");
    ProcessResult commit = Xatm(args);
    EXPECT_EQ(commit.exit_code, 1) << commit.out << commit.err;
  }
  ExpectBalances("100.00", "50.00");
  std::optional<StoredDecision> row = RowOf(gtrid);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->outcome, "abort");
}

TEST_P(StoreCliTest, RecordedAbortRefusesACommitByHandEvenForced) {
  MakeBank(config_);
  std::string gtrid = CrashedTransfer(config_, "after-prepare-all", other_);
  ASSERT_FALSE(gtrid.empty());
  // A sweeper fenced (abort row) and died before rolling anything back.
  Status fenced = store_resource_->ExecuteLocal(
      "INSERT INTO xatm_decisions (gtrid, outcome, resources, node) "
      "VALUES (?, 'abort', '', ?)",
      {gtrid, node_});
  ASSERT_TRUE(fenced.ok()) << fenced.ToString();

  // --force vouches that the store's resource took no part; the abort row
  // still wins.
  ProcessResult commit = Xatm({"resolve", gtrid, "--commit", "--force"});
  EXPECT_EQ(commit.exit_code, 1) << commit.out << commit.err;
  EXPECT_NE(commit.err.find("abort is recorded"), std::string::npos)
      << commit.err;
  EXPECT_EQ(RowOf(gtrid).value_or(StoredDecision{}).outcome, "abort");
  ProcessResult in_doubt = Xatm({"in-doubt"});
  EXPECT_NE(in_doubt.out.find("branch " + gtrid + " " + other_ + " age="),
            std::string::npos)
      << "the refused commit changed the branch:\n"
      << in_doubt.out;

  ProcessResult rollback = Xatm({"resolve", gtrid, "--rollback"});
  EXPECT_EQ(rollback.exit_code, 0) << rollback.out << rollback.err;
  ExpectBalances("100.00", "50.00");
}

TEST_P(StoreCliTest, CommitByHandOfATransactionPastTheDecisionDeadline) {
  // The decisions in a third resource on the same database, which takes no
  // part in the transfer: both branches are prepared, none carries the
  // decision. grace_period 2: the coordinator's deadline is 1 s.
  const std::string config =
      WriteConfig("third.ini", node_, "dec", "grace_period = 2\n",
                  ResourceSection("dec", store_));
  MakeBank(config);
  std::string gtrid = CrashedTransfer(config, "after-prepare-all", "my");
  ASSERT_FALSE(gtrid.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));

  // --force: "dec" took no part (it shows no branch).
  ProcessResult commit =
      Xatm({"resolve", gtrid, "--commit", "--force"}, config);
  EXPECT_EQ(commit.exit_code, 0) << commit.out << commit.err;
  EXPECT_NE(commit.out.find(gtrid + " pg committed\n"), std::string::npos)
      << commit.out;
  EXPECT_NE(commit.out.find(gtrid + " my committed\n"), std::string::npos)
      << commit.out;
  ExpectBalances("75.00", "75.00");
  std::optional<StoredDecision> row = RowOf(gtrid);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->outcome, "commit");
  EXPECT_TRUE(row->ended);
}

TEST_P(StoreCliTest, AnotherNodeResolvesThroughTheSharedStore) {
  MakeBank(config_);
  std::string gtrid = CrashedTransfer(config_, "after-decision", other_);
  ASSERT_FALSE(gtrid.empty());
  const std::string helper = WriteConfig("helper.ini", node_ + "h", store_);

  // Its own view: nothing of node_'s.
  ProcessResult own = Xatm({"in-doubt"}, helper);
  EXPECT_EQ(own.out.find(gtrid), std::string::npos) << own.out;
  ProcessResult all = Xatm({"in-doubt", "--all-nodes"}, helper);
  EXPECT_EQ(all.exit_code, 4) << all.out << all.err;
  EXPECT_NE(all.out.find("branch " + gtrid + " " + other_ + " age="),
            std::string::npos)
      << all.out;
  EXPECT_NE(all.out.find("decision " + gtrid + " resources="),
            std::string::npos)
      << all.out;

  ProcessResult commit = Xatm({"resolve", gtrid, "--commit"}, helper);
  EXPECT_EQ(commit.exit_code, 0) << commit.out << commit.err;
  ExpectBalances("75.00", "75.00");
  EXPECT_EQ(Xatm({"in-doubt"}).exit_code, 0);
}

TEST_P(StoreCliTest, LogVerifyFlagsMalformedRows) {
  MakeBank(config_);
  ProcessResult clean = Xatm({"log", "verify"});
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_TRUE(std::regex_search(
      clean.out,
      std::regex("decision store " + store_ +
                 " \\(table xatm_decisions\\): [0-9]+ row\\(s\\) \\([0-9]+ "
                 "open commit, [0-9]+ abort, [0-9]+ ended, [0-9]+ "
                 "heuristic\\)\nok\n$")))
      << clean.out;

  const std::string gtrid =
      "xatm:" + node_ + ":1700000000000:00000000" + suffix_.substr(0, 8);
  const std::string garbled = "garbled-" + suffix_;
  const std::map<std::string, std::vector<std::string>> bad = {
      {garbled, {garbled, "abort", "", node_}},
      {gtrid, {gtrid, "commit", "pg,nowhere", node_}},
  };
  for (const auto& [id, values] : bad) {
    Status s = store_resource_->ExecuteLocal(
        "INSERT INTO xatm_decisions (gtrid, outcome, resources, node) "
        "VALUES (?, ?, ?, ?)",
        values);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  const std::string wrong_node =
      "xatm:" + node_ + ":1700000000000:11111111" + suffix_.substr(0, 8);
  ASSERT_TRUE(store_resource_
                  ->ExecuteLocal(
                      "INSERT INTO xatm_decisions (gtrid, outcome, resources, "
                      "node) VALUES (?, 'abort', '', 'elsewhere')",
                      {wrong_node})
                  .ok());

  ProcessResult verify = Xatm({"log", "verify"});
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("malformed row " + garbled + ": not an xatm gtrid"),
            std::string::npos)
      << verify.out;
  EXPECT_NE(verify.out.find("malformed row " + gtrid +
                            ": unknown resource 'nowhere'"),
            std::string::npos)
      << verify.out;
  EXPECT_NE(verify.out.find("malformed row " + wrong_node +
                            ": node 'elsewhere' is not the gtrid's node"),
            std::string::npos)
      << verify.out;
  EXPECT_NE(verify.err.find("malformed row(s)"), std::string::npos)
      << verify.err;

  // dump lists them too.
  ProcessResult dump = Xatm({"log", "dump"});
  EXPECT_EQ(dump.exit_code, 1);
  EXPECT_NE(dump.out.find(gtrid + " commit resources=pg,nowhere node=" + node_ +
                          " decided="),
            std::string::npos)
      << dump.out;

  for (const std::string& id : {garbled, gtrid, wrong_node}) {
    ASSERT_TRUE(
        store_resource_
            ->ExecuteLocal("DELETE FROM xatm_decisions WHERE gtrid = ?", {id})
            .ok());
  }
  EXPECT_EQ(Xatm({"log", "verify"}).exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreCliTest, ::testing::Values("pg", "my"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace xatm
