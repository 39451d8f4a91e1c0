// Failover of the database decision store. This test starts its own
// servers with a synchronous PostgreSQL standby (scripts/db.sh start DIR
// --standby), leaves transactions in doubt with their decisions in the
// primary, acknowledges more transfers, kills the primary (kill -9),
// promotes the standby, points the nodes at it and recovers. Every transfer
// acknowledged as committed and every one whose COMMIT row was committed
// must be committed in both databases, the undecided ones rolled back in
// both, nothing left prepared.
//
// Two nodes. "carrier" keeps its decisions in resource pg, the transfers'
// own PostgreSQL branch (last-resource commit: that branch commits with the
// row and is never prepared). "apart" keeps them in resource store, a second
// resource on the same database, so both branches of its transfers prepare
// and its PostgreSQL branches reach the standby as prepared transactions.
//
// Then what makes the difference to asynchronous replication: with the
// standby frozen, a transfer is not acknowledged.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/crash/bank_view.h"
#include "tests/crash/checks.h"
#include "tests/crash/decision_rows.h"
#include "tests/crash/test_node.h"
#include "tests/crash/undo_guard.h"
#include "tests/integration/test_env.h"
#include "tests/integration/test_server_processes.h"
#include "tests/unit/run_process.h"
#include "xatm/resource_factory.h"

namespace xatm::crash {
namespace {

// One transfer of the scenario and what must become of it.
struct Transfer {
  const TestNode* node;
  std::string point;  // XATM_CRASH_AT, empty for an acknowledged transfer
  TransferCase tc;
  std::string gtrid;

