#include "tests/crash/fault_scenario.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "tests/crash/bank_view.h"
#include "tests/crash/checks.h"
#include "tests/crash/child_process.h"
#include "tests/crash/scenario_tally.h"
#include "tests/crash/test_node.h"

namespace xatm::crash {
namespace {

using Clock = std::chrono::steady_clock;

// T: every round trip to a database, connect included, ends within it.
constexpr int kRequestTimeoutMs = 2000;
// The transfer ends within T + this of meeting the fault.
constexpr int kSlackMs = 2000;
// How long the crash point holds the transfer while the fault is put in
// place (a signal or one nft call: milliseconds).
constexpr int kPauseMs = 500;
// A transfer still running this long after its start is killed by the
// test: a bounded failure instead of a hang of the suite.
constexpr int kKillAfterMs = 10000;
// Small, so that recovery may presume abort soon; the decision deadline
// (half of it) still leaves a transfer 1 s to collect its votes.
constexpr int kGracePeriodS = 2;
constexpr int kRecoveryBudgetMs = 30000;
constexpr int kQuietPortMs = 20000;

struct PhaseSpec {
  const char* name;
  const char* pause_point;  // nullptr: the fault comes first
  int exit_code;
  int round_trips = 1;  // request timeouts the transfer may wait out
};

PhaseSpec Spec(FaultPhase phase) {
  switch (phase) {
    case FaultPhase::kWork:
      return {"work", nullptr, 1};
    case FaultPhase::kPrepare:
      return {"prepare", "before-prepare", 1};
    case FaultPhase::kCommit:
      return {"commit", "after-decision", 3};
    case FaultPhase::kOnePhaseCommit:
      return {"one-phase commit", "before-one-phase-commit", 5, 2};
  }
  return {"?", nullptr, -1};
}

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                               start)
      .count();
}

// Whether the transfer of `tc` left rows in the ledger of its debited
// account: for a transfer whose exit code says nothing.
bool LedgerHasRows(BankView& bank, const TransferCase& tc) {
  Result<std::vector<LedgerRow>> rows = bank.Ledger(tc.from);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() && !rows->empty();
}

}  // namespace

void ServerFaultTest::SetUpTestSuite() { InitSchemaOnce(); }

void ServerFaultTest::SetUp() {
  ThawTestServers();
  RemoveStaleBlackHoles();
}

void ServerFaultTest::TearDown() { ThawTestServers(); }

