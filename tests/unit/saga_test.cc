// The saga driver over service steps and an in-memory decision log: the
// order of steps and compensations, retry policies, deadlines, the pivot,
// the stuck state and the operator's hand, and resuming from a record.
// (Database steps and their barriers: tests/integration/saga_db_test.cc.)
#include "xatm/saga.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/integration/metrics_scrape.h"
#include "tests/unit/coordinator_fixture.h"
#include "xatm/memory_decision_log.h"
#include "xatm/sweeper.h"

namespace xatm::testing {
namespace {

RetryPolicy Quick(int attempts) {
  RetryPolicy p;
  p.attempts = attempts;
  p.first_backoff_ms = 1;
  p.max_backoff_ms = 4;
  p.jitter = 0;
  p.call_timeout_ms = 1000;
  return p;
}

SagaStep ServiceStep(const std::string& name, const std::string& service,
                     int attempts = 3) {
  SagaStep step;
  step.name = name;
  step.service = service;
  step.payload = "payload of " + name;
  step.retry = Quick(attempts);
  step.compensation_retry = Quick(attempts);
  return step;
}

// A scripted service: answers from a queue (then `otherwise`), and records
// every call as "name:action" / "name:compensation".
struct Script {
  std::mutex mu;
  std::vector<ServiceAnswer> answers;
  ServiceAnswer otherwise = ServiceAnswer::kDone;
  std::vector<ServiceAnswer> compensation_answers;
  ServiceAnswer compensation_otherwise = ServiceAnswer::kDone;
};

class SagaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = std::make_unique<MemoryDecisionLog>();
    log_ = log.get();
    TransactionManagerOptions options;
    options.node_id = "n1";
    options.clock = &clock_;
    auto tm = TransactionManager::Create(options, {}, std::move(log));
    ASSERT_TRUE(tm.ok()) << tm.status().ToString();
    tm_ = std::move(tm).value();
    auto sagas = SagaManager::Create(*tm_);
    ASSERT_TRUE(sagas.ok()) << sagas.status().ToString();
    sagas_ = std::move(sagas).value();
  }

  void Serve(const std::string& name) {
    Script* script = &scripts_[name];
    auto answer = [this, name, script](const ServiceCall& call) {
      std::lock_guard<std::mutex> lock(calls_mu_);
      calls_.push_back(call.step +
                       (call.compensation ? ":compensation" : ":action"));
      keys_.push_back(call.idempotency_key);
      std::vector<ServiceAnswer>& queue =
          call.compensation ? script->compensation_answers : script->answers;
      if (!queue.empty()) {
        ServiceAnswer a = queue.front();
        queue.erase(queue.begin());
        return a;
      }
      return call.compensation ? script->compensation_otherwise
                               : script->otherwise;
    };
    sagas_->RegisterService(name, answer, answer);
  }

  std::vector<std::string> Calls() {
    std::lock_guard<std::mutex> lock(calls_mu_);
    return calls_;
  }

  SagaDefinition ThreeSteps() {
    SagaDefinition d;
    d.name = "three";
    d.stages = {{ServiceStep("one", "s1")},
                {ServiceStep("two", "s2")},
                {ServiceStep("three", "s3")}};
    return d;
  }

  void ServeAll() {
    for (const char* s : {"s1", "s2", "s3"}) Serve(s);
  }

  ManualClock clock_;
  MemoryDecisionLog* log_ = nullptr;
  std::unique_ptr<TransactionManager> tm_;
  std::unique_ptr<SagaManager> sagas_;
  std::map<std::string, Script> scripts_;
  std::mutex calls_mu_;
  std::vector<std::string> calls_;
  std::vector<std::string> keys_;
};

TEST_F(SagaTest, EveryStepDoneCommitsInOrderAndLeavesNothingOpen) {
  ServeAll();
  Result<SagaOutcome> out = sagas_->Run(ThreeSteps());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->status().ok()) << out->status().ToString();
  EXPECT_EQ(out->phase, SagaPhase::kCommitted);
  EXPECT_EQ(Calls(), (std::vector<std::string>{"one:action", "two:action",
                                               "three:action"}));
  EXPECT_EQ(keys_[1], out->id + "/two/action");
  EXPECT_TRUE(log_->OpenSagas().empty());
}

