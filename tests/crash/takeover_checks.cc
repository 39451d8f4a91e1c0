#include "tests/crash/takeover_checks.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "tests/crash/checks.h"
#include "tests/crash/decision_rows.h"

namespace xatm::crash {
int64_t MsBetween(NodeCluster::Clock::time_point from,
                  NodeCluster::Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from)
      .count();
}

int FailuresSoFar() {
  return ::testing::UnitTest::GetInstance()
      ->current_test_info()
      ->result()
      ->total_part_count();
}

std::vector<AccountRef> MakeAccounts(BankView& bank, const std::string& prefix,
                                     int per_database, int64_t opening_cents) {
  std::vector<AccountRef> accounts;
  for (const char* resource : {"pg", "my"}) {
    for (int i = 0; i < per_database; ++i) {
      Result<AccountRef> a =
          bank.CreateAccount(resource, prefix + "-" + std::to_string(i),
                             Amount::FromCents(opening_cents));
      EXPECT_TRUE(a.ok()) << a.status().ToString();
      if (a.ok()) accounts.push_back(*a);
    }
  }
  return accounts;
}

TakeoverWatch AwaitTakeover(NodeCluster& cluster, BankView& bank,
                            const std::string& store, int dead, int budget_ms) {
  const std::string& id = cluster[dead].node->id();
  const NodeCluster::Clock::time_point died = cluster[dead].ended_at;
  TakeoverWatch watch;
  std::string last_error;  // of the last look that failed
  for (;;) {
    Result<int> busy = bank.StatementsInFlight(id);
    Result<std::vector<PreparedEntry>> prepared = bank.Prepared(id);
    Result<NodeDecisions> decisions = CountNodeDecisions(bank, store, id);
    const NodeCluster::Clock::time_point seen = NodeCluster::Clock::now();
    const bool read = busy.ok() && prepared.ok() && decisions.ok();
    if (!read) {
      // A failed look (a connection refused under load) proves nothing
      // either way: look again until the budget is spent.
      last_error = busy.status().ToString() + " " +
                   prepared.status().ToString() + " " +
                   decisions.status().ToString();
    } else if (watch.left_prepared < 0) {
      watch.left_prepared = static_cast<int>(prepared->size());
      watch.left_open = decisions->open_commits;
    }
    if (read && *busy == 0 && prepared->empty() &&
        decisions->open_commits == 0) {
      watch.ms = MsBetween(died, seen);
      return watch;
    }
    if (MsBetween(died, seen) > budget_ms) {
      std::string what = last_error;
      if (prepared.ok()) {
        what += " prepared:";
        for (const PreparedEntry& p : *prepared) {
          what += " " + p.gtrid + "@" + p.database;
        }
      }
      if (decisions.ok()) {
        what += "; " + std::to_string(decisions->open_commits) +
                " open COMMIT decisions";
      }
      ADD_FAILURE() << "node " << id << " not taken over " << budget_ms
                    << " ms after its death: " << what;
      return watch;
    }
    cluster.Pump(100);
  }
}

std::string CountsText(const AuditCounts& c) {
  std::string s;
  for (const char* word : {"acked", "decided", "aborted", "unknown"}) {
    auto it = c.outcomes.find(word);
    s += std::string(s.empty() ? "" : ", ") + word + " " +
         std::to_string(it == c.outcomes.end() ? 0 : it->second);
  }
  return s + "; " + std::to_string(c.ledger_gtrids) + " in the ledger";
}

namespace {

// Legs of a gtrid in the ledger: account -> signed cents.
using Legs = std::map<std::string, int64_t>;

// After every member has ended: what a survivor left prepared must be one
// of its own in-doubt transactions (its sweeper stopped with it), which its
// `xatm recover` then finishes; nothing of any member may stay prepared.
void ExpectNothingLeftPrepared(NodeCluster& cluster, BankView& bank) {
  for (int i = 0; i < cluster.size(); ++i) {
    const TestNode& node = *cluster[i].node;
    Result<std::vector<PreparedEntry>> prepared = bank.Prepared(node.id());
    ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
    if (prepared->empty()) continue;
    const NodeOutcomes own = ParseOutcomes(cluster[i].exit.out);
    for (const PreparedEntry& p : *prepared) {
      const bool in_doubt = own.gtrids.count("decided") != 0 &&
                            own.gtrids.at("decided").count(p.gtrid) != 0;
      const bool unknown = own.gtrids.count("unknown") != 0 &&
                           own.gtrids.at("unknown").count(p.gtrid) != 0;
      EXPECT_TRUE(cluster[i].exit.exited && (in_doubt || unknown))
          << "node " << node.id() << " left " << p.gtrid << " prepared in "
          << p.database << " (" << cluster[i].exit.Describe() << ")";
    }
    ChildExit sweep = node.Recover();
    EXPECT_TRUE(sweep.ExitedWith(0)) << sweep.Describe();
    ExpectNothingPrepared(bank, node.id());
  }
}

}  // namespace

