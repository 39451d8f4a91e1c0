#include "tests/crash/checks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>
#include <sstream>
#include <thread>

#include "xatm/decision_log.h"

namespace xatm::crash {
namespace {

Amount Cents(int64_t cents) { return Amount::FromCents(cents); }

Amount Plus(const Amount& a, const Amount& b) {
  return Amount::FromCents(a.cents() + b.cents());
}

void ExpectBalance(BankView& bank, const AccountRef& account,
                   const Amount& expected) {
  Result<Amount> balance = bank.Balance(account);
  ASSERT_TRUE(balance.ok()) << balance.status().ToString();
  EXPECT_EQ(balance->ToString(), expected.ToString())
      << "balance of " << account.ToString();
}

std::string Describe(const std::vector<LedgerRow>& rows) {
  std::string s;
  for (const LedgerRow& r : rows) {
    s += "  " + r.gtrid + " " + r.delta.ToString() + "\n";
  }
  return s.empty() ? "  (none)\n" : s;
}

// Exactly one ledger row for `account`: `gtrid` with `delta`.
void ExpectOneLedgerRow(BankView& bank, const AccountRef& account,
                        const std::string& gtrid, const Amount& delta) {
  Result<std::vector<LedgerRow>> rows = bank.Ledger(account);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u) << "ledger of " << account.ToString() << ":\n"
                              << Describe(*rows);
  EXPECT_EQ((*rows)[0].gtrid, gtrid) << "ledger of " << account.ToString();
  EXPECT_EQ((*rows)[0].delta.ToString(), delta.ToString())
      << "ledger of " << account.ToString();
}

void ExpectNoLedgerRow(BankView& bank, const AccountRef& account) {
  Result<std::vector<LedgerRow>> rows = bank.Ledger(account);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_TRUE(rows->empty()) << "ledger of " << account.ToString() << ":\n"
                             << Describe(*rows);
}

void ExpectSum(BankView& bank, const TransferCase& tc) {
  Result<Amount> from = bank.Balance(tc.from);
  Result<Amount> to = bank.Balance(tc.to);
  ASSERT_TRUE(from.ok() && to.ok());
  EXPECT_EQ(Plus(*from, *to).ToString(),
            Plus(tc.opening, tc.opening).ToString())
      << "money created or destroyed";
}

}  // namespace

std::vector<std::string> TransferCase::CliArgs() const {
  return {"transfer",    "--from",   from.ToString(),  "--to",
          to.ToString(), "--amount", amount.ToString()};
}

std::vector<std::string> NoVoteCommand(const TestNode& node,
                                       const TransferCase& tc,
                                       const std::string& voter) {
  return {NoVoteBinary(),
          "--config",
          node.config_path(),
          "--no-vote",
          voter,
          "--from",
          tc.from.ToString(),
          "--to",
          tc.to.ToString(),
          "--amount",
          tc.amount.ToString()};
}

Result<TransferCase> NewTransferCase(BankView& bank, const std::string& node,
                                     const std::string& tag,
                                     const std::string& from_resource,
                                     const std::string& to_resource) {
  TransferCase tc;
  tc.opening = Cents(10000);
  tc.amount = Cents(725);
  Result<AccountRef> from =
      bank.CreateAccount(from_resource, node + "-" + tag + "-from", tc.opening);
  if (!from.ok()) return from.status();
  Result<AccountRef> to =
      bank.CreateAccount(to_resource, node + "-" + tag + "-to", tc.opening);
  if (!to.ok()) return to.status();
  tc.from = *from;
  tc.to = *to;
  return tc;
}

LogView ReadLog(const std::string& dir) {
  LogView view;
  if (!std::filesystem::exists(dir)) return view;
  Result<LogScan> scan = ScanDecisionLog(dir);
  if (!scan.ok()) {
    view.status = scan.status();
    return view;
  }
  for (const ScannedRecord& r : scan->records) {
    switch (r.record.type) {
      case RecordType::kCommit:
        view.commits.insert(r.record.gtrid);
        break;
      case RecordType::kEnd:
        view.ends.insert(r.record.gtrid);
        break;
      case RecordType::kHeuristic:
        view.heuristics.insert(r.record.gtrid);
        break;
      case RecordType::kSaga:
        view.sagas.insert(r.record.gtrid);
        break;
      case RecordType::kSagaEnd:
        view.saga_ends.insert(r.record.gtrid);
        break;
    }
  }
  return view;
}

