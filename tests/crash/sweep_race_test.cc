// Two sweepers with no grace period race four threads of live cross-database
// transfers in one process for 10 s. Only the manager's in-flight check keeps
// the sweepers off the live branches: nothing may end in doubt, no sweep may
// commit, roll back or contradict anything, and the money stays exact.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cli/bank/transfer.h"
#include "tests/crash/bank_view.h"
#include "tests/crash/checks.h"
#include "tests/crash/scenario_tally.h"
#include "tests/crash/test_node.h"
#include "xatm/sweeper.h"

namespace xatm::crash {
namespace {

constexpr auto kRaceTime = std::chrono::seconds(10);
constexpr int kTransferThreads = 4;
constexpr int kSweeperThreads = 2;
constexpr int64_t kOpeningCents = 100000;

struct Done {
  std::string gtrid;
  StatusCode code;
  std::string message;
  AccountRef from;
  AccountRef to;
  Amount amount;
};

struct SweepTally {
  int sweeps = 0;
  int in_flight_skips = 0;
  int ends = 0;  // END records a sweep appended
  int heuristics = 0;
  // Branch actions: committed, rolled back, heuristic, resource down.
  std::vector<SweepEvent> acted;
};

// The first few events, one per line.
std::string Describe(const std::vector<SweepEvent>& events) {
  std::string s;
  for (size_t i = 0; i < events.size() && i < 10; ++i) {
    const SweepEvent& e = events[i];
    s += "  " + e.gtrid + " " + e.resource + " " + SweepActionName(e.action) +
         " " + e.detail + "\n";
  }
  if (events.size() > 10) {
    s += "  ... " + std::to_string(events.size() - 10) + " more\n";
  }
  return s;
}

// Random cross-database transfers until `stop`.
std::vector<Done> TransferLoop(TransactionManager& tm,
                               const std::vector<AccountRef>& pg,
                               const std::vector<AccountRef>& my, unsigned seed,
                               const std::atomic<bool>& stop) {
  std::mt19937 rng(seed);
  std::vector<Done> done;
  while (!stop.load()) {
    AccountRef a = pg[rng() % pg.size()];
    AccountRef b = my[rng() % my.size()];
    if (rng() % 2 == 0) std::swap(a, b);
    Amount amount = Amount::FromCents(100 + rng() % 400);
    Result<TransferResult> r = Transfer(tm, a, b, amount);
    if (r.ok()) {
      done.push_back(
          {r->gtrid, r->status.code(), r->status.message(), a, b, amount});
    } else {
      done.push_back(
          {"", r.status().code(), r.status().message(), a, b, amount});
    }
  }
  return done;
}

SweepTally SweepLoop(TransactionManager& tm, const std::atomic<bool>& stop) {
  SweeperOptions options;
  options.grace_period_ms = 0;  // the adversarial setting
  Sweeper sweeper(&tm, options);
  SweepTally tally;
  while (!stop.load()) {
    SweepResult result = sweeper.SweepOnce();
    ++tally.sweeps;
    tally.heuristics += result.heuristics;
    for (const SweepEvent& e : result.events) {
      switch (e.action) {
        case SweepAction::kSkippedInFlight:
          ++tally.in_flight_skips;
          break;
        case SweepAction::kEnded:
          ++tally.ends;
          break;
        case SweepAction::kSkippedYoung:
        case SweepAction::kRetryLater:
          break;
        default:
          tally.acted.push_back(e);
      }
    }
  }
  return tally;
}

TEST(SweepRaceTest, SweepsRacingLiveTransfersChangeNothing) {
  Scenario scenario("2 sweepers (grace 0) racing 4 transfer threads");
  InitSchemaOnce();
  TestNode node(NewNodeId("r"));
  BankView bank;
  std::vector<AccountRef> pg, my;
  const Amount opening = Amount::FromCents(kOpeningCents);
  for (int i = 0; i < 2; ++i) {
    for (auto* side : {&pg, &my}) {
      const std::string resource = side == &pg ? "pg" : "my";
      Result<AccountRef> a = bank.CreateAccount(
          resource, node.id() + "-" + std::to_string(i), opening);
      ASSERT_TRUE(a.ok()) << a.status().ToString();
      side->push_back(*a);
    }
  }
  Result<std::unique_ptr<TransactionManager>> tm = node.OpenManager();
  ASSERT_TRUE(tm.ok()) << tm.status().ToString();

  std::atomic<bool> stop{false};
  std::vector<std::vector<Done>> done(kTransferThreads);
  std::vector<SweepTally> tallies(kSweeperThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kTransferThreads; ++i) {
    threads.emplace_back(
        [&, i] { done[i] = TransferLoop(**tm, pg, my, 1000 + i, stop); });
  }
  for (int i = 0; i < kSweeperThreads; ++i) {
    threads.emplace_back([&, i] { tallies[i] = SweepLoop(**tm, stop); });
  }
  std::this_thread::sleep_for(kRaceTime);
  stop = true;
  for (std::thread& t : threads) t.join();

  // The transfers: none in doubt, none refused outright.
  std::map<std::string, const Done*> committed;
  std::set<std::string> aborted;
  for (const auto& list : done) {
    for (const Done& d : list) {
      if (d.code == StatusCode::kOk) {
        committed[d.gtrid] = &d;
      } else if (d.code == StatusCode::kAborted) {
        aborted.insert(d.gtrid);
      } else {
        ADD_FAILURE() << "transfer " << d.gtrid << " ended "
                      << StatusCodeName(d.code) << ": " << d.message;
      }
    }
  }
  std::printf("race: %zu committed, %zu aborted transfers\n", committed.size(),
              aborted.size());
  EXPECT_GE(committed.size(), 20u) << "too few transfers to mean anything";

  // The sweepers: busy, saw live branches, touched none of them.
  int sweeps = 0, skips = 0, ends = 0, heuristics = 0;
  std::vector<SweepEvent> acted;
  for (const SweepTally& t : tallies) {
    sweeps += t.sweeps;
    skips += t.in_flight_skips;
    ends += t.ends;
    heuristics += t.heuristics;
    acted.insert(acted.end(), t.acted.begin(), t.acted.end());
  }
  std::printf(
      "race: %d sweeps, %d in-flight branches skipped, %d END records "
      "appended by sweeps\n",
      sweeps, skips, ends);
  EXPECT_GE(sweeps, 20) << "sweepers hardly ran";
  EXPECT_GT(skips, 0) << "no sweep ever met a live branch: no race happened";
  EXPECT_EQ(heuristics, 0);
  // Every transaction here was live: a sweep reporting that it committed or
  // rolled back a branch claims an action on one (the ledger checks below
  // tell whether it changed anything).
  EXPECT_TRUE(acted.empty())
      << acted.size() << " sweep actions on branches of live transfers:\n"
      << Describe(acted);

  // The databases: nothing prepared, each committed transfer has exactly its
  // two ledger rows, no aborted one has any, balances follow the ledger.
  ExpectNothingPrepared(bank, node.id());
  std::map<std::string, std::vector<std::pair<AccountRef, Amount>>> ledger;
  Amount total;
  for (const auto* side : {&pg, &my}) {
    for (const AccountRef& account : *side) {
      Result<std::vector<LedgerRow>> rows = bank.Ledger(account);
      ASSERT_TRUE(rows.ok()) << rows.status().ToString();
      Cents sum = kOpeningCents;
      for (const LedgerRow& r : *rows) {
        ledger[r.gtrid].push_back({account, r.delta});
        sum += r.delta.cents();
      }
      Result<Amount> balance = bank.Balance(account);
      ASSERT_TRUE(balance.ok()) << balance.status().ToString();
      EXPECT_EQ(balance->ToString(), Amount::FromCents(sum).ToString())
          << "balance of " << account.ToString() << " disagrees with ledger";
      total = Amount::FromCents(total.cents() + balance->cents());
    }
  }
  EXPECT_EQ(total.ToString(), Amount::FromCents(4 * kOpeningCents).ToString())
      << "money created or destroyed";
  for (const auto& [gtrid, d] : committed) {
    auto it = ledger.find(gtrid);
    ASSERT_TRUE(it != ledger.end()) << "committed, no ledger row: " << gtrid;
    std::set<std::pair<std::string, std::string>> want = {
        {d->from.ToString(), d->amount.Negated().ToString()},
        {d->to.ToString(), d->amount.ToString()}};
    std::set<std::pair<std::string, std::string>> got;
    for (const auto& [account, delta] : it->second) {
      got.insert({account.ToString(), delta.ToString()});
    }
    EXPECT_EQ(got, want) << "ledger of " << gtrid;
  }
  for (const auto& [gtrid, rows] : ledger) {
    EXPECT_TRUE(committed.count(gtrid) != 0)
        << "ledger rows of a transfer not reported committed: " << gtrid;
  }
}

}  // namespace
}  // namespace xatm::crash