TEST_F(SagaTest, AFailedStepCompensatesOnlyTheStepsThatRanInReverse) {
  ServeAll();
  scripts_["s3"].otherwise = ServiceAnswer::kFailed;
  Result<SagaOutcome> out = sagas_->Run(ThreeSteps());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->phase, SagaPhase::kCompensated);
  EXPECT_EQ(out->status().code(), StatusCode::kAborted);
  EXPECT_NE(out->reason.find("three"), std::string::npos) << out->reason;
  // The business "no" is not retried and not compensated.
  EXPECT_EQ(Calls(), (std::vector<std::string>{
                         "one:action", "two:action", "three:action",
                         "two:compensation", "one:compensation"}));
  EXPECT_TRUE(log_->OpenSagas().empty());
}

TEST_F(SagaTest, NotYetIsRetriedWithTheSameKeyUntilDone) {
  ServeAll();
  scripts_["s2"].answers = {ServiceAnswer::kNotYet, ServiceAnswer::kUnknown};
  Result<SagaOutcome> out = sagas_->Run(ThreeSteps());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->phase, SagaPhase::kCommitted) << out->reason;
  EXPECT_EQ(Calls().size(), 5u);
  EXPECT_EQ(keys_[1], keys_[2]);
  EXPECT_EQ(keys_[2], keys_[3]);
}

TEST_F(SagaTest, AnUnknownAnswerOutOfAttemptsCompensatesThatStepToo) {
  ServeAll();
  scripts_["s2"].otherwise = ServiceAnswer::kUnknown;
  Result<SagaOutcome> out = sagas_->Run(ThreeSteps());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->phase, SagaPhase::kCompensated);
  EXPECT_NE(out->reason.find("gave up"), std::string::npos) << out->reason;
  EXPECT_EQ(Calls(), (std::vector<std::string>{
                         "one:action", "two:action", "two:action", "two:action",
                         "two:compensation", "one:compensation"}));
}

TEST_F(SagaTest, TheDeadlineStopsRetriesAndCompensates) {
  ServeAll();
  SagaDefinition d = ThreeSteps();
  d.deadline_ms = 1000;
  d.stages[1][0].retry.attempts = 1000;
  // Each call moves the saga's clock past half its deadline.
  sagas_->RegisterService(
      "s2",
      [this](const ServiceCall&) {
        clock_.now_ms += 600;
        return ServiceAnswer::kNotYet;
      },
      [this](const ServiceCall&) {
        std::lock_guard<std::mutex> lock(calls_mu_);
        calls_.push_back("two:compensation");
        return ServiceAnswer::kDone;
      });
  Result<SagaOutcome> out = sagas_->Run(d);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->phase, SagaPhase::kCompensated);
  EXPECT_NE(out->reason.find("deadline"), std::string::npos) << out->reason;
  EXPECT_EQ(Calls(), (std::vector<std::string>{"one:action", "two:compensation",
                                               "one:compensation"}));
}

TEST_F(SagaTest, ACompensationOutOfAttemptsIsStuckUntilAnOperatorActs) {
  ServeAll();
  scripts_["s3"].otherwise = ServiceAnswer::kFailed;
  scripts_["s1"].compensation_otherwise = ServiceAnswer::kFailed;
  Result<SagaOutcome> out = sagas_->Run(ThreeSteps());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->phase, SagaPhase::kFailedToCompensate);
  EXPECT_EQ(out->status().code(), StatusCode::kInDoubt);
  // Bounded: three attempts, then it stops.
  const std::vector<std::string> calls = Calls();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "one:compensation"), 3);

  Result<std::vector<SagaRecord>> open = sagas_->Unfinished();
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].phase, SagaPhase::kFailedToCompensate);
  EXPECT_EQ((*open)[0].steps[0], StepPhase::kCompensationFailed);
  // Recovery leaves it to the operator.
  SagaResumeResult pass = sagas_->Resume();
  EXPECT_EQ(pass.stuck, 1);
  EXPECT_EQ(pass.resumed, 0);

  EXPECT_EQ(sagas_->MarkCompensated(out->id, "").status().code(),
            StatusCode::kInvalidArgument);
  scripts_["s1"].compensation_otherwise = ServiceAnswer::kDone;
  Result<SagaOutcome> retried = sagas_->Retry(out->id);
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(retried->phase, SagaPhase::kCompensated);
  EXPECT_TRUE(log_->OpenSagas().empty());
  EXPECT_EQ(sagas_->Retry(out->id).status().code(), StatusCode::kNotFound);
}