  bool MustCommit() const { return point.empty() || point == "after-decision"; }
  std::string Name() const {
    return node->id() + " " + tc.from.ToString() + " -> " + tc.to.ToString() +
           " " + (point.empty() ? "acknowledged" : point);
  }
};

// A superuser session on PostgreSQL at `port`: pg_stat_replication shows
// a standby's state only to privileged roles.
std::shared_ptr<Resource> PostgresAdmin(const std::string& port) {
  ResourceConfig config;
  config.name = "admin";
  config.type = "postgresql";
  config.conninfo =
      "host=127.0.0.1 port=" + port + " dbname=postgres user=postgres";
  config.request_timeout_ms = 5000;
  Result<std::shared_ptr<Resource>> r = MakeResource(config);
  if (!r.ok()) ADD_FAILURE() << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

// The rows of `sql` as "a|b|c" lines, or the error.
std::string Query(Resource& resource, const std::string& sql) {
  Result<std::vector<Row>> rows = resource.QueryLocal(sql, {});
  if (!rows.ok()) return "error: " + rows.status().ToString();
  std::string text;
  for (const Row& row : *rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      text += (i == 0 ? "" : "|") + row[i].value_or("NULL");
    }
    text += "\n";
  }
  return text;
}

// Replaces every `from` in the file at `path` with `to`; how many.
int ReplaceInFile(const std::string& path, const std::string& from,
                  const std::string& to) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  int count = 0;
  for (size_t at = s.find(from); at != std::string::npos;
       at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
    ++count;
  }
  xatm::testing::WriteFile(path, s);
  return count;
}

// PostgreSQL branches of `node` prepared in the test database.
std::set<std::string> PreparedInPostgres(BankView& bank,
                                         const std::string& node) {
  std::set<std::string> gtrids;
  Result<std::vector<PreparedEntry>> prepared = bank.Prepared(node);
  EXPECT_TRUE(prepared.ok()) << prepared.status().ToString();
  if (!prepared.ok()) return gtrids;
  for (const PreparedEntry& p : *prepared) {
    if (p.database == "pg") gtrids.insert(p.gtrid);
  }
  return gtrids;
}

// Gives `node` a resource "store" on the test database, besides "pg", and
// its decisions to it: its transfers then prepare both branches.
void MoveDecisionsToStoreResource(const TestNode& node) {
  ASSERT_EQ(ReplaceInFile(node.config_path(), "decision_store = pg\n",
                          "decision_store = store\n"),
            1);
  std::ofstream(node.config_path(), std::ios::app)
      << "\n[resource.store]\ntype = postgresql\nconninfo = "
      << xatm::testing::PostgresTestConfig().conninfo << "\n";
  ChildExit init = node.Xatm({"init"});
  ASSERT_TRUE(init.ExitedWith(0)) << init.Describe();
}

class StoreFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // initdb and pg_basebackup run as the postgres user.
    ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
    // Stops the servers when the test ends, also when this program dies.
    Result<std::unique_ptr<UndoGuard>> guard =
        UndoGuard::Start({}, {{"/bin/bash", DbScript(), "stop", DbDir()}});
    ASSERT_TRUE(guard.ok()) << guard.status().ToString();
    stop_servers_ = std::move(guard).value();
    ChildExit start = Db({"start", DbDir(), "--standby"});
    ASSERT_TRUE(start.ExitedWith(0)) << start.Describe();
    env_ = xatm::testing::ReadEnvFile(DbDir() + "/env.sh");
    // The harness (TestNode, BankView) and the xatm children read the
    // servers from the environment.
    for (const auto& [name, value] : env_)
      ::setenv(name.c_str(), value.c_str(), 1);
    ASSERT_NE(env_.count("XATM_PG_STANDBY_PORT"), 0u)
        << "env.sh names no standby";
  }

  void TearDown() override {
    if (stop_servers_) stop_servers_->Undo();
  }

  std::string DbDir() const { return dir_.path() + "/db"; }

  // Kills the primary (kill -9), promotes the standby (`promote_ms`: how
  // long that took) and points each node (with how many resources on the
  // primary it has) and the harness (XATM_TEST_PG_CONNINFO) at it.
  void FailOver(const std::map<const TestNode*, int>& nodes,
                int64_t* promote_ms) {
    ChildExit kill = Db({"kill", "pg", DbDir()});
    ASSERT_TRUE(kill.ExitedWith(0)) << kill.Describe();
    const auto start = std::chrono::steady_clock::now();
    ChildExit promote = Db({"promote", DbDir()});
    ASSERT_TRUE(promote.ExitedWith(0)) << promote.Describe();
    *promote_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
    const std::string primary =
        "host=127.0.0.1 port=" + env_.at("XATM_PG_PORT");
    const std::string standby =
        "host=127.0.0.1 port=" + env_.at("XATM_PG_STANDBY_PORT");
    for (const auto& [node, resources] : nodes) {
      EXPECT_EQ(
          ReplaceInFile(node->config_path(), primary + " ", standby + " "),
          resources)
          << node->config_path();
    }
    ::setenv("XATM_TEST_PG_CONNINFO",
             env_.at("XATM_TEST_PG_STANDBY_CONNINFO").c_str(), 1);
  }

  static ChildExit Db(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/bin/bash", DbScript()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunChild(argv, {}, 120000);
  }

  xatm::testing::TempDir dir_;
  std::unique_ptr<UndoGuard> stop_servers_;
  std::map<std::string, std::string> env_;
};

// The primary's replication as the guarantee needs it: one standby,
// streaming, synchronous, and commits waiting for it.
void ExpectSynchronousStandby(const std::string& primary_port) {
  std::shared_ptr<Resource> admin = PostgresAdmin(primary_port);
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(Query(*admin, "SELECT current_setting('synchronous_commit')"),
            "on\n");
  const std::string names =
      Query(*admin, "SELECT current_setting('synchronous_standby_names')");
  const std::string standbys =
      Query(*admin,
            "SELECT application_name, state, sync_state "
            "FROM pg_stat_replication");
  EXPECT_NE(names, "\n") << "synchronous_standby_names is empty: "
                            "replication is asynchronous";
  // The one standby, named in synchronous_standby_names.
  std::istringstream first(standbys);
  std::string application;
  std::getline(first, application, '|');
  EXPECT_FALSE(application.empty()) << standbys;
  EXPECT_NE(names.find(application), std::string::npos)
      << "standby " << application << " not in " << names;
  EXPECT_EQ(standbys, application + "|streaming|sync\n")
      << "pg_stat_replication";
}

