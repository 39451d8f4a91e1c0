// The bank under chaos. Eight clients, each a node of its own, run `xatm
// transfer` processes in a loop between accounts in both databases (half of
// them as sagas, an `xatm recover` every eighth process) for
// XATM_CHAOS_SECONDS (default 60),
// while a chaos thread, at random moments, kills -9 each database and
// restarts it, freezes each database (SIGSTOP) for 5-15 s, and kills -9
// running transfers. Then the chaos ends, both servers run unfrozen,
// `xatm recover` runs for every node until it settles, and the bank must be
// exact: money conserved to the cent, every balance equal to its opening
// plus its ledger, nothing prepared, no decision left open, every global
// transaction in the ledger with both legs or with none, every exit-0 and
// exit-3 two-phase transfer with both legs (an exit-3 saga is driven on by
// recovery, forward or back), every exit-1 transfer with none, nothing in
// doubt (`xatm in-doubt`: no saga unfinished), and no two-phase transfer
// running longer than 5 x request_timeout_ms (2 s here), no saga longer
// than its deadline plus its compensation's retries, however long a freeze
// lasts.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tests/crash/bank_view.h"
#include "tests/crash/chaos_client.h"
#include "tests/crash/checks.h"
#include "tests/crash/scenario_tally.h"
#include "tests/crash/server_fault.h"
#include "tests/crash/test_node.h"
#include "tests/integration/test_env.h"

namespace xatm::crash {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kClients = 8;
constexpr int kAccountsPerDatabase = 4;
constexpr int64_t kOpeningCents = 100000;
constexpr int kRequestTimeoutMs = 2000;
// Decision deadline 2 s: room for eight processes on two cores.
constexpr int kGracePeriodS = 4;
constexpr int kDefaultSeconds = 60;
constexpr int kRecoveryBudgetMs = 90000;
// No transfer may run longer: a few bounded round trips (connect, a lock
// wait, prepare, commit), whatever the chaos does.
constexpr int kTransferBoundMs = 5 * kRequestTimeoutMs;
// A saga goes forward until its deadline, then compensates: up to 10 tries
// per step, the waits between them (about 6 s in all) growing past a
// freeze.
constexpr int kSagaDeadlineS = 4;
constexpr int kSagaTransferBoundMs = 25000;

int ChaosSeconds() {
  const char* env = std::getenv("XATM_CHAOS_SECONDS");
  int seconds = env != nullptr ? std::atoi(env) : 0;
  return seconds > 0 ? seconds : kDefaultSeconds;
}

ChildExit Db(const std::string& verb, const std::string& which) {
  return RunChild({"/bin/bash", DbScript(), verb, which,
                   xatm::testing::RequireEnv("XATM_DB_DIR")},
                  {}, 120000);
}

// Starts `which` again; a restart right after a kill can meet the old
// server's last processes, so it is tried a few times.
bool DbUp(const std::string& which, std::string* error) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    ChildExit up = Db("up", which);
    if (up.ExitedWith(0)) return true;
    *error = "db.sh up " + which + ": " + up.Describe();
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return false;
}

// What went wrong, counted, the first few described.
class Violations {
 public:
  void Add(const std::string& what) {
    if (++count_ <= 25) text_ += "  " + what + "\n";
  }
  int count() const { return count_; }
  const std::string& text() const { return text_; }

 private:
  int count_ = 0;
  std::string text_;
};

struct ChaosTally {
  int db_kills = 0;
  int freezes = 0;
  int kill_requests = 0;
  std::vector<std::string> errors;  // of the chaos machinery itself
  std::string timeline;             // the database events, one a line
};

std::string Seconds(Clock::duration d) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f s",
                std::chrono::duration<double>(d).count());
  return text;
}

Clock::time_point After(std::mt19937& rng, int min_ms, int max_ms) {
  return Clock::now() +
         milliseconds(min_ms + static_cast<int>(rng() % (max_ms - min_ms + 1)));
}