TEST_F(SagaTest, MarkCompensatedKeepsTheOperatorsReason) {
  ServeAll();
  scripts_["s2"].otherwise = ServiceAnswer::kFailed;
  scripts_["s1"].compensation_otherwise = ServiceAnswer::kUnknown;
  Result<SagaOutcome> out = sagas_->Run(ThreeSteps());
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->phase, SagaPhase::kFailedToCompensate);
  Result<SagaOutcome> marked =
      sagas_->MarkCompensated(out->id, "refunded by hand, ticket 42");
  ASSERT_TRUE(marked.ok()) << marked.status().ToString();
  EXPECT_EQ(marked->phase, SagaPhase::kCompensated);
  EXPECT_TRUE(log_->OpenSagas().empty());
}

TEST_F(SagaTest, AfterThePivotRanTheSagaOnlyGoesForward) {
  ServeAll();
  SagaDefinition d = ThreeSteps();
  d.stages[1][0].pivot = true;
  scripts_["s3"].answers = {ServiceAnswer::kUnknown, ServiceAnswer::kUnknown,
                            ServiceAnswer::kUnknown};
  Result<SagaOutcome> out = sagas_->Run(d);
  ASSERT_TRUE(out.ok());
  // Out of attempts past the pivot: not compensated, left to recovery.
  EXPECT_EQ(out->phase, SagaPhase::kForward) << out->reason;
  EXPECT_EQ(out->status().code(), StatusCode::kInDoubt);
  for (const std::string& c : Calls()) {
    EXPECT_EQ(c.find("compensation"), std::string::npos) << c;
  }
  SagaResumeResult pass = sagas_->Resume();
  EXPECT_EQ(pass.resumed, 1);
  EXPECT_EQ(pass.committed, 1);
  EXPECT_TRUE(log_->OpenSagas().empty());
}

TEST_F(SagaTest, AStepThatSaysNoAfterThePivotIsStuck) {
  ServeAll();
  SagaDefinition d = ThreeSteps();
  d.stages[0][0].pivot = true;
  scripts_["s2"].otherwise = ServiceAnswer::kFailed;
  Result<SagaOutcome> out = sagas_->Run(d);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->phase, SagaPhase::kFailedToCompensate);
  EXPECT_NE(out->reason.find("pivot"), std::string::npos) << out->reason;
  const std::vector<std::string> calls = Calls();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "one:compensation"), 0);
}

