// Sagas against the real servers: database steps on PostgreSQL and MariaDB
// (their statements and barrier rows in one local transaction), a parallel
// stage, a database pivot, service steps against an in-process service
// that honours idempotency keys, the stuck state and the operator's hand,
// and resuming a record left by a crashed process. A SagaManager over a
// TransactionManager with a file log of its own, per test.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/integration/bank_cleanup.h"
#include "tests/integration/bank_manager_fixture.h"
#include "tm/saga/step_call.h"
#include "xatm/in_doubt.h"
#include "xatm/memory_decision_log.h"
#include "xatm/saga.h"
#include "xatm/saga_barrier.h"
#include "xatm/sweeper.h"
#include "xatm/transaction.h"

namespace xatm::testing {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr char kDebitSql[] =
    "UPDATE xatm_accounts SET balance = balance - CAST(? AS DECIMAL(20,2)) "
    "WHERE id = ? AND balance >= CAST(? AS DECIMAL(20,2))";
constexpr char kCreditSql[] =
    "UPDATE xatm_accounts SET balance = balance + CAST(? AS DECIMAL(20,2)) "
    "WHERE id = ?";
constexpr char kUncheckedDebitSql[] =
    "UPDATE xatm_accounts SET balance = balance - CAST(? AS DECIMAL(20,2)) "
    "WHERE id = ?";

RetryPolicy Quick(int attempts, int64_t call_timeout_ms = 2000) {
  RetryPolicy p;
  p.attempts = attempts;
  p.first_backoff_ms = 5;
  p.max_backoff_ms = 20;
  p.jitter = 0;
  p.call_timeout_ms = call_timeout_ms;
  return p;
}

// Takes `amount` from account `id` of `resource` (funds checked, one row
// expected); undone by the credit back.
SagaStep Debit(const std::string& name, const std::string& resource,
               const std::string& id, const std::string& amount) {
  SagaStep step;
  step.name = name;
  step.resource = resource;
  step.action = {{kDebitSql, {amount, id, amount}, 1}};
  step.compensation = {{kCreditSql, {amount, id}, 1}};
  step.retry = Quick(3);
  step.compensation_retry = Quick(3);
  return step;
}

// Gives `amount` to account `id` (one row expected: an unknown account is
// the step's "no"); undone by the debit back.
SagaStep Credit(const std::string& name, const std::string& resource,
                const std::string& id, const std::string& amount) {
  SagaStep step;
  step.name = name;
  step.resource = resource;
  step.action = {{kCreditSql, {amount, id}, 1}};
  step.compensation = {{kUncheckedDebitSql, {amount, id}, 1}};
  step.retry = Quick(3);
  step.compensation_retry = Quick(3);
  return step;
}

SagaStep ServiceStep(const std::string& name, const std::string& service,
                     int attempts = 3, int64_t call_timeout_ms = 2000) {
  SagaStep step;
  step.name = name;
  step.service = service;
  step.payload = "payload of " + name;
  step.retry = Quick(attempts, call_timeout_ms);
  step.compensation_retry = Quick(attempts, call_timeout_ms);
  return step;
}

// A service that honours idempotency keys: an action applies its effect
// once per key (a retry with another key would apply it again: applied()
// counts every effect applied), its compensation removes the effect of
// the action of the same key family (ID/STEP/compensation undoes
// ID/STEP/action) and does nothing for an action it never saw.
class TestService {
 public:
  enum class Mode {
    kDone,       // applies and answers done
    kLoseFirst,  // applies, but the first `lost` replies are lost (unknown)
    kTimeout,    // applies, then sleeps past the call's deadline: unknown
    kUnknown,    // never answers (unknown), applies nothing
    kFailed,     // a business "no", applies nothing
  };

  explicit TestService(Mode mode = Mode::kDone, int lost = 0)
      : mode_(mode), lost_(lost) {}

  void Register(SagaManager& sagas, const std::string& name) {
    sagas.RegisterService(
        name, [this](const ServiceCall& call) { return Action(call); },
        [this](const ServiceCall& call) { return Compensate(call); });
  }

  ServiceAnswer Action(const ServiceCall& call) {
    std::unique_lock<std::mutex> lock(mu_);
    action_keys_.push_back(call.idempotency_key);
    budgets_ms_.push_back(std::chrono::duration_cast<milliseconds>(
                              call.deadline - SteadyClock::now())
                              .count());
    if (mode_ == Mode::kFailed) return ServiceAnswer::kFailed;
    if (mode_ == Mode::kUnknown) return ServiceAnswer::kUnknown;
    if (effects_.emplace(call.idempotency_key, call.payload).second) {
      ++applied_;
    }
    if (mode_ == Mode::kTimeout) {
      lock.unlock();
      std::this_thread::sleep_until(call.deadline + milliseconds(20));
      return ServiceAnswer::kUnknown;
    }
    if (mode_ == Mode::kLoseFirst && lost_ > 0) {
      --lost_;
      return ServiceAnswer::kUnknown;
    }
    return ServiceAnswer::kDone;
  }

