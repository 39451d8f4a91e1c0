// The library's metrics after known work against scripted fake resources:
// every count exact, read back through the text exposition.
#include "xatm/metrics.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "tests/integration/metrics_scrape.h"
#include "tests/unit/coordinator_fixture.h"
#include "tests/unit/fault_file_system.h"
#include "xatm/sweeper.h"
#include "xatm/transaction.h"

namespace xatm {
namespace {

using testing::MetricSamples;

MetricSamples Serialize(const Metrics& metrics) {
  Result<MetricSamples> parsed = MetricSamples::Parse(
      prometheus::TextSerializer().Serialize(metrics.registry()->Collect()));
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? std::move(parsed).value() : MetricSamples();
}

class MetricsTest : public testing::CoordinatorFixture {
 protected:
  MetricSamples Collect() { return Serialize(tm_->metrics()); }

  // The value, or -1 when the sample is missing.
  double Value(const std::string& name,
               const testing::MetricLabels& labels = {}) {
    return Collect().Get(name, labels).value_or(-1);
  }

  Status CommitOn(std::initializer_list<const char*> resources) {
    auto txn = tm_->Begin();
    EXPECT_TRUE(txn.ok());
    for (const char* r : resources) EXPECT_TRUE((*txn)->Enlist(r).ok());
    return (*txn)->Commit();
  }

  Xid OldXid(int64_t age_ms, uint64_t unique) {
    return Xid{"n1", clock_.now_ms - age_ms, unique, tm_->log().home()};
  }
};

TEST_F(MetricsTest, CountsEveryCommitByOutcomeAndTimesItsPhases) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(CommitOn({"a", "b"}).ok());
  ASSERT_TRUE(CommitOn({"a"}).ok());  // one phase
  b_->script().prepare = Status::Aborted("no");
  EXPECT_EQ(CommitOn({"a", "b"}).code(), StatusCode::kAborted);
  b_->script().prepare = Status::Ok();
  b_->script().commit = Status::Unavailable("connection lost");
  b_->script().recovery_commit = Status::Unavailable("server down");
  EXPECT_EQ(CommitOn({"a", "b"}).code(), StatusCode::kInDoubt);
  {
    auto txn = tm_->Begin();  // rolled back by the application: no outcome
    ASSERT_TRUE((*txn)->Enlist("a").ok());
    ASSERT_TRUE((*txn)->Rollback().ok());
  }