TEST_F(SagaTest, AParallelStageRunsAtOnceAndIsUndoneBeforeTheStageBefore) {
  Serve("s1");
  Serve("s3");
  // Both steps of the stage must be inside their calls at the same time.
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  auto together = [&](const ServiceCall& call) {
    if (call.compensation) {
      std::lock_guard<std::mutex> lock(calls_mu_);
      calls_.push_back(call.step + ":compensation");
      return ServiceAnswer::kDone;
    }
    ++inside;
    for (int i = 0; i < 2000 && inside < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (inside >= 2) overlapped = true;
    return ServiceAnswer::kDone;
  };
  sagas_->RegisterService("p", together, together);
  SagaDefinition d;
  d.name = "fan-out";
  d.stages = {{ServiceStep("one", "s1")},
              {ServiceStep("left", "p"), ServiceStep("right", "p")},
              {ServiceStep("three", "s3")}};
  scripts_["s3"].otherwise = ServiceAnswer::kFailed;
  Result<SagaOutcome> out = sagas_->Run(d);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(overlapped);
  EXPECT_EQ(out->phase, SagaPhase::kCompensated);
  std::vector<std::string> calls = Calls();
  ASSERT_EQ(calls.size(), 5u);  // one, three, 2 x parallel, one
  EXPECT_EQ(calls.back(), "one:compensation");
  EXPECT_TRUE(
      (calls[2] == "left:compensation" && calls[3] == "right:compensation") ||
      (calls[2] == "right:compensation" && calls[3] == "left:compensation"));
}

TEST_F(SagaTest, ResumeDrivesARecordLeftByACrashedProcessForward) {
  ServeAll();
  SagaRecord record;
  record.id =
      "xatm:n1:" + std::to_string(clock_.now_ms) + ":00000000000000aa:f";
  record.node = "n1";
  record.definition = ThreeSteps();
  record.steps = {StepPhase::kDone, StepPhase::kStarted, StepPhase::kPending};
  record.begun_ms = clock_.now_ms;
  ASSERT_TRUE(sagas_->journal().Save(record, true).ok());
  SagaResumeResult pass = sagas_->Resume();
  EXPECT_EQ(pass.resumed, 1);
  EXPECT_EQ(pass.committed, 1);
  // The started step is asked again, with its key: it may have run.
  EXPECT_EQ(Calls(), (std::vector<std::string>{"two:action", "three:action"}));
  EXPECT_EQ(keys_[0], record.id + "/two/action");
}

TEST_F(SagaTest, ResumeOfACompensatingRecordFinishesTheCompensation) {
  ServeAll();
  SagaRecord record;
  record.id =
      "xatm:n1:" + std::to_string(clock_.now_ms) + ":00000000000000bb:f";
  record.node = "n1";
  record.definition = ThreeSteps();
  record.phase = SagaPhase::kCompensating;
  // The third step never started: a service step's start is forced, so
  // its compensation is not called.
  record.steps = {StepPhase::kDone, StepPhase::kStarted, StepPhase::kPending};
  record.begun_ms = clock_.now_ms;
  ASSERT_TRUE(sagas_->journal().Save(record, true).ok());
  SagaResumeResult pass = sagas_->Resume();
  EXPECT_EQ(pass.compensated, 1);
  EXPECT_EQ(Calls(),
            (std::vector<std::string>{"two:compensation", "one:compensation"}));
}

TEST_F(SagaTest, BadDefinitionsAreRefusedBeforeAnythingRuns) {
  ServeAll();
  SagaDefinition d = ThreeSteps();
  d.stages[2][0].name = "one";
  EXPECT_EQ(sagas_->Run(d).status().code(), StatusCode::kInvalidArgument);
  d = ThreeSteps();
  d.stages[0][0].service = "nobody";
  Result<SagaOutcome> unknown = sagas_->Run(d);
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("nobody"), std::string::npos);
  d = ThreeSteps();
  d.stages[0][0].retry.attempts = 0;
  EXPECT_EQ(sagas_->Run(d).status().code(), StatusCode::kInvalidArgument);
  d = ThreeSteps();
  d.stages[0][0].pivot = d.stages[1][0].pivot = true;
  EXPECT_EQ(sagas_->Run(d).status().code(), StatusCode::kInvalidArgument);
  d = ThreeSteps();
  d.stages[0][0].resource = "pg";
  EXPECT_EQ(sagas_->Run(d).status().code(), StatusCode::kInvalidArgument);
  d = ThreeSteps();
  d.stages[1][0].payload = std::string("caf\xc3", 4);  // cut short
  Result<SagaOutcome> binary = sagas_->Run(d);
  EXPECT_EQ(binary.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(binary.status().message().find("UTF-8"), std::string::npos);
  EXPECT_TRUE(Calls().empty());
  EXPECT_TRUE(log_->OpenSagas().empty());
}

TEST_F(SagaTest, MetricsCountOutcomesAndGaugeTheStuckByAge) {
  ServeAll();
  ASSERT_TRUE(sagas_->Run(ThreeSteps()).ok());
  scripts_["s3"].otherwise = ServiceAnswer::kFailed;
  ASSERT_TRUE(sagas_->Run(ThreeSteps()).ok());
  scripts_["s1"].compensation_otherwise = ServiceAnswer::kFailed;
  ASSERT_TRUE(sagas_->Run(ThreeSteps()).ok());

  SweeperOptions options;
  options.sagas = sagas_.get();
  clock_.now_ms += 90'000;
  SweepResult pass = Sweeper(tm_.get(), options).SweepOnce();
  EXPECT_EQ(pass.sagas_stuck, 1);
  EXPECT_FALSE(pass.clean());

  Result<MetricSamples> m =
      MetricSamples::Parse(prometheus::TextSerializer().Serialize(
          tm_->metrics().registry()->Collect()));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->Get("xatm_sagas_total", {{"outcome", "committed"}}), 1);
  EXPECT_EQ(m->Get("xatm_sagas_total", {{"outcome", "compensated"}}), 1);
  EXPECT_EQ(m->Get("xatm_sagas_total", {{"outcome", "failed_to_compensate"}}),
            1);
  EXPECT_EQ(m->Get("xatm_sagas_failed_to_compensate"), 1);
  EXPECT_EQ(m->Get("xatm_sagas_failed_to_compensate_oldest_age_seconds"), 90);
}

