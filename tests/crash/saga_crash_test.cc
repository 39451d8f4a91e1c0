// Sagas killed at every saga crash point: a transfer run as a saga
// (`xatm transfer --protocol saga`: step "debit", then step "credit") dies
// (SIGKILL) at the point, `xatm recover` drives it on, and afterwards it is
// all or nothing: the money exact, both accounts moved or neither, the
// ledger rows of the saga 2 or 0, its barrier rows consistent (every step
// ran and was not undone, or was undone / stopped for good), no step applied
// twice, nothing left in doubt.
//
// The matrix: each point a path reaches x both directions x the forward
// path (the transfer would commit) and the backward path (the credit names
// an account the target database does not have: the credit says no, the
// debit is compensated) x the saga's record in the node's own file log and
// in a database store (decision_store = pg, recovered only past the saga's
// deadline plus the grace period).
//
// What a path cannot reach is not generated: the forward path never
// compensates (saga-compensating, saga-*-compensation*), and on the
// backward path the credit's action says no before its commit, so
// saga-before-action-commit and saga-after-action are hit once (the debit).
// The backward path compensates both steps, the credit (which never ran:
// its null compensation commits only its two barrier rows) first, so its
// compensation points are hit twice.
//
// Then takeover: node A dies in a saga, node B (same database store) drives
// it, having found A's heartbeat stale or with `recover --all-nodes`.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <ostream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/crash/bank_view.h"
#include "tests/crash/checks.h"
#include "tests/crash/scenario_tally.h"
#include "tests/crash/test_node.h"
#include "xatm/node_registry.h"
#include "xatm/saga_barrier.h"