  MetricSamples m = Collect();
  auto outcome = [&](const char* o) {
    return m.Get("xatm_transactions_total", {{"outcome", o}}).value_or(-1);
  };
  EXPECT_EQ(outcome("committed"), 3);
  EXPECT_EQ(outcome("one_phase"), 1);
  EXPECT_EQ(outcome("aborted"), 1);
  EXPECT_EQ(outcome("in_doubt"), 1);
  // Every Commit(); prepare in each two-phase one; decision and phase 2
  // once decided.
  EXPECT_EQ(m.Get("xatm_commit_seconds_count"), 6);
  EXPECT_EQ(m.Get("xatm_prepare_seconds_count"), 5);
  EXPECT_EQ(m.Get("xatm_decision_seconds_count"), 4);
  EXPECT_EQ(m.Get("xatm_commit_phase_seconds_count"), 4);
  EXPECT_EQ(m.Get("xatm_commit_seconds_bucket", {{"le", "+Inf"}}), 6);
  // The no vote, and the commit on b left unfinished.
  EXPECT_EQ(m.Get("xatm_resource_errors_total",
                  {{"resource", "b"}, {"code", "ABORTED"}}),
            1);
  EXPECT_EQ(m.Get("xatm_resource_errors_total",
                  {{"resource", "b"}, {"code", "UNAVAILABLE"}}),
            1);
  EXPECT_EQ(m.Get("xatm_resource_errors_total",
                  {{"resource", "a"}, {"code", "UNAVAILABLE"}}),
            0);
  EXPECT_EQ(m.Get("xatm_log_failed"), 0);
}

TEST_F(MetricsTest, AFailedDecisionLogIsInDoubtAndRaisesTheGauge) {
  auto txn = tm_->Begin();
  ASSERT_TRUE((*txn)->Enlist("a").ok());
  ASSERT_TRUE((*txn)->Enlist("b").ok());
  log_->FailAppends(Status::Internal("fdatasync: EIO"));
  EXPECT_EQ((*txn)->Commit().code(), StatusCode::kUnknownOutcome);
  EXPECT_EQ(Value("xatm_transactions_total", {{"outcome", "in_doubt"}}), 1);
  // The fake log says it failed; the manager notices at the next Begin.
  EXPECT_FALSE(tm_->Begin().ok());
  EXPECT_EQ(Value("xatm_log_failed"), 1);
}

TEST_F(MetricsTest, CountsWhatEachSweepPassDid) {
  // Decided commit, branches on a and b: both committed.
  Xid decided = OldXid(60'000, 1);
  a_->AddPrepared(decided);
  b_->AddPrepared(decided);
  ASSERT_TRUE(log_->LogCommit(decided.Gtrid(), {"a", "b"}, 0).ok());
  // No decision, old: rolled back.
  a_->AddPrepared(OldXid(60'000, 2));
  // No decision, 3 s old: left for later, in doubt.
  b_->AddPrepared(OldXid(3'000, 3));
  // Decided commit, the branch on a rolled back by hand: heuristic.
  Xid lost = OldXid(60'000, 4);
  b_->AddPrepared(lost);
  ASSERT_TRUE(log_->LogCommit(lost.Gtrid(), {"a", "b"}, 0).ok());
  a_->script().outcome = BranchOutcome::kNotCommitted;

  SweeperOptions options;
  options.grace_period_ms = 10'000;
  SweepResult r = Sweeper(tm_.get(), options).SweepOnce();
  ASSERT_EQ(r.heuristics, 1) << r.Summary();

  MetricSamples m = Collect();
  auto action = [&](const char* a) {
    return m.Get("xatm_recovery_branches_total", {{"action", a}}).value_or(-1);
  };
  EXPECT_EQ(action("found"), 5);
  EXPECT_EQ(action("committed"), 3);  // decided's two and lost's b
  EXPECT_EQ(action("rolled_back"), 1);
  EXPECT_EQ(action("deferred"), 1);
  EXPECT_EQ(m.Get("xatm_heuristic_outcomes_total"), 1);
  EXPECT_EQ(m.Get("xatm_in_doubt_branches"), 1);
  EXPECT_EQ(m.Get("xatm_in_doubt_oldest_age_seconds"), 3);

  // Ten seconds on, the young one is old enough: rolled back, none left.
  clock_.now_ms += 10'000;
  Sweeper(tm_.get(), options).SweepOnce();
  m = Collect();
  EXPECT_EQ(m.Get("xatm_recovery_branches_total", {{"action", "found"}}), 6);
  EXPECT_EQ(m.Get("xatm_recovery_branches_total", {{"action", "rolled_back"}}),
            2);
  EXPECT_EQ(m.Get("xatm_in_doubt_branches"), 0);
  EXPECT_EQ(m.Get("xatm_in_doubt_oldest_age_seconds"), 0);
}

TEST(DecisionLogMetricsTest, CountsSyncsRecordsPerSyncAndTheFailure) {
  testing::FaultFileSystem fs;
  DecisionLogOptions options;
  options.fs = &fs;
  options.node_id = "n1";
  options.create_if_missing = true;
  auto log = DecisionLog::Open("/log", options);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  Metrics metrics;
  (*log)->AttachMetrics(&metrics);
  const std::vector<std::string> both = {"a", "b"};
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE((*log)->LogCommit("g" + std::to_string(i), both, i).ok());
  }
  ASSERT_TRUE((*log)->LogEnd("g1", 4).ok());  // rides with the next COMMIT
  ASSERT_TRUE((*log)->LogCommit("g4", both, 5).ok());
  MetricSamples m = Serialize(metrics);
  EXPECT_EQ(m.Get("xatm_log_syncs_total"), 4);
  EXPECT_EQ(m.Get("xatm_log_records_per_sync_count"), 4);
  EXPECT_EQ(m.Get("xatm_log_records_per_sync_sum"), 5);
  EXPECT_EQ(m.Get("xatm_log_records_per_sync_bucket", {{"le", "1"}}), 3);
  EXPECT_EQ(m.Get("xatm_log_failed"), 0);

  fs.FailSyncAt(1);
  EXPECT_FALSE((*log)->LogCommit("g5", both, 6).ok());
  m = Serialize(metrics);
  EXPECT_EQ(m.Get("xatm_log_failed"), 1);
  EXPECT_EQ(m.Get("xatm_log_syncs_total"), 4);  // the failed one is not
}

TEST_F(MetricsTest, TwoManagersOnOneRegistryShareTheFamilies) {
  auto registry = std::make_shared<prometheus::Registry>();
  Metrics first(registry);
  Metrics second(registry);
  first.CountOutcome(Metrics::Outcome::kCommitted);
  second.CountOutcome(Metrics::Outcome::kCommitted);
  first.ForResource("pg")->connection_failures->Increment();
  EXPECT_EQ(second.ForResource("pg"), second.ForResource("pg"));
  Result<MetricSamples> m = MetricSamples::Parse(
      prometheus::TextSerializer().Serialize(registry->Collect()));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->Get("xatm_transactions_total", {{"outcome", "committed"}}), 2);
  EXPECT_EQ(
      m->Get("xatm_resource_connection_failures_total", {{"resource", "pg"}}),
      1);
}

}  // namespace
}  // namespace xatm