TEST(SagaRecordTest, EncodesAndDecodesEveryField) {
  SagaRecord r;
  r.id = "xatm:n1:1:0000000000000001:f";
  r.node = "n1";
  r.definition.name = "t";
  r.definition.deadline_ms = 1234;
  SagaStep db;
  db.name = "debit";
  db.resource = "pg";
  db.action = {{"UPDATE a SET b = b - ? WHERE id = ?", {"5", "x'y"}, 1}};
  db.compensation = {
      {"UPDATE a SET b = b + ? WHERE id = ?", {"5", "x'y"}, std::nullopt}};
  db.pivot = true;
  db.retry.attempts = 7;
  r.definition.stages = {{db}, {ServiceStep("ship", "shipping")}};
  r.phase = SagaPhase::kFailedToCompensate;
  r.steps = {StepPhase::kCompensationFailed, StepPhase::kFailed};
  r.begun_ms = 1;
  r.updated_ms = 2;
  r.reason = "why";
  r.operator_reason = "audit \"text\"\n\x01 caf\xc3\xa9 \\";
  Result<SagaRecord> back = DecodeSagaRecord(EncodeSagaRecord(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(EncodeSagaRecord(*back), EncodeSagaRecord(r));
  EXPECT_EQ(back->definition.stages[0][0].action[0].params[1], "x'y");
  EXPECT_EQ(back->definition.stages[0][0].action[0].expected_rows, 1);
  EXPECT_FALSE(back->definition.stages[0][0].compensation[0].expected_rows);
  EXPECT_EQ(back->definition.stages[0][0].retry.attempts, 7);
  EXPECT_TRUE(back->definition.stages[0][0].pivot);
  EXPECT_EQ(back->steps[0], StepPhase::kCompensationFailed);
  EXPECT_EQ(back->operator_reason, "audit \"text\"\n\x01 caf\xc3\xa9 \\");
  // A message that is not UTF-8 is kept, its odd bytes as '?'.
  r.reason = std::string("bad \xff byte");
  Result<SagaRecord> odd = DecodeSagaRecord(EncodeSagaRecord(r));
  ASSERT_TRUE(odd.ok()) << odd.status().ToString();
  EXPECT_EQ(odd->reason, "bad ? byte");
  EXPECT_FALSE(DecodeSagaRecord("{\"id\": 1}").ok());
  EXPECT_FALSE(DecodeSagaRecord("not json").ok());
}

TEST(RetryPolicyTest, BackoffGrowsByTheMultiplierUpToTheCap) {
  RetryPolicy p;
  p.first_backoff_ms = 100;
  p.multiplier = 2;
  p.max_backoff_ms = 500;
  EXPECT_EQ(BackoffMs(p, 1), 100);
  EXPECT_EQ(BackoffMs(p, 2), 200);
  EXPECT_EQ(BackoffMs(p, 3), 400);
  EXPECT_EQ(BackoffMs(p, 4), 500);
  EXPECT_EQ(BackoffMs(p, 40), 500);
  p.multiplier = 0.5;
  EXPECT_EQ(CheckRetryPolicy(p).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace xatm::testing
