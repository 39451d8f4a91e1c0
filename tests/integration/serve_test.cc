// `xatm serve` against the real test servers, with the decisions in the
// file log and in PostgreSQL: the node's other commands work next to the
// running service, it resolves what a crashed transfer left in doubt, it
// stops cleanly on SIGTERM whether idle or sweeping, and it refuses to start
// without its log. Also: the commands wait for a log another process holds,
// and say who holds it when they give up.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/crash/child_process.h"
#include "tests/integration/bank_cleanup.h"
#include "tests/integration/metrics_scrape.h"
#include "tests/integration/test_env.h"
#include "tests/unit/run_process.h"
#include "xatm/resource_factory.h"

#ifndef XATM_BINARY
#error "XATM_BINARY must name the xatm executable"
#endif

namespace xatm {
namespace {

using ::xatm::crash::Child;
using ::xatm::crash::ChildExit;
using ::xatm::testing::ProcessResult;
using ::xatm::testing::RandomHex;
using Clock = std::chrono::steady_clock;

constexpr int kKilled = 128 + 9;  // SIGKILL, as XATM_CRASH_AT ends a process

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                               start)
      .count();
}

// The parameter: where the decisions live ("file" or a resource's name).
class ServeTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    store_ = GetParam();
    suffix_ = RandomHex(10);
    node_ = "sv" + suffix_;
    alice_ = "pg:alice-" + suffix_;
    bob_ = "my:bob-" + suffix_;
    auto pg = MakeResource(testing::PostgresTestConfig("pg"));
    auto my = MakeResource(testing::MysqlTestConfig("my"));
    ASSERT_TRUE(pg.ok() && my.ok());
    pg_ = std::move(pg).value();
    my_ = std::move(my).value();
  }

  void TearDown() override {
    serve_.reset();  // SIGKILL if a failed test left it running
    if (!config_.empty()) {
      ProcessResult swept = Xatm({"recover", "--grace", "0"});
      EXPECT_EQ(swept.exit_code, 0) << swept.out << swept.err;
    }
    for (Resource* r : {pg_.get(), my_.get()}) {
      for (const char* who : {"alice-", "bob-"}) {
        testing::DeleteAccount(*r, who + suffix_);
      }
      testing::DeleteLedgerRows(*r, node_);
    }
    if (!file_store()) {
      Status s =
          pg_->ExecuteLocal("DELETE FROM xatm_decisions WHERE gtrid LIKE ?",
                            {"xatm:" + node_ + "%"});
      EXPECT_TRUE(s.ok()) << s.ToString();
      s = pg_->ExecuteLocal("DELETE FROM xatm_nodes WHERE node LIKE ?",
                            {node_ + "%"});
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
  }

  bool file_store() const { return store_ == "file"; }
  std::string log_dir() const { return dir_.path() + "/log"; }

  // Writes the config (top-level keys in `top`), runs init and makes the
  // two accounts: alice 100.00, bob 50.00.
  void MakeBank(const std::string& top) {
    config_ = dir_.path() + "/xatm.ini";
    testing::WriteFile(config_, "decision_store = " + store_ + "\n" + top +
                                    testing::TestConfigText(node_));
    ProcessResult init = Xatm({"init"});
    ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
    ASSERT_EQ(Xatm({"create-account", alice_, "--balance", "100.00"}).exit_code,
              0);
    ASSERT_EQ(Xatm({"create-account", bob_, "--balance", "50.00"}).exit_code,
              0);
  }

  ProcessResult Xatm(std::vector<std::string> args,
                     const std::string& crash_at = "",
                     const std::string& pause_at = "") {
    args.insert(args.begin(), {XATM_BINARY, "--config", config_});
    testing::ProcessOptions options;
    options.cwd = "/";
    if (!crash_at.empty()) options.env["XATM_CRASH_AT"] = crash_at;
    if (!pause_at.empty()) options.env["XATM_PAUSE_AT"] = pause_at;
    return testing::RunProcess(args, options);
  }

  std::vector<std::string> Transfer(const std::string& amount) const {
    return {"transfer", "--from", alice_, "--to", bob_, "--amount", amount};
  }

  // Starts `xatm serve` and waits until it has started; extra environment
  // (XATM_PAUSE_AT) in `env`.
  void StartServe(const std::string& log_level = "info",
                  const std::map<std::string, std::string>& env = {},
                  const std::string& metrics_listen = "") {
    std::vector<std::string> args = {XATM_BINARY, "--config", config_,
                                     "--log-level", log_level};
    if (!metrics_listen.empty()) {
      args.insert(args.end(), {"--metrics-listen", metrics_listen});
    }
    args.push_back("serve");
    serve_ = Child::Start(args, env);
    ASSERT_TRUE(serve_->WaitForStderr("serve: started", 10000))
        << serve_->Wait(0).Describe();
  }

  // SIGTERM to serve: it must exit 0 within `budget_ms`.
  ChildExit StopServe(int64_t budget_ms = 2000) {
    const Clock::time_point sent = Clock::now();
    EXPECT_EQ(::kill(serve_->pid(), SIGTERM), 0);
    ChildExit exit = serve_->Wait(5000);
    EXPECT_TRUE(exit.ExitedWith(0)) << exit.Describe();
    EXPECT_LT(MsSince(sent), budget_ms) << exit.Describe();
    return exit;
  }

  // The gtrids of this node's branches prepared in either database.
  std::vector<std::string> Prepared() {
    std::vector<std::string> gtrids;
    for (Resource* r : {pg_.get(), my_.get()}) {
      auto listed = r->ListPrepared();
      EXPECT_TRUE(listed.ok()) << listed.status().ToString();
      if (!listed.ok()) continue;
      for (const PreparedBranch& b : *listed) {
        if (b.id.xid.node == node_) gtrids.push_back(b.id.xid.Gtrid());
      }
    }
    return gtrids;
  }

  // Waits up to `budget_ms` for nothing of this node to be prepared.
  bool WaitForNothingPrepared(int budget_ms) {
    const Clock::time_point start = Clock::now();
    while (!Prepared().empty()) {
      if (MsSince(start) > budget_ms) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }

  // Waits up to `budget_ms` until every branch of this node is older than
  // `age_ms` as a sweep reckons it (the database's clock where it keeps
  // one): a pass then finds none of them young.
  bool WaitUntilPreparedOlderThan(int64_t age_ms, int budget_ms) {
    const Clock::time_point start = Clock::now();
    while (true) {
      bool old_enough = true;
      const int64_t now_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
      for (Resource* r : {pg_.get(), my_.get()}) {
        auto listed = r->ListPrepared();
        if (!listed.ok()) return false;
        for (const PreparedBranch& b : *listed) {
          if (b.id.xid.node != node_) continue;
          old_enough = old_enough && b.db_age_ms.value_or(
                                         now_ms - b.id.xid.begin_ms) > age_ms;
        }
      }
      if (old_enough) return true;
      if (MsSince(start) > budget_ms) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  void ExpectBalances(const std::string& alice, const std::string& bob) {
    ProcessResult r = Xatm({"balance", alice_, bob_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, alice_ + " " + alice + "\n" + bob_ + " " + bob +
                         "\ntotal 150.00\n");
  }

  // A transfer of `amount` killed at `crash_at`; returns its gtrid (found
  // prepared in a database).
  std::string CrashedTransfer(const std::string& amount,
                              const std::string& crash_at) {
    ProcessResult run = Xatm(Transfer(amount), crash_at);
    EXPECT_EQ(run.exit_code, kKilled) << run.out << run.err;
    std::vector<std::string> prepared = Prepared();
    EXPECT_FALSE(prepared.empty()) << "nothing prepared after " << crash_at;
    return prepared.empty() ? "" : prepared.front();
  }

  std::string store_, suffix_, node_, alice_, bob_, config_;
  testing::TempDir dir_;
  std::shared_ptr<Resource> pg_, my_;
  std::unique_ptr<Child> serve_;
};

// Issue: a running service must not lock the node's other commands out.
TEST_P(ServeTest, OtherCommandsWorkNextToARunningService) {
  MakeBank("grace_period = 60\nsweep_interval = 0.2\n");
  StartServe("debug");
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < 20; ++i) {
    ProcessResult r = Xatm(Transfer("1.00"));
    ASSERT_EQ(r.exit_code, 0) << "transfer " << i << ": " << r.out << r.err;
  }
  std::printf("20 transfers next to serve: %lld ms\n",
              static_cast<long long>(MsSince(start)));
  ExpectBalances("80.00", "70.00");

  // A transaction left in doubt (no decision; grace 60 s: serve leaves it).
  const std::string gtrid = CrashedTransfer("5.00", "after-prepare-all");
  ASSERT_FALSE(gtrid.empty());
  ProcessResult in_doubt = Xatm({"in-doubt"});
  EXPECT_EQ(in_doubt.exit_code, 4) << in_doubt.out << in_doubt.err;
  EXPECT_NE(in_doubt.out.find("branch " + gtrid + " "), std::string::npos)
      << in_doubt.out;
  ProcessResult resolved = Xatm({"resolve", gtrid, "--rollback"});
  EXPECT_EQ(resolved.exit_code, 0) << resolved.out << resolved.err;
  ProcessResult recover = Xatm({"recover"});
  EXPECT_EQ(recover.exit_code, 0) << recover.out << recover.err;
  ProcessResult clear = Xatm({"in-doubt"});
  EXPECT_EQ(clear.exit_code, 0) << clear.out << clear.err;
  EXPECT_TRUE(Prepared().empty());
  ExpectBalances("80.00", "70.00");

  ASSERT_TRUE(serve_->Running(0)) << serve_->Wait(0).Describe();
  ChildExit exit = StopServe();
  // It kept sweeping all along (a pass every 0.2 s), not once at start-up;
  // how many depends on how fast the commands above ran (1-3 s here).
  int passes = 0;
  for (size_t at = 0;
       (at = exit.err.find("serve: pass ", at)) != std::string::npos; ++at) {
    ++passes;
  }
  EXPECT_GE(passes, 3) << exit.err;
}

// SIGTERM between passes: exit 0 at once, the log free for the next
// command (which would otherwise wait log_lock_wait = 5 s and fail).
TEST_P(ServeTest, StopsCleanlyWhileIdle) {
  MakeBank("sweep_interval = 30\nlog_lock_wait = 5\n");
  StartServe();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ChildExit exit = StopServe();
  EXPECT_NE(exit.err.find("serve: stopped"), std::string::npos) << exit.err;
  const Clock::time_point start = Clock::now();
  ProcessResult recover = Xatm({"recover"});
  EXPECT_EQ(recover.exit_code, 0) << recover.out << recover.err;
  EXPECT_LT(MsSince(start), 2000);
}

// SIGTERM in the middle of a pass (held at the sweeper's first rollback):
// the pass finishes, nothing is left prepared, exit 0 within 2 s.
TEST_P(ServeTest, StopsCleanlyWhileSweeping) {
  MakeBank("grace_period = 0.5\nsweep_interval = 0.2\nlog_lock_wait = 5\n");
  const std::string gtrid = CrashedTransfer("5.00", "after-prepare-all");
  ASSERT_FALSE(gtrid.empty());
  // Both branches past the grace period before the first pass: the pass
  // paused after its first rollback must have the other one to finish.
  ASSERT_TRUE(WaitUntilPreparedOlderThan(700, 5000));
  StartServe("info", {{"XATM_PAUSE_AT", "recover-after-rollback-first:1000"}});
  ASSERT_TRUE(
      serve_->WaitForStderr("paused at recover-after-rollback-first", 10000))
      << serve_->Wait(0).Describe();
  ChildExit exit = StopServe();
  EXPECT_NE(exit.err.find("serve: stopped"), std::string::npos) << exit.err;
  EXPECT_TRUE(Prepared().empty());
  const Clock::time_point start = Clock::now();
  ProcessResult recover = Xatm({"recover", "--grace", "0"});
  EXPECT_EQ(recover.exit_code, 0) << recover.out << recover.err;
  EXPECT_EQ(recover.out.find(gtrid), std::string::npos) << recover.out;
  EXPECT_LT(MsSince(start), 2000);
  ExpectBalances("100.00", "50.00");
}

INSTANTIATE_TEST_SUITE_P(Stores, ServeTest, ::testing::Values("file", "pg"),
                         [](const auto& info) {
                           return std::string(info.param);
                         });

// With the decisions in PostgreSQL: the node announces itself there.
class ServeStoreTest : public ServeTest {};

// Issue: a second long-running process with a node id is refused through
// the heartbeat; the node's short commands still run next to its service.
TEST_P(ServeStoreTest, ASecondServeOfTheNodeIsRefusedButItsCommandsRun) {
  MakeBank(
      "sweep_interval = 0.2\ntakeover_after = 4\nheartbeat_interval = "
      "0.5\n");
  StartServe();
  ProcessResult second = Xatm({"serve"});
  EXPECT_EQ(second.exit_code, 1) << second.out << second.err;
  EXPECT_NE(second.err.find("node id '" + node_ + "' is in use by host "),
            std::string::npos)
      << second.err;
  EXPECT_NE(second.err.find(" pid " + std::to_string(serve_->pid()) + " "),
            std::string::npos)
      << second.err;
  ProcessResult transfer = Xatm(Transfer("1.00"));
  EXPECT_EQ(transfer.exit_code, 0) << transfer.out << transfer.err;
  ProcessResult recover = Xatm({"recover"});
  EXPECT_EQ(recover.exit_code, 0) << recover.out << recover.err;

  ProcessResult nodes = Xatm({"nodes"});
  EXPECT_EQ(nodes.exit_code, 0) << nodes.out << nodes.err;
  EXPECT_TRUE(std::regex_search(
      nodes.out,
      std::regex("\n" + node_ + " +[^ ]+ +" + std::to_string(serve_->pid()) +
                 " +[0-9.]+s ago +alive +0 +0\n")))
      << nodes.out;
  ProcessResult json = Xatm({"nodes", "--json"});
  EXPECT_EQ(json.exit_code, 0) << json.out << json.err;
  EXPECT_NE(json.out.find("{\"node\":\"" + node_ + "\",\"host\":"),
            std::string::npos)
      << json.out;

  // Killed: restarted on this host, it takes its id back at once (the
  // pid in the row is gone), not after takeover_after.
  ASSERT_EQ(::kill(serve_->pid(), SIGKILL), 0);
  serve_->Wait(5000);
  const Clock::time_point restart = Clock::now();
  StartServe();
  EXPECT_LT(MsSince(restart), 3000);
  StopServe();
  ExpectBalances("99.00", "51.00");
}

// Issue: a node silent for takeover_after is taken over by another node's
// service, which finishes its transactions as decided.
TEST_P(ServeStoreTest, AServiceTakesOverASilentNode) {
  const std::string timing =
      "grace_period = 0.5\nsweep_interval = 0.2\ntakeover_after = "
      "2\nheartbeat_interval = 0.5\n";
  MakeBank(timing);
  // This node runs serve once (its row), and is killed.
  StartServe();
  ASSERT_EQ(::kill(serve_->pid(), SIGKILL), 0);
  serve_->Wait(5000);
  // Decided in PostgreSQL with its branch there (last-resource commit);
  // the MariaDB branch stays prepared, holding bob's row.
  const std::string decided = CrashedTransfer("25.00", "after-decision");
  ASSERT_EQ(Prepared().size(), 1u);
  const Clock::time_point died = Clock::now();

  // Another node's service on the same databases.
  const std::string other_config = dir_.path() + "/other.ini";
  testing::WriteFile(other_config, "decision_store = pg\n" + timing +
                                       testing::TestConfigText(node_ + "t"));
  serve_ = Child::Start(
      {XATM_BINARY, "--config", other_config, "--log-level", "info", "serve"},
      {});
  ASSERT_TRUE(serve_->WaitForStderr("serve: started", 10000))
      << serve_->Wait(0).Describe();
  // takeover_after 2 s + a pass every 0.2 s, with room for a slow machine.
  EXPECT_TRUE(WaitForNothingPrepared(5000));
  std::printf("taken over %lld ms after the node's death\n",
              static_cast<long long>(MsSince(died)));
  EXPECT_GE(MsSince(died), 1500);  // not before it fell silent
  ChildExit exit = StopServe();
  EXPECT_NE(exit.err.find("sweep: node " + node_ + " "), std::string::npos)
      << exit.err;
  ExpectBalances("75.00", "75.00");
}

// Issue: containers with one host name and pid namespaces of their own
// (both serve pid 1 there) must not take each other's node id: only the
// heartbeat's age decides across namespaces.
TEST_P(ServeStoreTest, ASecondServeInAnotherPidNamespaceIsRefused) {
  MakeBank(
      "sweep_interval = 0.2\ntakeover_after = 4\nheartbeat_interval = "
      "0.5\n");
  const std::vector<std::string> in_namespace = {
      "/usr/bin/unshare", "--pid",    "--fork", "--mount-proc", "--kill-child",
      XATM_BINARY,        "--config", config_,  "serve"};
  serve_ = Child::Start(in_namespace, {});
  ASSERT_TRUE(serve_->WaitForStderr("serve: started", 10000))
      << serve_->Wait(0).Describe();
  std::unique_ptr<Child> second = Child::Start(in_namespace, {});
  ChildExit refused = second->Wait(5000);
  EXPECT_TRUE(refused.ExitedWith(1)) << refused.Describe();
  EXPECT_NE(refused.err.find("node id '" + node_ + "' is in use by host "),
            std::string::npos)
      << refused.Describe();
  EXPECT_NE(refused.err.find(" pid 1 "), std::string::npos)
      << refused.Describe();
  EXPECT_TRUE(serve_->Running(0)) << serve_->Wait(0).Describe();
}

// Issue: a service stopped (SIGSTOP) until another process took its node
// id must, once resumed, resolve nothing more and exit naming the holder.
TEST_P(ServeStoreTest, AResumedServeWhoseNodeIdWasTakenStopsSweeping) {
  MakeBank(
      "grace_period = 0.5\nsweep_interval = 0.2\ntakeover_after = "
      "2\nheartbeat_interval = 0.5\n");
  StartServe();
  std::unique_ptr<Child> stopped = std::move(serve_);
  ASSERT_EQ(::kill(stopped->pid(), SIGSTOP), 0);
  // Silent past takeover_after, by the database's clock.
  const Clock::time_point start = Clock::now();
  for (;;) {
    auto age = pg_->QueryLocal(
        "SELECT CAST(extract(epoch FROM clock_timestamp() - last_seen) * 1000 "
        "AS bigint) FROM xatm_nodes WHERE node = ?",
        {node_});
    ASSERT_TRUE(age.ok() && age->size() == 1) << age.status().ToString();
    if (std::stoll((*age)[0][0].value_or("0")) > 2100) break;
    ASSERT_LT(MsSince(start), 10000);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  StartServe();  // takes the node id
  const pid_t taker = serve_->pid();
  ASSERT_EQ(::kill(taker, SIGSTOP), 0);
  // An orphan of the node, old enough to roll back: the resumed process
  // must leave it to the holder.
  const std::string orphan = CrashedTransfer("5.00", "after-prepare-all");
  ASSERT_EQ(::kill(stopped->pid(), SIGCONT), 0);
  ChildExit exit = stopped->Wait(5000);
  EXPECT_TRUE(exit.ExitedWith(1)) << exit.Describe();
  EXPECT_NE(exit.err.find("was taken by host "), std::string::npos)
      << exit.Describe();
  EXPECT_NE(exit.err.find(" pid " + std::to_string(taker) + " "),
            std::string::npos)
      << exit.Describe();
  EXPECT_EQ(exit.err.find("recovery rolled back"), std::string::npos)
      << exit.Describe();
  EXPECT_FALSE(Prepared().empty());
  // The holder resolves it.
  ASSERT_EQ(::kill(taker, SIGCONT), 0);
  EXPECT_TRUE(WaitForNothingPrepared(5000));
  StopServe();
  ExpectBalances("100.00", "50.00");
}

INSTANTIATE_TEST_SUITE_P(Store, ServeStoreTest, ::testing::Values("pg"),
                         [](const auto& info) {
                           return std::string(info.param);
                         });

class ServeFileTest : public ServeTest {
 protected:
  // A transfer of 5.00 that holds the log, paused `ms` after its decision.
  std::unique_ptr<Child> StartPausedTransfer(int ms) {
    std::vector<std::string> argv = {XATM_BINARY, "--config", config_};
    for (const std::string& a : Transfer("5.00")) argv.push_back(a);
    return Child::Start(
        argv, {{"XATM_PAUSE_AT", "after-decision:" + std::to_string(ms)}});
  }
};

// Transfers killed before and after their decision while serve runs: it
// commits the one and rolls back the other within grace + interval.
TEST_P(ServeFileTest, ResolvesWhatACrashedTransferLeftInDoubt) {
  MakeBank("grace_period = 1\nsweep_interval = 0.2\n");
  StartServe();
  // One after the other: the second would wait for the rows of the first
  // (holding the log meanwhile, so serve could not resolve the first).
  ProcessResult decided = Xatm(Transfer("25.00"), "after-decision");
  EXPECT_EQ(decided.exit_code, kKilled) << decided.out << decided.err;
  Clock::time_point start = Clock::now();
  EXPECT_TRUE(WaitForNothingPrepared(2000));  // a decision: the next pass
  std::printf("decided: resolved after %lld ms\n",
              static_cast<long long>(MsSince(start)));
  ProcessResult undecided = Xatm(Transfer("5.00"), "after-prepare-all");
  EXPECT_EQ(undecided.exit_code, kKilled) << undecided.out << undecided.err;
  // grace 1 s + interval 0.2 s, with room for a slow machine.
  start = Clock::now();
  EXPECT_TRUE(WaitForNothingPrepared(3000));
  std::printf("undecided: resolved after %lld ms\n",
              static_cast<long long>(MsSince(start)));
  ExpectBalances("75.00", "75.00");
  ProcessResult in_doubt = Xatm({"in-doubt"});
  EXPECT_EQ(in_doubt.exit_code, 0) << in_doubt.out << in_doubt.err;
  StopServe();
}

// The service's /metrics, scraped with curl after known work: one decided
// and one undecided transaction left by crashed transfers, resolved by it.
TEST_P(ServeFileTest, ServesMetricsOfItsRecoveryWork) {
  MakeBank("grace_period = 1\nsweep_interval = 0.2\n");
  const std::string address = testing::FreeLoopbackAddress();
  StartServe("info", {}, address);
  ProcessResult decided = Xatm(Transfer("25.00"), "after-decision");
  EXPECT_EQ(decided.exit_code, kKilled) << decided.out << decided.err;
  EXPECT_TRUE(WaitForNothingPrepared(2000));
  ProcessResult undecided = Xatm(Transfer("5.00"), "after-prepare-all");
  EXPECT_EQ(undecided.exit_code, kKilled) << undecided.out << undecided.err;
  EXPECT_TRUE(WaitForNothingPrepared(3000));
  ExpectBalances("75.00", "75.00");

  // The pass that saw nothing prepared may still be counting: wait for the
  // gauge of the pass after it.
  Result<testing::MetricSamples> m = Status::Unavailable("not scraped");
  for (int attempt = 0; attempt < 20; ++attempt) {
    m = testing::ScrapeMetrics(address);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    if (m->Get("xatm_recovery_branches_total", {{"action", "rolled_back"}})
            .value_or(0) >= 2) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  auto value = [&](const std::string& name,
                   const testing::MetricLabels& labels = {}) {
    return m->Get(name, labels).value_or(-1);
  };
  // Both branches of the decided transfer committed, both of the other
  // rolled back; the undecided one was seen (deferred) while younger than
  // the grace period, so found counts it again.
  EXPECT_EQ(value("xatm_recovery_branches_total", {{"action", "committed"}}),
            2);
  EXPECT_EQ(value("xatm_recovery_branches_total", {{"action", "rolled_back"}}),
            2);
  EXPECT_GE(value("xatm_recovery_branches_total", {{"action", "deferred"}}), 0);
  EXPECT_EQ(
      value("xatm_recovery_branches_total", {{"action", "found"}}),
      value("xatm_recovery_branches_total", {{"action", "committed"}}) +
          value("xatm_recovery_branches_total", {{"action", "rolled_back"}}) +
          value("xatm_recovery_branches_total", {{"action", "deferred"}}));
  EXPECT_EQ(value("xatm_heuristic_outcomes_total"), 0);
  EXPECT_EQ(value("xatm_in_doubt_branches"), 0);
  EXPECT_EQ(value("xatm_in_doubt_oldest_age_seconds"), 0);
  EXPECT_EQ(value("xatm_log_failed"), 0);
  // serve runs no transactions of its own.
  EXPECT_EQ(value("xatm_transactions_total", {{"outcome", "committed"}}), 0);
  for (const char* r : {"pg", "my"}) {
    EXPECT_GE(value("xatm_resource_open_connections", {{"resource", r}}), 1)
        << r;
    EXPECT_EQ(
        value("xatm_resource_connection_failures_total", {{"resource", r}}), 0)
        << r;
  }
  // The HTTP server's shutdown (civetweb's polling threads) takes ~2 s.
  StopServe(4000);
  EXPECT_FALSE(testing::ScrapeMetrics(address).ok());  // gone with it
}

// Re-opening the log every pass makes a new segment and deletes the old
// ones: after 50 passes the directory holds at most 2 segments.
TEST_P(ServeFileTest, FiftyPassesLeaveAtMostTwoSegments) {
  MakeBank("sweep_interval = 0.02\n");
  StartServe("debug");
  ASSERT_TRUE(serve_->WaitForStderr("serve: pass 50 ", 20000))
      << serve_->Wait(0).Describe();
  ChildExit exit = StopServe();
  int segments = 0;
  for (const auto& entry : std::filesystem::directory_iterator(log_dir())) {
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, std::regex("xatm-[0-9]+\\.log"))) ++segments;
  }
  EXPECT_LE(segments, 2);
  EXPECT_GE(segments, 1);
  ProcessResult verify = Xatm({"log", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

// No log: exit 1 at once, naming the directory.
TEST_P(ServeFileTest, RefusesToStartWithoutItsLog) {
  MakeBank("");
  std::filesystem::remove_all(log_dir());
  ProcessResult r = Xatm({"serve"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find(log_dir()), std::string::npos) << r.err;
  config_.clear();  // nothing to sweep in TearDown
}

// recover, in-doubt and resolve wait for a log another process holds (here
// a transfer held 0.8 s after its decision) instead of failing at once.
TEST_P(ServeFileTest, CommandsWaitForTheLog) {
  MakeBank("");
  std::unique_ptr<Child> transfer = StartPausedTransfer(800);
  ASSERT_TRUE(transfer->WaitForStderr("paused at after-decision", 10000));
  ProcessResult in_doubt = Xatm({"in-doubt"});
  EXPECT_EQ(in_doubt.exit_code, 0) << in_doubt.out << in_doubt.err;
  ChildExit done = transfer->Wait(10000);
  EXPECT_TRUE(done.ExitedWith(0)) << done.Describe();
  ExpectBalances("95.00", "55.00");
}

// Past log_lock_wait the command gives up: exit 1, naming the directory and
// saying that another xatm process holds it.
TEST_P(ServeFileTest, CommandsGiveUpAfterLogLockWait) {
  MakeBank("log_lock_wait = 0.3\n");
  std::unique_ptr<Child> holder = StartPausedTransfer(1000);
  ASSERT_TRUE(holder->WaitForStderr("paused at after-decision", 10000));
  const Clock::time_point start = Clock::now();
  ProcessResult recover = Xatm({"recover"});
  const int64_t waited = MsSince(start);
  EXPECT_EQ(recover.exit_code, 1) << recover.out << recover.err;
  EXPECT_NE(recover.err.find(log_dir()), std::string::npos) << recover.err;
  EXPECT_NE(recover.err.find("another xatm process"), std::string::npos)
      << recover.err;
  EXPECT_GE(waited, 300);
  ChildExit done = holder->Wait(10000);
  EXPECT_TRUE(done.ExitedWith(0)) << done.Describe();
}

// SIGTERM while serve waits for a log a transfer holds: it stops at once,
// without waiting for the transfer.
TEST_P(ServeFileTest, StopsWhileWaitingForTheLog) {
  MakeBank("");
  std::unique_ptr<Child> holder = StartPausedTransfer(1500);
  ASSERT_TRUE(holder->WaitForStderr("paused at after-decision", 10000));
  serve_ = Child::Start({XATM_BINARY, "--config", config_, "serve"});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(serve_->Running(0)) << serve_->Wait(0).Describe();
  const Clock::time_point sent = Clock::now();
  ASSERT_EQ(::kill(serve_->pid(), SIGTERM), 0);
  ChildExit exit = serve_->Wait(5000);
  EXPECT_TRUE(exit.ExitedWith(0)) << exit.Describe();
  EXPECT_LT(MsSince(sent), 500) << exit.Describe();
  EXPECT_TRUE(holder->Running(0));  // still holding the log
  ChildExit done = holder->Wait(10000);
  EXPECT_TRUE(done.ExitedWith(0)) << done.Describe();
}

INSTANTIATE_TEST_SUITE_P(File, ServeFileTest, ::testing::Values("file"),
                         [](const auto& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace xatm