// Until `end`: kills and freezes of the databases (each kind on each
// database at least once when the run is long enough, in random order,
// then at random), kills of running transfers in between.
void RunChaos(std::vector<std::unique_ptr<ChaosClient>>& clients,
              Clock::time_point end, std::mt19937& rng, ChaosTally* tally) {
  std::vector<std::pair<std::string, std::string>> pending = {
      {"kill", "pg"}, {"kill", "my"}, {"freeze", "pg"}, {"freeze", "my"}};
  std::shuffle(pending.begin(), pending.end(), rng);
  const Clock::time_point start = Clock::now();
  auto note = [&](const std::string& what) {
    tally->timeline +=
        "  +" + Seconds(Clock::now() - start) + " " + what + "\n";
  };
  Clock::time_point next_db_event = After(rng, 1000, 3000);
  std::unique_ptr<ServerFault> frozen;
  Clock::time_point thaw_at;
  std::set<std::string> frozen_before;
  while (Clock::now() < end) {
    std::this_thread::sleep_until(std::min(end, After(rng, 200, 1000)));
    if (frozen && Clock::now() >= thaw_at) {
      frozen.reset();
      note("thawed");
      next_db_event = After(rng, 1500, 4000);
    }
    if (rng() % 2 == 0) {
      size_t first = rng() % clients.size();
      for (size_t i = 0; i < clients.size(); ++i) {
        if (clients[(first + i) % clients.size()]->RequestKill()) {
          ++tally->kill_requests;
          break;
        }
      }
    }
    // No new database event in the last 5 s: the run ends on time.
    if (frozen || Clock::now() < next_db_event ||
        end - Clock::now() < std::chrono::seconds(5)) {
      continue;
    }
    auto [verb, which] =
        pending.empty()
            ? std::pair<std::string, std::string>{rng() % 2 == 0 ? "kill"
                                                                 : "freeze",
                                                  rng() % 2 == 0 ? "pg" : "my"}
            : pending.back();
    if (verb == "freeze") {
      // A freeze of 5-15 s, cut short by the end of the run.
      Result<std::unique_ptr<ServerFault>> f = FrozenServer::Freeze(which);
      if (!f.ok()) {
        tally->errors.push_back("freeze " + which + ": " +
                                f.status().ToString());
      } else {
        frozen = std::move(f).value();
        // The first freeze of each database lasts over 12 s: longer than
        // any transfer may take (kTransferBoundMs), so one caught by it
        // shows whether its requests are bounded.
        const bool first = frozen_before.insert(which).second;
        thaw_at = std::min(
            end, first ? After(rng, 12000, 15000) : After(rng, 5000, 15000));
        ++tally->freezes;
        note("froze " + which + " for " + Seconds(thaw_at - Clock::now()));
      }
    } else {
      ChildExit killed = Db("kill", which);
      if (!killed.ExitedWith(0)) {
        tally->errors.push_back("db.sh kill " + which + ": " +
                                killed.Describe());
      } else {
        ++tally->db_kills;
        note("killed " + which);
      }
      std::this_thread::sleep_for(milliseconds(rng() % 1000));
      std::string error;
      if (!DbUp(which, &error)) tally->errors.push_back(error);
      note("restarted " + which);
      next_db_event = After(rng, 1500, 4000);
    }
    if (!pending.empty()) pending.pop_back();
  }
}

struct Leg {
  std::string account;  // RES:ID
  std::string delta;
  bool operator<(const Leg& o) const {
    return std::tie(account, delta) < std::tie(o.account, o.delta);
  }
  bool operator==(const Leg& o) const {
    return account == o.account && delta == o.delta;
  }
};

std::set<Leg> LegsOf(const TransferRecord& t) {
  return {{t.from.ToString(), t.amount.Negated().ToString()},
          {t.to.ToString(), t.amount.ToString()}};
}

std::string EndName(const TransferRecord& t) {
  switch (t.end) {
    case ProcessEnd::kExited:
      return "exit " + std::to_string(t.code);
    case ProcessEnd::kKilled:
      return "killed";
    case ProcessEnd::kHung:
      return "hung";
    case ProcessEnd::kSignal:
      return "signal " + std::to_string(-t.code);
  }
  return "?";
}