  ServiceAnswer Compensate(const ServiceCall& call) {
    std::lock_guard<std::mutex> lock(mu_);
    compensation_keys_.push_back(call.idempotency_key);
    if (compensation_fails_) return ServiceAnswer::kFailed;
    const std::string suffix = "/compensation";
    std::string action_key = call.idempotency_key;
    if (action_key.size() > suffix.size() &&
        action_key.compare(action_key.size() - suffix.size(), suffix.size(),
                           suffix) == 0) {
      action_key.replace(action_key.size() - suffix.size(), suffix.size(),
                         "/action");
    }
    effects_.erase(action_key);
    return ServiceAnswer::kDone;
  }

  void set_compensation_fails(bool fails) {
    std::lock_guard<std::mutex> lock(mu_);
    compensation_fails_ = fails;
  }
  std::vector<std::string> action_keys() const {
    std::lock_guard<std::mutex> lock(mu_);
    return action_keys_;
  }
  std::vector<std::string> compensation_keys() const {
    std::lock_guard<std::mutex> lock(mu_);
    return compensation_keys_;
  }
  std::map<std::string, std::string> effects() const {
    std::lock_guard<std::mutex> lock(mu_);
    return effects_;
  }
  int applied() const {
    std::lock_guard<std::mutex> lock(mu_);
    return applied_;
  }
  // For each action call: how far its deadline was when it came in.
  std::vector<int64_t> budgets_ms() const {
    std::lock_guard<std::mutex> lock(mu_);
    return budgets_ms_;
  }

