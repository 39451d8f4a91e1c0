// An idempotency key reused after a crash at every crash point never moves
// the money twice: `transfer --key K` is killed at the point (for the
// sweeper's points: the transfer is killed where the sweep has work, then
// the sweep is killed at its point), the same command is retried before
// recovery (it moves the money at most once in total, and answers 0 or 3),
// then `recover` runs and the command is retried again: the money has moved
// exactly once, under one gtrid, which the last retry reports.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "tests/crash/bank_view.h"
#include "tests/crash/checks.h"
#include "tests/crash/scenario_tally.h"
#include "tests/crash/test_node.h"
#include "tm/crash_point.h"

namespace xatm::crash {
namespace {

struct KeyCase {
  std::string point;
  std::string transfer_point;  // where the transfer dies
  std::string sweep_point;     // where a sweep then dies ("" for none)
  std::string to;              // the credited resource ("pg": one database)
  std::string decision_store;  // "file" or "pg"
  // A retry waits for a key held by a prepared branch at most this long.
  std::string resource_lines = "lock_timeout_ms = 1000\n";
};

KeyCase CaseFor(const std::string& point) {
  KeyCase c{point, point, "", "my", "file"};
  if (point == "before-one-phase-commit") c.to = "pg";
  if (point == "decision-inserted") c.decision_store = "pg";
  if (point == "recover-after-commit-first")
    c.transfer_point = "after-decision";
  if (point == "recover-after-rollback-first") {
    c.transfer_point = "after-prepare-all";
  }
  if (c.transfer_point != point) c.sweep_point = point;
  return c;
}

std::vector<KeyCase> AllCases() {
  std::vector<KeyCase> cases;
  for (const char* const* p = kCrashPoints; *p != nullptr; ++p) {
    // A two-phase transfer never reaches a saga's points (keyed sagas:
    // saga_cli_test; saga crashes: saga_crash_test).
    if (std::string(*p).rfind("saga-", 0) == 0) continue;
    cases.push_back(CaseFor(*p));
  }
  return cases;
}

std::string CaseName(const ::testing::TestParamInfo<KeyCase>& info) {
  std::string name = info.param.point;
  for (char& ch : name) {
    if (ch == '-') ch = '_';
  }
  return name;
}

class KeyCrashTest : public ::testing::TestWithParam<KeyCase> {
 protected:
  static void SetUpTestSuite() { InitSchemaOnce(); }

  // The ledger rows of an account: how many times the money moved there.
  std::vector<LedgerRow> Ledger(const AccountRef& account) {
    Result<std::vector<LedgerRow>> rows = bank_.Ledger(account);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : std::vector<LedgerRow>();
  }

  // Each side moved at most once, by exactly the amount.
  void ExpectAtMostOnce(const TransferCase& tc) {
    for (const AccountRef* account : {&tc.from, &tc.to}) {
      std::vector<LedgerRow> rows = Ledger(*account);
      EXPECT_LE(rows.size(), 1u) << account->ToString() << " moved twice";
      Result<Amount> balance = bank_.Balance(*account);
      ASSERT_TRUE(balance.ok()) << balance.status().ToString();
      const int64_t moved = balance->cents() - tc.opening.cents();
      const int64_t one =
          account == &tc.from ? -tc.amount.cents() : tc.amount.cents();
      EXPECT_TRUE(moved == 0 || moved == one)
          << account->ToString() << " moved by " << moved << " cents";
    }
  }