AuditCounts AuditBank(NodeCluster& cluster, BankView& bank,
                      const std::string& store,
                      const std::vector<AccountRef>& accounts,
                      int64_t opening_cents) {
  AuditCounts counts;
  ExpectNothingLeftPrepared(cluster, bank);
  std::map<std::string, Legs> ledger;
  int64_t total = 0;
  for (const AccountRef& account : accounts) {
    Result<std::vector<LedgerRow>> rows = bank.Ledger(account);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok()) return counts;
    int64_t sum = opening_cents;
    for (const LedgerRow& r : *rows) {
      Legs& legs = ledger[r.gtrid];
      EXPECT_EQ(legs.count(account.ToString()), 0u)
          << r.gtrid << " twice in the ledger of " << account.ToString();
      legs[account.ToString()] += r.delta.cents();
      sum += r.delta.cents();
    }
    Result<Amount> balance = bank.Balance(account);
    EXPECT_TRUE(balance.ok()) << balance.status().ToString();
    if (!balance.ok()) return counts;
    EXPECT_EQ(balance->cents(), sum)
        << "balance of " << account.ToString() << " is " << balance->ToString()
        << ", opening plus ledger " << Amount::FromCents(sum).ToString();
    total += balance->cents();
  }
  EXPECT_EQ(total, opening_cents * static_cast<int64_t>(accounts.size()))
      << "money created or destroyed";
  counts.ledger_gtrids = static_cast<int>(ledger.size());
  for (const auto& [gtrid, legs] : ledger) {
    int64_t net = 0;
    std::set<std::string> databases;
    for (const auto& [account, cents] : legs) {
      net += cents;
      databases.insert(account.substr(0, account.find(':')));
    }
    EXPECT_TRUE(legs.size() == 2 && net == 0 && databases.size() == 2)
        << "half a transfer in the ledger: " << gtrid << " has " << legs.size()
        << " legs, net " << net << " cents";
  }
  for (int i = 0; i < cluster.size(); ++i) {
    const NodeOutcomes outcomes = ParseOutcomes(cluster[i].exit.out);
    for (const auto& [word, gtrids] : outcomes.gtrids) {
      counts.outcomes[word] += static_cast<int>(gtrids.size());
      for (const std::string& gtrid : gtrids) {
        const bool in_ledger = ledger.count(gtrid) != 0;
        if (word == "acked" || word == "decided") {
          EXPECT_TRUE(in_ledger)
              << word << " " << gtrid << " is not committed on both sides";
        } else if (word == "aborted") {
          EXPECT_FALSE(in_ledger) << "aborted " << gtrid << " in the ledger";
        } else {
          EXPECT_EQ(word, "unknown")
              << "unexpected line from node " << cluster[i].node->id();
        }
      }
    }
    Result<NodeDecisions> decisions =
        CountNodeDecisions(bank, store, cluster[i].node->id());
    EXPECT_TRUE(decisions.ok()) << decisions.status().ToString();
    if (decisions.ok()) {
      EXPECT_EQ(decisions->heuristics, 0)
          << "heuristic outcomes of node " << cluster[i].node->id();
    }
  }
  return counts;
}

int TakersOf(NodeCluster& cluster, int subject) {
  const std::string said = "node " + cluster[subject].node->id() + " (host";
  int takers = 0;
  for (int i = 0; i < cluster.size(); ++i) {
    if (i == subject) continue;
    std::istringstream err(cluster[i].exit.err);
    for (std::string line; std::getline(err, line);) {
      if (line.find(said) != std::string::npos &&
          line.find("taking over") != std::string::npos) {
        ++takers;
        break;
      }
    }
  }
  return takers;
}

int FenceWaiters(BankView& bank) {
  Result<std::vector<Row>> rows = bank.pg().QueryLocal(
      "SELECT count(*) FROM pg_stat_activity WHERE datname = "
      "current_database() AND wait_event_type = 'Lock' AND "
      "strpos(query, 'xatm_decisions') > 0",
      {});
  if (!rows.ok() || rows->empty() || rows->front().empty() ||
      !rows->front()[0]) {
    return 0;
  }
  return std::stoi(*rows->front()[0]);
}

void ForgetNodesIfPassed(NodeCluster& cluster, BankView& bank,
                         const std::string& store, int failures_before) {
  if (FailuresSoFar() != failures_before) return;
  for (int i = 0; i < cluster.size(); ++i) {
    Status deleted = bank.Get(store).ExecuteLocal(
        "DELETE FROM xatm_nodes WHERE node = ?", {cluster[i].node->id()});
    EXPECT_TRUE(deleted.ok()) << deleted.ToString();
  }
}

std::string SurvivorsLogs(NodeCluster& cluster, int subject) {
  std::string text;
  for (int i = 0; i < cluster.size(); ++i) {
    if (i == subject) continue;
    const std::string& err = cluster[i].exit.err;
    text += "\n--- stderr of " + cluster[i].node->id() + " (end) ---\n" +
            err.substr(err.size() > 3000 ? err.size() - 3000 : 0);
  }
  return text;
}

}  // namespace xatm::crash