void TransferThroughFault(const FaultStarter& start_fault,
                          const std::string& victim, FaultPhase phase,
                          int exit_code) {
  PhaseSpec spec = Spec(phase);
  if (exit_code >= 0) spec.exit_code = exit_code;
  const bool one_phase = phase == FaultPhase::kOnePhaseCommit;
  const std::string other = one_phase ? victim : victim == "pg" ? "my" : "pg";
  TestNode node(NewNodeId("f"),
                NodeSettings{kGracePeriodS,
                             "request_timeout_ms = " +
                                 std::to_string(kRequestTimeoutMs) + "\n"});
  std::optional<TransferCase> tc;
  {
    // Its pooled connections must not meet the fault.
    BankView bank;
    Result<TransferCase> made =
        NewTransferCase(bank, node.id(), "t", victim, other);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    tc = *made;
  }

  // Sockets on the victim's port unsettled before the test are not its own.
  const std::set<std::string> unsettled_before =
      UnsettledConnections(ServerPort(victim));

  // Declared after the node: ends before the node's cleanup sweep runs.
  std::unique_ptr<ServerFault> fault;
  auto put_fault = [&]() {
    Result<std::unique_ptr<ServerFault>> f = start_fault(victim);
    if (f.ok()) fault = std::move(f).value();
    return f.status();
  };
  if (spec.pause_point == nullptr) {
    Status s = put_fault();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::map<std::string, std::string> env;
  if (spec.pause_point != nullptr) {
    env["XATM_PAUSE_AT"] =
        std::string(spec.pause_point) + ":" + std::to_string(kPauseMs);
  }
  const Clock::time_point started = Clock::now();
  std::unique_ptr<Child> transfer =
      Child::Start(node.XatmCommand(tc->CliArgs()), env);
  if (spec.pause_point != nullptr) {
    if (!transfer->WaitForStderr(
            std::string("xatm: paused at ") + spec.pause_point, 30000)) {
      FAIL() << "never paused at " << spec.pause_point << ": "
             << transfer->Wait(1000).Describe();
    }
    Status s = put_fault();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  ChildExit run = transfer->Wait(kKillAfterMs);
  const int64_t elapsed_ms = MsSince(started);
  const std::string what = fault->Describe();
  fault->End();

  // Timed from the moment the transfer could first meet the fault.
  const int64_t faulted_ms =
      elapsed_ms - (spec.pause_point != nullptr ? kPauseMs : 0);
  std::string how = run.timed_out ? "still running, killed by the test"
                    : run.exited  ? "exit " + std::to_string(run.code)
                                  : "signal " + std::to_string(run.signal);
  std::printf(
      "fault: %s during the %s: %s after %.2f s (%.2f s with the "
      "fault)\n",
      what.c_str(), spec.name, how.c_str(), elapsed_ms / 1000.0,
      faulted_ms / 1000.0);
  std::fflush(stdout);
  EXPECT_FALSE(run.timed_out)
      << "the transfer was still running " << kKillAfterMs / 1000
      << " s after its start (killed by the test): " << run.Describe();
  EXPECT_LE(faulted_ms, spec.round_trips * kRequestTimeoutMs + kSlackMs)
      << "the transfer took " << faulted_ms << " ms after meeting the fault, "
      << "more than " << spec.round_trips << " x request_timeout_ms + "
      << kSlackMs << " ms";
  EXPECT_TRUE(run.ExitedWith(spec.exit_code))
      << "expected exit " << spec.exit_code << ": " << run.Describe();

  // Whatever the client sent before or during the fault reaches the server
  // before the sweep, or a branch could turn prepared behind its back.
  std::string unsettled;
  if (!WaitForQuietPort(ServerPort(victim), kQuietPortMs, unsettled_before,
                        &unsettled)) {
    std::printf("note: port of %s still busy after %d s:\n%s", victim.c_str(),
                kQuietPortMs / 1000, unsettled.c_str());
  }
  BankView bank;
  WaitForServersToSettle(bank, node.id());
  RecoveryRuns recovery = RecoverUntilSettled(node, "1", kRecoveryBudgetMs);
  EXPECT_TRUE(recovery.last.ExitedWith(0))
      << "recovery not settled after " << recovery.runs
      << " runs; last: " << recovery.last.Describe();

  LogView log = ReadLog(node.log_dir());
  ASSERT_TRUE(log.status.ok()) << log.status.ToString();
  std::set<std::string> gtrids =
      GtridsSeen(node.id(), run.out + run.err, log, bank, *tc);
  EXPECT_LE(gtrids.size(), 1u) << run.Describe();
  const std::string gtrid = gtrids.empty() ? "" : *gtrids.begin();
  // Exit 3 promised a commit, exit 1 that nothing changed; after any other
  // end it only has to be all or nothing.
  const bool committed = run.ExitedWith(3)   ? true
                         : run.ExitedWith(1) ? false
                                             : LedgerHasRows(bank, *tc);
  ExpectOutcome(bank, *tc, gtrid, committed);
  if (one_phase) {
    EXPECT_FALSE(log.HasCommit(gtrid)) << "a one-phase commit logs nothing";
  } else {
    EXPECT_EQ(log.HasCommit(gtrid), committed)
        << "presumed abort: committed exactly when a COMMIT is logged";
  }
  EXPECT_FALSE(log.IsOpen(gtrid)) << "decision not ENDed after recovery";
  EXPECT_TRUE(log.heuristics.empty()) << "heuristic outcome recorded";
  ExpectNothingPrepared(bank, node.id());
  ExpectQuietSweep(node);
}

}  // namespace xatm::crash
