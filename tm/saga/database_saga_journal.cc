#include "tm/saga/database_saga_journal.h"

#include <utility>

#include "tm/saga/committed_statement.h"
#include "tm/saga/saga_table_sql.h"
#include "tm/sql_script.h"

namespace xatm {
namespace {

using internal::ExecuteCommitted;

// The row is locked before it is written: a Save or Claim of another node
// waits here, then sees the node it must obey.
constexpr char kLockRow[] =
    "SELECT node, record FROM xatm_sagas WHERE saga_id = ? FOR UPDATE";
constexpr char kSelectNode[] = "SELECT node FROM xatm_sagas WHERE saga_id = ?";
constexpr char kSelectOne[] =
    "SELECT saga_id, node, record FROM xatm_sagas WHERE saga_id = ?";
// The final phases are SagaPhaseName(kCommitted) and (kCompensated); the
// literals match PostgreSQL's partial index (sql/sagas-postgresql.sql).
constexpr char kSelectUnfinished[] =
    "SELECT saga_id, node, record FROM xatm_sagas "
    "WHERE phase NOT IN ('committed', 'compensated') "
    "ORDER BY begun_at, saga_id";
constexpr char kInsert[] =
    "INSERT INTO xatm_sagas (saga_id, node, phase, record) "
    "VALUES (?, ?, ?, ?)";
constexpr char kPostgresqlUpdate[] =
    "UPDATE xatm_sagas SET node = ?, phase = ?, record = ?, "
    "updated_at = clock_timestamp() WHERE saga_id = ? AND node = ?";
// updated_at is a UTC DATETIME (sql/sagas-mysql.sql).
constexpr char kMysqlUpdate[] =
    "UPDATE xatm_sagas SET node = ?, phase = ?, record = ?, "
    "updated_at = UTC_TIMESTAMP(3) WHERE saga_id = ? AND node = ?";
// Final records deleted by one statement: short transactions, short locks.
constexpr int64_t kPruneBatch = 1000;
constexpr char kPostgresqlPrune[] =
    "DELETE FROM xatm_sagas WHERE saga_id IN (SELECT saga_id FROM xatm_sagas "
    "WHERE phase IN ('committed', 'compensated') AND updated_at < "
    "clock_timestamp() - CAST(? AS bigint) * interval '1 second' LIMIT ";
constexpr char kMysqlPrune[] =
    "DELETE FROM xatm_sagas WHERE phase IN ('committed', 'compensated') AND "
    "updated_at < TIMESTAMPADD(SECOND, -CAST(? AS SIGNED), UTC_TIMESTAMP(3)) "
    "LIMIT ";

// Printable ASCII without blanks, 1 to `max` bytes: kept by the column as
// it is (MariaDB's PAD SPACE collation would ignore a trailing blank).
Status CheckName(const std::string& what, const std::string& value,
                 size_t max) {
  bool plain = !value.empty() && value.size() <= max;
  for (char c : value) plain = plain && c > ' ' && c <= '~';
  if (plain) return Status::Ok();
  return Status::InvalidArgument(what + " must be 1 to " + std::to_string(max) +
                                 " printable ASCII characters without blanks "
                                 "(got " +
                                 std::to_string(value.size()) + " bytes)");
}

Status CheckIds(const std::string& id, const std::string& node) {
  XATM_RETURN_IF_ERROR(CheckName("saga id", id, 64));
  return CheckName("saga " + id + ": node id", node, 16);
}

Status DrivenElsewhere(const std::string& id, const std::string& now,
                       const std::string& claimed) {
  return Status::FailedPrecondition("saga " + id + " is driven by node " + now +
                                    " now, not " + claimed);
}

std::string Text(const std::optional<std::string>& value) {
  return value.value_or("");
}

// A row (saga_id, node, record) as a record. The node column is the fence
// and wins over the record's copy.
Result<SagaRecord> FromRow(const Row& row, const std::string& store) {
  if (row.size() < 3) return Status::Internal("short saga row");
  const std::string id = Text(row[0]);
  Result<SagaRecord> record = DecodeSagaRecord(Text(row[2]));
  if (!record.ok()) {
    return Status::DataLoss("saga " + id + ": record in '" + store +
                            "' unreadable: " + record.status().message());
  }
  if (record->id != id) {
    return Status::DataLoss("saga " + id + ": the record in '" + store +
                            "' is of saga " + record->id);
  }
  record->node = Text(row[1]);
  return record;
}

}  // namespace

DatabaseSagaJournal::DatabaseSagaJournal(std::shared_ptr<Resource> resource)
    : owned_(std::move(resource)), resource_(owned_.get()) {}

DatabaseSagaJournal::DatabaseSagaJournal(Resource* resource)
    : resource_(resource) {}

Status DatabaseSagaJournal::CreateTable(Resource& resource) {
  const char* script = resource.type() == "postgresql"
                           ? internal::kPostgresqlSagasSql
                       : resource.type() == "mysql" ? internal::kMysqlSagasSql
                                                    : nullptr;
  if (script == nullptr) {
    return Status::InvalidArgument("no saga table for resource type '" +
                                   resource.type() + "'");
  }
  return RunSqlScript(resource, script);
}

Status DatabaseSagaJournal::CheckType() const {
  if (resource_ == nullptr) return Status::InvalidArgument("no resource");
  if (resource_->type() == "postgresql" || resource_->type() == "mysql") {
    return Status::Ok();
  }
  return Status::InvalidArgument("no saga journal for resource type '" +
                                 resource_->type() + "'");
}

Status DatabaseSagaJournal::Save(const SagaRecord& record, bool forced) {
  XATM_RETURN_IF_ERROR(CheckType());
  XATM_RETURN_IF_ERROR(CheckIds(record.id, record.node));
  const std::string text = EncodeSagaRecord(record);
  // The usual case in one round trip: the row's insert (a new saga) or its
  // fenced update, checked by its count and sent with the COMMIT. Any
  // surprise rolls it back and the careful way below finds out why.
  Status fast = SaveFast(record, text, forced);
  if (fast.code() != StatusCode::kAborted) return fast;
  bool raced = false;
  Status saved = SaveOnce(record, text, forced, &raced);
  if (raced) saved = SaveOnce(record, text, forced, &raced);
  return saved;
}

Status DatabaseSagaJournal::SaveFast(const SagaRecord& record,
                                     const std::string& text, bool forced) {
  Result<std::unique_ptr<Branch>> local = resource_->BeginLocal();
  if (!local.ok()) {
    return local.status().WithContext("saga " + record.id + ": saving to '" +
                                      resource_->name() + "'");
  }
  Branch& branch = **local;
  const std::string phase = SagaPhaseName(record.phase);
  bool fresh = record.phase == SagaPhase::kForward && record.xa_gtrid.empty();
  for (StepPhase p : record.steps) fresh = fresh && p == StepPhase::kPending;
  Status s;
  if (!forced && postgres()) {
    s = branch.ExecuteDeferred("SET LOCAL synchronous_commit = off", {});
  }
  if (s.ok()) {
    s = fresh ? branch.ExecuteDeferred(kInsert,
                                       {record.id, record.node, phase, text}, 1)
              : branch.ExecuteDeferred(
                    postgres() ? kPostgresqlUpdate : kMysqlUpdate,
                    {record.node, phase, text, record.id, record.node}, 1);
  }
  if (!s.ok()) {
    (void)branch.Rollback();
    return Status::Aborted(s.message());
  }
  return branch.CommitOnePhase().WithContext(
      "saga " + record.id + ": saving to '" + resource_->name() + "'");
}

Status DatabaseSagaJournal::SaveOnce(const SagaRecord& record,
                                     const std::string& text, bool forced,
                                     bool* raced) {
  *raced = false;
  const std::string context =
      "saga " + record.id + ": saving to '" + resource_->name() + "'";
  Result<std::unique_ptr<Branch>> local = resource_->BeginLocal();
  if (!local.ok()) return local.status().WithContext(context);
  Branch& branch = **local;
  auto fail = [&](const Status& status) {
    (void)branch.Rollback();
    return status.WithContext(context);
  };
  if (!forced && postgres()) {
    // This transaction's commit only: it does not wait for its WAL flush.
    Result<int64_t> set =
        branch.Execute("SET LOCAL synchronous_commit = off", {});
    if (!set.ok()) return fail(set.status());
  }
  Result<std::vector<Row>> rows = branch.Query(kLockRow, {record.id});
  if (!rows.ok()) return fail(rows.status());
  const std::string phase = SagaPhaseName(record.phase);
  if (rows->empty()) {
    Result<int64_t> inserted =
        branch.Execute(kInsert, {record.id, record.node, phase, text});
    if (!inserted.ok()) {
      (void)branch.Rollback();
      const StatusCode code = inserted.status().code();
      if (code != StatusCode::kAlreadyExists && code != StatusCode::kAborted) {
        return inserted.status().WithContext(context);
      }
      // A concurrent first save got there first (MariaDB: or both took the
      // gap lock and this one was the deadlock's victim).
      Result<std::string> now = CurrentNode(record.id);
      if (now.ok() && !now->empty() && *now != record.node) {
        return DrivenElsewhere(record.id, *now, record.node);
      }
      *raced = true;  // ours, or not committed yet: the row lock tells
      return inserted.status().WithContext(context);
    }
  } else {
    if (rows->front().empty()) return fail(Status::Internal("short saga row"));
    const std::string now = Text(rows->front()[0]);
    if (now != record.node) {
      (void)branch.Rollback();
      return DrivenElsewhere(record.id, now, record.node);
    }
    // The row is locked: the condition on node cannot fail now (and
    // MariaDB counts only changed rows, so the count is not checked).
    Result<int64_t> updated =
        branch.Execute(postgres() ? kPostgresqlUpdate : kMysqlUpdate,
                       {record.node, phase, text, record.id, record.node});
    if (!updated.ok()) return fail(updated.status());
  }
  return branch.CommitOnePhase().WithContext(context);
}

Result<std::string> DatabaseSagaJournal::CurrentNode(
    const std::string& id) const {
  XATM_ASSIGN_OR_RETURN(std::vector<Row> rows,
                        resource_->QueryLocal(kSelectNode, {id}));
  if (rows.empty() || rows.front().empty()) return std::string();
  return Text(rows.front()[0]);
}

Result<std::vector<SagaRecord>> DatabaseSagaJournal::Unfinished() const {
  XATM_RETURN_IF_ERROR(CheckType());
  Result<std::vector<Row>> rows = resource_->QueryLocal(kSelectUnfinished, {});
  if (!rows.ok()) {
    return rows.status().WithContext("reading unfinished sagas from '" +
                                     resource_->name() + "'");
  }
  std::vector<SagaRecord> records;
  records.reserve(rows->size());
  for (const Row& row : *rows) {
    XATM_ASSIGN_OR_RETURN(SagaRecord record, FromRow(row, resource_->name()));
    records.push_back(std::move(record));
  }
  return records;
}

Result<std::optional<SagaRecord>> DatabaseSagaJournal::Find(
    const std::string& id) const {
  XATM_RETURN_IF_ERROR(CheckType());
  Result<std::vector<Row>> rows = resource_->QueryLocal(kSelectOne, {id});
  if (!rows.ok()) {
    return rows.status().WithContext("saga " + id + ": reading from '" +
                                     resource_->name() + "'");
  }
  if (rows->empty()) return std::optional<SagaRecord>();
  XATM_ASSIGN_OR_RETURN(SagaRecord record,
                        FromRow(rows->front(), resource_->name()));
  return std::optional<SagaRecord>(std::move(record));
}

Result<bool> DatabaseSagaJournal::Claim(const std::string& id,
                                        const std::string& from_node,
                                        const std::string& to_node) {
  XATM_RETURN_IF_ERROR(CheckType());
  XATM_RETURN_IF_ERROR(CheckIds(id, to_node));
  const std::string context = "saga " + id + ": claiming it for node " +
                              to_node + " on '" + resource_->name() + "'";
  Result<std::unique_ptr<Branch>> local = resource_->BeginLocal();
  if (!local.ok()) return local.status().WithContext(context);
  Branch& branch = **local;
  Result<std::vector<Row>> rows = branch.Query(kLockRow, {id});
  if (!rows.ok() || rows->empty() || rows->front().size() < 2 ||
      Text(rows->front()[0]) != from_node) {
    (void)branch.Rollback();
    if (!rows.ok()) return rows.status().WithContext(context);
    return false;  // gone, or another node's already
  }
  Result<SagaRecord> record =
      FromRow({id, rows->front()[0], rows->front()[1]}, resource_->name());
  if (!record.ok()) {
    (void)branch.Rollback();
    return record.status();
  }
  record->node = to_node;
  Result<int64_t> updated =
      branch.Execute(postgres() ? kPostgresqlUpdate : kMysqlUpdate,
                     {to_node, SagaPhaseName(record->phase),
                      EncodeSagaRecord(*record), id, from_node});
  if (!updated.ok()) {
    (void)branch.Rollback();
    return updated.status().WithContext(context);
  }
  XATM_RETURN_IF_ERROR(branch.CommitOnePhase().WithContext(context));
  return true;
}

Status DatabaseSagaJournal::Prune(int64_t retention_s) {
  XATM_RETURN_IF_ERROR(CheckType());
  if (retention_s <= 0) {
    return Status::InvalidArgument("saga retention must be positive, not " +
                                   std::to_string(retention_s) + " s");
  }
  // PostgreSQL's DELETE takes no LIMIT: its subquery does.
  const std::string sql =
      postgres() ? kPostgresqlPrune + std::to_string(kPruneBatch) + ")"
                 : kMysqlPrune + std::to_string(kPruneBatch);
  while (true) {
    Result<int64_t> deleted =
        ExecuteCommitted(*resource_, sql, {std::to_string(retention_s)});
    if (!deleted.ok()) {
      return deleted.status().WithContext("pruning sagas of '" +
                                          resource_->name() + "'");
    }
    if (*deleted < kPruneBatch) return Status::Ok();
  }
}

}  // namespace xatm