TEST(ChaosTest, BankStaysExactThroughKillsAndFreezes) {
  Scenario scenario("bank chaos run");
  InitSchemaOnce();
  ThawTestServers();
  const int seconds = ChaosSeconds();
  std::random_device rd;
  const unsigned seed = rd();
  std::printf("chaos: %d s, %d clients, seed %u\n", seconds, kClients, seed);
  std::mt19937 rng(seed);

  const std::string prefix = NewNodeId("cx");
  ChaosAccounts accounts;
  {
    BankView bank;
    for (int i = 0; i < kAccountsPerDatabase; ++i) {
      for (auto* side : {&accounts.pg, &accounts.my}) {
        const std::string resource = side == &accounts.pg ? "pg" : "my";
        Result<AccountRef> a =
            bank.CreateAccount(resource, prefix + "-" + std::to_string(i),
                               Amount::FromCents(kOpeningCents));
        ASSERT_TRUE(a.ok()) << a.status().ToString();
        side->push_back(*a);
      }
    }
  }

  const NodeSettings settings{
      kGracePeriodS,
      "request_timeout_ms = " + std::to_string(kRequestTimeoutMs) + "\n"};
  std::vector<std::unique_ptr<ChaosClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(
        std::make_unique<ChaosClient>(seed + 1 + i, accounts, settings));
    clients.back()->node().AddTopLevelLines(
        "saga_deadline = " + std::to_string(kSagaDeadlineS) + "\n");
  }

  // Sockets on the servers' ports unsettled before the run are not its own.
  std::map<std::string, std::set<std::string>> unsettled_before;
  for (const char* which : {"pg", "my"}) {
    unsettled_before[which] = UnsettledConnections(ServerPort(which));
  }

  // The chaos, with the clients running through it.
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (auto& client : clients) {
    threads.emplace_back([&stop, c = client.get()] { c->Run(stop); });
  }
  ChaosTally chaos;
  const Clock::time_point chaos_start = Clock::now();
  RunChaos(clients, chaos_start + std::chrono::seconds(seconds), rng, &chaos);
  stop = true;
  for (std::thread& t : threads) t.join();
  const double chaos_s =
      std::chrono::duration<double>(Clock::now() - chaos_start).count();

  // The end of the chaos: both servers up, unfrozen, everything sent to
  // them arrived, nothing of any node still executing.
  ThawTestServers();
  for (const char* which : {"pg", "my"}) {
    std::string error;
    if (!DbUp(which, &error)) chaos.errors.push_back(error);
  }
  for (const std::string& e : chaos.errors) ADD_FAILURE() << "chaos: " << e;
  ASSERT_TRUE(chaos.errors.empty());
  for (const char* which : {"pg", "my"}) {
    std::string unsettled;
    if (!WaitForQuietPort(ServerPort(which), 20000, unsettled_before[which],
                          &unsettled)) {
      std::printf("note: port of %s still busy after 20 s:\n%s", which,
                  unsettled.c_str());
    }
  }
  BankView bank;
  for (auto& client : clients) {
    WaitForServersToSettle(bank, client->node().id());
  }

  Violations violations;
  // Recovery, for every node, until it settles.
  const Clock::time_point recovery_start = Clock::now();
  for (auto& client : clients) {
    RecoveryRuns r =
        RecoverUntilSettled(client->node(), "1", kRecoveryBudgetMs);
    if (!r.last.ExitedWith(0)) {
      violations.Add("recovery of " + client->node().id() +
                     " not settled after " + std::to_string(r.runs) +
                     " runs: " + r.last.Describe());
    }
  }
  const double recovery_s =
      std::chrono::duration<double>(Clock::now() - recovery_start).count();

  // Nothing in doubt for any node: no branch, no decision, no saga.
  for (auto& client : clients) {
    ChildExit listed = client->node().Xatm({"in-doubt"});
    if (!listed.ExitedWith(0)) {
      violations.Add("in doubt for " + client->node().id() +
                     " after recovery: " + listed.Describe());
    }
  }

  // Nothing prepared, no decision open, no heuristic outcome.
  std::set<std::string> nodes;
  for (auto& client : clients) nodes.insert(client->node().id());
  Result<std::vector<PreparedEntry>> prepared = bank.Prepared("");
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  for (const PreparedEntry& p : *prepared) {
    for (const std::string& node : nodes) {
      if (IsGtridOf(p.gtrid, node)) {
        violations.Add("still prepared in " + p.database + ": " + p.gtrid);
      }
    }
  }
  for (auto& client : clients) {
    LogView log = ReadLog(client->node().log_dir());
    if (!log.status.ok()) {
      violations.Add("log of " + client->node().id() + ": " +
                     log.status.ToString());
    }
    for (const std::string& g : log.commits) {
      if (log.IsOpen(g)) violations.Add("decision not ENDed: " + g);
    }
    for (const std::string& g : log.heuristics) {
      violations.Add("heuristic outcome: " + g);
    }
  }

  // The ledger: every global transaction with both legs or none, every
  // balance its opening plus its ledger, the money exact.
  std::map<std::string, std::set<Leg>> ledger;
  std::map<std::string, int> rows_per_gtrid;
  int64_t total = 0;
  for (const auto* side : {&accounts.pg, &accounts.my}) {
    for (const AccountRef& account : *side) {
      Result<std::vector<LedgerRow>> rows = bank.Ledger(account);
      ASSERT_TRUE(rows.ok()) << rows.status().ToString();
      int64_t sum = kOpeningCents;
      for (const LedgerRow& r : *rows) {
        ledger[r.gtrid].insert({account.ToString(), r.delta.ToString()});
        ++rows_per_gtrid[r.gtrid];
        sum += r.delta.cents();
      }
      Result<Amount> balance = bank.Balance(account);
      ASSERT_TRUE(balance.ok()) << balance.status().ToString();
      if (balance->cents() != sum) {
        violations.Add("balance of " + account.ToString() + " is " +
                       balance->ToString() + ", its ledger says " +
                       Amount::FromCents(sum).ToString());
      }
      total += balance->cents();
    }
  }
  const int64_t expected_total = 2 * kAccountsPerDatabase * kOpeningCents;
  if (total != expected_total) {
    violations.Add("money created or destroyed: total " +
                   Amount::FromCents(total).ToString() + ", expected " +
                   Amount::FromCents(expected_total).ToString());
  }
  for (const auto& [gtrid, legs] : ledger) {
    int64_t net = 0;
    for (const Leg& leg : legs) {
      Result<Amount> a = Amount::ParseStored(leg.delta);
      net += a.ok() ? a->cents() : 0;
    }
    if (rows_per_gtrid[gtrid] != 2 || legs.size() != 2 || net != 0) {
      violations.Add("half a transfer in the ledger: " + gtrid + " has " +
                     std::to_string(rows_per_gtrid[gtrid]) + " rows");
    }
  }

  // Every transfer as its exit code promised.
  int started = 0, committed = 0, aborted = 0, in_doubt = 0, unknown = 0,
      killed = 0, sagas = 0, sagas_committed = 0;
  int64_t longest_ms = 0, longest_saga_ms = 0;
  std::vector<int64_t> durations;
  for (auto& client : clients) {
    for (const TransferRecord& t : client->transfers()) {
      ++started;
      const bool in_ledger = ledger.count(t.gtrid) != 0;
      const std::string where =
          (t.saga ? "saga " : "") + (t.gtrid.empty() ? "a transfer" : t.gtrid);
      if (t.saga) {
        ++sagas;
        if (in_ledger) ++sagas_committed;
        longest_saga_ms = std::max(longest_saga_ms, t.ms);
      } else {
        longest_ms = std::max(longest_ms, t.ms);
        durations.push_back(t.ms);
      }
      const int bound_ms = t.saga ? kSagaTransferBoundMs : kTransferBoundMs;
      if (t.ms > bound_ms) {
        violations.Add(where + " (" + EndName(t) + ") took " +
                       std::to_string(t.ms) + " ms, more than " +
                       std::to_string(bound_ms) + " ms: " + t.output);
      }
      if (in_ledger && ledger[t.gtrid] != LegsOf(t)) {
        violations.Add(where + ": ledger legs are not the transfer's");
      }
      const bool exited = t.end == ProcessEnd::kExited;
      if (exited && (t.code == 0 || t.code == 3)) {
        ++(t.code == 0 ? committed : in_doubt);
        // An unfinished saga may still have compensated since.
        if (!in_ledger && !(t.saga && t.code == 3)) {
          violations.Add(where + " " + EndName(t) +
                         " but not in the ledger: " + t.output);
        }
      } else if (exited && t.code == 1) {
        ++aborted;
        if (in_ledger) {
          violations.Add(where + " exit 1 but in the ledger: " + t.output);
        }
      } else if (exited && t.code == 5) {
        ++unknown;  // either way, all or nothing (checked above)
      } else if (t.end == ProcessEnd::kKilled) {
        ++killed;
      } else {
        violations.Add(where + " ended " + EndName(t) + " after " +
                       std::to_string(t.ms) + " ms: " + t.output);
      }
    }
    for (const RecoverRecord& r : client->recoveries()) {
      if (r.end != ProcessEnd::kExited || (r.code != 0 && r.code != 4)) {
        violations.Add("recover during the chaos ended badly after " +
                       std::to_string(r.ms) + " ms (code " +
                       std::to_string(r.code) + "): " + r.output);
      }
    }
  }

  std::sort(durations.begin(), durations.end());
  auto percentile = [&](size_t p) {
    return durations.empty()
               ? 0.0
               : durations[(durations.size() - 1) * p / 100] / 1000.0;
  };
  std::printf(
      "chaos: %d transfers started, %d committed (exit 0), %d aborted (1), "
      "%d in doubt (3), %d unknown (5), %d killed, %d db kills, %d freezes, "
      "%d violations; %d kill requests, 2pc transfer p50 %.2f s, p99 %.2f s, "
      "longest %.1f s; %d sagas (%d committed), longest %.1f s; chaos %.1f "
      "s, recovery %.1f s\n",
      started, committed, aborted, in_doubt, unknown, killed, chaos.db_kills,
      chaos.freezes, violations.count(), chaos.kill_requests, percentile(50),
      percentile(99), longest_ms / 1000.0, sagas, sagas_committed,
      longest_saga_ms / 1000.0, chaos_s, recovery_s);
  std::printf("chaos timeline:\n%s", chaos.timeline.c_str());
  std::fflush(stdout);
  EXPECT_EQ(violations.count(), 0) << violations.text();
  EXPECT_GE(committed, 20) << "too few commits for the run to mean anything";
  EXPECT_GE(sagas_committed, 5) << "too few sagas committed to mean anything";
  if (seconds >= kDefaultSeconds) {
    EXPECT_GE(chaos.db_kills, 2) << "each database killed at least once";
    EXPECT_GE(chaos.freezes, 2) << "each database frozen at least once";
  }
}

}  // namespace
}  // namespace xatm::crash