 private:
  mutable std::mutex mu_;
  const Mode mode_;
  int lost_;
  bool compensation_fails_ = false;
  std::vector<std::string> action_keys_;
  std::vector<std::string> compensation_keys_;
  std::vector<int64_t> budgets_ms_;
  std::map<std::string, std::string> effects_;
  int applied_ = 0;
};

class SagaDbTest : public BankManagerFixture {
 protected:
  static void SetUpTestSuite() {
    BankManagerFixture::SetUpTestSuite();
    for (auto* r : {&pg_, &my_}) {
      Status s = CreateSagaBarrierTable(**r);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }

  void SetUp() override {
    OpenManager("sagadb");
    ASSERT_NE(tm_, nullptr);
    auto sagas = SagaManager::Create(*tm_);
    ASSERT_TRUE(sagas.ok()) << sagas.status().ToString();
    sagas_ = std::move(sagas).value();
    const std::string suffix = RandomHex(10);
    alice_ = "alice-" + suffix;  // on pg
    bob_ = "bob-" + suffix;      // on my
    nobody_ = "nobody-" + suffix;
    ASSERT_TRUE(pg_->ExecuteLocal(
                       "INSERT INTO xatm_accounts (id, balance) VALUES (?, ?)",
                       {alice_, "100.00"})
                    .ok());
    ASSERT_TRUE(my_->ExecuteLocal(
                       "INSERT INTO xatm_accounts (id, balance) VALUES (?, ?)",
                       {bob_, "50.00"})
                    .ok());
  }

  void TearDown() override {
    sagas_.reset();
    tm_.reset();
    for (Resource* r : {pg_.get(), my_.get()}) {
      DeleteAccount(*r, alice_);
      DeleteAccount(*r, bob_);
      Status s =
          r->ExecuteLocal("DELETE FROM xatm_saga_barrier WHERE saga_id LIKE ?",
                          {"xatm:" + node_ + ":%"});
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
  }

  static std::string Balance(Resource& resource, const std::string& id) {
    Result<std::vector<Row>> rows = resource.QueryLocal(
        "SELECT balance FROM xatm_accounts WHERE id = ?", {id});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok() || rows->empty()) return "missing";
    return rows->front()[0].value_or("null");
  }
  void ExpectBalances(const std::string& alice, const std::string& bob) {
    EXPECT_EQ(Balance(*pg_, alice_), alice) << "alice on pg";
    EXPECT_EQ(Balance(*my_, bob_), bob) << "bob on my";
  }

  // "step/op" of the saga's committed barrier rows in `resource`, sorted.
  static std::vector<std::string> Barriers(Resource& resource,
                                           const std::string& saga_id) {
    Result<std::vector<BarrierRow>> rows = ReadBarriers(resource, saga_id);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    if (!rows.ok()) return out;
    for (const BarrierRow& row : *rows) {
      out.push_back(row.step + "/" + BarrierOpName(row.op));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  using Rows = std::vector<std::string>;

  // A saga id as this node makes them (the record of a crashed process).
  std::string HandMadeId() const {
    return "xatm:" + node_ + ":" + std::to_string(tm_->clock().NowMs()) + ":" +
           RandomHex(16) + ":f";
  }

  SagaRecord HandMadeRecord(const SagaDefinition& definition, SagaPhase phase,
                            std::vector<StepPhase> steps) const {
    SagaRecord record;
    record.id = HandMadeId();
    record.node = node_;
    record.definition = definition;
    record.phase = phase;
    record.steps = std::move(steps);
    record.begun_ms = tm_->clock().NowMs();
    record.updated_ms = record.begun_ms;
    if (phase == SagaPhase::kCompensating) record.reason = "a step said no";
    return record;
  }

  // Every byte of the node's decision log files.
  std::string LogBytes() const {
    std::string all;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(
             log_dir_.path() + "/log")) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      all.append(std::istreambuf_iterator<char>(in),
                 std::istreambuf_iterator<char>());
    }
    return all;
  }

  // Replaces the node's manager (and saga manager) by one over `log`.
  void UseLog(std::unique_ptr<DecisionLog> log) {
    sagas_.reset();
    tm_.reset();
    TransactionManagerOptions options;
    options.node_id = node_;
    auto tm = TransactionManager::Create(options, {pg_, my_}, std::move(log));
    ASSERT_TRUE(tm.ok()) << tm.status().ToString();
    tm_ = std::move(tm).value();
    auto sagas = SagaManager::Create(*tm_);
    ASSERT_TRUE(sagas.ok()) << sagas.status().ToString();
    sagas_ = std::move(sagas).value();
  }

  // The record a process left when it died after the first step of `d`
  // (run here) and the begin of its XA group, which nothing decided.
  SagaRecord DebitedWithGroupBegun(const SagaDefinition& d) {
    SagaRecord record =
        HandMadeRecord(d, SagaPhase::kForward, {StepPhase::kDone});
    record.xa_gtrid = HandMadeId();
    EXPECT_TRUE(sagas_->journal().Save(record, true).ok());
    CallResult debit =
        CallDatabaseStep(*my_, record.id, d.stages[0][0], false,
                         SteadyClock::now() + milliseconds(5000));
    EXPECT_EQ(debit.kind, CallResult::kDone) << debit.message;
    return record;
  }

  Result<SagaOutcome> RunSaga(std::vector<std::vector<SagaStep>> stages) {
    SagaDefinition d;
    d.name = "test";
    d.stages = std::move(stages);
    d.deadline_ms = 30000;
    return sagas_->Run(d);
  }

  bool Unfinished(const std::string& id) {
    Result<std::vector<SagaRecord>> open = sagas_->Unfinished();
    EXPECT_TRUE(open.ok()) << open.status().ToString();
    if (!open.ok()) return false;
    for (const SagaRecord& r : *open) {
      if (r.id == id) return true;
    }
    return false;
  }

  std::unique_ptr<SagaManager> sagas_;
  std::string alice_, bob_, nobody_;
};

// --- Database steps.

TEST_F(SagaDbTest, TwoDatabaseStepsCommitAndLeaveOnlyTheirActionRows) {
  Result<SagaOutcome> out = RunSaga({{Debit("debit", "pg", alice_, "30.00")},
                                     {Credit("credit", "my", bob_, "30.00")}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->status().ok()) << out->status().ToString();
  EXPECT_EQ(out->phase, SagaPhase::kCommitted);
  ExpectBalances("70.00", "80.00");
  EXPECT_EQ(Barriers(*pg_, out->id), Rows{"debit/action"});
  EXPECT_EQ(Barriers(*my_, out->id), Rows{"credit/action"});
  EXPECT_FALSE(Unfinished(out->id));
}

TEST_F(SagaDbTest, AStepThatSaysNoCompensatesTheFirstAndLeavesTheBalances) {
  Result<SagaOutcome> out =
      RunSaga({{Debit("debit", "pg", alice_, "30.00")},
               {Credit("credit", "my", nobody_, "30.00")}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->phase, SagaPhase::kCompensated);
  EXPECT_EQ(out->status().code(), StatusCode::kAborted);
  EXPECT_NE(out->reason.find("step credit"), std::string::npos) << out->reason;
  EXPECT_NE(out->reason.find("affected 0 rows, not 1"), std::string::npos)
      << out->reason;
  ExpectBalances("100.00", "50.00");
  // The debit ran and was undone; the credit said no, and its (null)
  // compensation stopped it for good.
  EXPECT_EQ(Barriers(*pg_, out->id),
            (Rows{"debit/action", "debit/compensation"}));
  EXPECT_EQ(Barriers(*my_, out->id),
            (Rows{"credit/action", "credit/compensation"}));
  EXPECT_FALSE(Unfinished(out->id));
}

TEST_F(SagaDbTest, ACompensationOfAStepThatNeverRanChangesNothingForGood) {
  SagaDefinition d;
  d.name = "never-ran";
  d.stages = {{Debit("debit", "pg", alice_, "30.00")},
              {Credit("credit", "my", bob_, "30.00")}};
  // A crashed driver turned around before either step ran.
  SagaRecord record = HandMadeRecord(
      d, SagaPhase::kCompensating, {StepPhase::kPending, StepPhase::kPending});
  ASSERT_TRUE(sagas_->journal().Save(record, true).ok());
  SagaResumeResult pass = sagas_->Resume();
  EXPECT_EQ(pass.resumed, 1);
  EXPECT_EQ(pass.compensated, 1);
  EXPECT_TRUE(pass.errors.empty());
  ExpectBalances("100.00", "50.00");
  // Both rows of each step: the action's row proves it never ran.
  EXPECT_EQ(Barriers(*pg_, record.id),
            (Rows{"debit/action", "debit/compensation"}));
  EXPECT_EQ(Barriers(*my_, record.id),
            (Rows{"credit/action", "credit/compensation"}));

  // The action arriving late (a driver that still had it in flight) does
  // nothing.
  CallResult late =
      CallDatabaseStep(*pg_, record.id, d.stages[0][0], /*compensation=*/false,
                       SteadyClock::now() + milliseconds(5000));
  EXPECT_EQ(late.kind, CallResult::kFailed) << late.message;
  EXPECT_NE(late.message.find("compensated before it arrived"),
            std::string::npos)
      << late.message;
  // A forward run of the saga (a stale record going forward) moves nothing
  // either, and ends compensated.
  SagaRecord forward = record;
  forward.phase = SagaPhase::kForward;
  forward.reason.clear();
  ASSERT_TRUE(sagas_->journal().Save(forward, true).ok());
  pass = sagas_->Resume();
  ASSERT_EQ(pass.driven.size(), 1u);
  EXPECT_EQ(pass.driven[0].phase, SagaPhase::kCompensated)
      << pass.driven[0].reason;
  ExpectBalances("100.00", "50.00");
  EXPECT_EQ(Barriers(*pg_, record.id),
            (Rows{"debit/action", "debit/compensation"}));
  EXPECT_EQ(Barriers(*my_, record.id),
            (Rows{"credit/action", "credit/compensation"}));
}

TEST_F(SagaDbTest, AParallelStageOfDatabaseStepsIsUndoneBeforeTheStageBefore) {
  // Stage 0 a service that, when compensated, reads both balances: by then
  // the parallel stage after it must be undone on both servers.
  TestService audit;
  std::vector<std::string> seen_at_audit_compensation;
  sagas_->RegisterService(
      "audit", [&audit](const ServiceCall& c) { return audit.Action(c); },
      [&](const ServiceCall& c) {
        seen_at_audit_compensation = {Balance(*pg_, alice_),
                                      Balance(*my_, bob_)};
        return audit.Compensate(c);
      });
  Result<SagaOutcome> out = RunSaga({{ServiceStep("audit", "audit")},
                                     {Debit("left", "pg", alice_, "10.00"),
                                      Credit("right", "my", bob_, "10.00")},
                                     {Credit("last", "my", nobody_, "1.00")}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->phase, SagaPhase::kCompensated);
  EXPECT_NE(out->reason.find("step last"), std::string::npos) << out->reason;
  EXPECT_EQ(seen_at_audit_compensation,
            (std::vector<std::string>{"100.00", "50.00"}));
  ExpectBalances("100.00", "50.00");
  EXPECT_EQ(Barriers(*pg_, out->id),
            (Rows{"left/action", "left/compensation"}));
  EXPECT_EQ(Barriers(*my_, out->id),
            (Rows{"last/action", "last/compensation", "right/action",
                  "right/compensation"}));
  EXPECT_TRUE(audit.effects().empty());
  EXPECT_EQ(audit.compensation_keys(),
            std::vector<std::string>{out->id + "/audit/compensation"});
}

TEST_F(SagaDbTest, ADatabasePivotIsFollowedOnlyForward) {
  SagaStep pivot = Debit("debit", "pg", alice_, "30.00");
  pivot.pivot = true;
  TestService ship(TestService::Mode::kLoseFirst, /*lost=*/3);
  ship.Register(*sagas_, "ship");
  Result<SagaOutcome> out =
      RunSaga({{pivot},
               {ServiceStep("ship", "ship", /*attempts=*/3)},
               {Credit("credit", "my", bob_, "30.00")}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  // Out of attempts after the pivot: left to recovery, not compensated.
  EXPECT_EQ(out->phase, SagaPhase::kForward) << out->reason;
  EXPECT_EQ(out->status().code(), StatusCode::kInDoubt);
  EXPECT_NE(out->reason.find("pivot"), std::string::npos) << out->reason;
  EXPECT_TRUE(ship.compensation_keys().empty());
  EXPECT_EQ(Barriers(*pg_, out->id), Rows{"debit/action"});
  EXPECT_TRUE(Unfinished(out->id));
  ExpectBalances("70.00", "50.00");

  // Recovery drives it on forward.
  SagaResumeResult pass = sagas_->Resume();
  EXPECT_EQ(pass.resumed, 1);
  EXPECT_EQ(pass.committed, 1)
      << (pass.driven.empty() ? std::string("nothing driven")
                              : pass.driven[0].reason);
  EXPECT_TRUE(ship.compensation_keys().empty());
  EXPECT_EQ(ship.action_keys().size(), 4u);
  EXPECT_EQ(ship.applied(), 1);
  EXPECT_EQ(Barriers(*pg_, out->id), Rows{"debit/action"});
  EXPECT_EQ(Barriers(*my_, out->id), Rows{"credit/action"});
  ExpectBalances("70.00", "80.00");
  EXPECT_FALSE(Unfinished(out->id));
}

// --- Service steps.

TEST_F(SagaDbTest, AServiceThatFailsTwiceThenAnswersIsCalledWithOneKey) {
  TestService ship(TestService::Mode::kLoseFirst, /*lost=*/2);
  ship.Register(*sagas_, "ship");
  Result<SagaOutcome> out =
      RunSaga({{Debit("debit", "pg", alice_, "30.00")},
               {ServiceStep("ship", "ship", /*attempts=*/4)}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->phase, SagaPhase::kCommitted) << out->reason;
  const std::string key = out->id + "/ship/action";
  EXPECT_EQ(ship.action_keys(), (std::vector<std::string>{key, key, key}));
  EXPECT_EQ(ship.applied(), 1);
  EXPECT_EQ(ship.effects(),
            (std::map<std::string, std::string>{{key, "payload of ship"}}));
  EXPECT_TRUE(ship.compensation_keys().empty());
  ExpectBalances("70.00", "50.00");
}

TEST_F(SagaDbTest, AServiceThatTimesOutEveryTimeIsCompensatedWithItsKey) {
  TestService ship(TestService::Mode::kTimeout);
  ship.Register(*sagas_, "ship");
  const auto start = SteadyClock::now();
  Result<SagaOutcome> out =
      RunSaga({{Debit("debit", "pg", alice_, "30.00")},
               {ServiceStep("ship", "ship", /*attempts=*/3,
                            /*call_timeout_ms=*/150)}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(out->phase, SagaPhase::kCompensated);
  EXPECT_NE(out->reason.find("unknown"), std::string::npos) << out->reason;
  const std::string key = out->id + "/ship/action";
  EXPECT_EQ(ship.action_keys(), (std::vector<std::string>{key, key, key}));
  // Each call was handed its own limit, call_timeout_ms from its start.
  for (int64_t budget : ship.budgets_ms()) {
    EXPECT_GT(budget, 0);
    EXPECT_LE(budget, 150);
  }
  // It may have happened: compensated with the same key family.
  EXPECT_EQ(ship.compensation_keys(),
            std::vector<std::string>{out->id + "/ship/compensation"});
  EXPECT_TRUE(ship.effects().empty());
  EXPECT_EQ(ship.applied(), 1);
  ExpectBalances("100.00", "50.00");
  EXPECT_EQ(Barriers(*pg_, out->id),
            (Rows{"debit/action", "debit/compensation"}));
}

TEST_F(SagaDbTest, AServiceThatNeverAnswersIsCompensated) {
  TestService ship(TestService::Mode::kUnknown);
  ship.Register(*sagas_, "ship");
  Result<SagaOutcome> out =
      RunSaga({{Debit("debit", "pg", alice_, "30.00")},
               {ServiceStep("ship", "ship", /*attempts=*/3)}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->phase, SagaPhase::kCompensated);
  EXPECT_EQ(ship.action_keys().size(), 3u);
  EXPECT_EQ(ship.compensation_keys(),
            std::vector<std::string>{out->id + "/ship/compensation"});
  ExpectBalances("100.00", "50.00");
}

TEST_F(SagaDbTest, AServiceThatSaysNoUndoesTheEarlierStepsOnly) {
  TestService pack;
  TestService ship(TestService::Mode::kFailed);
  pack.Register(*sagas_, "pack");
  ship.Register(*sagas_, "ship");
  Result<SagaOutcome> out = RunSaga({{Debit("debit", "pg", alice_, "30.00")},
                                     {ServiceStep("pack", "pack")},
                                     {ServiceStep("ship", "ship")}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->phase, SagaPhase::kCompensated);
  EXPECT_EQ(out->status().code(), StatusCode::kAborted);
  EXPECT_NE(out->reason.find("answered failed"), std::string::npos)
      << out->reason;
  // A "no" is not retried, and not compensated.
  EXPECT_EQ(ship.action_keys().size(), 1u);
  EXPECT_TRUE(ship.compensation_keys().empty());
  EXPECT_EQ(pack.compensation_keys(),
            std::vector<std::string>{out->id + "/pack/compensation"});
  EXPECT_TRUE(pack.effects().empty());
  ExpectBalances("100.00", "50.00");
}

TEST_F(SagaDbTest, ACompensationThatKeepsFailingIsStuckUntilRetried) {
  TestService pack;
  TestService ship(TestService::Mode::kFailed);
  pack.Register(*sagas_, "pack");
  ship.Register(*sagas_, "ship");
  pack.set_compensation_fails(true);
  Result<SagaOutcome> out = RunSaga({{Debit("debit", "pg", alice_, "30.00")},
                                     {ServiceStep("pack", "pack")},
                                     {ServiceStep("ship", "ship")}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->phase, SagaPhase::kFailedToCompensate);
  EXPECT_EQ(out->status().code(), StatusCode::kInDoubt);
  EXPECT_NE(out->reason.find("compensation of step pack"), std::string::npos)
      << out->reason;
  EXPECT_EQ(pack.compensation_keys().size(), 3u);  // its attempts, no more
  // Stopped at the stuck stage: the debit is not undone yet.
  ExpectBalances("70.00", "50.00");
  EXPECT_EQ(Barriers(*pg_, out->id), Rows{"debit/action"});

  EXPECT_TRUE(Unfinished(out->id));
  InDoubtReport report = ListInDoubt(*tm_);
  EXPECT_TRUE(report.sagas_error.empty()) << report.sagas_error;
  ASSERT_EQ(report.sagas.size(), 1u);
  EXPECT_EQ(report.sagas[0].id, out->id);
  EXPECT_EQ(report.sagas[0].phase, SagaPhase::kFailedToCompensate);
  // Recovery leaves it to an operator.
  SagaResumeResult pass = sagas_->Resume();
  EXPECT_EQ(pass.resumed, 0);
  EXPECT_EQ(pass.stuck, 1);
  EXPECT_EQ(pass.stuck_ids, std::vector<std::string>{out->id});

  pack.set_compensation_fails(false);
  Result<SagaOutcome> retried = sagas_->Retry(out->id);
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(retried->phase, SagaPhase::kCompensated) << retried->reason;
  ExpectBalances("100.00", "50.00");
  EXPECT_EQ(Barriers(*pg_, out->id),
            (Rows{"debit/action", "debit/compensation"}));
  EXPECT_TRUE(pack.effects().empty());
  EXPECT_FALSE(Unfinished(out->id));
  EXPECT_TRUE(ListInDoubt(*tm_).sagas.empty());
  EXPECT_EQ(sagas_->Retry(out->id).status().code(), StatusCode::kNotFound);
}

TEST_F(SagaDbTest, MarkCompensatedClosesAStuckSagaAndKeepsTheReason) {
  TestService pack;
  TestService ship(TestService::Mode::kFailed);
  pack.Register(*sagas_, "pack");
  ship.Register(*sagas_, "ship");
  pack.set_compensation_fails(true);
  Result<SagaOutcome> out = RunSaga({{Debit("debit", "pg", alice_, "30.00")},
                                     {ServiceStep("pack", "pack")},
                                     {ServiceStep("ship", "ship")}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->phase, SagaPhase::kFailedToCompensate);
  EXPECT_EQ(sagas_->MarkCompensated(out->id, "").status().code(),
            StatusCode::kInvalidArgument);
  const std::string reason = "refunded by hand, ticket " + RandomHex(8);
  Result<SagaOutcome> marked = sagas_->MarkCompensated(out->id, reason);
  ASSERT_TRUE(marked.ok()) << marked.status().ToString();
  EXPECT_EQ(marked->phase, SagaPhase::kCompensated);
  EXPECT_FALSE(Unfinished(out->id));
  EXPECT_TRUE(ListInDoubt(*tm_).sagas.empty());
  // Nothing ran: the debit stays as it was.
  ExpectBalances("70.00", "50.00");
  EXPECT_EQ(Barriers(*pg_, out->id), Rows{"debit/action"});
  EXPECT_EQ(pack.compensation_keys().size(), 3u);
  // The closing record, durable in the node's log, carries the reason.
  EXPECT_NE(LogBytes().find(reason), std::string::npos);
}

// --- Recovery.

TEST_F(SagaDbTest, ResumeFinishesASagaLeftMidWayWithoutDoingAnythingTwice) {
  TestService ship;
  ship.Register(*sagas_, "ship");
  SagaDefinition d;
  d.name = "crashed";
  d.stages = {{Debit("debit", "pg", alice_, "30.00")},
              {ServiceStep("ship", "ship")},
              {Credit("credit", "my", bob_, "30.00")}};
  // The crashed process: its record says the debit and the call of ship
  // started (the unforced save of the debit's end was lost); both happened.
  SagaRecord record = HandMadeRecord(
      d, SagaPhase::kForward,
      {StepPhase::kStarted, StepPhase::kStarted, StepPhase::kPending});
  ASSERT_TRUE(sagas_->journal().Save(record, true).ok());
  CallResult debit = CallDatabaseStep(*pg_, record.id, d.stages[0][0], false,
                                      SteadyClock::now() + milliseconds(5000));
  ASSERT_EQ(debit.kind, CallResult::kDone) << debit.message;
  ServiceCall call;
  call.saga_id = record.id;
  call.step = "ship";
  call.payload = "payload of ship";
  call.idempotency_key = record.id + "/ship/action";
  call.deadline = SteadyClock::now() + milliseconds(1000);
  ASSERT_EQ(ship.Action(call), ServiceAnswer::kDone);
  ExpectBalances("70.00", "50.00");

  SagaResumeResult pass = sagas_->Resume();
  EXPECT_EQ(pass.resumed, 1);
  EXPECT_EQ(pass.committed, 1)
      << (pass.driven.empty() ? "" : pass.driven[0].reason);
  // The debit once (its barrier), ship asked again with the same key and
  // applied once, the credit done.
  ExpectBalances("70.00", "80.00");
  EXPECT_EQ(ship.applied(), 1);
  EXPECT_EQ(
      ship.action_keys(),
      (std::vector<std::string>{call.idempotency_key, call.idempotency_key}));
  EXPECT_TRUE(ship.compensation_keys().empty());
  EXPECT_EQ(Barriers(*pg_, record.id), Rows{"debit/action"});
  EXPECT_EQ(Barriers(*my_, record.id), Rows{"credit/action"});
  EXPECT_FALSE(Unfinished(record.id));
  // A second pass finds nothing left.
  EXPECT_EQ(sagas_->Resume().resumed, 0);
  ExpectBalances("70.00", "80.00");
}

// --- The XA group: databases that can prepare, under the saga's decision.

SagaDefinition DebitThenXaCredit(const std::string& bob,
                                 const std::string& credited) {
  SagaDefinition d;
  d.name = "xa-group";
  d.stages = {{Debit("debit", "my", bob, "20.00")}};
  d.xa_group = {SagaXaWork{"pg", {{kCreditSql, {"20.00", credited}, 1}}}};
  d.deadline_ms = 30000;
  return d;
}

TEST_F(SagaDbTest, AnXaGroupCommitsWithTheSagaUnderOneDecision) {
  Result<SagaOutcome> out = sagas_->Run(DebitThenXaCredit(bob_, alice_));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->phase, SagaPhase::kCommitted) << out->reason;
  ExpectBalances("120.00", "30.00");
  EXPECT_EQ(Barriers(*pg_, out->id), Rows{"~xa/action"});
  EXPECT_EQ(Barriers(*my_, out->id), Rows{"debit/action"});
  // Its decision was made and ended; no branch is left prepared.
  EXPECT_TRUE(tm_->log().OpenCommits().empty());
  Result<std::vector<PreparedBranch>> prepared = pg_->ListPrepared();
  ASSERT_TRUE(prepared.ok());
  for (const PreparedBranch& b : *prepared) {
    EXPECT_NE(b.id.xid.node, node_) << b.raw;
  }
}

TEST_F(SagaDbTest, AnXaGroupThatSaysNoRollsBackAndTheStepsAreCompensated) {
  Result<SagaOutcome> out = sagas_->Run(DebitThenXaCredit(bob_, nobody_));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->phase, SagaPhase::kCompensated);
  EXPECT_NE(out->reason.find("affected 0 rows"), std::string::npos)
      << out->reason;
  ExpectBalances("100.00", "50.00");
  EXPECT_TRUE(Barriers(*pg_, out->id).empty());
  EXPECT_EQ(Barriers(*my_, out->id),
            (Rows{"debit/action", "debit/compensation"}));
  Result<std::vector<PreparedBranch>> prepared = pg_->ListPrepared();
  ASSERT_TRUE(prepared.ok());
  for (const PreparedBranch& b : *prepared) {
    EXPECT_NE(b.id.xid.node, node_) << b.raw;
  }
}

TEST_F(SagaDbTest, AResumedSagaWhoseXaGroupCommittedIsNotRunAgain) {
  Result<SagaOutcome> out = sagas_->Run(DebitThenXaCredit(bob_, alice_));
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->phase, SagaPhase::kCommitted);
  // The process died after the group committed, before its last record:
  // the record still says forward and names the group.
  SagaRecord record = HandMadeRecord(DebitThenXaCredit(bob_, alice_),
                                     SagaPhase::kForward, {StepPhase::kDone});
  record.id = out->id;
  record.xa_gtrid = "xatm:" + node_ + ":1:0000000000000001:f";
  ASSERT_TRUE(sagas_->journal().Save(record, true).ok());
  SagaResumeResult pass = sagas_->Resume();
  EXPECT_EQ(pass.committed, 1)
      << (pass.driven.empty() ? "" : pass.driven[0].reason);
  ExpectBalances("120.00", "30.00");
}

TEST_F(SagaDbTest, AResumedSagaWhoseXaGroupWasNeverDecidedIsCompensated) {
  SagaDefinition d = DebitThenXaCredit(bob_, alice_);
  d.deadline_ms = 1;
  SagaRecord record = DebitedWithGroupBegun(d);
  ExpectBalances("100.00", "30.00");
  std::this_thread::sleep_for(milliseconds(5));
  SagaResumeResult pass = sagas_->Resume();
  EXPECT_EQ(pass.compensated, 1)
      << (pass.driven.empty() ? "" : pass.driven[0].reason);
  ExpectBalances("100.00", "50.00");
  EXPECT_TRUE(Barriers(*pg_, record.id).empty());
}

// A log in memory whose ClaimAbort first runs `before_claim`: what another
// coordinator does between the driver's reads and its fence.
class ClaimHookLog : public MemoryDecisionLog {
 public:
  std::function<void()> before_claim;
  int withdrawn = 0;
  Result<bool> ClaimAbort(const std::string& gtrid) override {
    if (before_claim) std::exchange(before_claim, nullptr)();
    return MemoryDecisionLog::ClaimAbort(gtrid);
  }
  Status WithdrawAbort(const std::string& gtrid,
                       const std::vector<std::string>& resources,
                       int64_t time_ms) override {
    ++withdrawn;
    return MemoryDecisionLog::WithdrawAbort(gtrid, resources, time_ms);
  }
};

// The group's coordinator (a node that seemed gone, say) decides COMMIT,
// commits the group and ENDs its decision after the resuming driver found
// no decision and no barrier row, before its fence. Read again after the
// fence, the group's barrier row shows the commit: the saga is committed,
// not compensated (which would undo the debit under a credit that stays).
TEST_F(SagaDbTest, AnXaGroupCommittedJustBeforeTheFenceIsNotCompensated) {
  auto log = std::make_unique<ClaimHookLog>();
  ClaimHookLog* hooked = log.get();
  UseLog(std::move(log));
  SagaRecord record = DebitedWithGroupBegun(DebitThenXaCredit(bob_, alice_));
  ExpectBalances("100.00", "30.00");

  hooked->before_claim = [&] {
    // The group as its coordinator ran it: barrier row and credit, one
    // global transaction, decided and ended in its own log.
    TransactionManagerOptions other_options;
    other_options.node_id = node_;
    auto other = TransactionManager::Create(
        other_options, {pg_, my_}, std::make_unique<MemoryDecisionLog>());
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    auto txn = (*other)->Begin();
    ASSERT_TRUE(txn.ok()) << txn.status().ToString();
    Result<Branch*> branch = (*txn)->Enlist("pg");
    ASSERT_TRUE(branch.ok()) << branch.status().ToString();
    Result<bool> barrier = InsertBarrier(**branch, pg_->type(), record.id,
                                         kXaGroupStep, BarrierOp::kAction);
    ASSERT_TRUE(barrier.ok() && *barrier) << barrier.status().ToString();
    Result<int64_t> rows = (*branch)->Execute(kCreditSql, {"20.00", alice_});
    ASSERT_TRUE(rows.ok() && *rows == 1) << rows.status().ToString();
    Status committed = (*txn)->Commit();
    ASSERT_TRUE(committed.ok()) << committed.ToString();
  };
  SagaResumeResult pass = sagas_->Resume();
  EXPECT_EQ(hooked->before_claim, nullptr) << "the fence was never reached";
  EXPECT_EQ(pass.committed, 1)
      << (pass.driven.empty() ? "" : pass.driven[0].reason);
  EXPECT_EQ(pass.compensated, 0);
  ExpectBalances("120.00", "30.00");
  EXPECT_EQ(Barriers(*pg_, record.id), Rows{"~xa/action"});
  EXPECT_EQ(Barriers(*my_, record.id), Rows{"debit/action"});
  // The abort just claimed is withdrawn for a COMMIT decision, ended at
  // once: every branch committed before the fence.
  EXPECT_EQ(hooked->withdrawn, 1) << "the abort just claimed stands";
  EXPECT_TRUE(tm_->log().HasCommitHistory(record.xa_gtrid));
  EXPECT_FALSE(tm_->log().FindOpenCommit(record.xa_gtrid).has_value());
}

// A log in memory that loses the coordinator's END, as a process killed
// after committing every branch would.
class EndLosingLog : public MemoryDecisionLog {
 public:
  Status LogEnd(const std::string& gtrid, int64_t time_ms,
                EndOrigin origin) override {
    if (origin == EndOrigin::kCoordinator) {
      return Status::Unavailable("the process died before its END");
    }
    return MemoryDecisionLog::LogEnd(gtrid, time_ms, origin);
  }
};

// The group's branches write no ledger row, though their databases have
// a ledger table: recovery, finishing the group's decision left open after
// every branch committed, must find them committed from the group's own
// rows, not report a rollback (a false HEURISTIC outcome).
TEST_F(SagaDbTest, AnXaGroupsOpenDecisionIsEndedByRecoveryWithoutAHeuristic) {
  UseLog(std::make_unique<EndLosingLog>());

  // Two databases in the group: a two-phase transaction with a decision.
  SagaDefinition d = DebitThenXaCredit(bob_, alice_);
  d.xa_group[0].statements = {{kCreditSql, {"15.00", alice_}, 1}};
  d.xa_group.push_back(SagaXaWork{"my", {{kCreditSql, {"5.00", bob_}, 1}}});
  Result<SagaOutcome> out = sagas_->Run(d);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->phase, SagaPhase::kCommitted) << out->reason;
  ExpectBalances("115.00", "35.00");
  ASSERT_EQ(tm_->log().OpenCommits().size(), 1u);

  SweepResult r = Sweeper(tm_.get(), SweeperOptions{}).SweepOnce();
  EXPECT_EQ(r.heuristics, 0) << r.Summary();
  EXPECT_EQ(r.ended, 1) << r.Summary();
  EXPECT_TRUE(tm_->log().OpenCommits().empty());
  ExpectBalances("115.00", "35.00");
}

}  // namespace
}  // namespace xatm::testing