  BankView bank_;
};

TEST_P(KeyCrashTest, RetriesAfterTheCrashMoveTheMoneyExactlyOnce) {
  const KeyCase& c = GetParam();
  Scenario scenario("key_" + c.point);
  NodeSettings settings;
  settings.decision_store = c.decision_store;
  settings.resource_lines = c.resource_lines;
  TestNode node(NewNodeId("k"), settings);
  Result<TransferCase> made =
      NewTransferCase(bank_, node.id(), "k", "pg", c.to);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  const TransferCase tc = *made;
  std::vector<std::string> command = tc.CliArgs();
  command.insert(command.end(), {"--key", "crash-" + node.id()});

  ChildExit crashed = node.Xatm(command, {{"XATM_CRASH_AT", c.transfer_point}});
  ASSERT_TRUE(crashed.KilledBySigkill()) << crashed.Describe();
  WaitForServersToSettle(bank_, node.id());
  if (!c.sweep_point.empty()) {
    ChildExit sweep = node.Recover({{"XATM_CRASH_AT", c.sweep_point}});
    ASSERT_TRUE(sweep.KilledBySigkill()) << sweep.Describe();
    WaitForServersToSettle(bank_, node.id());
  }

  // Before recovery: a prepared branch holds the key (3: in doubt), or the
  // original is found committed (0) or gone (0: it runs now).
  ChildExit early = node.Xatm(command);
  EXPECT_TRUE(early.ExitedWith(0) || early.ExitedWith(3)) << early.Describe();
  if (c.transfer_point == "after-prepare-all" && c.sweep_point.empty()) {
    EXPECT_TRUE(early.ExitedWith(3))
        << "the key is held by a prepared branch: " << early.Describe();
  }
  std::printf("%s: retry before recovery: exit %d: %s", c.point.c_str(),
              early.code, early.out.c_str());
  ExpectAtMostOnce(tc);

  ChildExit recovered = node.Recover();
  EXPECT_TRUE(recovered.ExitedWith(0)) << recovered.Describe();
  ExpectAtMostOnce(tc);

  ChildExit late = node.Xatm(command);
  ASSERT_TRUE(late.ExitedWith(0)) << late.Describe();
  std::smatch m;
  ASSERT_TRUE(
      std::regex_match(late.out, m, std::regex("(xatm:[^ ]+) committed.*\n")))
      << late.out;
  std::vector<LedgerRow> debit = Ledger(tc.from);
  std::vector<LedgerRow> credit = Ledger(tc.to);
  ASSERT_EQ(debit.size(), 1u);
  ASSERT_EQ(credit.size(), 1u);
  EXPECT_EQ(debit[0].gtrid, credit[0].gtrid);
  EXPECT_EQ(m[1].str(), debit[0].gtrid) << "the retry reports the move";
  ExpectCommitted(bank_, tc, debit[0].gtrid);
  ExpectNothingPrepared(bank_, node.id());

  // And once more: nothing moves.
  ChildExit again = node.Xatm(command);
  EXPECT_TRUE(again.ExitedWith(0)) << again.Describe();
  EXPECT_EQ(again.out, debit[0].gtrid + " committed (already done with key " +
                           "crash-" + node.id() + ": nothing moved now)\n");
  ExpectCommitted(bank_, tc, debit[0].gtrid);
}

INSTANTIATE_TEST_SUITE_P(EveryCrashPoint, KeyCrashTest,
                         ::testing::ValuesIn(AllCases()), CaseName);

// The retry's claim waits on the prepared holder until the request times
// out (no lock wait limit, or one at or above the request timeout): that is
// no proof that the original will not commit, so never "aborted" (exit 1),
// always "retry later with the same key" (exit 3).
std::vector<KeyCase> ClaimOutwaitedCases() {
  KeyCase no_limit = CaseFor("after-prepare-all");
  no_limit.point = "claim-without-lock-limit";
  no_limit.resource_lines = "lock_timeout_ms = 0\nrequest_timeout_ms = 1500\n";
  KeyCase long_limit = no_limit;
  long_limit.point = "claim-with-lock-limit-above-request-timeout";
  long_limit.resource_lines =
      "lock_timeout_ms = 3000\nrequest_timeout_ms = 1500\n";
  return {no_limit, long_limit};
}

INSTANTIATE_TEST_SUITE_P(ClaimOutwaited, KeyCrashTest,
                         ::testing::ValuesIn(ClaimOutwaitedCases()), CaseName);

}  // namespace
}  // namespace xatm::crash