TEST_F(StoreFailoverTest, AcknowledgedAndDecidedTransfersSurviveThePrimary) {
  const std::string primary_port = env_.at("XATM_PG_PORT");
  NodeSettings settings;
  settings.decision_store = "pg";
  TestNode carrier(NewNodeId("fc"), settings);
  TestNode apart(NewNodeId("fa"), settings);
  ASSERT_NO_FATAL_FAILURE(MoveDecisionsToStoreResource(apart));

  std::vector<Transfer> transfers;
  int next_tag = 0;
  BankView bank;
  auto run = [&](const TestNode& node, const std::string& point,
                 const std::string& from, const std::string& to) {
    Transfer t{&node, point, {}, ""};
    Result<TransferCase> tc = NewTransferCase(
        bank, node.id(), "t" + std::to_string(next_tag++), from, to);
    ASSERT_TRUE(tc.ok()) << tc.status().ToString();
    t.tc = *tc;
    std::map<std::string, std::string> env;
    if (!point.empty()) env["XATM_CRASH_AT"] = point;
    ChildExit exit = node.Xatm(t.tc.CliArgs(), env);
    if (point.empty()) {
      ASSERT_TRUE(exit.ExitedWith(0)) << t.Name() << ": " << exit.Describe();
    } else {
      ASSERT_TRUE(exit.KilledBySigkill())
          << t.Name() << ": " << exit.Describe();
      WaitForServersToSettle(bank, node.id());
    }
    // The node's earlier transfers may still be prepared: not this one's.
    std::set<std::string> seen =
        GtridsSeen(node.id(), exit.out + exit.err, LogView{}, bank, t.tc);
    for (const Transfer& earlier : transfers) seen.erase(earlier.gtrid);
    ASSERT_EQ(seen.size(), 1u) << t.Name() << ": " << exit.Describe();
    t.gtrid = *seen.begin();
    transfers.push_back(t);
  };

  // In doubt, the decisions (or none) in the primary.
  for (const TestNode* node : {&carrier, &apart}) {
    for (const char* point :
         {"after-prepare-all", "decision-inserted", "after-decision"}) {
      for (auto [from, to] : {std::pair{"pg", "my"}, std::pair{"my", "pg"}}) {
        ASSERT_NO_FATAL_FAILURE(run(*node, point, from, to));
      }
    }
  }
  // What the apart node's PostgreSQL branches must still be after failover.
  const std::set<std::string> prepared_before =
      PreparedInPostgres(bank, apart.id());
  EXPECT_EQ(prepared_before.size(), 6u);

  // Replication is synchronous; the acknowledged transfers come last, the
  // primary dies right after the last one.
  ASSERT_NO_FATAL_FAILURE(ExpectSynchronousStandby(primary_port));
  for (int i = 0; i < 4; ++i) {
    for (const TestNode* node : {&carrier, &apart}) {
      if (i % 2 == 0) {
        ASSERT_NO_FATAL_FAILURE(run(*node, "", "pg", "my"));
      } else {
        ASSERT_NO_FATAL_FAILURE(run(*node, "", "my", "pg"));
      }
    }
  }
  int64_t promote_ms = 0;
  ASSERT_NO_FATAL_FAILURE(FailOver({{&carrier, 1}, {&apart, 2}}, &promote_ms));
  // The promoted server's view. Both nodes' decision rows are read through
  // its resource pg: store shares the database.
  BankView promoted;
  EXPECT_EQ(PreparedInPostgres(promoted, apart.id()), prepared_before)
      << "prepared transactions lost in the failover";
  for (const Transfer& t : transfers) {
    if (t.point != "after-decision") continue;
    Result<std::optional<DecisionRow>> row =
        ReadDecisionRow(promoted, "pg", t.gtrid);
    ASSERT_TRUE(row.ok()) << row.status().ToString();
    EXPECT_EQ(Describe(*row), "commit") << t.Name() << " " << t.gtrid;
  }

  // Both nodes' rows are in one table (resources pg and store share the
  // database), so one sweep over every node finishes both.
  ChildExit sweep = carrier.Xatm({"recover", "--all-nodes", "--grace", "0"});
  EXPECT_TRUE(sweep.ExitedWith(0)) << sweep.Describe();
  // Branches: apart's 6 in pg, both nodes' 12 in my; 2 decided per node.
  EXPECT_NE(sweep.out.find("committed 6, rolled back 12, ended 4, heuristic "
                           "0, remaining 0, deferred 0\n"),
            std::string::npos)
      << sweep.Describe();
  int committed = 0;
  for (const Transfer& t : transfers) {
    SCOPED_TRACE(t.Name() + " " + t.gtrid);
    ExpectOutcome(promoted, t.tc, t.gtrid, t.MustCommit());
    committed += t.MustCommit() ? 1 : 0;
    if (t.point.empty()) continue;
    Result<std::optional<DecisionRow>> row =
        ReadDecisionRow(promoted, "pg", t.gtrid);
    ASSERT_TRUE(row.ok()) << row.status().ToString();
    EXPECT_EQ(Describe(*row), t.MustCommit() ? "commit (ended)" : "abort");
  }
  for (const TestNode* node : {&carrier, &apart}) {
    ExpectNothingPrepared(promoted, node->id());
    ExpectQuietSweep(*node);
  }
  std::printf(
      "failover: %zu transfers (%d committed, %zu rolled back), standby "
      "promoted in %lld ms\n",
      transfers.size(), committed, transfers.size() - committed,
      static_cast<long long>(promote_ms));
}