namespace xatm::crash {
namespace {

// Small enough that the cases of a database store wait little for their
// sagas to become recoverable; large enough that a transfer on two busy
// cores still finishes within it.
constexpr int kSagaDeadlineS = 2;
constexpr int kGracePeriodS = 1;
constexpr int kTakeoverAfterS = 1;
constexpr int kRecoveryBudgetMs = 30000;

struct SagaCase {
  std::string point;  // XATM_CRASH_AT: NAME or NAME:N
  std::string from;   // resource debited
  std::string to;     // resource credited
  bool backward;      // the credit names an account that does not exist
  std::string store;  // "file" or "pg"
};

std::string CaseName(const SagaCase& c) {
  std::string name = c.point + "_" + c.from + "_to_" + c.to +
                     (c.backward ? "_backward" : "_forward") + "_store_" +
                     c.store;
  for (size_t at = name.find(':'); at != std::string::npos;
       at = name.find(':')) {
    name.replace(at, 1, "_hit_");
  }
  for (char& ch : name) {
    if (ch == '-') ch = '_';
  }
  return name;
}

// gtest prints a failing case's parameter with this.
void PrintTo(const SagaCase& c, std::ostream* os) { *os << CaseName(c); }

// The points each path reaches (see the top of the file).
const std::vector<std::string>& ForwardPoints() {
  static const std::vector<std::string> points = {"saga-begun",
                                                  "saga-before-action-commit",
                                                  "saga-before-action-commit:2",
                                                  "saga-after-action",
                                                  "saga-after-action:2",
                                                  "saga-before-final"};
  return points;
}

const std::vector<std::string>& BackwardPoints() {
  static const std::vector<std::string> points = {
      "saga-begun",
      "saga-before-action-commit",
      "saga-after-action",
      "saga-compensating",
      "saga-before-compensation-commit",
      "saga-before-compensation-commit:2",
      "saga-after-compensation",
      "saga-after-compensation:2",
      "saga-before-final"};
  return points;
}

std::vector<SagaCase> AllCases(const std::string& store) {
  std::vector<SagaCase> cases;
  for (bool backward : {false, true}) {
    for (const std::string& point :
         backward ? BackwardPoints() : ForwardPoints()) {
      for (auto [from, to] : {std::pair{"pg", "my"}, std::pair{"my", "pg"}}) {
        cases.push_back(SagaCase{point, from, to, backward, store});
      }
    }
  }
  return cases;
}

// Points after which the credit has committed: the saga can only commit.
bool CreditCommittedBy(const SagaCase& c) {
  return !c.backward &&
         (c.point == "saga-after-action:2" || c.point == "saga-before-final");
}

NodeSettings SettingsFor(const std::string& store) {
  NodeSettings settings;
  settings.grace_period_s = kGracePeriodS;
  settings.decision_store = store;
  return settings;
}

std::unique_ptr<TestNode> NewSagaNode(const std::string& tag,
                                      const std::string& store,
                                      const std::string& extra_lines = "") {
  auto node = std::make_unique<TestNode>(NewNodeId(tag), SettingsFor(store));
  node->AddTopLevelLines("saga_deadline = " + std::to_string(kSagaDeadlineS) +
                         "\n" + extra_lines);
  return node;
}

// The saga ids of `node` that `xatm in-doubt` lists.
std::vector<std::string> SagasInDoubt(const std::string& node,
                                      const std::string& output) {
  std::vector<std::string> ids;
  std::regex saga("saga (xatm:" + node + ":[^ ]+)");
  for (auto it = std::sregex_iterator(output.begin(), output.end(), saga);
       it != std::sregex_iterator(); ++it) {
    ids.push_back((*it)[1].str());
  }
  return ids;
}

// A saga killed by a crash point, as the test found it afterwards.
struct KilledSaga {
  TransferCase tc;      // the two real accounts
  AccountRef credited;  // what the transfer named as --to
  std::string id;
};

// Creates the accounts, runs the transfer of `c` on `node` killed at
// c.point, and finds the saga's id in `xatm in-doubt`.
void RunKilledSaga(const SagaCase& c, const TestNode& node, BankView& bank,
                   KilledSaga* out) {
  Result<TransferCase> tc = NewTransferCase(bank, node.id(), "s", c.from, c.to);
  ASSERT_TRUE(tc.ok()) << tc.status().ToString();
  out->tc = *tc;
  out->credited = tc->to;
  if (c.backward) out->credited.id += "-gone";

  ChildExit run = node.Xatm({"transfer", "--from", tc->from.ToString(), "--to",
                             out->credited.ToString(), "--amount",
                             tc->amount.ToString(), "--protocol", "saga"},
                            {{"XATM_CRASH_AT", c.point}});
  ASSERT_TRUE(run.KilledBySigkill())
      << "the transfer must die at " << c.point << ": " << run.Describe();
  WaitForServersToSettle(bank, node.id());

  ChildExit listed = node.Xatm({"in-doubt"});
  EXPECT_TRUE(listed.ExitedWith(4))
      << "the killed saga must be in doubt: " << listed.Describe();
  std::vector<std::string> ids = SagasInDoubt(node.id(), listed.out);
  ASSERT_EQ(ids.size(), 1u) << "one saga expected: " << listed.Describe();
  out->id = ids.front();
}

// With a database store a saga is recovered only once its deadline and the
// grace period have passed since it began (no earlier than `begun`).
void WaitUntilRecoverable(std::chrono::steady_clock::time_point begun) {
  std::this_thread::sleep_until(
      begun +
      std::chrono::milliseconds((kSagaDeadlineS + kGracePeriodS) * 1000 + 300));
}

// `recover` (by `recoverer`, with `args`) until it settles: exit 0.
void RecoverUntilNothingInDoubt(const TestNode& recoverer,
                                const std::vector<std::string>& args) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(kRecoveryBudgetMs);
  ChildExit last;
  int runs = 0;
  do {
    if (runs > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    last = recoverer.Xatm(args);
    ++runs;
  } while (last.ExitedWith(4) && std::chrono::steady_clock::now() < deadline);
  EXPECT_TRUE(last.ExitedWith(0))
      << "recovery not settled after " << runs << " runs: " << last.Describe();
}

Result<int64_t> CountRows(Resource& resource, const std::string& sql,
                          const std::string& param) {
  Result<std::vector<Row>> rows = resource.QueryLocal(sql, {param});
  if (!rows.ok()) return rows.status();
  if (rows->size() != 1 || rows->front().size() != 1 || !rows->front()[0]) {
    return Status::Internal("count: unexpected result of " + sql);
  }
  return std::stoll(*rows->front()[0]);
}

// The saga's ledger rows in both databases.
int64_t LedgerRowsOf(BankView& bank, const std::string& saga_id) {
  int64_t total = 0;
  for (const char* db : {"pg", "my"}) {
    Result<int64_t> n =
        CountRows(bank.Get(db),
                  "SELECT COUNT(*) FROM xatm_ledger WHERE gtrid = ?", saga_id);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    if (n.ok()) total += *n;
  }
  return total;
}

// "action", "compensation", "action+compensation" or "none": the barrier
// rows of `step` in `db`.
std::string BarrierOf(BankView& bank, const std::string& db,
                      const std::string& saga_id, const std::string& step) {
  Result<std::vector<BarrierRow>> rows = ReadBarriers(bank.Get(db), saga_id);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  if (!rows.ok()) return "unreadable";
  int action = 0, compensation = 0;
  for (const BarrierRow& row : *rows) {
    if (row.step != step) continue;
    ++(row.op == BarrierOp::kAction ? action : compensation);
  }
  if (action > 1 || compensation > 1) return "duplicate rows";
  if (action == 1 && compensation == 1) return "action+compensation";
  if (action == 1) return "action";
  if (compensation == 1) return "compensation";
  return "none";
}

// Every check after recovery. `expected`: "committed", "compensated" or
// "either" (all or nothing, whichever).
void ExpectSettled(BankView& bank, const KilledSaga& s,
                   const std::string& expected, const TestNode& owner) {
  const TransferCase& tc = s.tc;
  Result<Amount> from = bank.Balance(tc.from);
  Result<Amount> to = bank.Balance(tc.to);
  ASSERT_TRUE(from.ok()) << from.status().ToString();
  ASSERT_TRUE(to.ok()) << to.status().ToString();
  // The money exact, whatever happened.
  EXPECT_EQ(from->cents() + to->cents(), 2 * tc.opening.cents())
      << "money created or destroyed: " << tc.from.ToString() << " "
      << from->ToString() << ", " << tc.to.ToString() << " " << to->ToString();

  const bool committed =
      from->cents() == tc.opening.cents() - tc.amount.cents();
  if (expected != "either") {
    EXPECT_EQ(committed ? "committed" : "compensated", expected)
        << "outcome of " << s.id;
  }
  // All or nothing, each step applied at most once.
  if (committed) {
    EXPECT_EQ(to->cents(), tc.opening.cents() + tc.amount.cents())
        << "debited but not credited (or twice): " << to->ToString();
  } else {
    EXPECT_EQ(from->cents(), tc.opening.cents())
        << "neither committed nor undone: " << from->ToString();
    EXPECT_EQ(to->cents(), tc.opening.cents())
        << "credited without the debit: " << to->ToString();
  }
  EXPECT_EQ(LedgerRowsOf(bank, s.id), committed ? 2 : 0)
      << "ledger rows of " << s.id;

  // Committed: each step ran once, not undone. Compensated: each step undone
  // or stopped for good (its action row, then its compensation's).
  const std::string want = committed ? "action" : "action+compensation";
  EXPECT_EQ(BarrierOf(bank, tc.from.resource, s.id, "debit"), want)
      << "barrier of the debit on " << tc.from.resource;
  EXPECT_EQ(BarrierOf(bank, tc.to.resource, s.id, "credit"), want)
      << "barrier of the credit on " << tc.to.resource;
  EXPECT_EQ(BarrierOf(bank, tc.to.resource, s.id, "debit"), "none")
      << "a debit barrier where the debit does not run";
  EXPECT_EQ(BarrierOf(bank, tc.from.resource, s.id, "credit"), "none")
      << "a credit barrier where the credit does not run";

  // Nothing left.
  ChildExit listed = owner.Xatm({"in-doubt"});
  EXPECT_TRUE(listed.ExitedWith(0))
      << "in doubt after recovery: " << listed.Describe();
  ExpectNothingPrepared(bank, owner.id());
}

class SagaCrashTest : public ::testing::TestWithParam<SagaCase> {
 protected:
  static void SetUpTestSuite() { InitSchemaOnce(); }
};

// What a case expects once recovered.
std::string ExpectedOutcome(const SagaCase& c) {
  return c.backward             ? "compensated"
         : CreditCommittedBy(c) ? "committed"
                                : "either";
}

// The saga's record in the node's own file log: recovered at once.
TEST_P(SagaCrashTest, SagaKilledAtThePointEndsAllOrNothingAfterRecovery) {
  const SagaCase& c = GetParam();
  Scenario scenario(CaseName(c));
  std::unique_ptr<TestNode> node = NewSagaNode("sg", c.store);
  BankView bank;
  KilledSaga saga;
  RunKilledSaga(c, *node, bank, &saga);
  ASSERT_FALSE(HasFatalFailure());

  RecoverUntilNothingInDoubt(*node, {"recover"});
  ExpectSettled(bank, saga, ExpectedOutcome(c), *node);
  ExpectQuietSweep(*node, {"recover"});
}

INSTANTIATE_TEST_SUITE_P(EverySagaCrashPoint, SagaCrashTest,
                         ::testing::ValuesIn(AllCases("file")),
                         [](const ::testing::TestParamInfo<SagaCase>& info) {
                           return CaseName(info.param);
                         });

// The saga's record in a database store: recoverable only past its deadline
// plus the grace period. Rather than wait that out case by case, the suite
// kills every case's saga first (each on a node of its own, so one case's
// `recover` and `in-doubt` never see another's), then each case waits only
// for what is left of its own saga's wait, recovers it and checks it.
struct KilledInStore {
  std::unique_ptr<TestNode> node;
  KilledSaga saga;
  std::chrono::steady_clock::time_point begun;
};

class SagaCrashStoreTest : public ::testing::TestWithParam<SagaCase> {
 protected:
  static void SetUpTestSuite() {
    InitSchemaOnce();
    killed_ = new std::map<std::string, KilledInStore>;
    BankView bank;
    for (const SagaCase& c : AllCases("pg")) {
      SCOPED_TRACE("killing " + CaseName(c));
      KilledInStore k;
      k.node = NewSagaNode("sg", c.store);
      k.begun = std::chrono::steady_clock::now();
      RunKilledSaga(c, *k.node, bank, &k.saga);
      // A case whose saga did not die as it should (no id found) is left
      // out: its test fails naming it.
      if (k.saga.id.empty()) continue;
      (*killed_)[CaseName(c)] = std::move(k);
    }
  }
  static void TearDownTestSuite() {
    delete killed_;
    killed_ = nullptr;
  }

