// What the takeover tests watch and check: how long until a dead node's
// work is finished by the others, the bank afterwards, and what the
// nodes' logs and the decision store's locks show of the takeover.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cli/bank/account_ref.h"
#include "tests/crash/bank_view.h"
#include "tests/crash/node_cluster.h"

namespace xatm::crash {

int64_t MsBetween(NodeCluster::Clock::time_point from,
                  NodeCluster::Clock::time_point to);

// Failed assertions of the running test so far: a scenario's violations are
// the difference across it.
int FailuresSoFar();

// Accounts PREFIX-0... on pg, then on my, `opening_cents` each.
std::vector<AccountRef> MakeAccounts(BankView& bank, const std::string& prefix,
                                     int per_database, int64_t opening_cents);

// What a dead member left behind, and how long until it was all finished.
struct TakeoverWatch {
  int left_prepared = -1;  // branches prepared at the first look
  int left_open = -1;      // COMMIT decisions not ended at the first look
  int64_t ms = -1;         // death to settled; -1: not within the budget
};

// Polls (pumping the cluster) until no branch of member `dead` is prepared
// in either database, no statement naming one is running, and none of its
// COMMIT decisions in the table of resource `store` is open. The time runs
// from the moment the cluster noticed the death. A failure after
// `budget_ms`.
TakeoverWatch AwaitTakeover(NodeCluster& cluster, BankView& bank,
                            const std::string& store, int dead, int budget_ms);

struct AuditCounts {
  std::map<std::string, int> outcomes;  // acked, decided, aborted, unknown
  int ledger_gtrids = 0;
};
// "acked 12, decided 0, aborted 3, unknown 0; 14 in the ledger".
std::string CountsText(const AuditCounts& c);

// The bank once every member has ended: nothing of any member prepared
// (a survivor may leave only its own decided or unknown transactions,
// which its `xatm recover` must then finish), every balance its opening
// plus its ledger, the money exact, every gtrid in the ledger with two
// legs (one per database) netting zero, every acked or decided gtrid in
// the ledger, no aborted one, no heuristic outcome recorded for a member.
AuditCounts AuditBank(NodeCluster& cluster, BankView& bank,
                      const std::string& store,
                      const std::vector<AccountRef>& accounts,
                      int64_t opening_cents);

// How many members other than `subject` logged that they take `subject`
// over (the sweeper's warning when a node goes silent).
int TakersOf(NodeCluster& cluster, int subject);

// Sessions of PostgreSQL waiting for a row lock in a statement on
// xatm_decisions: a fence (INSERT of an abort row) waiting for an
// uncommitted COMMIT row with the same key.
int FenceWaiters(BankView& bank);

// Once a scenario passed (no failure since `failures_before`), its nodes'
// rows go from xatm_nodes in `store`: later nodes would otherwise take
// them over, with nothing to do, forever. A failed scenario keeps them, so
// that whatever it left is taken over.
void ForgetNodesIfPassed(NodeCluster& cluster, BankView& bank,
                         const std::string& store, int failures_before);

// The end of every other member's stderr, for failure messages.
std::string SurvivorsLogs(NodeCluster& cluster, int subject);

}  // namespace xatm::crash
