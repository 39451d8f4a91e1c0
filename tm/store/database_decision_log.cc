#include "xatm/database_decision_log.h"

#include <chrono>
#include <utility>

#include "tm/crash_point.h"
#include "tm/names.h"
#include "tm/sql_script.h"
#include "tm/store/decision_sql.h"
#include "tm/store/row_values.h"
#include "tm/store/store_identity.h"
#include "xatm/logging.h"
#include "xatm/xid.h"

namespace xatm {
namespace {

using internal::RowInt;

std::string Text(const std::optional<std::string>& text) {
  return text.value_or("");
}

}  // namespace

Result<std::unique_ptr<DatabaseDecisionLog>> DatabaseDecisionLog::Open(
    std::shared_ptr<Resource> resource, DatabaseDecisionLogOptions options) {
  if (resource == nullptr) return Status::InvalidArgument("no resource");
  const std::string context = "decision store '" + resource->name() + "'";
  Result<DecisionSql> sql = DecisionSqlFor(resource->type());
  if (!sql.ok()) return sql.status().WithContext(context);
  Result<std::vector<Row>> probe = resource->QueryLocal(sql->probe_table, {});
  if (!probe.ok()) {
    if (probe.status().code() == StatusCode::kUnavailable) {
      return probe.status().WithContext(context);
    }
    return Status::FailedPrecondition(
        context + ": cannot read table xatm_decisions (run `xatm init`): " +
        probe.status().message());
  }
  Result<std::string> store_id = EnsureStoreId(*resource);
  if (!store_id.ok()) {
    return store_id.status().WithContext(context + ": reading its id");
  }
  Result<std::vector<Row>> settings = resource->QueryLocal(sql->durability, {});
  if (!settings.ok()) {
    return settings.status().WithContext(context +
                                         ": reading its durability settings");
  }
  for (const Row& row : *settings) {
    if (row.size() < 2) continue;
    std::string problem =
        DurabilityProblem(resource->type(), Text(row[0]), Text(row[1]));
    if (!problem.empty()) {
      return Status::FailedPrecondition(context + ": " + problem +
                                        "; refusing to keep decisions there");
    }
  }
  return std::unique_ptr<DatabaseDecisionLog>(new DatabaseDecisionLog(
      std::move(resource), std::move(sql).value(), options, "d" + *store_id));
}

Status DatabaseDecisionLog::CreateTable(Resource& resource) {
  XATM_ASSIGN_OR_RETURN(DecisionSql sql, DecisionSqlFor(resource.type()));
  XATM_RETURN_IF_ERROR(RunSqlScript(resource, sql.create_table));
  return EnsureStoreId(resource).status();
}

Result<std::vector<StoredDecision>> DatabaseDecisionLog::ReadAll(
    Resource& resource) {
  XATM_ASSIGN_OR_RETURN(DecisionSql sql, DecisionSqlFor(resource.type()));
  XATM_ASSIGN_OR_RETURN(std::vector<Row> rows,
                        resource.QueryLocal(sql.select_all, {}));
  std::vector<StoredDecision> all;
  for (const Row& row : rows) {
    if (row.size() < 7) continue;
    StoredDecision d;
    d.gtrid = Text(row[0]);
    d.outcome = Text(row[1]);
    d.resources = SplitNames(Text(row[2]));
    d.node = Text(row[3]);
    d.decided_ms = RowInt(row[4]);
    d.ended = RowInt(row[5]) != 0;
    d.detail = Text(row[6]);
    all.push_back(std::move(d));
  }
  return all;
}

DatabaseDecisionLog::DatabaseDecisionLog(std::shared_ptr<Resource> resource,
                                         DecisionSql sql,
                                         DatabaseDecisionLogOptions options,
                                         std::string home)
    : resource_(std::move(resource)),
      sql_(std::make_unique<const DecisionSql>(std::move(sql))),
      options_(options),
      home_(std::move(home)) {}

DatabaseDecisionLog::~DatabaseDecisionLog() {
  Status s = FlushEnds();
  if (!s.ok()) {
    // Their rows stay; recovery finds every branch committed and ends them.
    Logger()->warn("decision store '{}': finished decisions not deleted: {}",
                   resource_->name(), s.ToString());
  }
}

Status DatabaseDecisionLog::LogCommit(const std::string& gtrid,
                                      const std::vector<std::string>& resources,
                                      int64_t time_ms) {
  Result<std::unique_ptr<Branch>> local = resource_->BeginLocal();
  if (!local.ok()) {
    // Nothing was sent: no decision exists, and none can appear.
    return Status::Aborted("xid=" + gtrid + ": decision store '" +
                           resource_->name() +
                           "' unreachable: " + local.status().message());
  }
  (void)time_ms;  // the row takes the database's clock
  return Decide(**local, gtrid, resources, /*carried=*/false);
}

Status DatabaseDecisionLog::CommitCarrying(
    Branch& branch, const std::string& gtrid,
    const std::vector<std::string>& resources, int64_t time_ms) {
  (void)time_ms;
  return Decide(branch, gtrid, resources, /*carried=*/true);
}

Status DatabaseDecisionLog::Decide(Branch& branch, const std::string& gtrid,
                                   const std::vector<std::string>& resources,
                                   bool carried) {
  const std::string context =
      "xid=" + gtrid + ": COMMIT decision on '" + resource_->name() + "'";
  Status committed = InsertAndCommit(branch, gtrid, resources);
  if (committed.ok()) return committed;
  if (committed.code() == StatusCode::kAborted) {
    // A unique violation (recovery's abort row is there), the too-late
    // check, or any failure of the branch: this row was not written. But
    // an operator may have decided commit meanwhile (resolve --commit):
    // then the others must never be rolled back.
    Result<std::optional<std::string>> outcome = OutcomeOf(gtrid);
    const bool commit_exists = outcome.ok() && *outcome == "commit";
    if (!commit_exists) {
      return Status::Aborted(context + " not made: " + committed.message());
    }
    if (!carried) return Status::Ok();
    return Status::UnknownOutcome(
        context + ": this branch rolled back (" + committed.message() +
        "), yet a COMMIT decision for the transaction exists (made by hand?): "
        "the others are left to recovery");
  }
  // The answer was lost. The fence settles it: it waits while the commit
  // may still land, then records abort unless the COMMIT row is there.
  Logger()->warn(
      "xid={} answer to the decision commit on {} lost ({}): "
      "settling it through the decision table",
      gtrid, resource_->name(), committed.message());
  Result<bool> aborted = ClaimAbort(gtrid);
  if (!aborted.ok()) {
    return Status::UnknownOutcome(
        context + ": answer lost (" + committed.message() +
        ") and the table cannot be read now (" + aborted.status().message() +
        "); recovery decides");
  }
  if (*aborted) {
    return Status::Aborted(context + ": answer lost (" + committed.message() +
                           "); the commit did not take effect, abort "
                           "recorded");
  }
  Logger()->info("xid={} decision commit on {} confirmed from its row", gtrid,
                 resource_->name());
  return Status::Ok();
}

Status DatabaseDecisionLog::InsertAndCommit(
    Branch& branch, const std::string& gtrid,
    const std::vector<std::string>& resources) {
  Result<Xid> xid = Xid::ParseGtrid(gtrid);
  if (!xid.ok()) {
    (void)branch.Rollback();
    return Status::Aborted(xid.status().message());
  }
  const std::vector<std::string> params = {
      gtrid, std::to_string(xid->begin_ms),
      std::to_string(options_.decide_within_ms), JoinNames(resources),
      xid->node};
  // The row normally goes out in the same round trip as the COMMIT; a test
  // that holds the coordinator between the two sends it alone.
  Status sent;
  if (CrashPointArmed("decision-inserted")) {
    Result<int64_t> inserted = branch.Execute(sql_->insert_commit, params);
    sent = inserted.status();
    if (sent.ok()) CrashPoint("decision-inserted");
  } else {
    sent = branch.ExecuteDeferred(sql_->insert_commit, params);
  }
  if (!sent.ok()) {
    // Nothing was committed: the branch rolls back whole.
    (void)branch.Rollback();
    return Status::Aborted("refused: " + sent.message());
  }
  return branch.CommitOnePhase();
}

Result<std::optional<std::string>> DatabaseDecisionLog::OutcomeOf(
    const std::string& gtrid) const {
  XATM_ASSIGN_OR_RETURN(std::vector<Row> rows,
                        resource_->QueryLocal(sql_->select_outcome, {gtrid}));
  if (rows.empty() || rows.front().empty()) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(Text(rows.front()[0]));
}

Result<bool> DatabaseDecisionLog::ClaimAbort(const std::string& gtrid) {
  XATM_ASSIGN_OR_RETURN(Xid xid, Xid::ParseGtrid(gtrid));
  Status fenced =
      resource_->ExecuteLocal(sql_->insert_abort_if_absent, {gtrid, xid.node});
  if (!fenced.ok()) {
    // A lock wait timeout (a coordinator holding its uncommitted COMMIT
    // row), a deadlock or an unreachable server: try again later.
    return fenced.WithContext("xid=" + gtrid + ": abort fence on '" +
                              resource_->name() + "'");
  }
  Result<std::optional<std::string>> outcome = OutcomeOf(gtrid);
  if (!outcome.ok()) {
    return outcome.status().WithContext("xid=" + gtrid + ": reading the fence");
  }
  if (!outcome->has_value()) {
    // Pruned between the two statements: impossible for a fresh row.
    return Status::Unavailable("xid=" + gtrid + ": no row after the fence");
  }
  if (**outcome == "abort") return true;
  if (**outcome == "commit") return false;
  return Status::DataLoss("xid=" + gtrid + ": decision row says '" + **outcome +
                          "'");
}

Status DatabaseDecisionLog::LogCommitAfterTheFact(
    const std::string& gtrid, const std::vector<std::string>& resources,
    int64_t time_ms) {
  (void)time_ms;  // the row takes the database's clock
  const std::string context =
      "xid=" + gtrid + ": COMMIT decision on '" + resource_->name() + "'";
  Result<Xid> xid = Xid::ParseGtrid(gtrid);
  if (!xid.ok()) return xid.status().WithContext(context);
  Status inserted =
      resource_->ExecuteLocal(sql_->insert_commit_after_the_fact,
                              {gtrid, JoinNames(resources), xid->node});
  if (inserted.ok()) return inserted;
  // A row for the gtrid exists (the key refused this one), or the store
  // failed: the row, if any, tells which.
  Result<std::optional<std::string>> row = OutcomeOf(gtrid);
  if (!row.ok() || !row->has_value()) return inserted.WithContext(context);
  const std::string& outcome = **row;
  if (outcome == "commit") return Status::Ok();
  if (outcome == "abort") {
    return Status::FailedPrecondition(
        context +
        " refused: abort is recorded for it there (branches may "
        "already be rolled back), so it can never commit");
  }
  return Status::DataLoss(context + ": the row says '" + outcome + "'");
}

Status DatabaseDecisionLog::WithdrawAbort(
    const std::string& gtrid, const std::vector<std::string>& resources,
    int64_t time_ms) {
  (void)time_ms;  // the row keeps the fence's time
  const std::string context =
      "xid=" + gtrid + ": withdrawing the abort on '" + resource_->name() + "'";
  Status updated = resource_->ExecuteLocal(sql_->withdraw_abort,
                                           {JoinNames(resources), gtrid});
  if (!updated.ok()) return updated.WithContext(context);
  Result<std::optional<std::string>> outcome = OutcomeOf(gtrid);
  if (!outcome.ok()) return outcome.status().WithContext(context);
  if (!outcome->has_value()) {
    return Status::FailedPrecondition(context + ": the gtrid has no row");
  }
  if (**outcome == "commit") return Status::Ok();
  return Status::DataLoss(context + ": the row says '" + **outcome + "'");
}

Result<std::vector<DecisionRecord>> DatabaseDecisionLog::ReadOpen(
    const std::string& sql, const std::vector<std::string>& params) const {
  Result<std::vector<Row>> rows = resource_->QueryLocal(sql, params);
  if (!rows.ok()) {
    return rows.status().WithContext("decision store '" + resource_->name() +
                                     "' unreadable");
  }
  std::vector<DecisionRecord> open;
  for (const Row& row : *rows) {
    if (row.size() < 3) continue;
    DecisionRecord d;
    d.type = RecordType::kCommit;
    d.gtrid = Text(row[0]);
    if (EndQueued(d.gtrid)) continue;
    d.resources = SplitNames(Text(row[1]));
    d.time_ms = RowInt(row[2]);
    open.push_back(std::move(d));
  }
  return open;
}

std::vector<DecisionRecord> DatabaseDecisionLog::OpenCommits() const {
  Result<std::vector<DecisionRecord>> open = ReadOpenCommits();
  if (!open.ok()) {
    Logger()->warn("{}", open.status().ToString());
    return {};
  }
  return std::move(open).value();
}

Result<std::vector<DecisionRecord>> DatabaseDecisionLog::ReadOpenCommits()
    const {
  return ReadOpen(sql_->select_open, {});
}

std::optional<DecisionRecord> DatabaseDecisionLog::FindOpenCommit(
    const std::string& gtrid) const {
  Result<std::vector<DecisionRecord>> found =
      ReadOpen(sql_->select_open_one, {gtrid});
  if (!found.ok()) {
    Logger()->warn("{}", found.status().ToString());
    return std::nullopt;
  }
  if (found->empty()) return std::nullopt;
  return std::move(found->front());
}

bool DatabaseDecisionLog::HasCommitHistory(const std::string& gtrid) const {
  Result<std::vector<Row>> rows =
      resource_->QueryLocal(sql_->select_commit_history, {gtrid});
  // Unreadable reads as "none": recovery fences next, which asks again.
  return rows.ok() && !rows->empty();
}

Status DatabaseDecisionLog::LogEnd(const std::string& gtrid, int64_t time_ms,
                                   EndOrigin origin) {
  (void)time_ms;
  if (origin == EndOrigin::kRecovery) {
    return resource_->ExecuteLocal(sql_->mark_ended, {gtrid});
  }
  {
    std::lock_guard<std::mutex> lock(ends_mu_);
    queued_ends_.insert(gtrid);
    if (queued_ends_.size() < options_.delete_batch) return Status::Ok();
  }
  return FlushEnds(options_.delete_batch);
}

bool DatabaseDecisionLog::EndQueued(const std::string& gtrid) const {
  std::lock_guard<std::mutex> lock(ends_mu_);
  return queued_ends_.count(gtrid) != 0 || deleting_ends_.count(gtrid) != 0;
}

Status DatabaseDecisionLog::FlushEnds(size_t most) {
  // Claimed under the lock: coordinators ending while this DELETE is under
  // way queue theirs for the next one instead of deleting the same rows
  // again (and waiting for this one's row locks). A full batch is always
  // the same statement, parsed once per connection.
  std::vector<std::string> batch;
  {
    std::lock_guard<std::mutex> lock(ends_mu_);
    for (auto it = queued_ends_.begin();
         it != queued_ends_.end() && (most == 0 || batch.size() < most);
         it = queued_ends_.erase(it)) {
      batch.push_back(*it);
      deleting_ends_.insert(*it);
    }
  }
  if (batch.empty()) return Status::Ok();
  std::string sql = sql_->delete_commits_prefix;
  for (size_t i = 0; i < batch.size(); ++i) sql += i == 0 ? "?" : ", ?";
  sql += ")";
  Status s = resource_->ExecuteLocal(sql, batch);
  std::lock_guard<std::mutex> lock(ends_mu_);
  for (const auto& gtrid : batch) {
    deleting_ends_.erase(gtrid);
    if (!s.ok()) queued_ends_.insert(gtrid);  // for a later flush
  }
  return s.ok() ? s : s.WithContext("deleting finished decisions");
}

Status DatabaseDecisionLog::LogHeuristic(
    const std::string& gtrid, const std::vector<std::string>& resources,
    const std::string& detail, int64_t time_ms) {
  (void)resources, (void)time_ms;
  return resource_->ExecuteLocal(sql_->set_detail, {detail, gtrid});
}

Status DatabaseDecisionLog::Prune() {
  Status ends = FlushEnds();
  // Rows become prunable only after retention_s: a sweep every few seconds
  // need not scan the table each time.
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count();
  const int64_t last_ms = last_prune_ms_.load();
  Status pruned;
  if (last_ms < 0 ||
      now_ms - last_ms >=
          std::chrono::duration_cast<std::chrono::milliseconds>(kPruneInterval)
              .count()) {
    pruned = resource_->ExecuteLocal(sql_->prune,
                                     {std::to_string(options_.retention_s)});
    if (pruned.ok()) last_prune_ms_.store(now_ms);
  }
  if (!ends.ok()) return ends;
  return pruned;
}

}  // namespace xatm
