// What every crash scenario checks afterwards: the transfer is all or
// nothing and agrees with the decision log, the money is exact, nothing is
// left prepared, and another sweep finds nothing to do.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "cli/bank/account_ref.h"
#include "cli/bank/amount.h"
#include "tests/crash/bank_view.h"
#include "tests/crash/child_process.h"
#include "tests/crash/test_node.h"
#include "xatm/status.h"

namespace xatm::crash {

// One cross-database transfer between two fresh accounts.
struct TransferCase {
  AccountRef from;
  AccountRef to;
  Amount opening;  // of each account
  Amount amount;

  // `transfer --from FROM --to TO --amount AMOUNT`, the CLI's arguments.
  std::vector<std::string> CliArgs() const;
};

// The same transfer run by no_vote_transfer on `node`'s config, with the
// branch on resource `voter` voting no.
std::vector<std::string> NoVoteCommand(const TestNode& node,
                                       const TransferCase& tc,
                                       const std::string& voter);

// Accounts "<node>-<tag>-from" on `from_resource` and "<node>-<tag>-to" on
// `to_resource`, 100.00 each; the transfer moves 7.25.
Result<TransferCase> NewTransferCase(BankView& bank, const std::string& node,
                                     const std::string& tag,
                                     const std::string& from_resource,
                                     const std::string& to_resource);

// The decision log as ScanDecisionLog reads it (no lock, nothing changed).
struct LogView {
  Status status;  // of the scan; a missing directory reads as empty
  std::set<std::string> commits;
  std::set<std::string> ends;
  std::set<std::string> heuristics;
  // Saga ids with a SAGA record, and those with the final one (SAGA_END).
  std::set<std::string> sagas;
  std::set<std::string> saga_ends;

  bool HasCommit(const std::string& gtrid) const {
    return commits.count(gtrid) != 0;
  }
  // A COMMIT without END.
  bool IsOpen(const std::string& gtrid) const {
    return HasCommit(gtrid) && ends.count(gtrid) == 0;
  }
};
LogView ReadLog(const std::string& dir);

// Every gtrid of `node` to be seen anywhere: in `output` (a child's), in
// the log, prepared in a database, or in the ledger of the case's accounts.
std::set<std::string> GtridsSeen(const std::string& node,
                                 const std::string& output, const LogView& log,
                                 BankView& bank, const TransferCase& tc);

// Both legs committed under `gtrid`: one ledger row per account with the
// signed amount, balances moved by exactly the amount, sum unchanged.
void ExpectCommitted(BankView& bank, const TransferCase& tc,
                     const std::string& gtrid);
// Nothing of the transfer anywhere: no ledger row, opening balances.
void ExpectRolledBack(BankView& bank, const TransferCase& tc);
void ExpectOutcome(BankView& bank, const TransferCase& tc,
                   const std::string& gtrid, bool committed);

// After a process of `node` was killed: waits until neither server is still
// executing a statement of it (at least 100 ms of quiet), so that no branch
// becomes prepared behind the next sweep's back and the dead sessions have
// let their prepared branches go.
void WaitForServersToSettle(BankView& bank, const std::string& node);

// Where branches of `node` are prepared: {"my", "pg"} for a whole orphan.
std::multiset<std::string> PreparedIn(BankView& bank, const std::string& node);

// No branch of `node` prepared in either database.
void ExpectNothingPrepared(BankView& bank, const std::string& node);

// The lines of `xatm recover` output that name a branch or decision
// ("<gtrid> <resource> <action>"), i.e. everything but the summary.
std::vector<std::string> ActionLines(const std::string& recover_stdout);

// Another `xatm recover --grace 0` (or `xatm RECOVER_ARGS`): exit 0, no
// action.
void ExpectQuietSweep(const TestNode& node,
                      const std::vector<std::string>& recover_args = {
                          "recover", "--grace", "0"});

// `xatm recover --grace GRACE` run again and again until it exits 0 (or
// anything but 4) or `budget_ms` has passed, every run bounded by what is
// left of it: the last run and how many there were.
struct RecoveryRuns {
  ChildExit last;
  int runs = 0;
};
RecoveryRuns RecoverUntilSettled(const TestNode& node, const std::string& grace,
                                 int budget_ms);

}  // namespace xatm::crash