  static std::map<std::string, KilledInStore>* killed_;
};

std::map<std::string, KilledInStore>* SagaCrashStoreTest::killed_ = nullptr;

TEST_P(SagaCrashStoreTest, SagaKilledAtThePointEndsAllOrNothingAfterRecovery) {
  const SagaCase& c = GetParam();
  Scenario scenario(CaseName(c));
  auto it = killed_->find(CaseName(c));
  ASSERT_NE(it, killed_->end()) << "the saga was not killed at " << c.point
                                << " (see the suite's set-up)";
  const KilledInStore& k = it->second;
  BankView bank;

  WaitUntilRecoverable(k.begun);
  RecoverUntilNothingInDoubt(*k.node, {"recover"});
  ExpectSettled(bank, k.saga, ExpectedOutcome(c), *k.node);
  ExpectQuietSweep(*k.node, {"recover"});
}

INSTANTIATE_TEST_SUITE_P(EverySagaCrashPoint, SagaCrashStoreTest,
                         ::testing::ValuesIn(AllCases("pg")),
                         [](const ::testing::TestParamInfo<SagaCase>& info) {
                           return CaseName(info.param);
                         });

// Node A dies in a saga; node B, sharing the database store, drives it.
struct TakeoverCase {
  std::string point;
  bool backward;
  bool all_nodes;  // B runs `recover --all-nodes`; else A's heartbeat is stale
};

std::string TakeoverName(const TakeoverCase& c) {
  std::string name = c.point + (c.backward ? "_backward" : "_forward") +
                     (c.all_nodes ? "_all_nodes" : "_stale_heartbeat");
  for (char& ch : name) {
    if (ch == '-') ch = '_';
  }
  return name;
}

void PrintTo(const TakeoverCase& c, std::ostream* os) {
  *os << TakeoverName(c);
}

class SagaTakeoverTest : public ::testing::TestWithParam<TakeoverCase> {
 protected:
  static void SetUpTestSuite() { InitSchemaOnce(); }
};

TEST_P(SagaTakeoverTest, AnotherNodeDrivesTheSagaOfADeadNode) {
  const TakeoverCase& c = GetParam();
  Scenario scenario(TakeoverName(c));
  const std::string takeover =
      "takeover_after = " + std::to_string(kTakeoverAfterS) +
      "\nheartbeat_interval = 0.2\n";
  std::unique_ptr<TestNode> a = NewSagaNode("sa", "pg", takeover);
  std::unique_ptr<TestNode> b = NewSagaNode("sb", "pg", takeover);
  BankView bank;
  if (!c.all_nodes) {
    // A's heartbeat row, as `xatm serve` would have left it: A falls
    // silent with its process.
    Result<std::unique_ptr<NodeRegistry>> registry =
        NodeRegistry::Open(bank.pg());
    ASSERT_TRUE(registry.ok()) << registry.status().ToString();
    Result<bool> inserted = (*registry)->InsertIfAbsent(
        NodeRecord{a->id(), "saga-crash-test", "localhost", 1, 0});
    ASSERT_TRUE(inserted.ok()) << inserted.status().ToString();
    ASSERT_TRUE(*inserted);
  }
  const SagaCase sc{c.point, "pg", "my", c.backward, "pg"};
  KilledSaga saga;
  const auto begun = std::chrono::steady_clock::now();
  RunKilledSaga(sc, *a, bank, &saga);
  ASSERT_FALSE(HasFatalFailure());

  WaitUntilRecoverable(begun);  // longer than takeover_after as well
  const std::vector<std::string> args =
      c.all_nodes ? std::vector<std::string>{"recover", "--all-nodes"}
                  : std::vector<std::string>{"recover"};
  RecoverUntilNothingInDoubt(*b, args);

  // Past its deadline, a saga with the credit not run compensates.
  ExpectSettled(bank, saga, c.backward ? "compensated" : "either", *a);
  ChildExit listed = b->Xatm({"in-doubt"});
  EXPECT_TRUE(listed.ExitedWith(0)) << "in doubt for B: " << listed.Describe();
  ExpectQuietSweep(*a, {"recover"});
  ExpectQuietSweep(*b, args);
}

INSTANTIATE_TEST_SUITE_P(
    DeadNode, SagaTakeoverTest,
    ::testing::Values(TakeoverCase{"saga-after-action", false, false},
                      TakeoverCase{"saga-compensating", true, false},
                      TakeoverCase{"saga-after-action", false, true},
                      TakeoverCase{"saga-compensating", true, true}),
    [](const ::testing::TestParamInfo<TakeoverCase>& info) {
      return TakeoverName(info.param);
    });

}  // namespace
}  // namespace xatm::crash
