// The saga tables against the real servers, for each dialect: barrier rows
// decide what runs (an action at most once, never after its compensation,
// a concurrent insert waited for) and are pruned by age and id prefix; the
// journal in the decision store round-trips records, lists the unfinished
// ones, fences saves on the driving node, moves a saga by Claim, and prunes
// final records by age.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/test_env.h"
#include "tm/saga/database_saga_journal.h"
#include "xatm/resource_factory.h"
#include "xatm/saga_barrier.h"
#include "xatm/saga_record.h"

namespace xatm {
namespace {

using std::chrono::milliseconds;

class SagaStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ResourceConfig config = GetParam() == "pg"
                                ? testing::PostgresTestConfig("pg")
                                : testing::MysqlTestConfig("my");
    config.lock_timeout_ms = 3000;
    Result<std::shared_ptr<Resource>> r = MakeResource(config);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    resource_ = *r;
    Status s = CreateSagaBarrierTable(*resource_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = DatabaseSagaJournal::CreateTable(*resource_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    journal_ = std::make_unique<DatabaseSagaJournal>(resource_);
  }

  // Every row of this run, whatever a case left.
  void TearDown() override {
    if (resource_ == nullptr) return;
    for (const char* table : {"xatm_saga_barrier", "xatm_sagas"}) {
      Status s = resource_->ExecuteLocal(
          std::string("DELETE FROM ") + table + " WHERE saga_id LIKE ?",
          {"%" + Run() + "%"});
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
  }

  // In every id of this run: hex, so no LIKE wildcard.
  static const std::string& Run() {
    static const std::string run = testing::RandomHex(10);
    return run;
  }
  static std::string Id(const std::string& name) {
    return "sg-" + Run() + "-" + name;
  }
  bool Postgres() const { return resource_->type() == "postgresql"; }

  std::unique_ptr<Branch> Local() {
    Result<std::unique_ptr<Branch>> b = resource_->BeginLocal();
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? std::move(b).value() : nullptr;
  }

  Result<bool> Insert(Branch& branch, const std::string& saga_id,
                      const std::string& step, BarrierOp op) {
    return InsertBarrier(branch, resource_->type(), saga_id, step, op);
  }

  // Inserts the row in a transaction of its own: whether it was new.
  bool InsertCommitted(const std::string& saga_id, const std::string& step,
                       BarrierOp op) {
    std::unique_ptr<Branch> b = Local();
    if (b == nullptr) return false;
    Result<bool> inserted = Insert(*b, saga_id, step, op);
    EXPECT_TRUE(inserted.ok()) << inserted.status().ToString();
    Status committed = b->CommitOnePhase();
    EXPECT_TRUE(committed.ok()) << committed.ToString();
    return inserted.ok() && *inserted;
  }

  // "step/op" of the saga's committed rows, in the table's order.
  std::vector<std::string> Barriers(const std::string& saga_id) {
    Result<std::vector<BarrierRow>> rows = ReadBarriers(*resource_, saga_id);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    if (!rows.ok()) return out;
    for (const BarrierRow& row : *rows) {
      out.push_back(row.step + "/" + BarrierOpName(row.op));
    }
    return out;
  }

  // Moves a column of the saga's rows two hours back.
  void Age(const std::string& table, const std::string& column,
           const std::string& saga_id) {
    const std::string older = Postgres()
                                  ? column + " - interval '2 hours'"
                                  : "TIMESTAMPADD(HOUR, -2, " + column + ")";
    Status s = resource_->ExecuteLocal("UPDATE " + table + " SET " + column +
                                           " = " + older + " WHERE saga_id = ?",
                                       {saga_id});
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  static SagaRecord Record(const std::string& id, const std::string& node,
                           SagaPhase phase = SagaPhase::kForward) {
    SagaStep debit;
    debit.name = "debit";
    debit.resource = "pg";
    SqlCall call;
    call.sql = "UPDATE accounts SET balance = balance - ? WHERE id = ?";
    call.params = {"10.00", "alice"};
    call.expected_rows = 1;
    debit.action.push_back(call);
    call.sql = "UPDATE accounts SET balance = balance + ? WHERE id = ?";
    debit.compensation.push_back(call);
    SagaStep notify;
    notify.name = "notify";
    notify.service = "mail";
    notify.payload = "{\"to\":\"alice\"}";
    SagaRecord r;
    r.id = id;
    r.node = node;
    r.definition.name = "transfer";
    r.definition.stages = {{debit}, {notify}};
    r.phase = phase;
    r.steps = {StepPhase::kDone, StepPhase::kPending};
    r.begun_ms = 1700000000000;
    r.updated_ms = 1700000000123;
    r.reason = "because";
    return r;
  }

  // The record column as stored (not corrected by the node column).
  std::optional<SagaRecord> Stored(const std::string& id) {
    Result<std::vector<Row>> rows = resource_->QueryLocal(
        "SELECT record FROM xatm_sagas WHERE saga_id = ?", {id});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok() || rows->empty()) return std::nullopt;
    Result<SagaRecord> r = DecodeSagaRecord(rows->front()[0].value_or(""));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return std::nullopt;
    return *r;
  }

  std::shared_ptr<Resource> resource_;
  std::unique_ptr<DatabaseSagaJournal> journal_;
};

// --- barrier ---

TEST_P(SagaStoreTest, AnActionIsInsertedOnce) {
  const std::string id = Id("twice");
  EXPECT_TRUE(InsertCommitted(id, "debit", BarrierOp::kAction));
  EXPECT_FALSE(InsertCommitted(id, "debit", BarrierOp::kAction));
  // Another step or operation is another row.
  EXPECT_TRUE(InsertCommitted(id, "credit", BarrierOp::kAction));
  EXPECT_TRUE(InsertCommitted(id, "debit", BarrierOp::kCompensation));
}

TEST_P(SagaStoreTest, ACompensationFirstStopsTheAction) {
  const std::string id = Id("compfirst");
  std::unique_ptr<Branch> compensation = Local();
  ASSERT_NE(compensation, nullptr);
  Result<bool> action_row =
      Insert(*compensation, id, "debit", BarrierOp::kAction);
  ASSERT_TRUE(action_row.ok()) << action_row.status().ToString();
  EXPECT_TRUE(*action_row) << "the action had not run: a null compensation";
  Result<bool> own =
      Insert(*compensation, id, "debit", BarrierOp::kCompensation);
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_TRUE(*own);
  ASSERT_TRUE(compensation->CommitOnePhase().ok());
  EXPECT_FALSE(InsertCommitted(id, "debit", BarrierOp::kAction))
      << "an action ran after its compensation";
  EXPECT_FALSE(InsertCommitted(id, "debit", BarrierOp::kCompensation));
}

TEST_P(SagaStoreTest, ARolledBackInsertLeavesNoRow) {
  const std::string id = Id("rollback");
  std::unique_ptr<Branch> b = Local();
  ASSERT_NE(b, nullptr);
  Result<bool> inserted = Insert(*b, id, "debit", BarrierOp::kAction);
  ASSERT_TRUE(inserted.ok()) << inserted.status().ToString();
  EXPECT_TRUE(*inserted);
  ASSERT_TRUE(b->Rollback().ok());
  EXPECT_TRUE(Barriers(id).empty());
  EXPECT_TRUE(InsertCommitted(id, "debit", BarrierOp::kAction));
}

TEST_P(SagaStoreTest, AConcurrentInsertWaitsAndFindsTheCommittedRow) {
  const std::string id = Id("race");
  std::unique_ptr<Branch> first = Local();
  ASSERT_NE(first, nullptr);
  Result<bool> mine = Insert(*first, id, "debit", BarrierOp::kAction);
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  ASSERT_TRUE(*mine);
  std::unique_ptr<Branch> second = Local();
  ASSERT_NE(second, nullptr);
  auto theirs = std::async(std::launch::async, [&] {
    return Insert(*second, id, "debit", BarrierOp::kAction);
  });
  EXPECT_EQ(theirs.wait_for(milliseconds(500)), std::future_status::timeout)
      << "the second insert did not wait for the first";
  ASSERT_TRUE(first->CommitOnePhase().ok());
  Result<bool> second_inserted = theirs.get();
  ASSERT_TRUE(second_inserted.ok()) << second_inserted.status().ToString();
  EXPECT_FALSE(*second_inserted) << "both drivers ran the action";
  EXPECT_TRUE(second->Rollback().ok());
}

TEST_P(SagaStoreTest, AConcurrentInsertTakesOverARolledBackOne) {
  const std::string id = Id("race-rb");
  std::unique_ptr<Branch> first = Local();
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(Insert(*first, id, "debit", BarrierOp::kAction).ok());
  std::unique_ptr<Branch> second = Local();
  ASSERT_NE(second, nullptr);
  auto theirs = std::async(std::launch::async, [&] {
    return Insert(*second, id, "debit", BarrierOp::kAction);
  });
  EXPECT_EQ(theirs.wait_for(milliseconds(500)), std::future_status::timeout);
  ASSERT_TRUE(first->Rollback().ok());
  Result<bool> second_inserted = theirs.get();
  ASSERT_TRUE(second_inserted.ok()) << second_inserted.status().ToString();
  EXPECT_TRUE(*second_inserted);
  ASSERT_TRUE(second->CommitOnePhase().ok());
  EXPECT_EQ(Barriers(id), std::vector<std::string>{"debit/action"});
}

TEST_P(SagaStoreTest, TooLongIdsAreRefusedNotTruncated) {
  std::string id = Id("long-");
  id.resize(64, 'x');
  std::unique_ptr<Branch> b = Local();
  ASSERT_NE(b, nullptr);
  Result<bool> longest =
      Insert(*b, id, std::string(32, 's'), BarrierOp::kAction);
  ASSERT_TRUE(longest.ok()) << longest.status().ToString();
  EXPECT_TRUE(*longest);
  Result<bool> too_long = Insert(*b, id + "y", "debit", BarrierOp::kAction);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), StatusCode::kInvalidArgument);
  Result<bool> long_step =
      Insert(*b, id, std::string(33, 's'), BarrierOp::kAction);
  ASSERT_FALSE(long_step.ok());
  EXPECT_EQ(long_step.status().code(), StatusCode::kInvalidArgument);
  Result<bool> blank = Insert(*b, id, "debit ", BarrierOp::kAction);
  ASSERT_FALSE(blank.ok());
  EXPECT_EQ(blank.status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(b->CommitOnePhase().ok());
  // Truncated to 64, the 65-character id would have found this row.
  EXPECT_EQ(Barriers(id),
            std::vector<std::string>{std::string(32, 's') + "/action"});
}

TEST_P(SagaStoreTest, ReadBarriersListsCommittedRowsOnly) {
  const std::string id = Id("read");
  ASSERT_TRUE(InsertCommitted(id, "b", BarrierOp::kAction));
  ASSERT_TRUE(InsertCommitted(id, "a", BarrierOp::kAction));
  ASSERT_TRUE(InsertCommitted(id, "a", BarrierOp::kCompensation));
  ASSERT_TRUE(InsertCommitted(Id("read-other"), "c", BarrierOp::kAction));
  std::unique_ptr<Branch> open = Local();
  ASSERT_NE(open, nullptr);
  ASSERT_TRUE(Insert(*open, id, "c", BarrierOp::kAction).ok());
  EXPECT_EQ(Barriers(id), (std::vector<std::string>{
                              "a/action", "a/compensation", "b/action"}));
  EXPECT_TRUE(open->Rollback().ok());
}

TEST_P(SagaStoreTest, PruneDeletesOldRowsOfThePrefixOnly) {
  // The '_' of the prefix must match only itself: "pr_R:" is not "prXR:".
  const std::string prefix = "pr_" + Run() + ":";
  const std::string old_id = prefix + "old";
  const std::string kept_id = prefix + "kept";
  const std::string fresh_id = prefix + "fresh";
  const std::string wildcard_id = "prX" + Run() + ":old";
  const std::string other_id = "qq" + Run() + ":old";
  for (const std::string& id :
       {old_id, kept_id, fresh_id, wildcard_id, other_id}) {
    ASSERT_TRUE(InsertCommitted(id, "s", BarrierOp::kAction));
    if (id != fresh_id) Age("xatm_saga_barrier", "created_at", id);
  }
  Status pruned = PruneSagaBarriers(*resource_, 3600, prefix, {kept_id});
  ASSERT_TRUE(pruned.ok()) << pruned.ToString();
  EXPECT_TRUE(Barriers(old_id).empty()) << "an old row was not pruned";
  EXPECT_EQ(Barriers(kept_id).size(), 1u) << "a kept saga lost its row";
  EXPECT_EQ(Barriers(fresh_id).size(), 1u) << "a fresh row was pruned";
  EXPECT_EQ(Barriers(wildcard_id).size(), 1u) << "'_' matched as a wildcard";
  EXPECT_EQ(Barriers(other_id).size(), 1u) << "another prefix was pruned";

  Status bad = PruneSagaBarriers(*resource_, 0, prefix, {});
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  // Without `keep`, the kept saga's old row goes too.
  ASSERT_TRUE(PruneSagaBarriers(*resource_, 3600, prefix, {}).ok());
  EXPECT_TRUE(Barriers(kept_id).empty());
  EXPECT_EQ(Barriers(fresh_id).size(), 1u);
}

// --- journal ---

TEST_P(SagaStoreTest, SaveThenFindRoundTripsTheRecord) {
  EXPECT_TRUE(journal_->shared());
  const SagaRecord r = Record(Id("find"), "nodeA");
  ASSERT_TRUE(journal_->Save(r, /*forced=*/true).ok());
  Result<std::optional<SagaRecord>> found = journal_->Find(r.id);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(EncodeSagaRecord(**found), EncodeSagaRecord(r));

  SagaRecord later = r;
  later.phase = SagaPhase::kCompensating;
  later.steps = {StepPhase::kCompensated, StepPhase::kFailed};
  Status saved = journal_->Save(later, /*forced=*/false);
  ASSERT_TRUE(saved.ok()) << saved.ToString();
  found = journal_->Find(r.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(EncodeSagaRecord(**found), EncodeSagaRecord(later));

  Result<std::optional<SagaRecord>> missing = journal_->Find(Id("none"));
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_FALSE(missing->has_value());
}

TEST_P(SagaStoreTest, UnfinishedListsTheSagasNotInAFinalPhase) {
  const std::vector<std::pair<std::string, SagaPhase>> sagas = {
      {Id("u1-forward"), SagaPhase::kForward},
      {Id("u2-committed"), SagaPhase::kCommitted},
      {Id("u3-compensating"), SagaPhase::kCompensating},
      {Id("u4-compensated"), SagaPhase::kCompensated},
      {Id("u5-failed"), SagaPhase::kFailedToCompensate},
  };
  for (const auto& [id, phase] : sagas) {
    Status s = journal_->Save(Record(id, "nodeA", phase), true);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  Result<std::vector<SagaRecord>> unfinished = journal_->Unfinished();
  ASSERT_TRUE(unfinished.ok()) << unfinished.status().ToString();
  std::vector<std::string> ours;
  for (const SagaRecord& r : *unfinished) {
    if (r.id.find(Run()) != std::string::npos) ours.push_back(r.id);
  }
  EXPECT_EQ(ours,
            (std::vector<std::string>{Id("u1-forward"), Id("u3-compensating"),
                                      Id("u5-failed")}));
  // A final phase closes it.
  ASSERT_TRUE(
      journal_
          ->Save(Record(Id("u1-forward"), "nodeA", SagaPhase::kCommitted),
                 false)
          .ok());
  unfinished = journal_->Unfinished();
  ASSERT_TRUE(unfinished.ok());
  for (const SagaRecord& r : *unfinished) EXPECT_NE(r.id, Id("u1-forward"));
}

TEST_P(SagaStoreTest, AnotherNodesSaveIsFencedOff) {
  const SagaRecord r = Record(Id("fence"), "nodeA");
  ASSERT_TRUE(journal_->Save(r, true).ok());
  SagaRecord intruder = r;
  intruder.node = "nodeB";
  intruder.phase = SagaPhase::kCompensating;
  Status s = journal_->Save(intruder, true);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("nodeA"), std::string::npos) << s.ToString();
  Result<std::optional<SagaRecord>> found = journal_->Find(r.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(EncodeSagaRecord(**found), EncodeSagaRecord(r))
      << "the fenced save changed the row";
}

TEST_P(SagaStoreTest, AConcurrentFirstSaveOfAnotherNodeIsFencedOff) {
  const std::string id = Id("first");
  const SagaRecord a = Record(id, "nodeA");
  // Node A's first save, inserted but not committed yet.
  std::unique_ptr<Branch> first = Local();
  ASSERT_NE(first, nullptr);
  Result<int64_t> inserted = first->Execute(
      "INSERT INTO xatm_sagas (saga_id, node, phase, record) "
      "VALUES (?, ?, ?, ?)",
      {id, "nodeA", "forward", EncodeSagaRecord(a)});
  ASSERT_TRUE(inserted.ok()) << inserted.status().ToString();
  SagaRecord b = a;
  b.node = "nodeB";
  auto saved =
      std::async(std::launch::async, [&] { return journal_->Save(b, true); });
  EXPECT_EQ(saved.wait_for(milliseconds(500)), std::future_status::timeout)
      << "the second save did not wait for the first";
  ASSERT_TRUE(first->CommitOnePhase().ok());
  Status s = saved.get();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  std::optional<SagaRecord> stored = Stored(id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->node, "nodeA");
}

TEST_P(SagaStoreTest, ClaimMovesTheSagaFromItsDriverOnly) {
  SagaRecord r = Record(Id("claim"), "nodeA");
  ASSERT_TRUE(journal_->Save(r, true).ok());

  Result<bool> wrong = journal_->Claim(r.id, "nodeB", "nodeC");
  ASSERT_TRUE(wrong.ok()) << wrong.status().ToString();
  EXPECT_FALSE(*wrong);
  ASSERT_TRUE(Stored(r.id).has_value());
  EXPECT_EQ(Stored(r.id)->node, "nodeA");

  Result<bool> claimed = journal_->Claim(r.id, "nodeA", "nodeB");
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  EXPECT_TRUE(*claimed);
  std::optional<SagaRecord> stored = Stored(r.id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->node, "nodeB") << "the record still names the old node";
  Result<std::optional<SagaRecord>> found = journal_->Find(r.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->node, "nodeB");
  EXPECT_EQ((*found)->steps, r.steps);

  // The old driver is fenced off; the new one saves.
  r.phase = SagaPhase::kCompensating;
  Status old_save = journal_->Save(r, true);
  EXPECT_EQ(old_save.code(), StatusCode::kFailedPrecondition)
      << old_save.ToString();
  r.node = "nodeB";
  Status new_save = journal_->Save(r, true);
  EXPECT_TRUE(new_save.ok()) << new_save.ToString();

  // A second claim from the old node loses.
  Result<bool> again = journal_->Claim(r.id, "nodeA", "nodeC");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  Result<bool> missing = journal_->Claim(Id("nobody"), "nodeA", "nodeB");
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_FALSE(*missing);
}

TEST_P(SagaStoreTest, PruneDeletesOldFinalRecordsOnly) {
  const std::string old_committed = Id("p-old-committed");
  const std::string old_compensated = Id("p-old-compensated");
  const std::string fresh_committed = Id("p-fresh-committed");
  const std::string old_forward = Id("p-old-forward");
  const std::string old_failed = Id("p-old-failed");
  ASSERT_TRUE(
      journal_
          ->Save(Record(old_committed, "nodeA", SagaPhase::kCommitted), true)
          .ok());
  ASSERT_TRUE(
      journal_
          ->Save(Record(old_compensated, "nodeA", SagaPhase::kCompensated),
                 true)
          .ok());
  ASSERT_TRUE(
      journal_
          ->Save(Record(fresh_committed, "nodeA", SagaPhase::kCommitted), true)
          .ok());
  ASSERT_TRUE(
      journal_->Save(Record(old_forward, "nodeA", SagaPhase::kForward), true)
          .ok());
  ASSERT_TRUE(
      journal_
          ->Save(Record(old_failed, "nodeA", SagaPhase::kFailedToCompensate),
                 true)
          .ok());
  for (const std::string& id :
       {old_committed, old_compensated, old_forward, old_failed}) {
    Age("xatm_sagas", "updated_at", id);
  }
  EXPECT_EQ(journal_->Prune(0).code(), StatusCode::kInvalidArgument);
  Status pruned = journal_->Prune(3600);
  ASSERT_TRUE(pruned.ok()) << pruned.ToString();
  auto present = [&](const std::string& id) {
    Result<std::optional<SagaRecord>> found = journal_->Find(id);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() && found->has_value();
  };
  EXPECT_FALSE(present(old_committed));
  EXPECT_FALSE(present(old_compensated));
  EXPECT_TRUE(present(fresh_committed)) << "a fresh final record was pruned";
  EXPECT_TRUE(present(old_forward)) << "an unfinished saga was pruned";
  EXPECT_TRUE(present(old_failed)) << "a stuck saga was pruned";
}

INSTANTIATE_TEST_SUITE_P(Dialects, SagaStoreTest, ::testing::Values("pg", "my"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace xatm
