// Several nodes on the same databases, the decisions in PostgreSQL's
// xatm_decisions, each node an application process (xatm_node_process)
// with a BackgroundSweeper that heartbeats and takes over silent nodes:
//  - one of three nodes is killed (SIGKILL) at each crash point of the
//    commit path, and at random, under load: the two survivors, both at
//    once, finish its transactions within takeover_after + one sweep
//    interval (+ a margin), and the fence keeps them from disagreeing;
//  - a node is stopped (SIGSTOP) past takeover_after while it holds an
//    uncommitted COMMIT row, then resumed: the others' fence waits on the
//    row and gives up, so its transaction ends one way in both databases,
//    the way the node itself reports.
// Afterwards: money exact, every balance its opening plus its ledger,
// every gtrid with both legs or none, every acked one with both, every
// aborted one with none, nothing prepared, no heuristic outcome. One
// summary line per scenario (takeover time, violations).
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/crash/bank_view.h"
#include "tests/crash/decision_rows.h"
#include "tests/crash/node_cluster.h"
#include "tests/crash/scenario_tally.h"
#include "tests/crash/takeover_checks.h"
#include "tests/crash/test_node.h"

namespace xatm::crash {
namespace {

using Clock = NodeCluster::Clock;

constexpr char kStore[] = "pg";
constexpr int kTakeoverAfterMs = 3000;
constexpr int kHeartbeatIntervalMs = 500;
constexpr int kSweepIntervalMs = 1000;
// Below takeover_after - heartbeat_interval, so that a branch the dead node
// prepared at its last moment is past the grace period when the node
// becomes silent, and the takeover does not wait for grace as well.
constexpr int kGracePeriodS = 2;
// A node is silent takeover_after after its last heartbeat, at the latest
// takeover_after after its death; a survivor's next pass starts within a
// sweep interval. The margin covers the pass itself on a loaded 2-core
// machine (listing both databases, the fence, the commits, the END: a few
// hundred ms), a heartbeat or pass thread scheduled late, and this test's
// polling (100 ms plus its queries).
constexpr int kMarginMs = 2000;
constexpr int kTakeoverBoundMs =
    kTakeoverAfterMs + kSweepIntervalMs + kMarginMs;
constexpr int kAccountsPerDatabase = 4;
constexpr int64_t kOpeningCents = 1000000;
constexpr int kThreadsPerNode = 3;
constexpr int kNodes = 3;

NodeSettings StoreSettings() {
  NodeSettings s;
  s.grace_period_s = kGracePeriodS;
  s.decision_store = kStore;
  return s;
}

// The config's top-level timing keys.
std::string TimingLines() {
  char lines[160];
  std::snprintf(lines, sizeof(lines),
                "takeover_after = %.3f\nheartbeat_interval = %.3f\n"
                "sweep_interval = %.3f\n",
                kTakeoverAfterMs / 1000.0, kHeartbeatIntervalMs / 1000.0,
                kSweepIntervalMs / 1000.0);
  return lines;
}

// Min / median / max of the takeover times of a group of scenarios.
std::string Spread(std::vector<int64_t> ms) {
  if (ms.empty()) return "none measured";
  std::sort(ms.begin(), ms.end());
  char text[96];
  std::snprintf(text, sizeof(text), "min %.2f s, median %.2f s, max %.2f s",
                ms.front() / 1000.0, ms[ms.size() / 2] / 1000.0,
                ms.back() / 1000.0);
  return text;
}

void PrintLine(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

struct KillPlan {
  std::string name;                        // for messages
  std::map<std::string, std::string> env;  // of the victim: a crash point
  int kill_after_ms = 0;                   // > 0: SIGKILL by the test
  // The first look must find something of the victim to take over.
  bool expects_prepared = false;
  bool expects_open_decision = false;
};

// Three nodes under load; one of them dies as `plan` says; the survivors
// take it over. Returns the takeover time, or -1.
int64_t RunKillScenario(const KillPlan& plan) {
  Scenario scenario(plan.name);
  const int failures_before = FailuresSoFar();
  BankView bank;
  const std::vector<AccountRef> accounts =
      MakeAccounts(bank, NewNodeId("ta"), kAccountsPerDatabase, kOpeningCents);
  NodeCluster cluster(StoreSettings(), TimingLines());
  std::mt19937 rng(std::random_device{}());
  const int victim = static_cast<int>(rng() % kNodes);
  const std::vector<std::string> args = {
      "--threads", std::to_string(kThreadsPerNode), "--seed",
      std::to_string(rng() % 100000)};
  for (int i = 0; i < kNodes; ++i) {
    if (cluster.Start("tk", accounts, args,
                      i == victim ? plan.env
                                  : std::map<std::string, std::string>{}) < 0) {
      return -1;
    }
  }
  if (plan.kill_after_ms > 0) {
    cluster.PumpFor(plan.kill_after_ms);
    cluster.Signal(victim, SIGKILL);
  }
  if (!cluster.WaitForEnd(victim, 60000)) {
    ADD_FAILURE() << plan.name << ": the victim never died";
    return -1;
  }
  EXPECT_TRUE(cluster[victim].exit.KilledBySigkill())
      << cluster[victim].exit.Describe();
  for (int i = 0; i < kNodes; ++i) {
    EXPECT_TRUE(i == victim || !cluster[i].ended)
        << "survivor ended: " << cluster[i].exit.Describe();
  }
  const TakeoverWatch watch =
      AwaitTakeover(cluster, bank, kStore, victim, 3 * kTakeoverBoundMs);
  EXPECT_GE(watch.ms, 0);
  EXPECT_LE(watch.ms, kTakeoverBoundMs)
      << "takeover slower than takeover_after + sweep_interval + margin";
  // Both survivors get a pass with the victim silent (the second finds
  // what the first left, or nothing): their logs say each took it over.
  cluster.PumpFor(2 * kSweepIntervalMs + 500);
  if (plan.expects_prepared) {
    EXPECT_GE(watch.left_prepared, 1) << "the victim left nothing prepared";
  }
  if (plan.expects_open_decision) {
    EXPECT_GE(watch.left_open, 1) << "the victim left no open decision";
  }
  cluster.StopAll(30000);
  for (int i = 0; i < kNodes; ++i) {
    if (i != victim) {
      EXPECT_TRUE(cluster[i].exit.ExitedWith(0)) << cluster[i].exit.Describe();
    }
  }
  const AuditCounts counts =
      AuditBank(cluster, bank, kStore, accounts, kOpeningCents);
  // Each survivor takes it over on its own, until one of them finds
  // nothing of it left and removes its row: usually both (the fence, and
  // the audit above, keep them from disagreeing), at least one when it
  // left anything (a kill between two transactions, right after a batch
  // of ENDs, leaves nothing to take over).
  const int takers = TakersOf(cluster, victim);
  if (watch.left_prepared + watch.left_open > 0) {
    EXPECT_GE(takers, 1) << "survivors that took the victim over; "
                         << SurvivorsLogs(cluster, victim);
  }
  EXPECT_LE(takers, kNodes - 1);
  const NodeOutcomes victim_lines = ParseOutcomes(cluster[victim].exit.out);
  char line[512];
  std::snprintf(
      line, sizeof(line),
      "takeover %s: node %s killed after %d outcomes, left %d prepared and "
      "%d open decisions; taken over by %d survivors in %.2f s (bound %.1f s); "
      "%s; %d violations",
      plan.name.c_str(), cluster[victim].node->id().c_str(), victim_lines.lines,
      watch.left_prepared, watch.left_open, takers, watch.ms / 1000.0,
      kTakeoverBoundMs / 1000.0, CountsText(counts).c_str(),
      FailuresSoFar() - failures_before);
  PrintLine(line);
  ForgetNodesIfPassed(cluster, bank, kStore, failures_before);
  EXPECT_GE(counts.outcomes.count("acked") ? counts.outcomes.at("acked") : 0, 1)
      << "no transfer committed: the load meant nothing";
  return watch.ms;
}

// The crash points of the commit path that a node under load reaches.
const std::vector<KillPlan>& CrashPointPlans() {
  static const std::vector<KillPlan> plans = [] {
    struct Point {
      const char* name;
      bool prepared;
      bool open_decision;
    };
    const Point points[] = {
        {"before-prepare", false, false},
        {"after-prepare-first", true, false},
        {"after-prepare-all", true, false},
        {"decision-inserted", true, false},
        {"after-decision", true, true},
        {"after-commit-first", false, true},
        {"after-commit-all", false, true},
    };
    std::vector<KillPlan> v;
    for (const Point& p : points) {
      // The 4th hit: the node has been under load for a while, its other
      // threads mid-transaction.
      v.push_back(KillPlan{std::string("crash at ") + p.name,
                           {{"XATM_CRASH_AT", std::string(p.name) + ":4"}},
                           0,
                           p.prepared,
                           p.open_decision});
    }
    return v;
  }();
  return plans;
}

class TakeoverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { InitSchemaOnce(); }
};

TEST_F(TakeoverTest, SurvivorsFinishANodeKilledAtEachCrashPoint) {
  const int failures_before = FailuresSoFar();
  std::vector<int64_t> times;
  for (const KillPlan& plan : CrashPointPlans()) {
    const int64_t ms = RunKillScenario(plan);
    if (ms >= 0) times.push_back(ms);
  }
  PrintLine("takeover crash points: " + std::to_string(times.size()) + "/" +
            std::to_string(CrashPointPlans().size()) + " taken over, " +
            Spread(times) + "; " +
            std::to_string(FailuresSoFar() - failures_before) + " violations");
}

TEST_F(TakeoverTest, SurvivorsFinishANodeKilledAtRandomUnderLoad) {
  const int failures_before = FailuresSoFar();
  std::mt19937 rng(std::random_device{}());
  std::vector<int64_t> times;
  constexpr int kRounds = 3;
  for (int round = 1; round <= kRounds; ++round) {
    KillPlan plan;
    plan.kill_after_ms = 1000 + static_cast<int>(rng() % 2500);
    plan.name = "random kill " + std::to_string(round) + " at +" +
                std::to_string(plan.kill_after_ms) + " ms";
    const int64_t ms = RunKillScenario(plan);
    if (ms >= 0) times.push_back(ms);
  }
  PrintLine("takeover random kills: " + std::to_string(times.size()) + "/" +
            std::to_string(kRounds) + " taken over, " + Spread(times) + "; " +
            std::to_string(FailuresSoFar() - failures_before) + " violations");
}

// A second process with a node id a live process holds: its sweeper does
// not start (another instance heartbeats the row), and the process says so
// and exits 1 without running a transfer.
TEST_F(TakeoverTest, SecondProcessWithALiveNodesIdIsRefused) {
  Scenario scenario("second process with a live node's id");
  const int failures_before = FailuresSoFar();
  BankView bank;
  const std::vector<AccountRef> accounts =
      MakeAccounts(bank, NewNodeId("tr"), 1, kOpeningCents);
  NodeCluster cluster(StoreSettings(), TimingLines());
  const int first = cluster.Start("tr", accounts, {"--threads", "1"});
  ASSERT_GE(first, 0);
  std::string list;
  for (const AccountRef& a : accounts) {
    list += (list.empty() ? "" : ",") + a.ToString();
  }
  ChildExit second = RunChild(
      {NodeProcessBinary(), "--config", cluster[first].node->config_path(),
       "--accounts", list, "--threads", "1"},
      {}, 30000);
  EXPECT_TRUE(second.ExitedWith(1)) << second.Describe();
  EXPECT_NE(second.err.find("cannot start its sweeper"), std::string::npos)
      << second.Describe();
  EXPECT_NE(second.err.find(std::to_string(cluster[first].child->pid())),
            std::string::npos)
      << "the refusal does not name the holder's pid: " << second.Describe();
  EXPECT_TRUE(second.out.empty()) << "the refused process ran transfers";
  cluster.StopAll(30000);
  EXPECT_TRUE(cluster[first].exit.ExitedWith(0))
      << cluster[first].exit.Describe();
  AuditBank(cluster, bank, kStore, accounts, kOpeningCents);
  const std::string said = second.err.substr(0, second.err.find('\n'));
  PrintLine("takeover refusal: " + said + "; " +
            std::to_string(FailuresSoFar() - failures_before) + " violations");
  ForgetNodesIfPassed(cluster, bank, kStore, failures_before);
}

// The paused node's one transfer: its gtrid, from the branch it prepared.
std::string HeldGtrid(BankView& bank, const std::string& node) {
  Result<std::vector<PreparedEntry>> prepared = bank.Prepared(node);
  EXPECT_TRUE(prepared.ok()) << prepared.status().ToString();
  if (!prepared.ok() || prepared->empty()) return "";
  return prepared->front().gtrid;
}

TEST_F(TakeoverTest, NodeStoppedWhileHoldingItsCommitRowIsNotContradicted) {
  Scenario scenario("SIGSTOP at decision-inserted past takeover_after");
  const int failures_before = FailuresSoFar();
  BankView bank;
  std::vector<AccountRef> accounts =
      MakeAccounts(bank, NewNodeId("ts"), kAccountsPerDatabase, kOpeningCents);
  // The held transfer's own accounts: its row locks block only it.
  const std::vector<AccountRef> own =
      MakeAccounts(bank, NewNodeId("tp"), 1, kOpeningCents);
  accounts.insert(accounts.end(), own.begin(), own.end());
  NodeCluster cluster(StoreSettings(), TimingLines());
  const std::vector<std::string> load = {"--threads",
                                         std::to_string(kThreadsPerNode)};
  ASSERT_GE(cluster.Start("tk", accounts, load), 0);
  ASSERT_GE(cluster.Start("tk", accounts, load), 0);
  // Held at the point 2 s, i.e. until the test has stopped it: once stopped
  // the sleep runs out, and it goes on when it is resumed.
  const int held =
      cluster.Start("tp", own, {"--threads", "1", "--transfers", "1"},
                    {{"XATM_PAUSE_AT", "decision-inserted:2000"}});
  ASSERT_GE(held, 0);
  ASSERT_TRUE(cluster[held].child->WaitForStderr(
      "xatm: paused at decision-inserted", 30000))
      << "the held node never reached decision-inserted";
  cluster.Signal(held, SIGSTOP);
  const Clock::time_point stopped = Clock::now();
  const std::string id = cluster[held].node->id();
  const std::string gtrid = HeldGtrid(bank, id);
  ASSERT_FALSE(gtrid.empty()) << "nothing of the held transfer is prepared";
  Result<std::vector<PreparedEntry>> before = bank.Prepared(id);
  ASSERT_TRUE(before.ok()) << before.status().ToString();

  // Silent past takeover_after and two passes of each survivor: their
  // fence meets the uncommitted COMMIT row and must give up.
  int fence_waiters = 0;  // the most seen at once
  const Clock::time_point resume_at =
      stopped +
      std::chrono::milliseconds(kTakeoverAfterMs + 2 * kSweepIntervalMs + 1000);
  while (Clock::now() < resume_at) {
    cluster.PumpFor(200);
    fence_waiters = std::max(fence_waiters, FenceWaiters(bank));
  }
  EXPECT_GE(fence_waiters, 1)
      << "no other node's fence waited on the stopped node's COMMIT row";
  Result<std::vector<PreparedEntry>> during = bank.Prepared(id);
  ASSERT_TRUE(during.ok()) << during.status().ToString();
  EXPECT_EQ(during->size(), before->size())
      << "a branch of the stopped node's transaction was resolved while its "
         "COMMIT row was uncommitted";
  Result<std::optional<DecisionRow>> row_during =
      ReadDecisionRow(bank, kStore, gtrid);
  ASSERT_TRUE(row_during.ok()) << row_during.status().ToString();
  EXPECT_EQ(Describe(*row_during), "no row")
      << "a decision row appeared while the node held its own";
  const int64_t stopped_ms = MsBetween(stopped, Clock::now());
  cluster.Signal(held, SIGCONT);

  ASSERT_TRUE(cluster.WaitForEnd(held, 60000)) << "the resumed node hangs";
  EXPECT_TRUE(cluster[held].exit.ExitedWith(0))
      << cluster[held].exit.Describe();
  const NodeOutcomes reported = ParseOutcomes(cluster[held].exit.out);
  std::string word = "none";
  for (const auto& [w, gtrids] : reported.gtrids) {
    if (gtrids.count(gtrid) != 0) word = w;
  }
  EXPECT_NE(word, "none") << "the held node did not report " << gtrid << ": "
                          << cluster[held].exit.Describe();
  // Whatever it left is finished by itself or, once silent, by the others.
  const TakeoverWatch settled =
      AwaitTakeover(cluster, bank, kStore, held, 3 * kTakeoverBoundMs);
  cluster.StopAll(30000);
  Result<std::optional<DecisionRow>> row = ReadDecisionRow(bank, kStore, gtrid);
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  const AuditCounts counts =
      AuditBank(cluster, bank, kStore, accounts, kOpeningCents);

  // One way in both databases, the node's way.
  std::set<std::string> legs;
  for (const AccountRef& account : own) {
    Result<std::vector<LedgerRow>> rows = bank.Ledger(account);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    for (const LedgerRow& r : *rows) {
      if (r.gtrid == gtrid) legs.insert(account.resource);
    }
  }
  const bool committed = legs.size() == 2;
  EXPECT_TRUE(legs.empty() || committed)
      << gtrid << " committed in one database only";
  if (word == "acked" || word == "decided") {
    EXPECT_TRUE(committed) << word << " " << gtrid << " is not committed";
  } else if (word == "aborted") {
    EXPECT_TRUE(legs.empty()) << "aborted " << gtrid << " is committed";
  }
  EXPECT_TRUE(!row->has_value() ||
              (**row).outcome == (committed ? "commit" : "abort"))
      << "decision row " << Describe(*row) << " contradicts the ledger";

  // The others took the stopped node over (and logged its gtrid when
  // their fence gave up on it).
  const int takers = TakersOf(cluster, held);
  EXPECT_EQ(takers, kNodes - 1) << "nodes that took the stopped node over; "
                                << SurvivorsLogs(cluster, held);
  int mentions = 0;
  for (int i = 0; i < cluster.size(); ++i) {
    if (i == held) continue;
    for (size_t at = cluster[i].exit.err.find(gtrid); at != std::string::npos;
         at = cluster[i].exit.err.find(gtrid, at + 1)) {
      ++mentions;
    }
  }
  char line[512];
  std::snprintf(
      line, sizeof(line),
      "takeover SIGSTOP: node %s stopped %.1f s (takeover_after %.1f s) "
      "holding its uncommitted COMMIT row of %s; taken over by %d nodes, "
      "up to %d fences waited on the row at once, %d log lines of theirs "
      "name the gtrid; it reported %s, ledger %s, decision row %s, settled "
      "%.2f s "
      "after its exit; %s; %d violations",
      id.c_str(), stopped_ms / 1000.0, kTakeoverAfterMs / 1000.0, gtrid.c_str(),
      takers, fence_waiters, mentions, word.c_str(),
      committed      ? "both legs"
      : legs.empty() ? "no leg"
                     : "one leg",
      Describe(*row).c_str(), settled.ms / 1000.0, CountsText(counts).c_str(),
      FailuresSoFar() - failures_before);
  PrintLine(line);
  ForgetNodesIfPassed(cluster, bank, kStore, failures_before);
}

}  // namespace
}  // namespace xatm::crash