std::set<std::string> GtridsSeen(const std::string& node,
                                 const std::string& output, const LogView& log,
                                 BankView& bank, const TransferCase& tc) {
  std::set<std::string> seen;
  // Node ids hold only [A-Za-z0-9_-]: nothing to escape outside brackets.
  std::regex gtrid("xatm:" + node + ":[0-9]+:[0-9a-f]{16}(?::[a-z0-9]{1,9})?");
  for (std::sregex_iterator it(output.begin(), output.end(), gtrid), end;
       it != end; ++it) {
    seen.insert(it->str());
  }
  for (const auto* set : {&log.commits, &log.ends, &log.heuristics}) {
    for (const std::string& g : *set) {
      if (IsGtridOf(g, node)) seen.insert(g);
    }
  }
  Result<std::vector<PreparedEntry>> prepared = bank.Prepared(node);
  EXPECT_TRUE(prepared.ok()) << prepared.status().ToString();
  if (prepared.ok()) {
    for (const PreparedEntry& p : *prepared) seen.insert(p.gtrid);
  }
  for (const AccountRef* account : {&tc.from, &tc.to}) {
    Result<std::vector<LedgerRow>> rows = bank.Ledger(*account);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok()) continue;
    for (const LedgerRow& r : *rows) seen.insert(r.gtrid);
  }
  return seen;
}

void ExpectCommitted(BankView& bank, const TransferCase& tc,
                     const std::string& gtrid) {
  ExpectOneLedgerRow(bank, tc.from, gtrid, tc.amount.Negated());
  ExpectOneLedgerRow(bank, tc.to, gtrid, tc.amount);
  ExpectBalance(bank, tc.from, Plus(tc.opening, tc.amount.Negated()));
  ExpectBalance(bank, tc.to, Plus(tc.opening, tc.amount));
  ExpectSum(bank, tc);
}

void ExpectRolledBack(BankView& bank, const TransferCase& tc) {
  ExpectNoLedgerRow(bank, tc.from);
  ExpectNoLedgerRow(bank, tc.to);
  ExpectBalance(bank, tc.from, tc.opening);
  ExpectBalance(bank, tc.to, tc.opening);
  ExpectSum(bank, tc);
}

void ExpectOutcome(BankView& bank, const TransferCase& tc,
                   const std::string& gtrid, bool committed) {
  if (committed) {
    ExpectCommitted(bank, tc, gtrid);
  } else {
    ExpectRolledBack(bank, tc);
  }
}

void WaitForServersToSettle(BankView& bank, const std::string& node) {
  using std::chrono::steady_clock;
  auto deadline = steady_clock::now() + std::chrono::seconds(10);
  int quiet = 0;
  while (quiet < 2) {
    Result<int> busy = bank.StatementsInFlight(node);
    ASSERT_TRUE(busy.ok()) << busy.status().ToString();
    quiet = *busy == 0 ? quiet + 1 : 0;
    ASSERT_LT(steady_clock::now(), deadline)
        << *busy << " statements of node " << node << " still running";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void ExpectNothingPrepared(BankView& bank, const std::string& node) {
  Result<std::vector<PreparedEntry>> prepared = bank.Prepared(node);
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  for (const PreparedEntry& p : *prepared) {
    ADD_FAILURE() << "still prepared in " << p.database << ": " << p.gtrid;
  }
}

std::vector<std::string> ActionLines(const std::string& recover_stdout) {
  std::vector<std::string> lines;
  std::istringstream in(recover_stdout);
  for (std::string line; std::getline(in, line);) {
    // "GTRID RESOURCE ACTION", "-" for an empty field.
    if (line.rfind("xatm:", 0) == 0 || line.rfind("- ", 0) == 0) {
      lines.push_back(line);
    }
  }
  return lines;
}

void ExpectQuietSweep(const TestNode& node,
                      const std::vector<std::string>& recover_args) {
  ChildExit again = node.Xatm(recover_args);
  EXPECT_TRUE(again.ExitedWith(0)) << "second sweep: " << again.Describe();
  EXPECT_TRUE(ActionLines(again.out).empty())
      << "second sweep acted: " << again.Describe();
}

RecoveryRuns RecoverUntilSettled(const TestNode& node, const std::string& grace,
                                 int budget_ms) {
  using std::chrono::steady_clock;
  const auto deadline =
      steady_clock::now() + std::chrono::milliseconds(budget_ms);
  RecoveryRuns result;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - steady_clock::now())
                    .count();
    result.last = node.RecoverWithGrace(
        grace, static_cast<int>(std::max<int64_t>(left, 1000)));
    ++result.runs;
    // 4: something still in doubt (a branch too young, a session still
    // attached): worth another pass. Anything else is final.
    if (!result.last.ExitedWith(4) || steady_clock::now() >= deadline) {
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

std::multiset<std::string> PreparedIn(BankView& bank, const std::string& node) {
  std::multiset<std::string> where;
  Result<std::vector<PreparedEntry>> prepared = bank.Prepared(node);
  EXPECT_TRUE(prepared.ok()) << prepared.status().ToString();
  if (prepared.ok()) {
    for (const PreparedEntry& p : *prepared) where.insert(p.database);
  }
  return where;
}

}  // namespace xatm::crash