// Nothing the primary commits is confirmed while the standby is frozen
// (SIGSTOP): a transfer must not be acknowledged then. Asynchronous
// replication would acknowledge it, and lose it with the primary. After the
// thaw and a failover, the transfer ends as its decision row says.
TEST_F(StoreFailoverTest, NoTransferIsAcknowledgedBeforeTheStandbyHasIt) {
  NodeSettings settings;
  settings.decision_store = "pg";
  settings.resource_lines = "request_timeout_ms = 2000\n";
  TestNode node(NewNodeId("fs"), settings);
  BankView bank;
  Result<TransferCase> tc = NewTransferCase(bank, node.id(), "t", "pg", "my");
  ASSERT_TRUE(tc.ok()) << tc.status().ToString();

  ChildExit transfer;
  {
    Result<std::vector<pid_t>> pids =
        xatm::testing::TestServerPids("pg-standby");
    ASSERT_TRUE(pids.ok()) << pids.status().ToString();
    // Continues the standby also when this program dies while it is frozen.
    Result<std::unique_ptr<UndoGuard>> thaw = UndoGuard::Start(*pids, {});
    ASSERT_TRUE(thaw.ok()) << thaw.status().ToString();
    xatm::testing::FrozenServer standby("pg-standby", std::chrono::seconds(60));
    ASSERT_TRUE(standby.frozen());
    transfer = node.Xatm(tc->CliArgs(), {}, 30000);
  }
  EXPECT_FALSE(transfer.timed_out) << transfer.Describe();
  // Exit 0 and 3 would both claim a durable decision: unknown it is.
  EXPECT_TRUE(transfer.ExitedWith(5))
      << "decided before the standby had the decision: " << transfer.Describe();
  std::printf("transfer with the standby frozen: %s\n",
              transfer.Describe().c_str());
  // The primary's backend finishes the commit it was waiting with.
  WaitForServersToSettle(bank, node.id());

  int64_t promote_ms = 0;
  ASSERT_NO_FATAL_FAILURE(FailOver({{&node, 1}}, &promote_ms));
  BankView promoted;
  std::set<std::string> gtrids = GtridsSeen(
      node.id(), transfer.out + transfer.err, LogView{}, promoted, *tc);
  ASSERT_EQ(gtrids.size(), 1u) << transfer.Describe();
  const std::string gtrid = *gtrids.begin();
  ChildExit sweep = node.Recover();
  EXPECT_TRUE(sweep.ExitedWith(0)) << sweep.Describe();
  Result<std::optional<DecisionRow>> row =
      ReadDecisionRow(promoted, "pg", gtrid);
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  std::printf("after failover and recovery: decision row %s\n",
              Describe(*row).c_str());
  ExpectOutcome(promoted, *tc, gtrid,
                row->has_value() && (*row)->outcome == "commit");
  ExpectNothingPrepared(promoted, node.id());
  ExpectQuietSweep(node);
}

}  // namespace
}  // namespace xatm::crash
